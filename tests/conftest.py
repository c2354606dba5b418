"""Shared fixtures: a copy of the project (as a fresh clone would have it) with the pipeline run once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

#: A smaller configuration for tests that run the pipeline many times (sweeps): fewer detections,
#: candidates and epochs. The shared end-to-end fixture runs the real embedded default instead.
FAST_PARAMS = {
    "sample": {"detections_per_tech": 300},
    "train": {"epochs": 3},
    "stage1": {"candidates": {"roberta": "tiny-roberta", "t5-small": "tiny-t5-small"}, "top_k": 1},
    "stage2": {"ranks": [1], "learning_rates": [0.0005, 0.001], "batch_sizes": [32]},
    "cv": {"folds": 2},
    "stage4": {"seeds": [41, 42, 43]},
}


def tool_env(**extra: str) -> dict[str, str]:
    """Environment for dvc/iacsieve subprocesses: this venv first on PATH, no analytics."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["DVC_NO_ANALYTICS"] = "1"
    env.update(extra)
    return env


def run(command: list[str], cwd: Path, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    """Run a command in ``cwd``; on failure (with ``check``) fail the test showing its output."""
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=tool_env(**env))
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def deep_update(target: dict, changes: dict) -> dict:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict) and key != "candidates":
            deep_update(target[key], value)
        else:
            target[key] = value
    return target


def copy_project(dest: Path, params: dict | None = None, remote: Path | None = None) -> Path:
    """Copy the project's tracked and unignored files to ``dest`` as a new git repo with one commit.

    ``params`` are merged into params.yaml; ``remote`` becomes the default DVC remote (in
    .dvc/config.local, so the user's own remote is never touched).
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    if params:
        params_file = dest / "params.yaml"
        params_file.write_text(yaml.safe_dump(deep_update(yaml.safe_load(params_file.read_text()), params), sort_keys=False))
    run(["git", "init", "-q", "-b", "main"], dest)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A"], dest)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "copy"], dest)
    if remote is not None:
        run(["dvc", "remote", "add", "--local", "-d", "-f", "testremote", str(remote)], dest)
    return dest


@pytest.fixture(scope="session")
def pipeline_repo(tmp_path_factory) -> Path:
    """The project as a fresh clone has it, after one full `dvc repro` of the embedded default
    (shared by the end-to-end tests)."""
    reuse = os.environ.get("IACSIEVE_E2E_REPO")  # developers: reuse a repo this fixture made before
    if reuse:
        return Path(reuse)
    base = tmp_path_factory.mktemp("pipeline")
    repo = copy_project(base / "repo", remote=base / "remote")
    run(["dvc", "repro"], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A"], repo)
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "repro"], repo)
    return repo
