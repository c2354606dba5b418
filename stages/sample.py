"""DVC stage `sample`: see iacsieve.data.pipeline.run_sample."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("sample", "iacsieve.data.pipeline:run_sample")
