"""iacsieve.atomic: a file that is not a regular file (a device, a pipe) is written in place, never replaced."""

from __future__ import annotations

import os
import stat
import threading

from iacsieve.atomic import atomic_write_text


def test_a_pipe_is_written_in_place_not_replaced_by_a_file(tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    atomic_write_text(fifo, "kept: 3\n")
    reader.join(timeout=10)
    assert received == ["kept: 3\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still the pipe, as /dev/null must stay a device
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.fifo"]  # no temp file left beside it


def test_a_regular_file_is_still_replaced_whole(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old and longer text\n", encoding="utf-8")
    inode = target.stat().st_ino
    atomic_write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert target.stat().st_ino != inode  # renamed into place, not rewritten
