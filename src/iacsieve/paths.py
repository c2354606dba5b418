"""Where each stage reads and writes, relative to the repository root (as in dvc.yaml)."""

from pathlib import Path

RAW = Path("data/raw")
SAMPLE = RAW / "sample"
INTERIM = Path("data/interim")
PROCESSED = Path("data/processed")
MODELS = Path("models")
TOKENIZER = MODELS / "tokenizer"
CHAMPION = MODELS / "champion"
#: The published champion, trained on the labelled corpus of real GLITCH output by the real/ pipeline.
PUBLISHED_CHAMPION = Path("real") / CHAMPION
CHECKPOINTS = Path("checkpoints")
#: DVC metrics: the headline figures `dvc exp show` compares (val/test F1, precision, recall, threshold...).
METRICS = Path("metrics")
#: The full tables behind them (data statistics, per technology and smell, confusion counts), read by the
#: report; plain JSON outputs, not DVC metrics, so that `dvc exp show` stays readable.
DETAILS = Path("details")
PLOTS = Path("plots")
SELECTION = Path("selection")
REPORTS = Path("reports")


def split_file(split: str) -> Path:
    """The JSONL of a split: train, val, test, or test_<tech>."""
    return PROCESSED / f"{split}.jsonl"


STAGE1_SELECTION = SELECTION / "stage1.json"
STAGE2_SELECTION = SELECTION / "stage2.json"
#: Written beside each run's model: candidate, config and summary, read by the selection stages.
RUN_RECORD = "iacsieve_run.json"
#: Written beside each run's model: one line per val record with its positive-class probability.
VAL_SCORES = "val_scores.jsonl"
#: Written beside each run's dvclive files: train seconds, samples/s and peak memory (not a DVC metric:
#: these vary between identical runs).
EFFICIENCY = "efficiency.json"
