"""DVC stage `stage2_select`: see iacsieve.selection.stages.run_stage2_select."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("stage2_select", "iacsieve.selection.stages:run_stage2_select")
