"""dvclive loggers for the stages that write plots only (threshold sweep, test evaluation), and the training
seconds a run logged beside its dvclive files."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from iacsieve import paths
from iacsieve.atomic import atomic_dir


def train_seconds(folder: Path) -> float | None:
    """Training seconds a run logged in ``folder/efficiency.json``, or summed over ``folder/fold-*/`` for a
    cross-validation run; None when it logged none."""
    files = [folder / paths.EFFICIENCY, *sorted(folder.glob(f"fold-*/{paths.EFFICIENCY}"))]
    found = [json.loads(f.read_text(encoding="utf-8"))["train_seconds"] for f in files if f.is_file()]
    return round(float(sum(found)), 1) if found else None


@contextlib.contextmanager
def plots_logger(folder: str | os.PathLike) -> Iterator:
    """A dvclive ``Live`` that logs into a staging folder which replaces ``folder`` whole at the end.

    No ``dvc.yaml``, experiment or report is written; on error ``folder`` is left as it was.
    """
    from dvclive import Live

    with atomic_dir(folder) as staging, Live(
        dir=str(staging), dvcyaml=False, save_dvc_exp=False, report=None
    ) as live:
        yield live
