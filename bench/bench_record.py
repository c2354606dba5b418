"""The record a full benchmark run leaves under bench/results/: its table and its figures, written whole."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path


def machine(packages: tuple[str, ...]) -> dict:
    """CPUs, processor and the installed versions of ``packages``: where a benchmark's figures were measured."""
    from importlib.metadata import version

    return {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "versions": {name: version(name) for name in packages}}


def write_record(out: Path, table: str, results: dict) -> None:
    """Replace ``out`` whole (atomically) with ``table.md`` and ``results.json``; say where."""
    from iacsieve.atomic import atomic_dir

    with atomic_dir(out) as staging:
        (staging / "table.md").write_text(table, encoding="utf-8")
        (staging / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
