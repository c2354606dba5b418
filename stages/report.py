"""DVC stage `report`: see iacsieve.evaluation.report.run_report."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("report", "iacsieve.evaluation.report:run_report")
