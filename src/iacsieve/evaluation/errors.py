"""Error analysis: which shapes of detection a filter gets wrong, with counts.

Each test record falls in the first shape of its smell whose pattern matches its flagged line (or its
path, for code in tests, specs and examples), else in ``other``. Errors are counted per smell, shape
and kind: a *missed TP* (a true positive filtered out) or a *kept FP* (a false positive kept).
"""

from __future__ import annotations

import re

import pandas as pd

from iacsieve.smells import HARD_CODED_SECRET, HTTP_WITHOUT_TLS, SUSPICIOUS_COMMENT, WEAK_CRYPTO

#: (smell, shape, what the pattern reads, pattern) in order of precedence within a smell. ``value`` is the
#: flagged line after its first assignment (``=>``, ``=`` or ``:``), ``content`` the whole line.
SHAPES: tuple[tuple[str, str, str, re.Pattern], ...] = (
    (HARD_CODED_SECRET, "user name (sec_hard_user)", "glitch_code", re.compile(r"^sec_hard_user$")),
    (HARD_CODED_SECRET, "value from a variable, lookup or template", "value",
     re.compile(r"\{\{|#\{|\$\{|\$[A-Za-z_:]|lookup|vault|hiera|node\[|@[a-z_]", re.I)),
    (HARD_CODED_SECRET, "empty, undef or nil value", "value",
     re.compile(r"""^\s*(undef|nil|null|~|''|""|\[\])?\s*,?\s*$""", re.I)),
    (HARD_CODED_SECRET, "path to a key or certificate file", "value", re.compile(r"/|\.(pem|crt|key)\b", re.I)),
    (HARD_CODED_SECRET, "literal value", "value", re.compile(r"\S")),
    (SUSPICIOUS_COMMENT, "explicit TODO/FIXME/HACK/XXX marker", "content", re.compile(r"\b(TODO|FIXME|HACK|XXX)\b")),
    (SUSPICIOUS_COMMENT, "bug, issue or ticket reference", "content",
     re.compile(r"https?://|\bbugs?\b|\bissues?\b|#\d+|\bticket", re.I)),
    (SUSPICIOUS_COMMENT, "keyword only inside a longer word (postfix, debug)", "content",
     re.compile(r"[a-z](fix|bug|hack|todo|later)|(fix|bug|hack|todo|later)[a-z]", re.I)),
    (HTTP_WITHOUT_TLS, "local or own address", "content", re.compile(r"localhost|127\.0\.0\.1|0\.0\.0\.0|::1|ipaddress|fqdn", re.I)),
    (HTTP_WITHOUT_TLS, "URL in a comment", "content", re.compile(r"^\s*(#|//|<!--)")),
    (WEAK_CRYPTO, "checksum or digest of a download/file", "content", re.compile(r"checksum|digest|sum\b|verify", re.I)),
)
_ASSIGNMENT = re.compile(r"=>|=|:")
IN_TESTS = re.compile(r"(^|/)(tests?|spec|molecule|examples?|\.github|ci)/", re.I)
MISSED_TP, KEPT_FP = "missed TP", "kept FP"


def shape_of(record: dict) -> str:
    """The shape of a detection record (see ``SHAPES``); ``in tests/specs/examples`` is appended as a tag."""
    content = str(record["content"])
    parts = _ASSIGNMENT.split(content, maxsplit=1)
    fields = {"content": content, "value": parts[1] if len(parts) == 2 else content,
              "glitch_code": str(record["glitch_code"])}
    shape = next(
        (name for smell, name, field, pattern in SHAPES if smell == record["smell"] and pattern.search(fields[field])),
        "other",
    )
    return f"{shape}, in tests/specs/examples" if IN_TESTS.search(record["file"]) else shape


def error_shapes(records: list[dict], kept: list[int]) -> list[dict]:
    """Rows ``{smell, shape, n, missed_tp, kept_fp}`` for every (smell, shape) with an error, most errors first.

    ``n`` counts every record of that shape (right or wrong), so an error rate can be read off.
    """
    frame = pd.DataFrame(
        {"smell": [r["smell"] for r in records], "shape": [shape_of(r) for r in records],
         "label": [r["label"] for r in records], "kept": list(kept)},
        dtype=object,
    )
    wrong = frame["kept"] != frame["label"]
    frame["missed_tp"] = wrong & (frame["label"] == 1)
    frame["kept_fp"] = wrong & (frame["label"] != 1)
    counts = frame.groupby(["smell", "shape"], sort=False).agg(
        n=("label", "size"), missed_tp=("missed_tp", "sum"), kept_fp=("kept_fp", "sum")
    )
    rows = [
        {"smell": smell, "shape": shape, "n": int(n), "missed_tp": int(missed_tp), "kept_fp": int(kept_fp)}
        for (smell, shape), n, missed_tp, kept_fp in counts.itertuples(name=None)
        if missed_tp or kept_fp
    ]
    return sorted(rows, key=lambda row: (-(row["missed_tp"] + row["kept_fp"]), row["smell"], row["shape"]))
