"""DVC stage `preprocess`: see iacsieve.data.pipeline.run_preprocess."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("preprocess", "iacsieve.data.pipeline:run_preprocess")
