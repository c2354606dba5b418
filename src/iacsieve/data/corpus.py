"""Import a labelled corpus of real GLITCH output: ``detections.jsonl`` + ``sources.tsv`` (real-corpus format).

Each line of ``detections.jsonl`` is one GLITCH detection on a public repository with the file's lines
around it (``window``, ±15 lines from ``window_start``) and a TP/FP label; ``sources.tsv`` lists the
repositories. The corpus carries windows, not whole files, so a record's ``context`` is cut from its
window, and its ``content_hash`` identifies the window with the file's length: two vendored copies of
one file give the same hash for the same detection.
"""

from __future__ import annotations

from pathlib import Path

from iacsieve.data.labels import LABEL_VALUES
from iacsieve.data.preprocess import PreprocessResult, text_hash
from iacsieve.data.records import read_jsonl, record_id
from iacsieve.data.scripts import build_context
from iacsieve.errors import IacsieveError
from iacsieve.smells import TECHS, trained_smell

DETECTIONS_FILE = "detections.jsonl"
SOURCES_FILE = "sources.tsv"
#: Fields every corpus record must carry, and their JSON types.
CORPUS_FIELDS: dict[str, type] = {
    "repo": str, "tech": str, "path": str, "line": int, "file_lines": int, "glitch_code": str,
    "window_start": int, "window": list, "label": str,
}
#: Lines on each side of the flagged one that a corpus window holds at most.
WINDOW_RADIUS = 15


def is_labelled_corpus(folder: Path) -> bool:
    """True when ``folder`` holds a labelled corpus (``detections.jsonl`` beside ``sources.tsv``)."""
    return (folder / DETECTIONS_FILE).is_file() and (folder / SOURCES_FILE).is_file()


def records_from_labelled_corpus(
    folder: str | Path, context_lines: int, max_line_chars: int, neighbour_chars: int | None = None
) -> PreprocessResult:
    """Build internal records (plus ``repo``, ``content_hash`` and the labeller's ``reason``) from a corpus.

    The flagged line is ``window[line - window_start]``; the context is its ±``context_lines``
    neighbours inside the window, marked as for GLITCH input. Detections of smells outside the four
    and repeated (path, line, code) rows are skipped and counted. A missing or mistyped field, a line
    outside its window, or a label other than TP/FP raises ``IacsieveError`` naming file and line.
    """
    path = Path(folder) / DETECTIONS_FILE
    if context_lines > WINDOW_RADIUS:
        raise IacsieveError(
            f"params.yaml: preprocess.context_lines={context_lines} exceeds the ±{WINDOW_RADIUS} lines "
            f"the corpus {path} holds around each detection"
        )
    result = PreprocessResult()
    seen: set[str] = set()
    for number, raw in enumerate(read_jsonl(path), start=1):
        where = f"{path}: line {number}"
        for name, kind in CORPUS_FIELDS.items():
            if name not in raw:
                raise IacsieveError(f"{where}: missing field {name!r}")
            if not isinstance(raw[name], kind) or isinstance(raw[name], bool):
                raise IacsieveError(f"{where}: field {name!r} must be {kind.__name__}, got {raw[name]!r}")
        smell = trained_smell(raw["glitch_code"])
        if smell is None:
            result.skipped[f"other GLITCH smell ({raw['glitch_code']})"] += 1
            continue
        if raw["tech"] not in TECHS:
            raise IacsieveError(f"{where}: field 'tech' must be one of {', '.join(TECHS)}, got {raw['tech']!r}")
        label = LABEL_VALUES.get(raw["label"].strip().lower())
        if label is None:
            raise IacsieveError(f"{where}: field 'label' must be TP or FP, got {raw['label']!r}")
        window = [str(text) for text in raw["window"]]
        offset = raw["line"] - raw["window_start"]
        if not 0 <= offset < len(window):
            raise IacsieveError(
                f"{where}: line {raw['line']} is outside its window (lines {raw['window_start']}.."
                f"{raw['window_start'] + len(window) - 1})"
            )
        file = f"{raw['repo']}/{raw['path']}"
        rid = record_id(file, raw["line"], raw["glitch_code"])
        if rid in seen:
            result.skipped["duplicate row"] += 1
            continue
        seen.add(rid)
        flagged = window[offset].strip()
        result.cut_lines += len(flagged) > max_line_chars
        result.records.append({
            "id": rid,
            "tech": raw["tech"],
            "glitch_code": raw["glitch_code"],
            "smell": smell,
            "file": file,
            "line": raw["line"],
            "content": flagged[:max_line_chars],
            "context": build_context(window, offset + 1, context_lines, max_line_chars, neighbour_chars),
            "label": label,
            "repo": raw["repo"],
            "content_hash": text_hash(f"{raw['file_lines']}\n{raw['line']}\n" + "\n".join(window)),
            "reason": str(raw.get("reason") or ""),
        })
    if not result.records:
        raise IacsieveError(f"{path}: no detections of the four trained smells")
    return result
