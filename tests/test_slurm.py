"""Sweeps as DVC experiments: locally with DVC's queue, and as a SLURM array job on a real cluster."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import FAST_PARAMS, ROOT, copy_project, deep_update, run, tool_env

pytestmark = pytest.mark.slow

SWEEP_PARAMS = deep_update(dict(FAST_PARAMS), {
    "sweeps": {"stage2": {"target": "stage2_select", "grids": {
        "default": {"stage2.learning_rates": [0.0005, 0.001], "stage2.batch_sizes": [16, 32]},
        "broken": {"stage2.learning_rates": [-1, 0.0005], "stage2.batch_sizes": [32]},
        "local": {"stage2.learning_rates": [0.0005, 0.001], "stage2.batch_sizes": [16, 32]},
    }}},
})


#: Columns of `dvc exp show`: real/ has the same metric and param names, so DVC names each by its file.
STAGE2_BEST = "stage2_best_cv_f1"


def experiments(repo: Path) -> list[dict]:
    table = run(["dvc", "exp", "show", "--csv"], repo).stdout
    return [r for r in csv.DictReader(io.StringIO(table)) if r.get("Experiment")]


def cluster_ready() -> bool:
    if not shutil.which("sinfo"):
        return False
    proc = subprocess.run(["sinfo", "-h", "-o", "%a"], capture_output=True, text=True)
    return proc.returncode == 0 and "up" in proc.stdout


@pytest.fixture(scope="module")
def slurm_cluster():
    """The one-node cluster .ci/run started, or one started here (root, Debian) and stopped after."""
    if cluster_ready():
        yield
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("no SLURM cluster and cannot start one (needs root on Debian)")
    subprocess.run(["bash", str(ROOT / "slurm/local-cluster/start.sh")], check=True)
    try:
        yield
    finally:
        subprocess.run(["bash", str(ROOT / "slurm/local-cluster/stop.sh")], check=False)


@pytest.fixture(scope="module")
def sweep_repo(tmp_path_factory) -> Path:
    repo = copy_project(tmp_path_factory.mktemp("sweep") / "repo", SWEEP_PARAMS)
    run(["dvc", "repro", "stage1_select"], repo)  # fills the run cache that every experiment restores from
    return repo


def test_slurm_array_runs_each_grid_point_as_an_experiment(slurm_cluster, sweep_repo):
    proc = run(["iacsieve", "sweep", "stage2", "--slurm", "--wait"], sweep_repo)
    assert "4/4 tasks succeeded" in proc.stdout, proc.stdout
    rows = {r["Experiment"]: r for r in experiments(sweep_repo)}
    names = {"stage2-lr0.0005-bs16", "stage2-lr0.0005-bs32", "stage2-lr0.001-bs16", "stage2-lr0.001-bs32"}
    assert names <= set(rows)
    points = {(rows[n]["params.yaml:stage2.learning_rates"], rows[n]["params.yaml:stage2.batch_sizes"]) for n in names}
    assert len(points) == 4
    f1 = [rows[n][STAGE2_BEST] for n in names]
    assert all(v not in ("", "-") for v in f1) and len(set(f1)) > 1
    logs = list((sweep_repo / "slurm" / "logs").glob("*_*.out"))
    assert len(logs) == 4


def _times(job_id: str, key: str) -> list[str]:
    text = run(["scontrol", "show", "job", job_id], Path.cwd()).stdout
    return re.findall(rf"{key}=(\S+)", text)


def test_a_failing_task_fails_alone_and_is_reported_after_its_dependency(slurm_cluster, sweep_repo):
    first = run(["sbatch", "--parsable", "-o", "/dev/null", "--wrap", "sleep 3"], sweep_repo).stdout.strip()
    proc = run(["iacsieve", "sweep", "stage2", "--grid", "broken", "--slurm", "--wait", "--after", first],
               sweep_repo, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "1/2 tasks succeeded" in proc.stdout, proc.stdout
    assert "stage2-broken-lr-1-bs32: FAILED" in proc.stdout
    assert "1 task(s) failed: stage2-broken-lr-1-bs32" in proc.stderr
    assert "stage2-broken-lr0.0005-bs32" in {r["Experiment"] for r in experiments(sweep_repo)}
    array_job = re.search(r"submitted array job (\d+)", proc.stdout).group(1)
    assert min(_times(array_job, "StartTime")) >= max(_times(first, "EndTime"))


def test_sbatch_template_takes_resources_from_params(sweep_repo, monkeypatch):
    from iacsieve.params import load_params
    from iacsieve.slurm import render_sbatch

    monkeypatch.chdir(sweep_repo)
    script = render_sbatch("stage2", Path("points.jsonl"), 4, load_params(sweep_repo / "params.yaml").slurm, "gpu")
    assert "#SBATCH --array=0-3%2" in script and "#SBATCH --gres=gpu:1" in script
    assert "#SBATCH --cpus-per-task=8" in script and "--threads 8" in script


def wait_for_queue(repo: Path, timeout: float) -> str:
    """Poll `dvc queue status` until nothing is queued or running; return the last status table."""
    deadline = time.monotonic() + timeout
    while True:
        status = run(["dvc", "queue", "status"], repo).stdout
        if not re.search(r"\b(Queued|Running)\b", status) or time.monotonic() > deadline:
            return status
        time.sleep(2)


def stop_queue_workers(repo: Path) -> None:
    """Stop DVC's queue workers (a worker can linger after the queue is empty)."""
    try:
        subprocess.run(["dvc", "queue", "stop"], cwd=repo, env=tool_env(), timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pass
    for pid_file in (repo / ".dvc" / "tmp" / "exps" / "celery").glob("*.pid"):
        try:
            os.kill(int(pid_file.read_text().strip()), signal.SIGKILL)
        except (ValueError, ProcessLookupError, PermissionError):
            pass


def test_local_queue_gives_the_same_table_shape(sweep_repo):
    """The same grid through DVC's own queue (run cache restores the points SLURM already trained)."""
    before = {r["Experiment"] for r in experiments(sweep_repo)}
    run(["iacsieve", "sweep", "stage2", "--grid", "local"], sweep_repo)
    # Not captured: the detached workers would inherit the pipe and keep it open after the queue is done.
    subprocess.run(["dvc", "queue", "start", "-j", "2"], cwd=sweep_repo, env=tool_env(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
    try:
        status = wait_for_queue(sweep_repo, timeout=600)
    finally:
        stop_queue_workers(sweep_repo)
    assert "Failed" not in status and status.count("Success") >= 4, status  # the queue exits 0 on failures
    rows = experiments(sweep_repo)
    local = {r["Experiment"]: r for r in rows if r["Experiment"].startswith("stage2-local-")}
    assert len(local) == 4 and not set(local) & before
    slurm = {r["Experiment"]: r for r in rows if r["Experiment"].startswith("stage2-lr")}
    for name, row in local.items():
        twin = slurm[name.replace("stage2-local-", "stage2-")]
        assert row[STAGE2_BEST] == twin[STAGE2_BEST]
        assert set(row) == set(twin)
