"""DVC stage `baselines`: see iacsieve.evaluation.baselines.run_baselines."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("baselines", "iacsieve.evaluation.baselines:run_baselines")
