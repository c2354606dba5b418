"""One decision threshold, chosen on validation F1 and frozen for every test set."""

from __future__ import annotations

from collections.abc import Sequence

from iacsieve.evaluation.metrics import apply_threshold, filter_metrics


def threshold_grid(low: float, high: float, step: float) -> list[float]:
    """Thresholds ``low, low+step, …, high`` (inclusive), rounded to avoid float drift."""
    count = int(round((high - low) / step)) + 1
    decimals = max(2, len(f"{step:.10f}".rstrip("0").split(".")[1]))
    return [round(low + i * step, decimals) for i in range(count)]


def sweep_thresholds(
    labels: Sequence[int], probabilities: Sequence[float], low: float, high: float, step: float
) -> tuple[float, list[dict]]:
    """Score every threshold of the grid; return (best threshold, rows of threshold/precision/recall/f1).

    The best threshold maximises F1; among equal F1 the one closest to 0.5 wins, then the lower
    one, so the choice does not depend on float noise.
    """
    rows = []
    for threshold in threshold_grid(low, high, step):
        scores = filter_metrics(labels, apply_threshold(probabilities, threshold))
        rows.append({"threshold": threshold, **{k: scores[k] for k in ("precision", "recall", "f1")}})
    best = max(rows, key=lambda r: (round(r["f1"], 12), -abs(r["threshold"] - 0.5), -r["threshold"]))
    return best["threshold"], rows
