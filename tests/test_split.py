"""Split by repository: disjoint repositories, files and file contents; stratified shares; deterministic."""

import random
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from iacsieve.data.records import read_jsonl, write_jsonl
from iacsieve.data.split import check_disjoint_splits, repository_groups, split_by_repository, split_statistics
from iacsieve.errors import IacsieveError


def make_records(n_repos=60, files_per_repo=3, per_file=6, seed=0):
    rng = random.Random(seed)
    records = []
    for r in range(n_repos):
        tech = ["ansible", "chef", "puppet"][r % 3]
        repo = f"org{r % 7}/repo{r}"
        for f in range(files_per_repo):
            for i in range(per_file):
                records.append({
                    "id": f"{r:03d}{f}{i:02d}", "repo": repo, "file": f"{repo}/f{f}.x", "tech": tech,
                    "content_hash": f"h{r}-{f}",
                    "smell": ["Hard-coded secret", "Suspicious comment"][rng.random() < 0.4],
                    "label": int(rng.random() < 0.4),
                })
    return records


def test_repositories_never_cross_splits_and_sizes_follow_fractions():
    splits = split_by_repository(make_records(), test_fraction=0.1, val_fraction=0.1, seed=1)
    check_disjoint_splits(splits)
    total = sum(len(v) for v in splits.values())
    assert total == 60 * 3 * 6
    assert 0.06 < len(splits["test"]) / total < 0.14
    assert 0.06 < len(splits["val"]) / total < 0.14
    repos = {name: {r["repo"] for r in records} for name, records in splits.items()}
    assert not repos["train"] & repos["test"] and not repos["val"] & repos["test"] and not repos["train"] & repos["val"]
    for name in ("train", "val", "test"):
        assert {r["tech"] for r in splits[name]} == {"ansible", "chef", "puppet"}


def test_split_is_deterministic_and_seed_dependent():
    a = split_by_repository(make_records(), 0.1, 0.1, seed=1)
    b = split_by_repository(list(reversed(make_records())), 0.1, 0.1, seed=1)
    c = split_by_repository(make_records(), 0.1, 0.1, seed=2)
    ids = lambda s: sorted(r["id"] for r in s["test"])  # noqa: E731
    assert ids(a) == ids(b)
    assert ids(a) != ids(c)


def test_a_repository_in_two_splits_is_refused():
    records = make_records(n_repos=6)
    by_repo = {}
    for record in records:
        by_repo.setdefault(record["repo"], []).append(record)
    repos = sorted(by_repo)
    half = len(by_repo[repos[0]]) // 2
    # repos[0] has files in both train and test; no file and no content hash is shared
    leaked = {
        "train": by_repo[repos[0]][:half] + by_repo[repos[1]],
        "val": by_repo[repos[2]],
        "test": by_repo[repos[0]][half:] + by_repo[repos[3]],
    }
    leaked["test"] = [r for r in leaked["test"] if r["file"] not in {x["file"] for x in leaked["train"]}]
    with pytest.raises(IacsieveError, match=r"1 repository\(s\) appear in both train and test, e.g. 'org0/repo0'"):
        check_disjoint_splits(leaked)


def test_a_file_content_in_two_splits_is_refused():
    records = make_records(n_repos=4)
    train = [r for r in records if r["repo"].endswith("repo0")]
    test = [dict(r, content_hash="h0-0") if i == 0 else r
            for i, r in enumerate(x for x in records if x["repo"].endswith("repo1"))]
    with pytest.raises(IacsieveError, match=r"file content hash\(s\) appear in both train and test, e.g. 'h0-0'"):
        check_disjoint_splits({"train": train, "val": [], "test": test})


def test_vendored_copies_and_forks_land_in_one_split():
    records = make_records()
    # repo5 vendors one file of repo17 (same content hash); repo30 and repo44 are forks of one another
    vendored = next(r for r in records if r["repo"].endswith("/repo17"))["content_hash"]
    for record in records:
        if record["repo"].endswith("/repo5") and record["file"].endswith("f2.x"):
            record["content_hash"] = vendored
    forks = [["org2/repo30", "org2/repo44", "not/present"]]
    groups = repository_groups(records, forks)
    group_of = dict(zip((r["repo"] for r in records), groups))
    assert group_of["org5/repo5"] == group_of["org3/repo17"]
    assert group_of["org2/repo30"] == group_of["org2/repo44"]
    assert group_of["org0/repo0"] != group_of["org5/repo5"]
    for seed in range(5):
        splits = split_by_repository(records, 0.1, 0.1, seed, forks)
        where = {r["repo"]: name for name, rs in splits.items() for r in rs}
        assert where["org5/repo5"] == where["org3/repo17"]
        assert where["org2/repo30"] == where["org2/repo44"]


def test_too_few_repositories_is_a_clear_error():
    with pytest.raises(IacsieveError, match="only 3 distinct repositories"):
        split_by_repository(make_records(n_repos=3), 0.1, 0.1, seed=0)


def test_statistics_count_every_record():
    splits = split_by_repository(make_records(), 0.1, 0.1, seed=1)
    stats = split_statistics(splits)
    for name, records in splits.items():
        assert stats[name]["records"] == len(records)
        assert stats[name]["repositories"] == len({r["repo"] for r in records})
        assert sum(stats[name]["by_tech_smell_label"].values()) == len(records)


def test_split_stage_holds_out_whole_repositories(tmp_path):
    write_jsonl(tmp_path / "data/interim/detections.jsonl", make_records())
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    done = subprocess.run([sys.executable, str(ROOT / "stages/split.py")], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    repos = {name: {r["repo"] for r in read_jsonl(tmp_path / f"data/processed/{name}.jsonl")}
             for name in ("train", "val", "test")}
    assert repos["test"] and not repos["test"] & (repos["train"] | repos["val"])
    assert not repos["train"] & repos["val"]
