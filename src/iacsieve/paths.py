"""Where each stage reads and writes, relative to the repository root (as in dvc.yaml)."""

from pathlib import Path

RAW = Path("data/raw")
SAMPLE = RAW / "sample"
INTERIM = Path("data/interim")
PROCESSED = Path("data/processed")
MODELS = Path("models")
TOKENIZER = MODELS / "tokenizer"
CHAMPION = MODELS / "champion"
#: The real-data pipeline's folder (its own params.yaml, dvc.yaml and outputs).
REAL = Path("real")
#: The published champion, trained on the labelled corpus of real GLITCH output by the real/ pipeline.
PUBLISHED_CHAMPION = REAL / CHAMPION
CHECKPOINTS = Path("checkpoints")
#: DVC metrics: the headline figures `dvc exp show` compares (val/test F1, precision, recall, threshold...).
METRICS = Path("metrics")
#: The full tables behind them (data statistics, per technology and smell, confusion counts), read by the
#: report; plain JSON outputs, not DVC metrics, so that `dvc exp show` stays readable.
DETAILS = Path("details")
PLOTS = Path("plots")
#: What the selection stages chose (stage1.json, stage2.json).
SELECTED = Path("selected")
REPORTS = Path("reports")


def from_project(path: Path) -> Path:
    """``path``, given from the project root, as seen from the working directory (the root or ``real/``)."""
    return path if path.exists() or not (Path("..") / path).exists() else Path("..") / path


def split_file(split: str) -> Path:
    """The JSONL of a split: train, val, test, or test_<tech>."""
    return PROCESSED / f"{split}.jsonl"


STAGE1_SELECTION = SELECTED / "stage1.json"
STAGE2_SELECTION = SELECTED / "stage2.json"

DETECTIONS = INTERIM / "detections.jsonl"
PREPROCESS_DETAILS = DETAILS / "preprocess.json"
DATA_DETAILS = DETAILS / "data.json"
STAGE1_SELECT_METRICS = METRICS / "stage1_select.json"
STAGE2_SELECT_METRICS = METRICS / "stage2_select.json"
THRESHOLD_METRICS = METRICS / "threshold.json"
THRESHOLD_DETAILS = DETAILS / "threshold.json"
THRESHOLD_PLOTS = PLOTS / "threshold"
#: The threshold sweep's curve, as dvclive writes it under THRESHOLD_PLOTS.
THRESHOLD_CURVE = THRESHOLD_PLOTS / "plots" / "custom" / "threshold.json"
CHAMPION_METRICS = METRICS / "champion.json"
CHAMPION_DETAILS = DETAILS / "champion.json"
TEST_METRICS = METRICS / "test.json"
TEST_DETAILS = DETAILS / "test.json"
TEST_PLOTS = PLOTS / "test"
BASELINE_METRICS = METRICS / "baselines.json"
BASELINE_DETAILS = DETAILS / "baselines.json"
TRANSFER_METRICS = METRICS / "transfer.json"
TRANSFER_DETAILS = DETAILS / "transfer.json"
#: Each Stage-1 family alone and stacked, scored on test (stage ``ablation``), and where it trains the
#: families other than the champion's.
ABLATION_DETAILS = DETAILS / "ablation.json"
ABLATION_MODELS = MODELS / "ablation"
REPORT = REPORTS / "report.md"
#: The active-learning benchmark's table (``python bench/active_learning.py``), quoted by the reports.
ACTIVE_LEARNING_TABLE = Path("bench/results/active_learning/table.md")
#: Every training run's val F1 and training loss per epoch in one table, for the top-level comparison plots.
TRAINING_CURVES = REPORTS / "training_curves.json"

#: Written beside each run's model: candidate, config and summary, read by the selection stages.
RUN_RECORD = "iacsieve_run.json"
#: Written beside each run's model: one line per val record with its positive-class probability.
VAL_SCORES = "val_scores.jsonl"
#: Written beside each run's dvclive files: train seconds, samples/s and peak memory (not a DVC metric:
#: these vary between identical runs).
EFFICIENCY = "efficiency.json"
#: The training seconds behind each ablation row.
ABLATION_EFFICIENCY = METRICS / "ablation" / EFFICIENCY
