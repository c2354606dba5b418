"""Bootstrap confidence intervals for a filter's F1 and FP-reduction rate."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def bootstrap_intervals(
    labels: Sequence[int], kept: Sequence[int], resamples: int, seed: int, level: float = 0.95
) -> dict[str, list[float]]:
    """Percentile intervals of F1 (TP class) and FP reduction over ``resamples`` resamples of the
    detections (with replacement, seeded). Returns {"f1": [low, high], "fp_reduction": [low, high]}.
    """
    y_true = np.asarray(labels, dtype=bool)
    y_kept = np.asarray(kept, dtype=bool)
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(y_true), size=(resamples, len(y_true)))
    truth, verdict = y_true[index], y_kept[index]
    tp = (truth & verdict).sum(axis=1)
    fp = (~truth & verdict).sum(axis=1)
    fn = (truth & ~verdict).sum(axis=1)
    tn = (~truth & ~verdict).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
        fp_reduction = np.where(tn + fp > 0, tn / (tn + fp), 0.0)
    tail = (1 - level) / 2 * 100
    return {
        name: [float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))]
        for name, values in (("f1", f1), ("fp_reduction", fp_reduction))
    }
