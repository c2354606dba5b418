"""Run a sweep on SLURM: one sbatch array job, one task per grid point, each a DVC experiment.

Each task runs ``dvc exp run --temp`` in the submitting checkout (a shared file system), so its
result lands in that checkout's experiments and shows in ``dvc exp show`` there, with no git
remote to push to and pull from.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from string import Template

from iacsieve.errors import IacsieveError
from iacsieve.params import JobResources, SlurmParams
from iacsieve.sweeps import GridPoint, write_points_file
from iacsieve.training.threads import THREADS_ENV

TEMPLATE = Path("slurm/templates/array.sbatch")
RUNS = Path("slurm/runs")


@dataclass(frozen=True)
class TaskState:
    index: int
    name: str
    state: str
    exit_code: int

    @property
    def ok(self) -> bool:
        return self.state == "COMPLETED" and self.exit_code == 0


def render_sbatch(sweep: str, points_file: Path, count: int, slurm: SlurmParams, kind: str) -> str:
    """The sbatch script of an array job over ``count`` points with the ``kind`` (cpu/gpu) resources."""
    resources: JobResources = getattr(slurm, kind)
    extra = []
    if slurm.partition:
        extra.append(f"#SBATCH --partition={slurm.partition}")
    if resources.gres:
        extra.append(f"#SBATCH --gres={resources.gres}")
    return Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        sweep=sweep, last_index=count - 1, concurrency=slurm.concurrency, cpus_per_task=resources.cpus_per_task,
        mem=resources.mem, time=resources.time, log_dir=slurm.log_dir, extra_directives="\n".join(extra),
        setup=slurm.setup, threads=resources.threads, points_file=points_file.as_posix(),
    )


def submit(points: list[GridPoint], sweep: str, slurm: SlurmParams, kind: str, after: str | None) -> tuple[str, Path]:
    """Write the points file and sbatch script under slurm/runs/<sweep>-<time>/ and submit the array.

    Returns (job id, run folder). ``after`` chains the job with ``--dependency=afterok:<after>``.
    """
    if not Path(slurm.setup).is_file():
        raise IacsieveError(f"params.yaml: slurm.setup: {slurm.setup} not found")
    run_dir = RUNS / f"{sweep}-{time.strftime('%Y%m%d-%H%M%S')}"
    points_file = run_dir / "points.jsonl"
    write_points_file(points, points_file)
    script = run_dir / "array.sbatch"
    script.write_text(render_sbatch(sweep, points_file, len(points), slurm, kind), encoding="utf-8")
    Path(slurm.log_dir).mkdir(parents=True, exist_ok=True)
    command = ["sbatch", "--parsable"]
    if after:
        command.append(f"--dependency=afterok:{after}")
    proc = subprocess.run([*command, str(script)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise IacsieveError(f"sbatch: {proc.stderr.strip() or 'submission failed'}")
    return proc.stdout.strip().split(";")[0], run_dir


def wait(job_id: str, poll_seconds: float = 1.0) -> None:
    """Block until no task of the job is pending or running (``squeue`` lists none)."""
    while subprocess.run(["squeue", "-h", "-j", job_id], capture_output=True, text=True).stdout.strip():
        time.sleep(poll_seconds)


def task_states(job_id: str, points: list[dict]) -> list[TaskState]:
    """Each array task's final state and exit code, read with ``scontrol`` (no accounting daemon needed)."""
    proc = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True)
    states = {}
    for block in proc.stdout.split("\n\n"):
        index = re.search(r"ArrayTaskId=(\d+)\b", block)
        state = re.search(r"JobState=(\S+)", block)
        code = re.search(r"ExitCode=(\d+):(\d+)", block)
        if index and state:
            exit_code = int(code.group(1)) if code else -1
            states[int(index.group(1))] = (state.group(1), exit_code)
    return [
        TaskState(i, point["name"], *states.get(i, ("UNKNOWN", -1)))
        for i, point in enumerate(points)
    ]


def read_points(points_file: Path) -> list[dict]:
    return [json.loads(line) for line in points_file.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_task(points_file: Path, index: int, threads: int) -> int:
    """Run grid point ``index`` as a DVC experiment in a temp copy of the checkout; return its exit code."""
    points = read_points(points_file)
    if not 0 <= index < len(points):
        raise IacsieveError(f"{points_file}: no point {index} (it has {len(points)})")
    point = points[index]
    command = ["dvc", "exp", "run", "--temp", *point["args"]]
    print(f"[iacsieve sweep-task {index}] {' '.join(command)}", flush=True)
    # Threads go through the environment, not -S train.threads, so that stages whose params did not
    # change are still restored from DVC's run cache.
    env = {**os.environ, THREADS_ENV: str(threads)}
    return subprocess.run(command, stdout=sys.stdout, stderr=sys.stderr, env=env).returncode
