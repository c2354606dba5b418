"""What the labeller asks about: GLITCH detections of the trained smells, with their file, window and score,
in the order that helps the model most (uncertainty sampling, spread across files) or in file order."""

from __future__ import annotations

import re
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from iacsieve.data.glitch import Detection, read_glitch_csvs
from iacsieve.data.preprocess import detection_record
from iacsieve.data.records import record_id
from iacsieve.data.scripts import ScriptFolder
from iacsieve.errors import IacsieveError
from iacsieve.smells import trained_smell

#: Lines on each side of the flagged one that a corpus record's ``window`` holds (as in the real corpus).
WINDOW_RADIUS = 15
ORDERS = ("uncertainty", "file")


@dataclass(frozen=True)
class Checkout:
    """Where the scripts come from: the repository's name, its commit (None outside git) and the scripts
    folder's path inside the repository (``""`` at its root)."""

    repo: str
    commit: str | None
    prefix: str


@dataclass(frozen=True)
class LabelItem:
    """One detection to label: the GLITCH row, the script's lines, its path in the repository and its score."""

    detection: Detection
    id: str  # record_id("<repo>/<path>", line, code): the pipeline's id, the key corpora are merged on
    path: str  # relative to the repository root
    tech: str
    smell: str
    lines: tuple[str, ...]
    score: float | None

    @property
    def window_start(self) -> int:
        return max(1, self.detection.line - WINDOW_RADIUS)

    @property
    def window(self) -> list[str]:
        return list(self.lines[self.window_start - 1:self.detection.line + WINDOW_RADIUS])


@dataclass
class LabelInput:
    """The detections to label, the champion's threshold (None without a champion) and what was skipped."""

    items: list[LabelItem]
    checkout: Checkout
    threshold: float | None
    skipped: Counter = field(default_factory=Counter)


def _git(folder: Path, *args: str) -> str | None:
    """Output of ``git -C folder args`` (stripped), or None when git fails or is missing."""
    try:
        proc = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


_REMOTE = re.compile(r"[/:]([^/:]+/[^/]+?)(?:\.git)?/?$")


def find_checkout(scripts: Path, repo: str | None = None) -> Checkout:
    """The repository of the scripts folder: ``repo`` if given, else ``owner/name`` from the git remote
    ``origin``, else the checkout's (or the folder's) name; the commit is ``HEAD`` when the folder is in
    a git checkout with at least one commit, else None."""
    top = _git(scripts, "rev-parse", "--show-toplevel")
    commit = _git(scripts, "rev-parse", "--verify", "-q", "HEAD") if top else None
    if top:
        root = Path(top).resolve()
        prefix = scripts.resolve().relative_to(root).as_posix()
        prefix = "" if prefix == "." else prefix
    else:
        root, prefix = scripts.resolve(), ""
    if repo is None and top:
        match = _REMOTE.search(_git(scripts, "remote", "get-url", "origin") or "")
        repo = match.group(1) if match else None
    return Checkout(repo=repo or root.name, commit=commit or None, prefix=prefix)


def read_label_input(glitch_csvs: list[Path], scripts_root: Path, model: Path | None,
                     repo: str | None = None, backend: str = "auto") -> LabelInput:
    """Read GLITCH CSVs and the scripts they name; score the trained-smell detections with the champion
    at ``model`` (None: no scores). Other smells are skipped and counted. Bad input (CSV, scripts
    folder, a row naming a missing file or a line past its end, a broken champion) raises
    ``IacsieveError`` before anything is written."""
    report = read_glitch_csvs(glitch_csvs)
    scripts = ScriptFolder(scripts_root)
    checkout = find_checkout(Path(scripts_root), repo)
    skipped = Counter(report.skipped)
    trained: list[tuple[Detection, dict]] = []
    for detection in report.detections:
        if trained_smell(detection.code) is None:
            skipped[f"other GLITCH smell ({detection.code})"] += 1
            continue
        trained.append((detection, detection_record(detection, scripts, 0, 10_000)))
    scores: list[float | None] = [None] * len(trained)
    threshold = None
    if model is not None and trained:
        from iacsieve.filtering.filter import Filter

        champion = Filter.from_pretrained(model, backend=backend)
        threshold = champion.threshold
        by_key = {(d.detection.path, d.detection.line, d.detection.code): d.score
                  for d in champion.filter_glitch(glitch_csvs, scripts_root).detections}
        scores = [by_key[detection.key] for detection, _ in trained]
    elif model is not None:
        from iacsieve.filtering.filter import Filter

        threshold = Filter.from_pretrained(model, backend=backend).threshold
    items = []
    for (detection, record), score in zip(trained, scores):
        path = f"{checkout.prefix}/{record['file']}" if checkout.prefix else record["file"]
        lines = tuple(scripts.read(detection.path, detection.where()).lines)
        items.append(LabelItem(
            detection=detection, id=record_id(f"{checkout.repo}/{path}", detection.line, detection.code),
            path=path, tech=record["tech"], smell=record["smell"], lines=lines, score=score,
        ))
    return LabelInput(items=items, checkout=checkout, threshold=threshold, skipped=skipped)


def order_items(items: list[LabelItem], threshold: float | None, order: str = "uncertainty") -> list[LabelItem]:
    """The order to ask in. ``file``, or no threshold: by path, line and code. ``uncertainty``: in rounds,
    each file's most uncertain remaining detection (score closest to ``threshold``) per round, the round
    itself most uncertain first, so that one file cannot take the whole budget. Deterministic."""
    if order not in ORDERS:
        raise IacsieveError(f"--order must be one of {', '.join(ORDERS)}, got {order!r}")
    by_place = sorted(items, key=lambda i: (i.path, i.detection.line, i.detection.code))
    if order == "file" or threshold is None or any(i.score is None for i in items):
        return by_place
    per_file: dict[str, list[LabelItem]] = defaultdict(list)
    for item in sorted(by_place, key=lambda i: abs(i.score - threshold)):
        per_file[item.path].append(item)
    rank = {item.id: n for group in per_file.values() for n, item in enumerate(group)}
    return sorted(by_place, key=lambda i: (rank[i.id], abs(i.score - threshold)))
