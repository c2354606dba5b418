"""Read GLITCH's ``--csv`` output exactly as GLITCH writes it (unquoted rows, smell codes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from iacsieve.errors import IacsieveError

GLITCH_HEADER = "PATH,LINE,ERROR,DESCRIPTION,CODE"
#: GLITCH prints these (and other out-of-range values) when its parser had no position.
MAX_PLAUSIBLE_LINE = 2**31 - 1


@dataclass(frozen=True)
class Detection:
    """One GLITCH row: where (``path``, 1-based ``line``), which smell ``code``, and the flagged ``snippet``."""

    path: str
    line: int
    code: str
    description: str
    snippet: str
    source: str  # the CSV file it came from
    row: int  # 1-based line number in that CSV

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.path, self.line, self.code)

    def where(self) -> str:
        return f"{self.source}: line {self.row}"


@dataclass
class GlitchReport:
    """Detections read from one or more CSVs, with counts of what was skipped and why."""

    detections: list[Detection] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)


def read_glitch_csv(path: str | Path, report: GlitchReport | None = None) -> GlitchReport:
    """Parse one GLITCH CSV into ``report`` (a new one if None) and return it.

    Rows are split on their first four commas only, since GLITCH neither quotes nor escapes the
    last field. Rows with a nonsense LINE (GLITCH's sentinels such as ``-1``, ``-33550336`` or
    ``9223372036854775999``) and repeated (path, line, code) rows are skipped and counted in
    ``report.skipped``. A missing file, a wrong header or a malformed row raises ``IacsieveError``
    naming the file and line.
    """
    report = report if report is not None else GlitchReport()
    csv_path = Path(path)
    try:
        raw = csv_path.read_bytes()
    except OSError as exc:
        raise IacsieveError(f"{csv_path}: cannot read GLITCH CSV ({exc.strerror or exc})") from None
    if b"\x00" in raw:
        raise IacsieveError(f"{csv_path}: not a GLITCH CSV (binary content)")
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines[0].strip():
        raise IacsieveError(f"{csv_path}: empty file, expected the header {GLITCH_HEADER}")
    if lines[0].strip() != GLITCH_HEADER:
        raise IacsieveError(
            f"{csv_path}: line 1: expected the GLITCH --csv header {GLITCH_HEADER!r}, got {lines[0].strip()[:80]!r}"
        )
    seen = {d.key for d in report.detections}
    for row_number, row in enumerate(lines[1:], start=2):
        if not row.strip():
            continue
        detection = _parse_row(row, csv_path, row_number)
        if detection is None:
            report.skipped["nonsense line number"] += 1
            continue
        if detection.key in seen:
            report.skipped["duplicate row"] += 1
            continue
        seen.add(detection.key)
        report.detections.append(detection)
    return report


def read_glitch_csvs(paths: list[str | Path]) -> GlitchReport:
    """Read several GLITCH CSVs into one report (duplicates across files are dropped and counted)."""
    report = GlitchReport()
    for csv_path in paths:
        read_glitch_csv(csv_path, report)
    return report


def _parse_row(row: str, csv_path: Path, row_number: int) -> Detection | None:
    """Parse one data row; None when GLITCH gave no usable line number."""
    fields = row.split(",", 4)
    if len(fields) < 5:
        raise IacsieveError(
            f"{csv_path}: line {row_number}: expected 5 fields PATH,LINE,ERROR,DESCRIPTION,CODE, got {len(fields)}"
        )
    path, line_text, code, description, snippet = fields
    if not path.strip():
        raise IacsieveError(f"{csv_path}: line {row_number}: PATH is empty")
    if not code.strip():
        raise IacsieveError(f"{csv_path}: line {row_number}: ERROR (smell code) is empty")
    try:
        line = int(line_text.strip())
    except ValueError:
        raise IacsieveError(
            f"{csv_path}: line {row_number}: LINE must be an integer, got {line_text.strip()[:40]!r}"
        ) from None
    if line < 1 or line > MAX_PLAUSIBLE_LINE:
        return None
    return Detection(
        path=path.strip(),
        line=line,
        code=code.strip(),
        description=description.strip(),
        snippet=snippet.strip(),
        source=str(csv_path),
        row=row_number,
    )
