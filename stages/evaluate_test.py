"""DVC stage `evaluate_test`: see iacsieve.evaluation.held_out.run_evaluate_test."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("evaluate_test", "iacsieve.evaluation.held_out:run_evaluate_test")
