"""DVC stage `tokenizer`: see iacsieve.training.stages.run_tokenizer."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("tokenizer", "iacsieve.training.stages:run_tokenizer")
