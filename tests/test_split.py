"""Split by file: disjoint files, stratified shares, deterministic."""

import random

import pytest

from iacsieve.data.split import check_disjoint_files, split_by_file, split_statistics
from iacsieve.errors import IacsieveError


def make_records(n_files=200, per_file=10, seed=0):
    rng = random.Random(seed)
    records = []
    for f in range(n_files):
        tech = ["ansible", "chef", "puppet"][f % 3]
        for i in range(per_file):
            records.append({
                "id": f"{f:04d}{i:02d}", "file": f"{tech}/f{f}.x", "tech": tech,
                "smell": ["Hard-coded secret", "Suspicious comment"][rng.random() < 0.4],
                "label": int(rng.random() < 0.4),
            })
    return records


def test_files_never_cross_splits_and_sizes_follow_fractions():
    splits = split_by_file(make_records(), test_fraction=0.1, val_fraction=0.1, seed=1)
    check_disjoint_files(splits)
    total = sum(len(v) for v in splits.values())
    assert total == 2000
    assert 0.07 < len(splits["test"]) / total < 0.13
    assert 0.07 < len(splits["val"]) / total < 0.13
    for name in ("train", "val", "test"):
        techs = {r["tech"] for r in splits[name]}
        assert techs == {"ansible", "chef", "puppet"}


def test_split_is_deterministic_and_seed_dependent():
    a = split_by_file(make_records(), 0.1, 0.1, seed=1)
    b = split_by_file(list(reversed(make_records())), 0.1, 0.1, seed=1)
    c = split_by_file(make_records(), 0.1, 0.1, seed=2)
    ids = lambda s: sorted(r["id"] for r in s["test"])  # noqa: E731
    assert ids(a) == ids(b)
    assert ids(a) != ids(c)


def test_leak_between_splits_is_refused():
    records = make_records(n_files=20)
    leaked = {"train": records[:50], "val": records[50:60], "test": records[45:70]}
    with pytest.raises(IacsieveError, match="appear in both train and test"):
        check_disjoint_files(leaked)


def test_too_few_files_is_a_clear_error():
    with pytest.raises(IacsieveError, match="only 3 distinct files"):
        split_by_file(make_records(n_files=3), 0.1, 0.1, seed=0)


def test_statistics_count_every_record():
    splits = split_by_file(make_records(), 0.1, 0.1, seed=1)
    stats = split_statistics(splits)
    for name, records in splits.items():
        assert stats[name]["records"] == len(records)
        assert sum(stats[name]["by_tech_smell_label"].values()) == len(records)
