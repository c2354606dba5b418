"""Split records by repository into train/val/test, stratified by technology, smell and label."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from iacsieve.errors import IacsieveError

SPLITS = ("train", "val", "test")


def _one_fold(records: list[dict], groups: list[str], n_splits: int, seed: int) -> tuple[list[int], list[int]]:
    """Hold out one of ``n_splits`` group folds stratified by tech x smell x label: (rest, held_out) indices."""
    strata = np.array([f"{r['tech']}|{r['smell']}|{r['label']}" for r in records])
    folds = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    rest_index, held_index = next(folds.split(np.zeros(len(records)), strata, np.array(groups)))
    return list(rest_index), list(held_index)


def repository_groups(records: list[dict], same_split: list[list[str]] = ()) -> list[str]:
    """The split group of each record: its repository, merged with every repository it shares a file
    content hash with, and with the repositories named together in ``same_split`` (forks).

    A group is named by its alphabetically first repository. Raises ``IacsieveError`` when a record
    has no ``repo``.
    """
    parent: dict[str, str] = {}

    def root(repo: str) -> str:
        while parent.setdefault(repo, repo) != repo:
            parent[repo] = parent[parent[repo]]
            repo = parent[repo]
        return repo

    def join(a: str, b: str) -> None:
        a, b = root(a), root(b)
        if a != b:
            parent[max(a, b)] = min(a, b)

    first_repo_of_hash: dict[str, str] = {}
    for record in records:
        repo = record.get("repo")
        if not repo:
            raise IacsieveError(f"split: record {record.get('id')} has no 'repo' (rerun preprocess)")
        root(repo)
        digest = record.get("content_hash")
        if digest:
            join(first_repo_of_hash.setdefault(digest, repo), repo)
    known = set(parent)
    for together in same_split:
        present = [repo for repo in together if repo in known]
        for repo in present[1:]:
            join(present[0], repo)
    return [root(record["repo"]) for record in records]


def split_by_repository(
    records: list[dict], test_fraction: float, val_fraction: float, seed: int, same_split: list[list[str]] = ()
) -> dict[str, list[dict]]:
    """Return {"train", "val", "test"} lists with whole repositories held out.

    Records are grouped by ``repository_groups``; no repository, file or file content hash appears
    in two splits. ``test_fraction`` and ``val_fraction`` are shares of all records (0.1 and 0.1 give
    train:val 8:1 and a ≈10 % test set of held-out repositories), folds stratified by technology x
    smell x label. Deterministic for a given ``seed``.
    """
    ordered = sorted(records, key=lambda r: r["id"])
    groups = repository_groups(ordered, same_split)
    n_groups = len(set(groups))
    n_test_folds = round(1 / test_fraction)
    n_val_folds = round((1 - test_fraction) / val_fraction)
    if n_groups < max(n_test_folds, n_val_folds):
        raise IacsieveError(
            f"split: only {n_groups} distinct repositories; need at least {max(n_test_folds, n_val_folds)} "
            f"to hold out whole repositories for split.test_fraction={test_fraction} and "
            f"split.val_fraction={val_fraction}"
        )
    rest_index, test_index = _one_fold(ordered, groups, n_test_folds, seed)
    rest = [ordered[i] for i in rest_index]
    train_index, val_index = _one_fold(rest, [groups[i] for i in rest_index], n_val_folds, seed + 1)
    splits = {
        "train": [rest[i] for i in train_index],
        "val": [rest[i] for i in val_index],
        "test": [ordered[i] for i in test_index],
    }
    check_disjoint_splits(splits)
    return splits


#: What may never be shared between two splits, and how the error names it.
DISJOINT_KEYS = {"repo": "repository", "file": "file", "content_hash": "file content hash"}


def check_disjoint_splits(splits: dict[str, list[dict]]) -> None:
    """Raise ``IacsieveError`` when a repository, a file or a file content hash appears in more than
    one split (test leakage)."""
    for key, what in DISJOINT_KEYS.items():
        values = {name: {r.get(key) for r in records} - {None} for name, records in splits.items()}
        for a_index, a in enumerate(SPLITS):
            for b in SPLITS[a_index + 1:]:
                shared = sorted(values.get(a, set()) & values.get(b, set()))
                if shared:
                    raise IacsieveError(
                        f"split: {len(shared)} {what}(s) appear in both {a} and {b}, e.g. {shared[0]!r}"
                    )


def split_statistics(splits: dict[str, list[dict]]) -> dict:
    """Counts per split: records, repositories, files, TP share, and records per tech and per
    tech x smell x label (keys sorted)."""
    stats: dict = {}
    for name, records in splits.items():
        frame = pd.DataFrame(
            {
                "tech": [r["tech"] for r in records],
                "cell": [f"{r['tech']}/{r['smell']}/{'TP' if r['label'] == 1 else 'FP'}" for r in records],
                "tp": [r["label"] == 1 for r in records],
                "repo": [r.get("repo") for r in records],
                "file": [r["file"] for r in records],
            },
            dtype=object,
        )
        stats[name] = {
            "records": len(frame),
            "repositories": int(frame["repo"].nunique(dropna=False)),
            "files": int(frame["file"].nunique()),
            "tp_share": round(int(frame["tp"].sum()) / len(frame), 4) if len(frame) else 0.0,
            "by_tech": _sorted_counts(frame["tech"]),
            "by_tech_smell_label": _sorted_counts(frame["cell"]),
        }
    return stats


def _sorted_counts(column: pd.Series) -> dict[str, int]:
    """{value: occurrences} of a pandas column, keys in sorted order, plain ints."""
    return {key: int(count) for key, count in sorted(column.value_counts(sort=False).items())}
