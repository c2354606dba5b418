"""DVC stage `stage1_select`: see iacsieve.selection.stages.run_stage1_select."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("stage1_select", "iacsieve.selection.stages:run_stage1_select")
