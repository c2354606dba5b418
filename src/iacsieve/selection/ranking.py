"""Read what the selection stages chose; pick the median seed of Stage 4."""

from __future__ import annotations

import json
from pathlib import Path

from iacsieve.errors import IacsieveError


def median_seed(f1_by_seed: dict[int, float]) -> int:
    """The seed whose F1 is the median of all seeds.

    With an even number of seeds the lower of the two middle values counts as the median (it is a
    real run, not an average); when several seeds share the median F1, the lowest seed wins.
    """
    if not f1_by_seed:
        raise ValueError("no seeds to choose from")
    values = sorted(f1_by_seed.values())
    median = values[(len(values) - 1) // 2]
    return min(seed for seed, f1 in f1_by_seed.items() if f1 == median)


def read_selection(path: Path) -> dict:
    """A selection stage's choice (``selected/stage1.json`` or ``stage2.json``); missing: run the stage first."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IacsieveError(f"{path}: missing; run the previous stage first (dvc repro)") from None
