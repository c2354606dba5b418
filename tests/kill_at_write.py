"""Run a Python script and SIGKILL it just before its N-th file write in the current folder.

    python kill_at_write.py N COUNT_FILE script.py [args...]

A "file write" is opening a file for writing or renaming one (``os.rename``/``os.replace``), seen through
Python's audit hooks, under the current folder but outside ``checkpoints/`` and ``.dvc/`` (scratch space,
not stage outputs). With N = 0 nothing is killed and the number of writes is saved to COUNT_FILE, so a
test can kill a stage at every one of them in turn.
"""

from __future__ import annotations

import atexit
import os
import runpy
import signal
import sys

ROOT = os.getcwd()
SCRATCH = tuple(os.path.join(ROOT, name) + os.sep for name in ("checkpoints", ".dvc"))
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


def _is_output(path) -> bool:
    if path is None or isinstance(path, int):
        return False
    full = os.path.abspath(os.fsdecode(path))
    return full.startswith(ROOT + os.sep) and not full.startswith(SCRATCH)


def main() -> None:
    kill_at, count_file, script = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    writes = 0

    def hook(event: str, args: tuple) -> None:
        nonlocal writes
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool((flags or 0) & WRITE_FLAGS)
            counted = writing and _is_output(path)
        elif event == "os.rename":
            counted = _is_output(args[1])
        else:
            return
        if counted:
            writes += 1
            if writes == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    def save_count() -> None:
        with open(count_file, "w", encoding="utf-8") as handle:  # outside ROOT: not counted
            handle.write(str(writes))

    if kill_at == 0:
        atexit.register(save_count)
    sys.argv = sys.argv[3:]
    sys.addaudithook(hook)
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
