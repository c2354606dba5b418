"""DVC stage `stage2_train`: see iacsieve.training.stages.run_stage2."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("stage2_train", "iacsieve.training.stages:run_stage2", rank=int, learning_rate=float, batch_size=int, name=str)
