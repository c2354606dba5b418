"""DVC stage `threshold_sweep`: see iacsieve.selection.stages.run_threshold_sweep."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("threshold_sweep", "iacsieve.selection.stages:run_threshold_sweep")
