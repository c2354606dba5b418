"""GLITCH-like security rules: keyword and pattern matches over each line of a script.

They reproduce how GLITCH flags code, false positives included: a name that merely contains ``key`` or
``pass``, a suspicious word inside another word (``debug``, ``prefix``), ``md5`` wherever it appears in a
value, any ``http://``. The oracle (``oracle.py``) later decides which detections are real.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from iacsieve.data.sample.syntax import ParsedLine, enclosing_block, parse_file

TRAINED_CODES: tuple[str, ...] = (
    "sec_hard_secr",
    "sec_hard_pass",
    "sec_hard_user",
    "sec_susp_comm",
    "sec_weak_crypt",
    "sec_https",
)

SUSPICIOUS_WORDS: tuple[str, ...] = ("todo", "fixme", "hack", "xxx", "bug", "fix", "later", "solve", "ticket")
PASSWORD_WORDS: tuple[str, ...] = ("pass", "pwd")
SECRET_WORDS: tuple[str, ...] = ("secret", "token", "key", "cert", "credential")
USER_WORDS: tuple[str, ...] = ("user", "login", "uname")

WEAK_CRYPTO = re.compile(r"md5|sha1|rc4|arcfour|(?<![a-z])3?des(?=3|-|_|\b)", re.IGNORECASE)
HTTP_URL = re.compile(r"http://", re.IGNORECASE)
WWW_PATH = re.compile(r"/www(?:/|$|['\"])")
ADMIN_NAMES = frozenset({"admin", "root", "administrator", "sa"})
BOOLEANS = frozenset({"true", "false", "yes", "no", "on", "off", ":true", ":false"})
DOWNLOAD = re.compile(r"https?://\S+\.(?:tar\.gz|tgz|zip|deb|rpm|sh|jar|bin|war)\b", re.IGNORECASE)
CHMOD_777 = re.compile(r"chmod\s+(?:-R\s+)?0?777\b")


@dataclass(frozen=True, order=True)
class Finding:
    """One detection: 1-based ``line`` of ``path`` flagged with GLITCH ``code``."""

    path: str
    line: int
    code: str


def credential_code(name: str) -> str | None:
    """Return the secret code GLITCH gives an assignment to ``name`` (password before secret before user)."""
    lowered = name.lower()
    if any(word in lowered for word in PASSWORD_WORDS):
        return "sec_hard_pass"
    if any(word in lowered for word in SECRET_WORDS):
        return "sec_hard_secr"
    if any(word in lowered for word in USER_WORDS):
        return "sec_hard_user"
    return None


def bare_value(value: str) -> str:
    """Strip a trailing comma and one pair of enclosing quotes from a value."""
    text = value.strip().rstrip(",").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def is_assigned(value: str) -> bool:
    """True when ``value`` is something GLITCH treats as an assigned string (not empty, a number, a block)."""
    text = value.strip().rstrip(",").strip()
    if not text or text in ("''", '""'):
        return False
    if text.startswith(("[", "{", "%w", "|", ">", "(")) or text == "do":
        return False
    if re.fullmatch(r"-?\d+(?:\.\d+)?", text) or text.lower() in BOOLEANS:
        return False
    return True


def is_empty_string(value: str) -> bool:
    """True for an explicitly empty string value."""
    return value.strip().rstrip(",").strip() in ("''", '""')


def suspicious_comment(comment: str) -> bool:
    """True when a comment contains one of GLITCH's suspicious words, even inside another word."""
    lowered = comment.lower()
    return any(word in lowered for word in SUSPICIOUS_WORDS)


def crypto_text(line: ParsedLine) -> str:
    """The text GLITCH searches for weak algorithms: the assigned value, or the whole code."""
    return line.value if line.name else line.code


def detect_file(tech: str, path: str, lines: Sequence[str]) -> list[Finding]:
    """Run every rule over one file; return its findings sorted by line, at most one per (line, code)."""
    parsed = parse_file(tech, lines)
    found: set[Finding] = set()
    for index in range(len(parsed)):
        for code in _line_codes(tech, parsed, index):
            found.add(Finding(path, index + 1, code))
    for index in _missing_integrity_checks(parsed):
        found.add(Finding(path, index + 1, "sec_no_int_check"))
    return sorted(found)


def _line_codes(tech: str, parsed: Sequence[ParsedLine], index: int) -> list[str]:
    line = parsed[index]
    codes: list[str] = []
    if line.comment is not None and suspicious_comment(line.comment):
        codes.append("sec_susp_comm")
    if line.comment is not None and HTTP_URL.search(line.comment):
        codes.append("sec_https")
    if not line.code:
        return codes
    codes.extend(_assignment_codes(tech, parsed, index))
    text = crypto_text(line)
    if WEAK_CRYPTO.search(text):
        codes.append("sec_weak_crypt")
    if HTTP_URL.search(line.code) or (line.name and WWW_PATH.search(line.value)):
        codes.append("sec_https")
    if "0.0.0.0" in text:
        codes.append("sec_invalid_bind")
    if full_permission(line):
        codes.append("sec_full_permission_filesystem")
    return list(dict.fromkeys(codes))


def full_permission(line: ParsedLine) -> bool:
    """True for a ``mode`` of 777 or a ``chmod 777``."""
    if line.name == "mode":
        return re.fullmatch(r"0?777", bare_value(line.value)) is not None
    return CHMOD_777.search(line.code) is not None


def _assignment_codes(tech: str, parsed: Sequence[ParsedLine], index: int) -> list[str]:
    line = parsed[index]
    if line.content or not line.name:
        return []
    code = credential_code(line.name)
    if tech == "ansible" and line.name == "name" and enclosing_block(tech, parsed, index) == "user":
        code = "sec_hard_user"
    if code is None:
        return []
    if is_empty_string(line.value):
        return ["sec_empty_pass"] if code == "sec_hard_pass" else []
    if not is_assigned(line.value):
        return []
    codes = [code]
    if code == "sec_hard_user" and bare_value(line.value).lower() in ADMIN_NAMES:
        codes.append("sec_def_admin")
    return codes


def _missing_integrity_checks(parsed: Sequence[ParsedLine]) -> list[int]:
    """Lines that download an archive or package with no checksum within five lines."""
    flagged: list[int] = []
    for index, line in enumerate(parsed):
        if not line.code or not DOWNLOAD.search(line.code):
            continue
        window = parsed[max(0, index - 5) : index + 6]
        if not any("checksum" in other.code.lower() for other in window):
            flagged.append(index)
    return flagged
