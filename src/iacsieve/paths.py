"""Where each stage reads and writes, relative to the repository root (as in dvc.yaml)."""

from pathlib import Path

RAW = Path("data/raw")
SAMPLE = RAW / "sample"
INTERIM = Path("data/interim")
PROCESSED = Path("data/processed")
MODELS = Path("models")
TOKENIZER = MODELS / "tokenizer"
CHAMPION = MODELS / "champion"
CHECKPOINTS = Path("checkpoints")
METRICS = Path("metrics")
PLOTS = Path("plots")
SELECTION = Path("selection")
REPORTS = Path("reports")


def split_file(split: str) -> Path:
    """The JSONL of a split: train, val, test, or test_<tech>."""
    return PROCESSED / f"{split}.jsonl"
