"""Turn GLITCH detections (or the reference research's JSONL) into internal records.

The same functions serve the pipeline's ``preprocess`` stage and ``iacsieve filter``, so a
detection's context is built one way only.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from iacsieve.data.glitch import Detection, read_glitch_csvs
from iacsieve.data.labels import LABEL_VALUES, read_labels
from iacsieve.data.records import read_jsonl, record_id
from iacsieve.data.scripts import FLAG_MARK, PLAIN_MARK, ScriptFolder, build_context
from iacsieve.errors import IacsieveError
from iacsieve.smells import CANONICAL_CODE, GLITCH_CODES, TECHS, TRAINED_SMELLS, tech_from_path, trained_smell


@dataclass
class PreprocessResult:
    """Records built from the input, and counts of everything skipped or repaired (never silent)."""

    records: list[dict] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    untrained: list[Detection] = field(default_factory=list)
    replaced_chars: int = 0
    cut_lines: int = 0

    def summary(self) -> dict:
        return {
            "records": len(self.records),
            "skipped": dict(sorted(self.skipped.items())),
            "replaced_invalid_utf8": self.replaced_chars,
            "flagged_lines_cut_to_max_line_chars": self.cut_lines,
        }


def detection_record(
    detection: Detection,
    scripts: ScriptFolder,
    context_lines: int,
    max_line_chars: int,
    tech: str | None = None,
    neighbour_chars: int | None = None,
) -> dict:
    """Build the record of one detection of a trained smell (``label`` None).

    The flagged line is cut to ``max_line_chars``, its neighbours to ``neighbour_chars`` (default
    ``max_line_chars``). ``tech`` overrides the technology implied by the file suffix. Raises ``IacsieveError`` naming
    the CSV row when the path leaves the scripts folder, the file is missing or binary, the line is
    past the end of the file, or the technology is unknown.
    """
    where = detection.where()
    script = scripts.read(detection.path, where)
    if detection.line > len(script.lines):
        raise IacsieveError(
            f"{where}: LINE {detection.line} is past the end of {detection.path!r} ({len(script.lines)} lines)"
        )
    detected_tech = tech or tech_from_path(script.relpath)
    if detected_tech not in TECHS:
        raise IacsieveError(
            f"{where}: unknown technology for {detection.path!r}: expected a .yml/.yaml (ansible), "
            f".rb (chef) or .pp (puppet) file, or set the technology explicitly ({', '.join(TECHS)})"
        )
    return {
        "id": record_id(script.relpath, detection.line, detection.code),
        "tech": detected_tech,
        "glitch_code": detection.code,
        "smell": trained_smell(detection.code),
        "file": script.relpath,
        "line": detection.line,
        "content": script.lines[detection.line - 1].strip()[:max_line_chars],
        "context": build_context(script.lines, detection.line, context_lines, max_line_chars, neighbour_chars),
        "label": None,
    }


def records_from_glitch(
    glitch_csvs: list[str | Path],
    scripts_root: str | Path,
    context_lines: int,
    max_line_chars: int,
    labels_path: str | Path | None = None,
    tech: str | None = None,
    neighbour_chars: int | None = None,
    repo_depth: int = 1,
) -> PreprocessResult:
    """Read GLITCH CSVs and build one record per detection of the four trained smells.

    Each record also carries ``repo``, the first ``repo_depth`` folders of its path (the repository
    it belongs to, for the split), and ``content_hash``, the SHA-1 of the script's text (vendored copies
    of one file share it).

    Detections of other smells are kept aside in ``result.untrained`` and counted; nonsense line
    numbers and duplicate rows are counted. With ``labels_path``, every trained-smell detection
    must have a label (else ``IacsieveError`` naming the CSV row).
    """
    if not glitch_csvs:
        raise IacsieveError("no GLITCH CSV given")
    report = read_glitch_csvs(glitch_csvs)
    if not report.detections:
        raise IacsieveError(f"{', '.join(map(str, glitch_csvs))}: no detections to process")
    scripts = ScriptFolder(scripts_root)
    labels = read_labels(labels_path) if labels_path is not None else None
    result = PreprocessResult(skipped=Counter(report.skipped))
    seen_ids: set[str] = set()
    content_hashes: dict[str, str] = {}  # one hash per script, however many detections it has
    for detection in report.detections:
        if trained_smell(detection.code) is None:
            reason = "other GLITCH smell" if detection.code in GLITCH_CODES else "unknown smell code"
            result.skipped[f"{reason} ({detection.code})"] += 1
            result.untrained.append(detection)
            continue
        record = detection_record(detection, scripts, context_lines, max_line_chars, tech, neighbour_chars)
        script = scripts.read(detection.path, detection.where())
        flagged_line = script.lines[detection.line - 1]
        record["repo"] = repository_of(record["file"], repo_depth)
        if record["file"] not in content_hashes:
            content_hashes[record["file"]] = text_hash("\n".join(script.lines))
        record["content_hash"] = content_hashes[record["file"]]
        result.cut_lines += len(flagged_line.strip()) > max_line_chars
        if record["id"] in seen_ids:  # the same file reached by two spellings of its path
            result.skipped["duplicate row"] += 1
            continue
        seen_ids.add(record["id"])
        if labels is not None:
            label = labels.get(detection.key, labels.get((record["file"], record["line"], record["glitch_code"])))
            if label is None:
                raise IacsieveError(
                    f"{detection.where()}: no label for {detection.path}:{detection.line} {detection.code} "
                    f"in {labels_path}"
                )
            record["label"] = label
        result.records.append(record)
    result.replaced_chars = scripts.replaced_chars
    return result


def repository_of(relpath: str, depth: int) -> str:
    """The repository a script belongs to: the first ``depth`` folders of its path (``.`` when none)."""
    folders = relpath.split("/")[:-1]
    return "/".join(folders[:depth]) or "."


def text_hash(text: str) -> str:
    """SHA-1 of a text, as hex: the content identity used to keep copies of a file in one split."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


REFERENCE_FIELDS = ("smell", "file", "content", "line", "detection_span", "with_context", "label", "source")
#: smell names the reference JSONL may use (trained-smell names, GLITCH names, GLITCH codes) -> trained smell
_SMELL_ALIASES = {smell.lower(): smell for smell in TRAINED_SMELLS}
for _code, (_name, _, _smell) in GLITCH_CODES.items():
    if _smell:
        _SMELL_ALIASES |= {_name.lower(): _smell, _code: _smell}


def records_from_reference_jsonl(path: str | Path, max_line_chars: int, repo_depth: int = 1) -> PreprocessResult:
    """Import the reference research's JSONL (fields ``smell, file, content, line, detection_span,
    with_context, label, source``) into internal records. Its files are not at hand, so records carry
    no ``content_hash``; ``repo`` is the first ``repo_depth`` folders of ``file``.

    The technology comes from ``source`` when it names one, else from the file suffix; the line of
    ``with_context`` equal to ``content`` is marked as the flagged one. Smells outside the four are
    skipped and counted; a missing field or a bad value raises ``IacsieveError`` naming file and line.
    """
    result = PreprocessResult()
    seen: set[str] = set()
    for number, raw in enumerate(read_jsonl(path), start=1):
        where = f"{path}: record {number}"
        missing = [f for f in ("smell", "file", "content", "line", "with_context", "label") if f not in raw]
        if missing:
            raise IacsieveError(f"{where}: missing field(s) {', '.join(missing)}")
        smell = _SMELL_ALIASES.get(str(raw["smell"]).strip().lower())
        if smell is None:
            result.skipped[f"other smell ({raw['smell']})"] += 1
            continue
        try:
            line = int(raw["line"])
        except (TypeError, ValueError):
            raise IacsieveError(f"{where}: field 'line' must be an integer, got {raw['line']!r}") from None
        label = LABEL_VALUES.get(str(raw["label"]).strip().lower())
        if label is None:
            raise IacsieveError(f"{where}: field 'label' must be TP or FP, got {raw['label']!r}")
        source = str(raw.get("source") or "").strip().lower()
        tech = source if source in TECHS else tech_from_path(str(raw["file"]))
        if tech is None:
            raise IacsieveError(f"{where}: unknown technology for file {raw['file']!r} (source {raw.get('source')!r})")
        file = str(raw["file"]).replace("\\", "/")
        code = CANONICAL_CODE[smell]
        rid = record_id(file, line, code)
        if rid in seen:
            result.skipped["duplicate row"] += 1
            continue
        seen.add(rid)
        content = str(raw["content"]).strip()[:max_line_chars]
        result.records.append({
            "id": rid, "tech": tech, "glitch_code": code, "smell": smell, "file": file, "line": line,
            "content": content, "context": _mark_flagged_line(str(raw["with_context"]), content, max_line_chars),
            "label": label, "repo": repository_of(file, repo_depth), "content_hash": None,
        })
    return result


def _mark_flagged_line(with_context: str, content: str, max_line_chars: int) -> str:
    """Re-mark a reference context in our format: ``>> `` on the first line equal to ``content``."""
    lines = with_context.replace("\r\n", "\n").split("\n")
    flagged = next((i for i, text in enumerate(lines) if text.strip() == content), len(lines) // 2)
    return "\n".join(
        (FLAG_MARK if i == flagged else PLAIN_MARK) + text[:max_line_chars] for i, text in enumerate(lines)
    )
