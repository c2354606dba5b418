"""DVC stage `ablation`: see iacsieve.evaluation.ablation.run_ablation."""

from iacsieve.cli_support import run_stage

if __name__ == "__main__":
    run_stage("ablation", "iacsieve.evaluation.ablation:run_ablation")
