"""DVC stage `champion_freeze`: see iacsieve.selection.stages.run_champion_freeze."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("champion_freeze", "iacsieve.selection.stages:run_champion_freeze")
