"""The output corpus of ``iacsieve label``: ``detections.jsonl`` + ``sources.tsv`` in the real-corpus format,
rewritten atomically after every answer so that a killed labeller loses at most the answer being typed."""

from __future__ import annotations

import json
from pathlib import Path

from iacsieve.atomic import atomic_write_text
from iacsieve.data.corpus import DETECTIONS_FILE, SOURCES_FILE
from iacsieve.data.records import numbered_jsonl
from iacsieve.errors import IacsieveError
from iacsieve.labelling.items import Checkout, LabelItem

SOURCES_COLUMNS = ("repo", "commit", "tech", "license", "folder", "n_rows", "n_trained", "n_files_failed")
#: What a corpus folder may hold besides its two files (the real corpus has these too).
CORPUS_EXTRAS = {"README.md", "agreement.json", "glitch"}
LABELS = ("TP", "FP")


class LabelStore:
    """A corpus folder opened for labelling one checkout; ``records`` by id, in file order.

    Opening checks the folder: it may be missing or empty (created on the first answer), or hold a
    corpus (``sources.tsv``, ``detections.jsonl``, optionally README.md, agreement.json, glitch/). A
    folder with anything else, a corpus file that does not parse, or a corpus that labelled this
    repository at another commit raises ``IacsieveError`` naming the file and line.
    """

    def __init__(self, folder: Path, checkout: Checkout, license: str, labeller: str):
        self.folder = Path(folder)
        self.checkout = checkout
        self.license = license
        self.labeller = labeller
        if self.folder.exists() and not self.folder.is_dir():
            raise IacsieveError(f"{self.folder}: output corpus is a file, not a folder")
        if self.folder.is_dir():
            others = sorted(p.name for p in self.folder.iterdir()
                            if p.name not in {DETECTIONS_FILE, SOURCES_FILE, *CORPUS_EXTRAS} and not p.name.startswith("."))
            if others:
                raise IacsieveError(f"{self.folder}: not a labelled corpus (holds {others[0]!r}); "
                                    f"give an empty or new folder, or a corpus ({DETECTIONS_FILE} + {SOURCES_FILE})")
            if (self.folder / DETECTIONS_FILE).is_file() and not (self.folder / SOURCES_FILE).is_file():
                raise IacsieveError(f"{self.folder}: {DETECTIONS_FILE} without {SOURCES_FILE}: not a labelled corpus")
        self.sources = self._read_sources()
        self.records = self._read_detections()

    def _read_sources(self) -> list[dict[str, str]]:
        path = self.folder / SOURCES_FILE
        if not path.is_file():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        if not lines or tuple(lines[0].split("\t")) != SOURCES_COLUMNS:
            raise IacsieveError(f"{path}: line 1: expected the header {chr(9).join(SOURCES_COLUMNS)!r}")
        rows = []
        for number, line in enumerate(lines[1:], start=2):
            if not line.strip():
                continue
            values = line.split("\t")
            if len(values) != len(SOURCES_COLUMNS):
                raise IacsieveError(f"{path}: line {number}: expected {len(SOURCES_COLUMNS)} tab-separated fields, "
                                    f"got {len(values)}")
            row = dict(zip(SOURCES_COLUMNS, values))
            if row["repo"] == self.checkout.repo and row["commit"] != (self.checkout.commit or ""):
                raise IacsieveError(
                    f"{path}: line {number}: this corpus labels {row['repo']} at commit {row['commit'] or '(none)'}, "
                    f"the scripts are at {self.checkout.commit or '(no git commit)'}: label another version "
                    "into another folder")
            rows.append(row)
        return rows

    def _read_detections(self) -> dict[str, dict]:
        path = self.folder / DETECTIONS_FILE
        records: dict[str, dict] = {}
        if not path.is_file():
            return records
        for number, record in numbered_jsonl(path):
            if not isinstance(record.get("id"), str):
                raise IacsieveError(f"{path}: line {number}: a record needs a string field 'id'")
            if record["id"] in records:
                raise IacsieveError(f"{path}: line {number}: id {record['id']} appears twice")
            records[record["id"]] = record
        return records

    def label_of(self, item: LabelItem) -> str | None:
        """The label this corpus holds for ``item`` (TP/FP), or None."""
        record = self.records.get(item.id)
        return record.get("label") if record else None

    def record(self, item: LabelItem, label: str, reason: str) -> None:
        """Write (or rewrite, keeping its place) the record of ``item``; both files are replaced atomically,
        ``sources.tsv`` first, so that a kill at any moment leaves a readable corpus."""
        if label not in LABELS:
            raise ValueError(f"label must be TP or FP, got {label!r}")
        record = {
            "id": item.id, "repo": self.checkout.repo,
            **({"commit": self.checkout.commit} if self.checkout.commit else {}),
            "license": self.license, "tech": item.tech, "path": item.path, "line": item.detection.line,
            "file_lines": len(item.lines), "glitch_code": item.detection.code, "smell": item.smell,
            "glitch_snippet": item.detection.snippet, "window_start": item.window_start, "window": item.window,
            "label": label, "reason": reason, "labeller": self.labeller,
        }
        self.records[item.id] = record
        self._write_sources(item.tech)
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.records.values())
        atomic_write_text(self.folder / DETECTIONS_FILE, text)

    def _write_sources(self, tech: str) -> None:
        """Add this checkout's row to ``sources.tsv`` (or update its counts); write only when it changed."""
        mine = [r for r in self.records.values() if r.get("repo") == self.checkout.repo]
        row = {"repo": self.checkout.repo, "commit": self.checkout.commit or "",
               "tech": max(sorted({r["tech"] for r in mine}), key=lambda t: sum(r["tech"] == t for r in mine)) if mine else tech,
               "license": self.license, "folder": self.checkout.prefix or ".",
               "n_rows": str(len(mine)), "n_trained": str(len(mine)), "n_files_failed": "0"}
        rows = [r for r in self.sources if r["repo"] != self.checkout.repo]
        old = next((r for r in self.sources if r["repo"] == self.checkout.repo), None)
        if old == row:
            return
        index = self.sources.index(old) if old else len(rows)
        rows.insert(index, row)
        self.sources = rows
        self.folder.mkdir(parents=True, exist_ok=True)
        text = "\t".join(SOURCES_COLUMNS) + "\n" + "".join("\t".join(r[c] for c in SOURCES_COLUMNS) + "\n" for r in rows)
        atomic_write_text(self.folder / SOURCES_FILE, text)
