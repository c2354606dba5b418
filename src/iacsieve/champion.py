"""The frozen champion folder: what it holds, its SHA256SUMS, and loading it safely."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from iacsieve.errors import IacsieveError

CHAMPION_META = "iacsieve.json"
#: Fields of ``iacsieve.json`` that scoring needs, and their JSON types.
REQUIRED_META = {"threshold": (int, float), "context_lines": int, "max_line_chars": int, "max_length": int}
CHECKSUMS = "SHA256SUMS"
#: A model's weights: safetensors only (pretrained downloads and champions alike).
WEIGHTS_FILE = "model.safetensors"
#: Weight files that unpickle (and so can run code) when loaded.
PICKLE_PATTERNS = ("*.bin", "*.pt", "*.pth", "*.pkl", "*.ckpt")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_checksums(folder: Path) -> None:
    """Write ``SHA256SUMS`` (sha256sum format, sorted) over every other file in ``folder``."""
    lines = [
        f"{sha256_file(path)}  {path.relative_to(folder).as_posix()}"
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != CHECKSUMS
    ]
    (folder / CHECKSUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _listed_checksums(folder: Path) -> dict[str, str]:
    """The entries of ``folder/SHA256SUMS``: file name -> sha256."""
    sums_file = folder / CHECKSUMS
    if not sums_file.is_file():
        raise IacsieveError(f"{folder}: not a frozen champion ({CHECKSUMS} missing)")
    listed: dict[str, str] = {}
    for number, line in enumerate(sums_file.read_text(encoding="utf-8").splitlines(), start=1):
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            raise IacsieveError(f"{sums_file}: line {number}: not a 'sha256  file' line")
        listed[name] = digest
    return listed


def read_verified(folder: Path, name: str) -> bytes:
    """The bytes of ``folder/name``, checked against its ``SHA256SUMS`` entry as read (what is checked is
    what gets loaded, even if the file changes between a folder check and its use)."""
    folder = Path(folder)
    digest = _listed_checksums(folder).get(name)
    if digest is None:
        raise IacsieveError(f"{folder}: {name} is not listed in {CHECKSUMS}")
    try:
        data = (folder / name).read_bytes()
    except OSError as error:
        raise IacsieveError(f"{folder}: cannot read {name} ({error.strerror or error})") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise IacsieveError(f"{folder}: {name} does not match its SHA256SUMS entry (changed or corrupted)")
    return data


def verify_checksums(folder: Path, deferred: frozenset[str] = frozenset()) -> None:
    """Raise ``IacsieveError`` unless every file listed in ``SHA256SUMS`` exists and matches, and no
    unlisted file (other than SHA256SUMS) is present. Files named in ``deferred`` are checked for presence
    only: their caller hashes them when it reads them (``read_verified``, or this function before loading)."""
    sums_file = folder / CHECKSUMS
    listed = _listed_checksums(folder)
    for name, digest in listed.items():
        path = (folder / name).resolve()
        if not path.is_relative_to(folder.resolve()):
            raise IacsieveError(f"{sums_file}: entry {name!r} points outside the champion folder")
        if not path.is_file():
            raise IacsieveError(f"{folder}: {name} is listed in {CHECKSUMS} but missing")
        if name not in deferred and sha256_file(path) != digest:
            raise IacsieveError(f"{folder}: {name} does not match its SHA256SUMS entry (changed or corrupted)")
    extra = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != CHECKSUMS and p.relative_to(folder).as_posix() not in listed
    )
    if extra:
        raise IacsieveError(f"{folder}: {extra[0]} is not listed in {CHECKSUMS} (unexpected file)")


def read_champion_meta(folder: Path, deferred: frozenset[str] = frozenset()) -> dict:
    """Verify the champion's checksums (``deferred`` files: presence only, see ``verify_checksums``) and
    return its ``iacsieve.json``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise IacsieveError(f"{folder}: champion folder not found (run `dvc pull models/champion`)")
    verify_checksums(folder, deferred)
    # Neither scoring path reads pickles, but a champion that ships them is refused on both alike.
    pickled = sorted(path.name for pattern in PICKLE_PATTERNS for path in folder.glob(pattern))
    if pickled:
        raise IacsieveError(f"{folder}: refusing pickled weights ({', '.join(pickled)}); save with safetensors")
    meta_file = folder / CHAMPION_META
    if not meta_file.is_file():
        raise IacsieveError(f"{folder}: not a frozen champion ({CHAMPION_META} missing)")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise IacsieveError(f"{meta_file}: not valid JSON ({error})") from None
    if not isinstance(meta, dict):
        raise IacsieveError(f"{meta_file}: expected a JSON object")
    for key, kinds in REQUIRED_META.items():
        if not isinstance(meta.get(key), kinds) or isinstance(meta.get(key), bool):
            raise IacsieveError(f"{meta_file}: field {key!r} missing or not a number (got {meta.get(key)!r})")
    if not 0 <= meta["threshold"] <= 1:
        raise IacsieveError(f"{meta_file}: field 'threshold' must lie in [0, 1] (got {meta['threshold']!r})")
    return meta


def load_champion(folder: str | Path):
    """Return (model, tokenizer, meta) of a verified champion; weights load from safetensors only."""
    from iacsieve.models.predict import load_classifier

    meta = read_champion_meta(Path(folder))
    model, tokenizer = load_classifier(Path(folder))
    return model, tokenizer, meta
