"""Split records by file into train/val/test, stratified by technology and smell."""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from iacsieve.errors import IacsieveError

SPLITS = ("train", "val", "test")


def _one_fold(records: list[dict], n_splits: int, seed: int) -> tuple[list[dict], list[dict]]:
    """Hold out one of ``n_splits`` file-grouped folds stratified by tech x smell x label: (rest, held_out)."""
    strata = np.array([f"{r['tech']}|{r['smell']}|{r['label']}" for r in records])
    groups = np.array([r["file"] for r in records])
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    rest_index, held_index = next(folds.split(np.zeros(len(records)), strata, groups))
    return [records[i] for i in rest_index], [records[i] for i in held_index]


def split_by_file(
    records: list[dict], test_fraction: float, val_fraction: float, seed: int
) -> dict[str, list[dict]]:
    """Return {"train", "val", "test"} lists; no file appears in two splits.

    ``test_fraction`` and ``val_fraction`` are shares of all records (e.g. 0.1 and 0.1 give
    train:val 8:1 and a ≈10 % test set of held-out files). Deterministic for a given ``seed``.
    """
    n_files = len({r["file"] for r in records})
    n_test_folds = round(1 / test_fraction)
    n_val_folds = round((1 - test_fraction) / val_fraction)
    if n_files < max(n_test_folds, n_val_folds):
        raise IacsieveError(
            f"split: only {n_files} distinct files; need at least {max(n_test_folds, n_val_folds)} "
            f"to hold out whole files for split.test_fraction={test_fraction} and split.val_fraction={val_fraction}"
        )
    ordered = sorted(records, key=lambda r: r["id"])
    rest, test = _one_fold(ordered, n_test_folds, seed)
    train, val = _one_fold(rest, n_val_folds, seed + 1)
    splits = {"train": train, "val": val, "test": test}
    check_disjoint_files(splits)
    return splits


def check_disjoint_files(splits: dict[str, list[dict]]) -> None:
    """Raise ``IacsieveError`` when a file appears in more than one split (test leakage)."""
    files = {name: {r["file"] for r in records} for name, records in splits.items()}
    for a_index, a in enumerate(SPLITS):
        for b in SPLITS[a_index + 1:]:
            shared = sorted(files.get(a, set()) & files.get(b, set()))
            if shared:
                raise IacsieveError(
                    f"split: {len(shared)} file(s) appear in both {a} and {b}, e.g. {shared[0]!r}"
                )


def split_statistics(splits: dict[str, list[dict]]) -> dict:
    """Counts per split: records, files, TP share, and records per tech x smell x label."""
    stats: dict = {}
    for name, records in splits.items():
        by_cell = Counter(
            f"{r['tech']}/{r['smell']}/{'TP' if r['label'] == 1 else 'FP'}" for r in records
        )
        positives = sum(r["label"] == 1 for r in records)
        stats[name] = {
            "records": len(records),
            "files": len({r["file"] for r in records}),
            "tp_share": round(positives / len(records), 4) if records else 0.0,
            "by_tech": dict(sorted(Counter(r["tech"] for r in records).items())),
            "by_tech_smell_label": dict(sorted(by_cell.items())),
        }
    return stats
