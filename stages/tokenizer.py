"""DVC stage `tokenizer`: see iacsieve.models.tokenizer.run_tokenizer."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("tokenizer", "iacsieve.models.tokenizer:run_tokenizer")
