"""bench/active_learning.py: the pick order, the pool/eval split, cumulative budgets, labels saved, and an
end-to-end run on a small corpus in the real-corpus format (plus the real corpus's groups where present)."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IACSIEVE_REAL_CORPUS") or ROOT.parent / "shared" / "real-corpus")
_spec = importlib.util.spec_from_file_location("active_learning", ROOT / "bench" / "active_learning.py")
al = importlib.util.module_from_spec(_spec)
sys.modules["active_learning"] = al
_spec.loader.exec_module(al)

SETTINGS = al.Settings(c=4.0, fit_seed=0, cv_folds=3, cv_seed=7, grid=(0.3, 0.7, 0.01), same_split=(),
                       budgets=(5, 10, 100), splits=2, random_repeats=1)
_SECRETS = ["s3cr3t", "hunter2", "P4ssw0rd", "letmein9", "tr0ub4dor"]
_INDIRECT = ["{{ vault_db_password }}", "{{ lookup('env', 'PW') }}", "<%= @password %>", "$::db_password", "undef"]


def corpus_row(repo: str, index: int, rng: random.Random) -> dict:
    """One detection in the real-corpus format: a TP (a literal secret) or an FP (a variable), its window
    unique to the repository (so no two repositories share content)."""
    tp = rng.random() < 0.4
    value = rng.choice(_SECRETS) + str(index) if tp else rng.choice(_INDIRECT)
    window = [f"# {repo} role, task file {index}", "- name: configure the service",
              f"  db_password: \"{value}\"", f"  db_user: user{rng.randint(0, 9)}", "  port: 5432"]
    return {"repo": repo, "tech": "ansible", "path": f"tasks/file{index % 3}.yml", "line": 3 + 10 * index,
            "file_lines": 1000, "glitch_code": "sec_hard_pass", "window_start": 1 + 10 * index, "window": window,
            "label": "TP" if tp else "FP"}


def write_corpus(folder: Path, repos: dict[str, int], seed: int = 0) -> Path:
    """A labelled corpus (detections.jsonl + sources.tsv) with ``repos[name]`` detections per repository."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    rows = [corpus_row(repo, i, rng) for repo, n in repos.items() for i in range(n)]
    (folder / "detections.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (folder / "sources.tsv").write_text("repo\tcommit\ttech\n" + "".join(f"{r}\tabc\tansible\n" for r in repos))
    return folder


def records(tmp_path: Path, repos: dict[str, int]) -> list[dict]:
    from iacsieve.data.corpus import records_from_labelled_corpus

    return records_from_labelled_corpus(write_corpus(tmp_path / "corpus", repos), 3, 300, 100).records


def test_uncertainty_order_takes_the_closest_score_first_and_spreads_across_files():
    items = [("a/f.yml", 1, 0.50), ("a/f.yml", 2, 0.51), ("a/f.yml", 3, 0.52), ("b/g.yml", 1, 0.70),
             ("c/h.yml", 1, 0.05)]
    recs = [{"id": f"{path}:{line}", "file": path, "repo": path.split("/")[0], "line": line, "tech": "ansible",
             "glitch_code": "sec_hard_pass", "smell": "Hard-coded secret", "content": "x"} for path, line, _ in items]
    order = al.uncertainty_order(recs, [s for *_, s in items], threshold=0.5)
    # Round 1: each file's closest detection, closest first; a/f.yml's next two only come after.
    assert [r["id"] for r in order] == ["a/f.yml:1", "b/g.yml:1", "c/h.yml:1", "a/f.yml:2", "a/f.yml:3"]


def test_excluded_repositories_match_in_any_case():
    assert al.is_excluded("Sous-Chefs/MySQL") and al.is_excluded("voxpupuli/puppet-jenkins ")
    assert not al.is_excluded("sous-chefs/postgresql")


def test_split_group_keeps_whole_repositories_apart(tmp_path):
    recs = records(tmp_path, {f"acme/r{i}": 12 for i in range(6)})
    unit_of = al.split_units(recs)
    pool, held = al.split_group(recs, unit_of, 0.5, "0:split:acme:0")
    assert not {r["repo"] for r in pool} & {r["repo"] for r in held}
    assert len(pool) + len(held) == len(recs) and len(pool) >= len(recs) / 2 and held
    assert {r["label"] for r in held} == {0, 1}
    assert al.split_group(recs, unit_of, 0.5, "0:split:acme:0") == (pool, held)  # seeded


@pytest.mark.parametrize("strategy", al.STRATEGIES)
def test_budgets_are_cumulative_capped_and_never_scored(tmp_path, strategy):
    recs = records(tmp_path, {**{f"rest/r{i}": 15 for i in range(4)}, "team/a": 8, "team/b": 8, "team/c": 10})
    rest = [r for r in recs if r["repo"].startswith("rest/")]
    pool = [r for r in recs if r["repo"] in ("team/a", "team/b")]
    held = [r for r in recs if r["repo"] == "team/c"]
    base = al.fit_lexical(rest, SETTINGS).predict_proba(pool + held)
    base_scores = dict(zip([r["id"] for r in pool + held], base.tolist()))
    result = al.run_strategy(rest, pool, held, strategy, 0.5, base_scores, SETTINGS, "seed")
    assert [row["budget"] for row in result.rows] == [0, 5, 10, 100]
    assert [row["labels"] for row in result.rows] == [0, 5, 10, 16]  # 100 capped at the pool
    for smaller, larger in zip(result.labelled, result.labelled[1:]):
        assert larger[:len(smaller)] == smaller  # each budget extends the previous batch
    assert len(set(result.labelled[-1])) == 16 and not set(result.labelled[-1]) & {r["id"] for r in held}
    assert all(row["tp"] + row["fp"] + row["tn"] + row["fn"] == len(held) for row in result.rows)
    if strategy == "uncertainty":  # the first batch: the rest-only model's most uncertain, spread over files
        first = al.uncertainty_order(pool, [base_scores[r["id"]] for r in pool], 0.5)[:5]
        assert result.labelled[0] == [r["id"] for r in first]
    else:
        again = al.run_strategy(rest, pool, held, strategy, 0.5, base_scores, SETTINGS, "seed")
        assert again.labelled == result.labelled


def test_overlapping_pool_and_evaluation_part_is_refused(tmp_path):
    recs = records(tmp_path, {"team/a": 6, "rest/r": 6})
    with pytest.raises(al.IacsieveError, match="overlap"):
        al.run_strategy(recs[6:], recs[:6], recs[:3], "random", 0.5, {}, SETTINGS, "s")


def test_labels_saved_at_equal_f1_interpolates_the_random_curve():
    assert al.labels_to_reach([0, 25, 50], [0.6, 0.7, 0.8], 0.75) == pytest.approx(37.5)
    assert al.labels_to_reach([0, 25, 50], [0.6, 0.7, 0.8], 0.9) is None
    spent = [[0, 25, 50]]
    saved = al.labels_saved(al.np.array(spent), al.np.array([[0.6, 0.75, 0.8]]), al.np.array([[0.6, 0.7, 0.8]]))
    assert saved == [pytest.approx(12.5), pytest.approx(0.0)]  # uncertainty's 0.75 at 25 costs random 37.5


def test_labels_saved_when_random_never_catches_up():
    rows = [{"group": g, "kind": "owner", "split": 0, "strategy": strategy, "repeat": 0, "budget": budget,
             "labels": budget, "f1": f1}
            for g in ("a", "b") for strategy, curve in (("uncertainty", (0.6, 0.8, 0.8)), ("random", (0.6, 0.65, 0.7)))
            for budget, f1 in zip((0, 25, 50), curve)]
    saved = al.saved_table(rows, seed=0, resamples=50)
    assert [s["labels_saved"] for s in saved] == [None, None]
    assert saved[0]["labels_saved_at_least"] == 25 and saved[0]["labels_saved_p10"] is None
    assert saved[0]["difference"]["mean"] == pytest.approx(0.15)
    table = al.markdown_table(al.by_kind(rows, seed=0))
    assert "| organisations (2) | 25 (25) |" in table and "| > 25 [never, never] |" in table


def test_end_to_end_on_a_small_corpus_drops_excluded_repositories(tmp_path):
    repos = {**{f"acme/r{i}": 12 for i in range(4)}, **{f"other{i}/x": 12 for i in range(8)}, "Sous-Chefs/MySQL": 5}
    corpus = write_corpus(tmp_path / "corpus", repos, seed=1)
    out = tmp_path / "out"
    al.main(["--corpus", str(corpus), "--out", str(out), "--budgets", "5", "10", "100", "--splits", "2",
             "--random-repeats", "1", "--owner-min-repos", "4", "--owner-min-detections", "40",
             "--random-groups", "1", "--random-group-detections", "30", "--workers", "1"])
    assert sorted(p.name for p in out.iterdir()) == ["f1_by_labels.json", "runs.csv", "summary.json", "table.md"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["excluded_records"] == 5 and summary["records"] == 144
    groups = summary["groups"]
    assert [(g["name"], g["kind"]) for g in groups] == [("acme", "owner"), ("random-1", "random")]
    assert not set(groups[0]["repos"]) & set(groups[1]["repos"])
    for group in groups:
        for split in group["splits"]:
            assert not set(split["pool_repos"]) & set(split["eval_repos"])
    runs = (out / "runs.csv").read_text()
    assert "MySQL" not in runs and "MySQL" not in json.dumps(groups)
    plot = json.loads((out / "f1_by_labels.json").read_text())
    assert {(row["groups"], row["strategy"]) for row in plot} == {
        (kind, strategy) for kind in al.KINDS for strategy in al.STRATEGIES}
    assert all(row["low"] <= row["f1"] <= row["high"] for row in plot)
    table = summary["by_kind"]["all groups"]["f1"]
    assert [(row["strategy"], row["budget"], row["f1"]["n"]) for row in table][:4] == [
        ("uncertainty", 0, 4), ("uncertainty", 5, 4), ("uncertainty", 10, 4), ("uncertainty", 100, 4)]  # 2 x 2 splits
    zero = [row["f1"]["mean"] for row in table if row["budget"] == 0]
    assert zero[0] == zero[1]  # no labels: both strategies score the rest-only model


def test_bad_input_is_one_line(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "active_learning.py"), "--corpus", str(tmp_path)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 2
    assert proc.stderr.startswith("active_learning.py: error: ") and proc.stderr.count("\n") == 1


def test_the_readme_quotes_the_committed_table():
    table = ROOT / "bench" / "results" / "active_learning" / "table.md"
    if not table.is_file():
        pytest.skip("no committed results")
    assert table.read_text(encoding="utf-8") in (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.skipif(not (SHARED / "detections.jsonl").is_file(), reason="no real corpus (set IACSIEVE_REAL_CORPUS)")
def test_real_corpus_groups():
    from iacsieve.params import load_params

    params = load_params(ROOT / "real" / "params.yaml")
    recs, _ = al.load_records(SHARED, params)
    assert not any(al.is_excluded(r["repo"]) for r in recs)
    unit_of = al.split_units(recs, params.split.same_split)
    groups = al.pick_groups(recs, unit_of, 3, 60, 3, 440, 0)
    assert [g.name for g in groups] == ["Icinga", "dev-sec", "geerlingguy", "openstack", "puppetlabs", "sous-chefs",
                                        "voxpupuli", "random-1", "random-2", "random-3"]
    assert all(g.detections >= 440 for g in groups if g.kind == "random")
    seen: set[str] = set()
    for group in groups:
        assert not seen & set(group.repos)
        seen |= set(group.repos)
