"""Read the oracle's labels: one TP/FP verdict per (PATH, LINE, CODE) detection."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from iacsieve.errors import IacsieveError

LABEL_COLUMNS = ("PATH", "LINE", "CODE", "LABEL")
LABEL_VALUES = {"tp": 1, "fp": 0, "true": 1, "false": 0, "1": 1, "0": 0}


def read_labels(path: str | Path) -> dict[tuple[str, int, str], int]:
    """Map (path, line, code) to 1 (true positive) or 0 (false positive).

    The file is a CSV with columns PATH, LINE, CODE, LABEL (LABEL: TP/FP, true/false or 1/0).
    A missing column, a bad value or two different verdicts for one detection raise
    ``IacsieveError`` naming the file, line and field.
    """
    label_path = Path(path)
    try:
        text = label_path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise IacsieveError(f"{label_path}: cannot read label file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise IacsieveError(f"{label_path}: not UTF-8 text (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in LABEL_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise IacsieveError(
            f"{label_path}: line 1: missing column(s) {', '.join(missing)}; expected {','.join(LABEL_COLUMNS)}"
        )
    labels: dict[tuple[str, int, str], int] = {}
    for row in reader:
        where = f"{label_path}: line {reader.line_num}"
        try:
            line = int(row["LINE"])
        except (TypeError, ValueError):
            raise IacsieveError(f"{where}: LINE must be an integer, got {row['LINE']!r}") from None
        value = (row["LABEL"] or "").strip().lower()
        if value not in LABEL_VALUES:
            raise IacsieveError(f"{where}: LABEL must be TP or FP, got {row['LABEL']!r}")
        key = ((row["PATH"] or "").strip(), line, (row["CODE"] or "").strip())
        if key in labels and labels[key] != LABEL_VALUES[value]:
            raise IacsieveError(f"{where}: detection {key[0]}:{key[1]} {key[2]} has two different labels")
        labels[key] = LABEL_VALUES[value]
    return labels
