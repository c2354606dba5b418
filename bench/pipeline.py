"""Wall time of `dvc repro` of the embedded default from scratch, and of a no-op `dvc repro` after it.

Runs in a fresh `git clone` of this repository's HEAD (commit first), in a temp folder.

    python bench/pipeline.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    with tempfile.TemporaryDirectory(prefix="iacsieve-bench-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        full = timed(["dvc", "repro"], clone, env)
        noop = timed(["dvc", "repro"], clone, env)
    print(f"dvc repro from scratch: {full:7.1f} s  ({os.cpu_count()} CPUs)")
    print(f"dvc repro, nothing to do: {noop:5.2f} s")


if __name__ == "__main__":
    main()
