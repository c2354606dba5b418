"""Reproducibility: the default pipeline run in two fresh clones gives identical metrics, data and models.

The first clone is the shared ``pipeline_repo``; this module makes and runs a second one. Only the
efficiency figures (``metrics/**/efficiency.json``: wall time, samples/s, peak memory) and the report
that quotes them differ by nature; they are not DVC metrics, data or models.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, copy_project, run

pytestmark = pytest.mark.slow

VOLATILE_OUTS = {"reports/report.md"}


@pytest.fixture(scope="module")
def second_clone(tmp_path_factory) -> Path:
    repo = copy_project(tmp_path_factory.mktemp("second-clone") / "repo")
    run(["dvc", "repro"], repo)
    return repo


def metric_files(repo: Path) -> list[str]:
    """Every file of the default pipeline that `dvc metrics show` reads, plus the full tables behind them
    (details/); the real-data pipeline's (real/) are left out: this test runs the default one."""
    shown = json.loads(run(["dvc", "metrics", "show", "--json"], repo).stdout)
    files = sorted(name for name in shown[""]["data"] if not name.startswith("real/"))  # "" is the workspace
    assert files, shown
    return files + sorted(p.relative_to(repo).as_posix() for p in (repo / "details").glob("*.json"))


def locked_outputs(repo: Path) -> dict[str, str]:
    """md5 of every stage output recorded in dvc.lock, by path; left out: the report, efficiency files and each
    training run's log folder (metrics/stage*/<run>, which holds efficiency figures; its other files are
    compared one by one)."""
    stages = yaml.safe_load((repo / "dvc.lock").read_text())["stages"]
    return {
        out["path"]: out["md5"]
        for stage in stages.values()
        for out in stage.get("outs", [])
        if not out["path"].startswith("metrics/stage") and out["path"] not in VOLATILE_OUTS
        and not out["path"].endswith("/efficiency.json")
    }


def test_every_metric_file_is_identical(pipeline_repo, second_clone):
    files = metric_files(pipeline_repo)
    assert files == metric_files(second_clone)
    assert {"metrics/test.json", "metrics/champion.json", "details/test.json", "details/data.json"} <= set(files)
    for name in files:
        assert (pipeline_repo / name).read_bytes() == (second_clone / name).read_bytes(), name


def test_every_dvclive_file_but_efficiency_is_identical(pipeline_repo, second_clone):
    """Per-epoch plots and logged params too: no timing, no absolute path of the clone."""
    first = sorted(p.relative_to(pipeline_repo) for p in (pipeline_repo / "metrics").rglob("*") if p.is_file())
    second = sorted(p.relative_to(second_clone) for p in (second_clone / "metrics").rglob("*") if p.is_file())
    assert first == second
    for name in first:
        if name.name != "efficiency.json":
            assert (pipeline_repo / name).read_bytes() == (second_clone / name).read_bytes(), name
    assert str(pipeline_repo) not in (pipeline_repo / "metrics" / "stage4" / "41" / "params.yaml").read_text()


def test_dvc_lock_hashes_of_data_and_models_are_identical(pipeline_repo, second_clone):
    first, second = locked_outputs(pipeline_repo), locked_outputs(second_clone)
    assert first == second
    assert {"data/processed", "models/tokenizer", "models/stage1/roberta", "models/champion"} <= set(first)


def test_fresh_clones_reproduce_the_committed_data_and_tokenizer(second_clone):
    """The clone that committed dvc.lock made the same data too (models may differ across CPU types)."""
    committed = locked_outputs(ROOT)
    for path, md5 in locked_outputs(second_clone).items():
        if path.startswith("data/") or path == "models/tokenizer":
            assert committed[path] == md5, path
