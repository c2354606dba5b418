"""Kill a training stage mid-run: no partial output, and `dvc repro` resumes to the same result."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import copy_project, run, tool_env
from iacsieve.champion import sha256_file

pytestmark = pytest.mark.slow

STAGE = "stage1_train@roberta"


def complete_checkpoints(repo: Path) -> list[Path]:
    folder = repo / "checkpoints" / "stage1" / "roberta" / "fold-1"  # Stage 1 cross-validates: fold 1 first
    return sorted(p for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").is_file())


def test_killed_training_stage_resumes_to_identical_metrics(pipeline_repo, tmp_path):
    repo = copy_project(tmp_path / "repo")
    run(["dvc", "repro", "tokenizer"], repo)
    proc = subprocess.Popen(["dvc", "repro", STAGE], cwd=repo, env=tool_env(), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not complete_checkpoints(repo) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, "the stage finished before its first checkpoint could be seen"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    assert complete_checkpoints(repo)
    assert not (repo / "models" / "stage1" / "roberta").exists()  # nothing half-written for later stages
    for output in ("fold-1/metrics.json", "fold-1/efficiency.json", "fold-1/plots/metrics"):  # DVC removed them; dvclive stages its own
        assert not (repo / "metrics" / "stage1" / "roberta" / output).exists(), output

    run(["dvc", "repro", STAGE], repo)
    assert not complete_checkpoints(repo)  # removed once the model is saved
    ours, reference = (r / "models" / "stage1" / "roberta" for r in (repo, pipeline_repo))
    assert sha256_file(ours / "oof.jsonl") == sha256_file(reference / "oof.jsonl")
    # dvclive's files too, per-epoch histories included (they were kept with the checkpoints)
    live = {r: r / "metrics" / "stage1" / "roberta" for r in (repo, pipeline_repo)}
    files = sorted(p.relative_to(live[repo]) for p in live[repo].rglob("*") if p.is_file())
    assert Path("fold-1/plots/metrics/eval/f1.tsv") in files and Path("fold-2/metrics.json") in files
    assert files == sorted(p.relative_to(live[pipeline_repo]) for p in live[pipeline_repo].rglob("*") if p.is_file())
    for name in files:
        if name.name != "efficiency.json":
            assert (live[repo] / name).read_text() == (live[pipeline_repo] / name).read_text(), name
