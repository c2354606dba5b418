"""DVC stage `transfer`: see iacsieve.evaluation.transfer.run_transfer."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("transfer", "iacsieve.evaluation.transfer:run_transfer")
