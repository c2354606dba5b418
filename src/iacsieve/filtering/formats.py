"""Write filter results as SARIF 2.1.0, JSON lines or CSV."""

from __future__ import annotations

import csv
import io
import json

from iacsieve import __version__
from iacsieve.filtering.filter import FILTER, FilterResult, ScoredDetection
from iacsieve.smells import GLITCH_CODES

FORMATS = ("sarif", "jsonl", "csv", "table")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
GLITCH_URI = "https://github.com/sr-lab/GLITCH"


def selected(result: FilterResult, keep_all: bool) -> list[ScoredDetection]:
    """The detections to write: kept and unscored ones, or all of them with ``keep_all``."""
    return [d for d in result.detections if keep_all or d.verdict != FILTER]


def _rule(code: str) -> dict:
    name, explanation, smell = GLITCH_CODES.get(code, (code, "", None))
    return {
        "id": code,
        "name": "".join(part.capitalize() for part in name.replace("-", " ").split()),
        "shortDescription": {"text": name},
        "fullDescription": {"text": explanation or name},
        "helpUri": GLITCH_URI,
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["security"], "iacsieveSmell": smell or "not trained (passed through unscored)"},
    }


def _result(item: ScoredDetection, rule_index: int, threshold: float) -> dict:
    detection = item.detection
    message = detection.description if detection.description not in ("", "-") else detection.code
    properties = {"iacsieveVerdict": item.verdict}
    if item.score is not None:
        properties["iacsieveScore"] = round(item.score, 6)
    if item.smell:
        properties["iacsieveSmell"] = item.smell
    region = {"startLine": detection.line}
    if detection.snippet:
        region["snippet"] = {"text": detection.snippet}
    sarif_result = {
        "ruleId": detection.code,
        "ruleIndex": rule_index,
        "level": "warning",
        "message": {"text": message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": item.file, "uriBaseId": "SRCROOT"},
            "region": region,
        }}],
        "properties": properties,
    }
    if item.verdict == FILTER:
        sarif_result["suppressions"] = [{
            "kind": "external",
            "justification": f"iacsieve score {item.score:.3f} below the champion's threshold {threshold:.2f}",
        }]
    return sarif_result


def to_sarif(result: FilterResult, keep_all: bool) -> str:
    """A SARIF 2.1.0 log: GLITCH as the tool, iacsieve as the converter, one rule per smell code."""
    items = selected(result, keep_all)
    codes = sorted({d.detection.code for d in items})
    rule_index = {code: i for i, code in enumerate(codes)}
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "GLITCH", "informationUri": GLITCH_URI, "rules": [_rule(c) for c in codes]}},
            # iacsieve did not analyse the scripts: it converted and scored GLITCH's findings.
            "conversion": {"tool": {"driver": {"name": "iacsieve", "version": __version__}}},
            "columnKind": "unicodeCodePoints",
            "results": [_result(d, rule_index[d.detection.code], result.threshold) for d in items],
            "properties": {"iacsieveThreshold": result.threshold, "iacsieveSummary": result.summary()},
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def _row(item: ScoredDetection) -> dict:
    detection = item.detection
    return {
        "path": item.file, "line": detection.line, "code": detection.code, "smell": item.smell,
        "description": detection.description, "snippet": detection.snippet,
        "score": None if item.score is None else round(item.score, 6), "verdict": item.verdict,
    }


def to_jsonl(result: FilterResult, keep_all: bool) -> str:
    """One JSON object per detection: path, line, code, smell, description, snippet, score, verdict."""
    return "".join(json.dumps(_row(d), ensure_ascii=False) + "\n" for d in selected(result, keep_all))


def to_csv(result: FilterResult, keep_all: bool) -> str:
    """A quoted CSV with GLITCH's columns plus SMELL, SCORE and VERDICT."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["PATH", "LINE", "ERROR", "DESCRIPTION", "CODE", "SMELL", "SCORE", "VERDICT"])
    for item in selected(result, keep_all):
        row = _row(item)
        writer.writerow([row["path"], row["line"], row["code"], row["description"], row["snippet"],
                         row["smell"] or "", "" if row["score"] is None else row["score"], row["verdict"]])
    return buffer.getvalue()


def to_table(result: FilterResult, keep_all: bool) -> str:
    """A console table for people: file:line, smell, score and verdict, aligned, one row per detection."""
    header = ("FILE:LINE", "SMELL", "SCORE", "VERDICT")
    rows = []
    for item in selected(result, keep_all):
        smell = item.smell or f"{GLITCH_CODES.get(item.detection.code, (item.detection.code,))[0]} (not scored)"
        score = "-" if item.score is None else f"{item.score:.3f}"
        rows.append((f"{item.file}:{item.detection.line}", smell, score, item.verdict))
    if not rows:
        return "no detections kept\n"
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].rjust(widths[2]), row[3]]
        return "  ".join(cells).rstrip() + "\n"

    return line(header) + "".join(line(row) for row in rows)


WRITERS = {"sarif": to_sarif, "jsonl": to_jsonl, "csv": to_csv, "table": to_table}
