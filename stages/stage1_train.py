"""DVC stage `stage1_train`: see iacsieve.training.stages.run_stage1."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("stage1_train", "iacsieve.training.stages:run_stage1", candidate=str)
