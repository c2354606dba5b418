"""DVC stage `stage3_train`: see iacsieve.training.stages.run_stage3."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("stage3_train", "iacsieve.training.stages:run_stage3")
