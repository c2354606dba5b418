"""End-to-end: `make repro-real` on the labelled corpus of real GLITCH output, after the default pipeline.

Runs where the corpus is present ($IACSIEVE_REAL_CORPUS, or ../shared/real-corpus beside the project);
CI sets the variable. The default pipeline's run (the shared fixture) provides the sample champion that
the `transfer` stage scores on the corpus.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, run, tool_env

pytestmark = pytest.mark.slow


def corpus_folder() -> Path | None:
    for candidate in (os.environ.get("IACSIEVE_REAL_CORPUS"), ROOT.parent / "shared" / "real-corpus"):
        if candidate and (Path(candidate) / "detections.jsonl").is_file():
            return Path(candidate).resolve()
    return None


@pytest.fixture(scope="module")
def real_repo(pipeline_repo):
    corpus = corpus_folder()
    if corpus is None:
        pytest.skip("no labelled corpus: set IACSIEVE_REAL_CORPUS to the real-corpus folder")
    venv = Path(sys.executable).parent.parent
    started = time.monotonic()
    # the README's command, with this test run's virtual environment (-o: never reinstall it)
    proc = subprocess.run(
        ["make", "repro-real", f"VENV={venv}", "-o", f"{venv}/.installed", f"REAL_CORPUS={corpus}"],
        cwd=pipeline_repo, capture_output=True, text=True, env=tool_env(),
    )
    if proc.returncode != 0:
        pytest.fail(f"make repro-real exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    print(f"make repro-real: {time.monotonic() - started:.0f} s")
    return pipeline_repo


def test_transfer_metric_is_written_before_training(real_repo):
    transfer = json.loads((real_repo / "real" / "details" / "transfer.json").read_text())
    assert {"f1", "precision", "recall", "glitch_as_is_f1"} <= set(transfer)
    assert transfer["detail"]["all"]["n"] == 2698
    assert transfer["champion"] == "../models/champion"
    # the sample champion must beat keeping every detection on real GLITCH output
    assert transfer["f1"] >= transfer["glitch_as_is_f1"] + 0.05, transfer


def test_real_champion_beats_glitch_as_is_on_held_out_repositories(real_repo):
    real = real_repo / "real"
    test = json.loads((real / "details" / "test.json").read_text())
    headline = json.loads((real / "metrics" / "test.json").read_text())
    assert headline["real_test_f1"] == test["all"]["f1"] and headline["real_as_is_test_f1"] == test["glitch_as_is"]["f1"]
    splits = {name: {json.loads(line)["repo"] for line in (real / "data/processed" / f"{name}.jsonl").read_text().splitlines()}
              for name in ("train", "val", "test")}
    assert not splits["test"] & (splits["train"] | splits["val"]) and not splits["train"] & splits["val"]
    assert test["all"]["f1"] >= test["glitch_as_is"]["f1"] + 0.20, (test["all"], test["glitch_as_is"])
    report = (real / "reports" / "report.md").read_text()
    assert "Transfer: the sample-trained champion" in report and "Error analysis" in report


def test_both_pipelines_are_up_to_date_and_apart(real_repo):
    root_lock = yaml.safe_load((real_repo / "dvc.lock").read_text())["stages"]
    real_lock = yaml.safe_load((real_repo / "real" / "dvc.lock").read_text())["stages"]
    assert "sample" in root_lock and "transfer" not in root_lock
    assert "transfer" in real_lock and "sample" not in real_lock
    for folder in (real_repo, real_repo / "real"):
        status = run(["dvc", "status", "dvc.yaml"], folder)
        assert "up to date" in status.stdout, status.stdout
    champion = json.loads((real_repo / "real" / "models" / "champion" / "iacsieve.json").read_text())
    assert champion["context_lines"] == 3 and champion["neighbour_chars"] == 100
