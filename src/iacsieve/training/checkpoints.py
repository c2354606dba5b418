"""A training run's checkpoint folder: Trainer checkpoints of one run only, complete ones only.

``prepare_checkpoint_dir`` keeps the complete checkpoints of the run being started (named by its
fingerprint, ``iacsieve.training.run.run_fingerprint``) and returns the one to resume from;
``remove_checkpoints`` clears the folder once the run's model is saved.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from iacsieve.atomic import atomic_write_text

FINGERPRINT_FILE = "fingerprint.json"
TRAINER_STATE_FILE = "trainer_state.json"
CHECKPOINT_NAME = re.compile(r"^checkpoint-(\d+)$")
#: dvclive logs here, inside the checkpoint folder, while the run trains (it survives a kill with the
#: checkpoints); the finished folder then replaces ``live_dir`` whole.
LIVE_STAGING = "live"


def prepare_checkpoint_dir(checkpoint_dir: Path, fingerprint: str) -> Path | None:
    """Make ``checkpoint_dir`` hold only checkpoints of the run ``fingerprint``; return the latest one.

    Checkpoints of another fingerprint, and incomplete ones (killed while saving: no readable trainer
    state), are deleted, and so is dvclive's staging folder when no checkpoint is left. Returns ``None``
    when there is nothing to resume from.
    """
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    fingerprint_file = checkpoint_dir / FINGERPRINT_FILE
    same_run = fingerprint_file.is_file() and _read_json(fingerprint_file).get("fingerprint") == fingerprint
    complete: dict[int, Path] = {}
    for step, path in checkpoints(checkpoint_dir).items():
        if same_run and isinstance(_read_json(path / TRAINER_STATE_FILE).get("global_step"), int):
            complete[step] = path
        else:
            shutil.rmtree(path)
    if not same_run:
        atomic_write_text(fingerprint_file, json.dumps({"fingerprint": fingerprint}) + "\n")
    if not complete:
        # dvclive's history of a run that never reached a checkpoint: it starts again from scratch.
        shutil.rmtree(checkpoint_dir / LIVE_STAGING, ignore_errors=True)
    return complete[max(complete)] if complete else None


def checkpoints(checkpoint_dir: Path) -> dict[int, Path]:
    """Trainer checkpoint folders in ``checkpoint_dir`` by global step."""
    found = {}
    for path in checkpoint_dir.iterdir():
        match = CHECKPOINT_NAME.match(path.name)
        if match and path.is_dir():
            found[int(match.group(1))] = path
    return found


def remove_checkpoints(checkpoint_dir: Path) -> None:
    """Delete what this module wrote to ``checkpoint_dir``, and the folder itself if that empties it."""
    for path in checkpoints(checkpoint_dir).values():
        shutil.rmtree(path)
    shutil.rmtree(checkpoint_dir / LIVE_STAGING, ignore_errors=True)
    (checkpoint_dir / FINGERPRINT_FILE).unlink(missing_ok=True)
    if not any(checkpoint_dir.iterdir()):
        checkpoint_dir.rmdir()


def _read_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``, or ``{}`` when it is missing or unreadable (a half-written file)."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
