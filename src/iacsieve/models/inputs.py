"""The text a classifier reads for one detection; shared by training and the filter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def repo_path(record: Mapping[str, Any]) -> str:
    """The detection's file path inside its repository (``file`` without the ``repo/`` prefix, if any).

    A corpus or training record names its file ``<repo>/<path>``; the filter's records are already
    relative to the scripts folder (a repository's root), so both give the same path for the same file.
    """
    file, repo = str(record["file"]), record.get("repo")
    return file[len(repo) + 1:] if repo and file.startswith(f"{repo}/") else file


def model_text(record: Mapping[str, Any]) -> str:
    """Return the model input for a detection record: GLITCH code and path, flagged line, marked context.

    Pure function of ``glitch_code``, ``file`` (and ``repo``), ``content`` and ``context``: the same
    record always gives the same text, so a model scores new detections exactly as it was trained.
    """
    # The flagged line comes before the context so that truncation never cuts it and the model
    # sees it in a fixed position (measured: a small gain over context alone). The path tells tests,
    # examples and parameter files apart (measured on real output of unseen repositories: it helps).
    return f"{record['glitch_code']} {repo_path(record)}\n{record['content']}\n{record['context']}"
