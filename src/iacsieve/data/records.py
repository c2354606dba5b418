"""The internal record: one JSON object per detection, and JSONL reading/writing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from iacsieve.atomic import atomic_open
from iacsieve.errors import IacsieveError

RECORD_FIELDS = ("id", "tech", "glitch_code", "smell", "file", "line", "content", "context", "label")


def record_id(file: str, line: int, code: str) -> str:
    """A stable id for a detection: the first 16 hex digits of sha1("file:line:code")."""
    return hashlib.sha1(f"{file}:{line}:{code}".encode()).hexdigest()[:16]


def write_jsonl(path: str | Path, records: Iterable[dict]) -> int:
    """Write ``records`` as JSON lines atomically (complete file or none); return how many."""
    count = 0
    with atomic_open(path, "w") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
            count += 1
    return count


def read_jsonl(path: str | Path) -> list[dict]:
    """Read JSON lines; a line that is not a JSON object raises ``IacsieveError`` naming file and line."""
    return [value for _, value in numbered_jsonl(path)]


def numbered_jsonl(path: str | Path) -> list[tuple[int, dict]]:
    """(line number, object) of each non-blank line, for checks that name the line; errors as ``read_jsonl``."""
    records = []
    try:
        handle = open(path, encoding="utf-8")
    except OSError as exc:
        raise IacsieveError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise IacsieveError(f"{path}: line {number}: not valid JSON ({exc.msg})") from None
                if not isinstance(value, dict):
                    raise IacsieveError(f"{path}: line {number}: expected a JSON object")
                records.append((number, value))
        except UnicodeDecodeError as exc:
            raise IacsieveError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return records
