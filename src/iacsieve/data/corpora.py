"""Several labelled corpora for one pipeline: the public corpus plus a team's own (``iacsieve label``).

``make repro-real REAL_CORPUS="<dir> <dir> ..."`` runs ``python -m iacsieve.data.corpora real <dir>...``:
each folder is linked into ``real/`` as ``corpus``, ``corpus-2``, ``corpus-3``, ... (read in place, never
copied) and ``real/corpora.json`` records the links with the SHA-256 of their two files, so that DVC reruns
``preprocess`` when any corpus changes. ``preprocess`` merges the corpora by detection id
(``record_id(repo/path, line, code)``); ``data.corpora`` in params marks corpora ``held_out``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from iacsieve.atomic import atomic_write_json
from iacsieve.data.corpus import DETECTIONS_FILE, SOURCES_FILE, is_labelled_corpus, records_from_labelled_corpus
from iacsieve.data.preprocess import PreprocessResult
from iacsieve.data.records import record_id
from iacsieve.errors import IacsieveError

MANIFEST = "corpora.json"
PRIMARY = "corpus"


def link_name(index: int) -> str:
    """The link of the ``index``-th corpus (0-based): corpus, corpus-2, corpus-3, ..."""
    return PRIMARY if index == 0 else f"{PRIMARY}-{index + 1}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corpus_hashes(folder: Path) -> dict[str, str]:
    return {"detections_sha256": _sha256(folder / DETECTIONS_FILE), "sources_sha256": _sha256(folder / SOURCES_FILE)}


def link_corpora(pipeline: Path, folders: list[Path]) -> dict:
    """Link ``folders`` into ``pipeline`` (corpus, corpus-2, ...), remove stale corpus-N links, write the
    manifest; return it. A folder that is not a labelled corpus, or none given, raises ``IacsieveError``
    before any link changes."""
    if not folders:
        raise IacsieveError("REAL_CORPUS: no corpus folder given")
    for folder in folders:
        if not is_labelled_corpus(folder):
            raise IacsieveError(f"{folder}: no labelled corpus there ({DETECTIONS_FILE} + {SOURCES_FILE}); "
                                "set REAL_CORPUS=\"<folder> [<folder> ...]\"")
    entries = []
    for index, folder in enumerate(folders):
        link = pipeline / link_name(index)
        if link.is_symlink() or link.exists():
            if not link.is_symlink():
                raise IacsieveError(f"{link}: exists and is not a link; move it away")
            link.unlink()
        link.symlink_to(folder.resolve())
        entries.append({"link": link_name(index), **corpus_hashes(link)})
    for stale in pipeline.glob(f"{PRIMARY}-*"):
        if stale.is_symlink() and stale.name not in {e["link"] for e in entries}:
            stale.unlink()
    manifest = {"corpora": entries}
    atomic_write_json(pipeline / MANIFEST, manifest)
    return manifest


def read_manifest(folder: Path = Path(".")) -> list[str] | None:
    """The corpus links the manifest in ``folder`` lists, checked against their files; None without a manifest.
    A corpus changed since it was linked raises ``IacsieveError`` (rerun make repro-real)."""
    path = folder / MANIFEST
    if not path.is_file():
        return None
    links = []
    for entry in json.loads(path.read_text(encoding="utf-8"))["corpora"]:
        link = folder / entry["link"]
        if not is_labelled_corpus(link):
            raise IacsieveError(f"{path}: corpus {entry['link']} is not linked (run make repro-real REAL_CORPUS=...)")
        if corpus_hashes(link) != {k: entry[k] for k in ("detections_sha256", "sources_sha256")}:
            raise IacsieveError(f"{path}: corpus {entry['link']} ({link.resolve()}) changed since it was linked; "
                                "rerun make repro-real")
        links.append(entry["link"])
    return links


def _where(folder: Path, rid: str) -> str:
    """``<detections.jsonl>: line N (id X)`` for the record of internal id ``rid`` in a corpus."""
    path = folder / DETECTIONS_FILE
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw = json.loads(line)
        if record_id(f"{raw.get('repo')}/{raw.get('path')}", raw.get("line"), raw.get("glitch_code")) == rid:
            return f"{path.resolve()}: line {number} (id {raw.get('id')})"
    return str(path.resolve())


def merge_corpora(folder: Path, links: list[str], held_out: set[str], context_lines: int, max_line_chars: int,
                  neighbour_chars: int | None) -> PreprocessResult:
    """Records of every corpus in ``links`` (folders under ``folder``), merged by detection id.

    The first corpus's records are exactly those of ``records_from_labelled_corpus``; records of the others
    carry ``corpus`` (their link), and those of ``held_out`` links ``held_out: true``. A detection in two
    corpora with the same label is kept once (counted); with different labels, ``IacsieveError`` names both
    files, lines and the id. A held-out corpus sharing a repository with a training corpus is refused.
    """
    unknown = held_out - set(links)
    if unknown:
        raise IacsieveError(f"params.yaml: data.corpora: {sorted(unknown)[0]} is not linked "
                            f"(REAL_CORPUS gives {len(links)} corpora: {', '.join(links)})")
    merged = PreprocessResult()
    owner: dict[str, tuple[str, dict]] = {}
    for link in links:
        part = records_from_labelled_corpus(folder / link, context_lines, max_line_chars, neighbour_chars)
        merged.skipped.update(part.skipped)
        merged.cut_lines += part.cut_lines
        for record in part.records:
            if link != links[0]:
                record["corpus"] = link
                if link in held_out:
                    record["held_out"] = True
            if record["id"] in owner:
                first_link, first = owner[record["id"]]
                if first["label"] != record["label"]:
                    raise IacsieveError(
                        f"detection {record['id']} labelled {'TP' if first['label'] else 'FP'} in "
                        f"{_where(folder / first_link, record['id'])} and {'TP' if record['label'] else 'FP'} in "
                        f"{_where(folder / link, record['id'])}")
                merged.skipped["same detection in two corpora"] += 1
                continue
            owner[record["id"]] = (link, record)
            merged.records.append(record)
    held_repos = {r["repo"] for r in merged.records if r.get("held_out")}
    shared = sorted(held_repos & {r["repo"] for r in merged.records if not r.get("held_out")})
    if shared:
        raise IacsieveError(f"data.corpora: repository {shared[0]} is in a held-out corpus and in a training corpus")
    return merged


def main(argv: list[str] | None = None) -> int:
    """``python -m iacsieve.data.corpora <pipeline folder> <corpus> [<corpus> ...]`` (make repro-real)."""
    from iacsieve.cli_support import run_guarded

    args = sys.argv[1:] if argv is None else argv

    def run() -> None:
        if not args:
            raise IacsieveError("usage: python -m iacsieve.data.corpora <pipeline folder> <corpus> [<corpus> ...]")
        manifest = link_corpora(Path(args[0]), [Path(a) for a in args[1:]])
        print(f"linked {', '.join(e['link'] for e in manifest['corpora'])} in {args[0]}", file=sys.stderr)

    return run_guarded(run, "repro-real")


if __name__ == "__main__":
    raise SystemExit(main())
