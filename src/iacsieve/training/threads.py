"""How many CPU threads a training run uses."""

import os

#: Set by SLURM tasks (one per CPU they were given); overrides ``train.threads`` without changing
#: params, so unchanged stages are still restored from DVC's run cache.
THREADS_ENV = "IACSIEVE_THREADS"


def threads_for_run(configured: int) -> int:
    """``$IACSIEVE_THREADS`` when set to a positive integer, else ``configured``."""
    value = os.environ.get(THREADS_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else configured
