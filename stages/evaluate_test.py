"""DVC stage `evaluate_test`: see iacsieve.evaluation.test_stage.run_evaluate_test."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("evaluate_test", "iacsieve.evaluation.test_stage:run_evaluate_test")
