"""dvclive loggers for the stages that write plots only (threshold sweep, test evaluation)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from iacsieve.atomic import atomic_dir


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
