"""DVC stage `split`: see iacsieve.data.pipeline.run_split."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("split", "iacsieve.data.pipeline:run_split")
