"""DVC stage `stage4_train`: see iacsieve.training.stages.run_stage4."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("stage4_train", "iacsieve.training.stages:run_stage4", seed=int)
