"""Classification metrics of a false-positive filter, on the TP class."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support


def filter_metrics(labels: Sequence[int], kept: Sequence[int]) -> dict:
    """Score a filter's verdicts (``kept`` 1 = keep as true positive) against oracle ``labels``.

    Returns accuracy, precision, recall and F1 of the TP class, the confusion counts, the
    FP-reduction rate (share of GLITCH's false positives the filter removes) and the TP retention
    (share of true positives it keeps, i.e. recall). Keeping every detection is GLITCH as-is:
    FP reduction 0, TP retention 1.
    """
    y_true = np.asarray(labels, dtype=int)
    y_pred = np.asarray(kept, dtype=int)
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel().tolist()
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, average="binary", pos_label=1, zero_division=0
    )
    negatives = tn + fp
    positives = tp + fn
    return {
        "n": int(len(y_true)),
        "accuracy": float(accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "fp_reduction": tn / negatives if negatives else 0.0,
        "tp_retention": tp / positives if positives else 0.0,
    }


def headline(values: dict[str, float], prefix: str) -> dict[str, float]:
    """The headline DVC metrics of a stage: ``values`` with each name prefixed by ``metrics.prefix``."""
    return {f"{prefix}{name}": value for name, value in values.items()}


def apply_threshold(probabilities: Sequence[float], threshold: float) -> np.ndarray:
    """Verdicts 1 (keep) where the positive-class probability is at least ``threshold``."""
    return (np.asarray(probabilities, dtype=float) >= threshold).astype(int)
