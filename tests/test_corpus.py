"""The labelled-corpus importer, the real-data pipeline's files, and the error analysis."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from iacsieve.data.corpus import records_from_labelled_corpus
from iacsieve.data.scripts import FLAG_MARK
from iacsieve.errors import IacsieveError
from iacsieve.evaluation.errors import error_shapes, shape_of
from iacsieve.params import load_params
from iacsieve.real_pipeline import real_dvc_yaml_text


def corpus_record(**changes) -> dict:
    window = [f"line {n} " + "x" * 150 for n in range(10, 41)]
    window[15] = "  password: 'hunter2'"
    record = {
        "id": "a0", "repo": "org/role", "commit": "abc", "license": "MIT", "tech": "ansible",
        "path": "defaults/main.yml", "line": 25, "file_lines": 60, "glitch_code": "sec_hard_pass",
        "smell": "Hard-coded secret", "glitch_snippet": "password: 'hunter2'", "window_start": 10,
        "window": window, "label": "TP", "reason": "literal password", "labeller": "x",
    }
    record.update(changes)
    return record


def write_corpus(folder, records) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "detections.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "sources.tsv").write_text("repo\tcommit\ttech\tlicense\tfolder\tn_rows\tn_trained\tn_files_failed\n")


def test_corpus_records_cut_the_context_from_the_window(tmp_path):
    write_corpus(tmp_path, [
        corpus_record(),
        corpus_record(id="a1", line=11, glitch_code="sec_susp_comm", label="FP"),
        corpus_record(id="a2", glitch_code="sec_empty_pass"),  # not a trained smell
        corpus_record(id="a3"),  # the same (path, line, code) again
    ])
    result = records_from_labelled_corpus(tmp_path, context_lines=3, max_line_chars=300, neighbour_chars=20)
    first, second = result.records
    assert first["file"] == "org/role/defaults/main.yml" and first["repo"] == "org/role"
    assert first["content"] == "password: 'hunter2'" and first["label"] == 1 and first["reason"] == "literal password"
    lines = first["context"].split("\n")
    assert len(lines) == 7 and lines[3] == FLAG_MARK + "  password: 'hunter2'"
    assert all(len(line) == 3 + 20 for i, line in enumerate(lines) if i != 3)  # neighbours trimmed
    assert second["label"] == 0 and len(second["context"].split("\n")) == 5  # clipped at the window's start
    assert first["content_hash"] != second["content_hash"]
    assert result.skipped == {"other GLITCH smell (sec_empty_pass)": 1, "duplicate row": 1}
    # a vendored copy of the same file in another repository has the same content hash
    write_corpus(tmp_path / "b", [corpus_record(repo="other/fork")])
    copy = records_from_labelled_corpus(tmp_path / "b", 3, 300).records[0]
    assert copy["content_hash"] == first["content_hash"] and copy["file"] != first["file"]


@pytest.mark.parametrize("changes, message", [
    ({"line": 99}, r"line 1: line 99 is outside its window \(lines 10..40\)"),
    ({"label": "maybe"}, r"line 1: field 'label' must be TP or FP, got 'maybe'"),
    ({"window": "text"}, r"line 1: field 'window' must be list"),
    ({"tech": "salt"}, r"line 1: field 'tech' must be one of ansible, chef, puppet"),
])
def test_bad_corpus_records_are_refused_naming_the_line(tmp_path, changes, message):
    write_corpus(tmp_path, [corpus_record(**changes)])
    with pytest.raises(IacsieveError, match=message):
        records_from_labelled_corpus(tmp_path, 3, 300)


def test_missing_field_and_too_wide_context_are_refused(tmp_path):
    record = corpus_record()
    del record["repo"]
    write_corpus(tmp_path, [record])
    with pytest.raises(IacsieveError, match=r"detections.jsonl: line 1: missing field 'repo'"):
        records_from_labelled_corpus(tmp_path, 3, 300)
    with pytest.raises(IacsieveError, match=r"context_lines=16 exceeds the ±15 lines"):
        records_from_labelled_corpus(tmp_path, 16, 300)


def test_preprocess_stage_reads_a_corpus_folder(tmp_path):
    write_corpus(tmp_path / "corpus", [corpus_record(), corpus_record(id="a1", line=30, label="FP")])
    params = (ROOT / "real" / "params.yaml").read_text()
    (tmp_path / "params.yaml").write_text(params)
    done = subprocess.run([sys.executable, str(ROOT / "stages" / "preprocess.py")], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "data/interim/detections.jsonl").read_text().splitlines()
    assert [json.loads(line)["repo"] for line in lines] == ["org/role", "org/role"]


def test_real_pipeline_files_are_current_and_valid():
    assert (ROOT / "real" / "dvc.yaml").read_text() == real_dvc_yaml_text(ROOT / "dvc.yaml"), (
        "real/dvc.yaml is stale: run `make pipeline`"
    )
    params = load_params(ROOT / "real" / "params.yaml")
    assert params.transfer is not None and params.data.source == "corpus"
    root_sections = set(load_params(ROOT / "params.yaml").model_dump()) - {"sample", "transfer"}
    assert root_sections <= set(params.model_dump())


def test_error_shapes_count_missed_tps_and_kept_fps_per_shape():
    def record(smell, content, label, file="r/tasks/main.yml", code="sec_hard_pass"):
        return {"smell": smell, "content": content, "label": label, "file": file, "glitch_code": code}

    secret, comment = "Hard-coded secret", "Suspicious comment"
    records = [
        record(secret, "password: '{{ vault_pw }}'", 0),
        record(secret, "password: '{{ db_pw }}'", 0),
        record(secret, "password: \"{{ x }}\"", 0),
        record(secret, "user: root", 1, code="sec_hard_user"),
        record(comment, "# TODO: remove this workaround", 1, file="r/molecule/default/converge.yml"),
        record(comment, "# see the docs", 0),
    ]
    kept = [1, 1, 0, 0, 0, 0]
    assert shape_of(records[4]) == "explicit TODO/FIXME/HACK/XXX marker, in tests/specs/examples"
    rows = error_shapes(records, kept)
    assert rows[0] == {"smell": secret, "shape": "value from a variable, lookup or template", "n": 3,
                       "missed_tp": 0, "kept_fp": 2}
    assert {(r["shape"], r["missed_tp"]) for r in rows[1:]} == {
        ("user name (sec_hard_user)", 1), ("explicit TODO/FIXME/HACK/XXX marker, in tests/specs/examples", 1)}


def test_transfer_stage_scores_a_champion_on_the_whole_corpus(tmp_path):
    from tiny_champion import build_champion, write_project

    project = tmp_path / "project"
    build_champion(tmp_path / "champion", project, write_project(project))
    records = [corpus_record(id=f"a{i}", line=11 + i, label="TP" if i % 3 else "FP") for i in range(24)]
    write_corpus(tmp_path / "corpus", records)
    params = (ROOT / "real" / "params.yaml").read_text().replace("../models/champion", str(tmp_path / "champion"))
    (tmp_path / "params.yaml").write_text(params)
    done = subprocess.run([sys.executable, str(ROOT / "stages" / "transfer.py")], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    transfer = json.loads((tmp_path / "details" / "transfer.json").read_text())
    headline = json.loads((tmp_path / "metrics" / "transfer.json").read_text())
    assert headline == {"real_transfer_f1": transfer["f1"], "real_transfer_as_is_f1": transfer["glitch_as_is_f1"]}  # metrics.prefix
    assert transfer["detail"]["all"]["n"] == 24
    assert transfer["glitch_as_is_f1"] == pytest.approx(2 * 16 / (16 + 24))
    assert transfer["f1"] == pytest.approx(transfer["detail"]["all"]["f1"])
    assert transfer["f1_gain_over_as_is"] == pytest.approx(transfer["f1"] - transfer["glitch_as_is_f1"])
