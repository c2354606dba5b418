"""Several labelled corpora in the real pipeline: linking, merging by detection id, conflicts, held-out corpora."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from label_project import write_checkout

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IACSIEVE_REAL_CORPUS") or ROOT.parent / "shared" / "real-corpus")
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}


def team_corpus(root: Path, n: int, labels: str = "TF") -> Path:
    """A corpus labelled through the labeller's own store (every trained detection, labels cycling ``labels``)."""
    from iacsieve.labelling.items import read_label_input
    from iacsieve.labelling.store import LabelStore

    scripts, csv = write_checkout(root / f"checkout{n}", n)
    data = read_label_input([csv], scripts, None, repo=f"acme/infra-{n}")
    store = LabelStore(root / f"team{n}", data.checkout, "MIT", "human:test")
    for index, item in enumerate(data.items):
        store.record(item, "TP" if labels[index % len(labels)] == "T" else "FP", "")
    return store.folder


def pipeline_folder(tmp_path: Path, corpora: list[Path], data_corpora: list[dict] | None = None) -> Path:
    """A real/-like folder: real/params.yaml (with ``data.corpora``) and the corpora linked as make does."""
    work = tmp_path / "real"
    work.mkdir()
    params = yaml.safe_load((ROOT / "real" / "params.yaml").read_text())
    if data_corpora is not None:
        params["data"]["corpora"] = data_corpora
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    proc = subprocess.run([sys.executable, "-m", "iacsieve.data.corpora", str(work), *map(str, corpora)],
                          capture_output=True, text=True, env=ENV)
    assert proc.returncode == 0, proc.stderr
    return work


def stage(work: Path, name: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "stages" / f"{name}.py")], cwd=work, capture_output=True,
                          text=True, env=ENV)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_link_makes_numbered_links_and_a_manifest_and_refuses_a_non_corpus(tmp_path):
    a, b = team_corpus(tmp_path, 1), team_corpus(tmp_path, 2)
    work = pipeline_folder(tmp_path, [a, b, a])
    assert [p.name for p in sorted(work.glob("corpus*"))] == ["corpus", "corpus-2", "corpus-3"]
    assert (work / "corpus-2").resolve() == b.resolve()
    assert [e["link"] for e in json.loads((work / "corpora.json").read_text())["corpora"]] == ["corpus", "corpus-2", "corpus-3"]
    proc = subprocess.run([sys.executable, "-m", "iacsieve.data.corpora", str(work), str(a)], capture_output=True,
                          text=True, env=ENV)
    assert proc.returncode == 0 and not (work / "corpus-2").exists()  # stale links go
    proc = subprocess.run([sys.executable, "-m", "iacsieve.data.corpora", str(work), str(a), str(tmp_path)],
                          capture_output=True, text=True, env=ENV)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no labelled corpus there" in proc.stderr
    assert not (work / "corpus-2").exists()


def test_a_conflicting_label_stops_preprocess_naming_both_files_and_the_id(tmp_path):
    a = team_corpus(tmp_path, 1, "T")
    b = tmp_path / "copy"
    shutil.copytree(a, b)
    rows = read_jsonl(b / "detections.jsonl")
    rows[4]["label"] = "FP"
    (b / "detections.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    work = pipeline_folder(tmp_path, [a, b])
    proc = stage(work, "preprocess")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{a.resolve()}/detections.jsonl: line 5 (id {rows[4]['id']})" in proc.stderr
    assert f"{b.resolve()}/detections.jsonl: line 5" in proc.stderr and "labelled TP in" in proc.stderr
    assert not (work / "data").exists()


def test_agreeing_copies_are_merged_once(tmp_path):
    a = team_corpus(tmp_path, 1)
    work = pipeline_folder(tmp_path, [a, a])
    assert stage(work, "preprocess").returncode == 0
    assert len(read_jsonl(work / "data/interim/detections.jsonl")) == 18
    assert json.loads((work / "details/preprocess.json").read_text())["skipped"]["same detection in two corpora"] == 18


def test_a_changed_corpus_must_be_linked_again(tmp_path):
    a = team_corpus(tmp_path, 1)
    b = team_corpus(tmp_path, 2)
    work = pipeline_folder(tmp_path, [a, b])
    with (b / "detections.jsonl").open("a") as handle:
        handle.write("\n")
    proc = stage(work, "preprocess")
    assert proc.returncode == 2 and "changed since it was linked; rerun make repro-real" in proc.stderr


@pytest.mark.skipif(not (SHARED / "detections.jsonl").is_file(), reason="no real corpus beside the project")
def test_public_corpus_plus_a_held_out_team_corpus_through_preprocess_and_split(tmp_path):
    team = [team_corpus(tmp_path, n) for n in (1, 2)]
    work = pipeline_folder(tmp_path, [SHARED, *team], [{"link": "corpus-3", "held_out": True}])
    assert stage(work, "preprocess").returncode == 0
    merged = read_jsonl(work / "data/interim/detections.jsonl")
    assert {r.get("corpus") for r in merged} == {None, "corpus-2", "corpus-3"}
    assert {r["repo"] for r in merged if r.get("held_out")} == {"acme/infra-2"}
    proc = stage(work, "split")
    assert proc.returncode == 0, proc.stderr
    splits = {name: read_jsonl(work / f"data/processed/{name}.jsonl") for name in ("train", "val", "test")}
    held = [r for r in splits["test"] if r.get("held_out")]
    assert len(held) == 18 and not any(r.get("held_out") for r in splits["train"] + splits["val"])
    repos = {name: {r["repo"] for r in records} for name, records in splits.items()}
    # acme/infra-1 shares its Chef and Puppet files with the held-out acme/infra-2: those 8 records are dropped
    stats = json.loads((work / "details/data.json").read_text())
    assert stats["held_out"] == {"records": 18, "dropped_same_content_elsewhere": 8}
    assert not repos["test"] & (repos["train"] | repos["val"])
    # the public corpus alone still gives exactly the records it gave before corpora could be merged
    alone = pipeline_folder(tmp_path / "alone", [SHARED]) if (tmp_path / "alone").mkdir() is None else None
    assert stage(alone, "preprocess").returncode == 0
    public = [r for r in merged if not r.get("corpus")]
    assert read_jsonl(alone / "data/interim/detections.jsonl") == sorted(public, key=lambda r: r["id"])


def test_report_has_a_section_per_added_corpus():
    from iacsieve.evaluation.held_out import scored_groups
    from iacsieve.evaluation.report import corpora_section
    from iacsieve.params import EvaluateParams

    records = [{"tech": "ansible", "smell": "Hard-coded secret", "label": label, "corpus": "corpus-2", "held_out": True}
               for label in (1, 1, 0, 0)] + [{"tech": "chef", "smell": "Hard-coded secret", "label": 1}] * 3
    fields = EvaluateParams.model_fields
    evaluate = EvaluateParams(**{k: v for k, v in {"bootstrap_resamples": 200, "bootstrap_seed": 0}.items() if k in fields},
                              **{k: f.default for k, f in fields.items() if k not in ("bootstrap_resamples", "bootstrap_seed")})
    groups = scored_groups(records, [1, 0, 0, 1, 1, 1, 1], evaluate)
    team = groups["corpus:corpus-2"]
    assert team["n"] == 4 and team["f1"] == pytest.approx(0.5) and team["held_out"] and team["glitch_as_is_f1"] == pytest.approx(2 / 3)
    section = corpora_section(groups)
    assert "| corpus-2 | held out: test only" in section and "0.5000" in section
    assert corpora_section(scored_groups(records[4:], [1, 1, 1], evaluate)) == ""
