"""GLITCH smell codes, the four smells iacsieve is trained on, and technologies."""

from __future__ import annotations

from pathlib import PurePosixPath

HARD_CODED_SECRET = "Hard-coded secret"
SUSPICIOUS_COMMENT = "Suspicious comment"
WEAK_CRYPTO = "Use of weak cryptography algorithms"
HTTP_WITHOUT_TLS = "Use of HTTP without SSL/TLS"

TRAINED_SMELLS: tuple[str, ...] = (HARD_CODED_SECRET, SUSPICIOUS_COMMENT, WEAK_CRYPTO, HTTP_WITHOUT_TLS)

#: GLITCH code -> (GLITCH's own name, description GLITCH prints, trained smell or None)
GLITCH_CODES: dict[str, tuple[str, str, str | None]] = {
    "sec_hard_secr": (
        "Hard-coded secret",
        "Developers should not reveal sensitive information in the source code. (CWE-798)",
        HARD_CODED_SECRET,
    ),
    "sec_hard_pass": (
        "Hard-coded password",
        "Developers should not reveal sensitive information in the source code. (CWE-259)",
        HARD_CODED_SECRET,
    ),
    "sec_hard_user": (
        "Hard-coded user",
        "Developers should not reveal sensitive information in the source code. (CWE-798)",
        HARD_CODED_SECRET,
    ),
    "sec_susp_comm": (
        "Suspicious comment",
        "Comments with keywords such as TODO HACK or FIXME may reveal problems possibly exploitable. (CWE-546)",
        SUSPICIOUS_COMMENT,
    ),
    "sec_weak_crypt": (
        "Weak Crypto Algorithm",
        "Weak crypto algorithms should be avoided since they are susceptible to security issues. (CWE-326 | CWE-327)",
        WEAK_CRYPTO,
    ),
    "sec_https": (
        "Use of HTTP without TLS",
        "Applications should use secure protocols. (CWE-319)",
        HTTP_WITHOUT_TLS,
    ),
    "sec_empty_pass": ("Empty password", "An empty password is indicative of a weak password. (CWE-258)", None),
    "sec_def_admin": ("Admin by default", "Developers should always try to give the least privileges possible. (CWE-250)", None),
    "sec_invalid_bind": (
        "Invalid IP address binding",
        "Binding to the address 0.0.0.0 allows connections from every possible network. (CWE-284)",
        None,
    ),
    "sec_no_int_check": (
        "No integrity check",
        "The content of files downloaded from the internet should be checked. (CWE-353)",
        None,
    ),
    "sec_no_default_switch": (
        "Missing default case statement",
        "When a default case is missing in a switch statement, an attacker may exploit unhandled values. (CWE-478)",
        None,
    ),
    "sec_full_permission_filesystem": (
        "Full permission to the filesystem",
        "Files should not have full permissions to every user. (CWE-732)",
        None,
    ),
    "sec_obsolete_command": (
        "Use of obsolete command or function",
        "Avoid using obsolete or deprecated commands and functions. (CWE-477)",
        None,
    ),
}

#: The GLITCH code recorded for a detection known only by its trained smell (the reference JSONL's).
CANONICAL_CODE: dict[str, str] = {
    HARD_CODED_SECRET: "sec_hard_secr",
    SUSPICIOUS_COMMENT: "sec_susp_comm",
    WEAK_CRYPTO: "sec_weak_crypt",
    HTTP_WITHOUT_TLS: "sec_https",
}

TECHS: tuple[str, ...] = ("ansible", "chef", "puppet")
TECH_BY_SUFFIX: dict[str, str] = {".yml": "ansible", ".yaml": "ansible", ".rb": "chef", ".pp": "puppet"}


def trained_smell(code: str) -> str | None:
    """Return the trained smell a GLITCH code maps to, or None for codes outside the four."""
    entry = GLITCH_CODES.get(code)
    return entry[2] if entry else None


def glitch_description(code: str) -> str:
    """Return the DESCRIPTION field GLITCH writes for a code (`-` for unknown codes)."""
    entry = GLITCH_CODES.get(code)
    return f"{entry[0]} - {entry[1]}" if entry else "-"


def tech_from_path(path: str) -> str | None:
    """Return the technology implied by a script's suffix, or None if the suffix is not an IaC one."""
    return TECH_BY_SUFFIX.get(PurePosixPath(path).suffix.lower())
