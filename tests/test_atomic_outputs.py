"""Atomic outputs: a stage killed at any of its file writes leaves each output complete or absent.

Each stage is run as DVC runs it (its outputs removed first, its command from dvc.lock) under
``kill_at_write.py``, which SIGKILLs it just before its N-th write, for every N. After each kill, every
output the stage declares must be absent or identical to the one of the uninterrupted pipeline run: a
later stage can never read a partial file. A final run after all the kills must reproduce them exactly.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import tool_env

KILLER = Path(__file__).with_name("kill_at_write.py")
#: Stages checked (every data, selection, evaluation stage and one training stage).
STAGES = [
    "preprocess", "split", "tokenizer", "stage1_select", "stage2_select", "threshold_sweep",
    "champion_freeze", "evaluate_test", "baselines", "ablation",
]
#: Outputs that differ between identical runs by nature: checked for completeness, not equality.
VOLATILE = ("efficiency.json",)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work(pipeline_repo, tmp_path_factory) -> Path:
    """A copy of the pipeline run (without DVC's cache), so the kills never touch the shared repo."""
    target = tmp_path_factory.mktemp("atomic") / "repo"
    shutil.copytree(pipeline_repo, target, symlinks=True, ignore=shutil.ignore_patterns("cache", "checkpoints"))
    return target


def tree_state(path: Path) -> dict[str, str] | None:
    """sha256 of every file at or under ``path`` by relative name; None when ``path`` does not exist."""
    if not path.exists():
        return None
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return {
        p.relative_to(path).as_posix() if p != path else ".": (
            "volatile" if p.name in VOLATILE else hashlib.sha256(p.read_bytes()).hexdigest()
        )
        for p in files
    }


def assert_complete_volatile(path: Path) -> None:
    for file in [path] if path.is_file() else path.rglob("*"):
        if file.name in VOLATILE:
            assert isinstance(json.loads(file.read_text()), dict), file


def stage_outputs(repo: Path, stage: str) -> tuple[str, list[str]]:
    """(command, output paths) of ``stage`` as dvc.lock records them."""
    lock = yaml.safe_load((repo / "dvc.lock").read_text())["stages"][stage]
    return lock["cmd"], [out["path"] for out in lock["outs"]]


def run_killed(repo: Path, command: str, kill_at: int, count_file: Path) -> subprocess.CompletedProcess:
    argv = shlex.split(command)
    assert argv[0] == "python"
    return subprocess.run(
        [sys.executable, str(KILLER), str(kill_at), str(count_file), *argv[1:]],
        cwd=repo, capture_output=True, text=True, env=tool_env(IACSIEVE_THREADS="2"), timeout=600,
    )


def remove(repo: Path, outputs: list[str]) -> None:
    for name in outputs:
        path = repo / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_killed_at_any_write_leaves_no_partial_output(work, tmp_path, stage):
    command, outputs = stage_outputs(work, stage)
    expected = {name: tree_state(work / name) for name in outputs}
    assert all(state is not None for state in expected.values()), "the pipeline run wrote every output"

    count_file = tmp_path / "writes"
    remove(work, outputs)
    complete = run_killed(work, command, 0, count_file)
    assert complete.returncode == 0, complete.stderr[-3000:]
    assert {name: tree_state(work / name) for name in outputs} == expected, "an uninterrupted rerun is identical"
    writes = int(count_file.read_text())
    assert writes >= len(outputs)

    for kill_at in range(1, writes + 1):
        remove(work, outputs)
        killed = run_killed(work, command, kill_at, count_file)
        assert killed.returncode == -signal.SIGKILL, f"write {kill_at}/{writes}: {killed.stderr[-2000:]}"
        for name in outputs:
            state = tree_state(work / name)
            assert state in (None, expected[name]), f"killed before write {kill_at}/{writes}: {name} is partial"
            if state is not None:
                assert_complete_volatile(work / name)

    rerun = run_killed(work, command, 0, count_file)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert {name: tree_state(work / name) for name in outputs} == expected, "a run after the kills is identical"
