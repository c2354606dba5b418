"""GLITCH 2.0's security rules for the four trained smells, applied line by line to the generated scripts.

Written from the rules' documented behaviour (keyword lists of its default configuration, word boundaries,
literal-value checks, localhost whitelist), not from its code. The generator marks every line it means
GLITCH to flag; ``flags`` must agree with the marks on every line of every file, so the sample never holds
a detection GLITCH would not report, nor misses one it would.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SUSPICIOUS_WORDS = ("bug", "debug", "todo", "to-do", "to_do", "to be implemented", "fix", "issue", "problem",
                    "solve", "hack", "ticket", "later", "incorrect", "fixme")
WEAK_CRYPTO = ("md5", "sha1", "arcfour")
WHITELISTED_HOSTS = ("localhost", "127.0.0.1")
_WORDS = r"[_a-z0-9$/.\[\]-]*(?:{})\b"
PASSWORD_NAME = re.compile(_WORDS.format("pass|pwd|password|passwd|passno|pass-no|pass_no"))
USER_NAME = re.compile(_WORDS.format(
    "root|user|uname|username|user-name|user_name|owner-name|owner_name|admin|login|userid|loginid"))
SECRET_NAME = re.compile(_WORDS.format(
    "auth_token|authetication_token|auth-token|authentication-token|secret|uuid|crypt|certificate|token|ssh_key"
    "|md5|rsa|ssl_content|ca_content|ssl-content|ca-content|ssh_key_content|ssh-key-content|ssh_key_public"
    "|ssh-key-public|ssh_key_private|ssh-key-private"))
MISC_SECRET_NAME = re.compile(r"([_A-Za-z0-9$-]*[-_](key|cert)([-_].*)?$)|(^(key|cert)([-_].*)?$)")
URL = re.compile(r"^(http://www\.|https://www\.|http://|https://)?(?:[a-z0-9]+([_\-.][a-z0-9]+)*\.[a-z]{2,}"
                 r"|(?:[0-9]{1,3}\.){3}[0-9]{1,3})(:[0-9]{1,5})?(/.*)?$")
TEMPLATE = re.compile(r"\{\{.*\}\}|\$\{.*\}|\$[a-zA-Z_][a-zA-Z0-9_]*")

# One parsed line: a comment, or a name bound to a value (YAML key, Ruby attribute or argument, Puppet
# variable or attribute), or neither.
_YAML_PAIR = re.compile(r"^\s*(?:-\s+)*([\w.$/\[\]-]+|\"[^\"]+\"|'[^']+'):(?:\s+(.*)|\s*)$")
_RUBY_ATTR = re.compile(r"^\s*((?:node\.)?(?:default|override|normal|node)(?:\[[^\]]+\])+)\s*=\s*(.+?)\s*$")
_RUBY_LOCAL = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s*=\s*(.+?)\s*$")
_RUBY_CALL = re.compile(r"^\s*([a-z_][a-z0-9_]*)\s+(['\"].*['\"]|nil)\s*$")
_RUBY_PAIR = re.compile(r"^\s*(?:['\"]([\w.-]+)['\"]\s*=>|([a-z_][\w]*):)\s*(.+?),?\s*$")
_PUPPET_VAR = re.compile(r"^\s*(?:[A-Z][\w:]*(?:\[[^=]*\])?\s+)?\$([a-z_][\w:]*)\s*=\s*(.+?),?\s*$")
_PUPPET_ATTR = re.compile(r"^\s*(?:['\"]([\w. -]+)['\"]|([a-z_]\w*))\s*=>\s*(.+?),?\s*$")


@dataclass(frozen=True)
class Value:
    """A bound value: its text without quotes, and its kind (string, array, null, other)."""

    text: str
    kind: str
    has_var: bool


def comment_of(tech: str, line: str) -> str | None:
    """The comment text of a whole-line comment, else None."""
    stripped = line.strip()
    return stripped[1:] if stripped.startswith("#") else None


def _value(tech: str, raw: str, following: Sequence[str] = ()) -> Value | None:
    text = raw.strip()
    if tech == "ansible":
        if text == "" or text in ("~", "null"):
            children = [line for line in following if line.strip() and not line.strip().startswith("#")]
            if children and not children[0].lstrip().startswith("- "):
                return None
            items = _yaml_items(following)
            return Value(" ".join(items), "array", any("{{" in i for i in items)) if items else Value("", "null", False)
        if text.startswith(("|", ">", "{", "&", "*", "!")):
            return None
        if text.startswith("["):
            return Value(text.strip("[]"), "array", "{{" in text)
        quoted = text[0] in "'\"" and text[-1] == text[0] and len(text) >= 2
        if not quoted and (re.fullmatch(r"-?\d+(\.\d+)?", text) or text.lower() in
                           ("yes", "no", "true", "false", "on", "off")):
            return None
        body = text[1:-1] if quoted else text
        return Value(body, "string", "{{" in body)
    if tech == "chef":
        if text == "nil":
            return Value("", "null", False)
        if text.startswith("%w[") or text.startswith("["):
            body = text.strip("%w[]")
            return Value(body, "array", "node[" in body or "#{" in body)
        if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
            body = text[1:-1]
            if text[0] == '"' and "#{" in body:
                return Value(body, "sum", True)
            return Value(body, "string", False)
        return Value(text, "other", True)
    # puppet
    if text == "undef":
        return Value("", "null", False)
    if text.startswith("["):
        return Value(text.strip("[]"), "array", "$" in text)
    if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
        body = text[1:-1]
        return Value(body, "string", text[0] == '"' and "$" in body)
    return Value(text, "other", True)


def _yaml_items(following: Sequence[str]) -> list[str]:
    """Scalar items of a YAML block list that follows a bare ``key:`` line."""
    items = []
    for line in following:
        if not line.strip() or line.strip().startswith("#"):
            continue
        match = re.match(r"^\s*-\s+(.*)$", line)
        if not match or ":" in match.group(1).split("//")[0]:
            break
        items.append(match.group(1).strip().strip("'\""))
    return items


def binding(tech: str, lines: Sequence[str], index: int) -> tuple[str, Value] | None:
    """(name, value) bound on ``lines[index]``, or None."""
    line = lines[index]
    if comment_of(tech, line) is not None:
        return None
    if tech == "ansible":
        match = _YAML_PAIR.match(line)
        if not match:
            return None
        name = match.group(1).strip("'\"")
        raw = match.group(2) or ""
        indent = len(line) - len(line.lstrip())
        following = []
        if not raw:
            for other in lines[index + 1:]:
                if other.strip() and len(other) - len(other.lstrip()) < indent:
                    break
                following.append(other)
        value = _value(tech, raw, following)
        return (name, value) if value else None
    if tech == "chef":
        for pattern in (_RUBY_ATTR, _RUBY_LOCAL):
            match = pattern.match(line)
            if match:
                value = _value(tech, match.group(2))
                return (match.group(1), value) if value else None
        match = _RUBY_PAIR.match(line)
        if match:
            value = _value(tech, match.group(3))
            return ((match.group(1) or match.group(2)), value) if value else None
        match = _RUBY_CALL.match(line)
        if match:
            value = _value(tech, match.group(2))
            return (match.group(1), value) if value else None
        return None
    for pattern in (_PUPPET_VAR, _PUPPET_ATTR):
        match = pattern.match(line)
        if match:
            groups = [g for g in match.groups() if g is not None]
            value = _value(tech, groups[-1])
            return (groups[0], value) if value else None
    return None


def _flat(name: str) -> str:
    flat = name
    for old in ("['", "']", '["', '"]', "[", "]"):
        flat = flat.replace(old, ".")
    return re.sub(r"\.+", ".", flat).strip(".").replace(":", "")


def _http(value: Value) -> bool:
    text = value.text
    low = text.lower()
    if value.kind not in ("string", "sum") or "https://" in text:
        return False
    if value.kind == "string" and TEMPLATE.search(text):
        if "http://" not in low and "www" not in low:
            return False
    elif not (URL.match(low) and ("http://" in low or "www" in low)):
        return False
    rest = low.split("://", 1)[1] if "://" in low else low.lstrip("/")
    return rest.split("/")[0].split(":")[0] not in WHITELISTED_HOSTS


def flags(tech: str, lines: Sequence[str], index: int) -> set[str]:
    """The trained-smell GLITCH codes of ``lines[index]`` (0-based)."""
    codes: set[str] = set()
    comment = comment_of(tech, lines[index])
    if comment is not None:
        if any(word in comment.lower() for word in SUSPICIOUS_WORDS):
            codes.add("sec_susp_comm")
        return codes
    bound = binding(tech, lines, index)
    if bound is None:
        return codes
    name, value = bound
    low = name.lower()
    literal = not value.has_var and value.kind in ("string", "array")
    if PASSWORD_NAME.search(low) and literal and value.text != "":
        codes.add("sec_hard_pass")
    if literal and (SECRET_NAME.search(low) or (MISC_SECRET_NAME.search(_flat(name)) and value.text != "")):
        codes.add("sec_hard_secr")
    if USER_NAME.search(low) and not value.has_var and value.kind in ("string", "array", "null"):
        codes.add("sec_hard_user")
    low_value = value.text.lower()
    if any(a in low_value for a in WEAK_CRYPTO) and "checksum" not in low_value and "checksum" not in low:
        codes.add("sec_weak_crypt")
    if _http(value):
        codes.add("sec_https")
    return codes


def other_flags(tech: str, lines: Sequence[str], index: int) -> set[str]:
    """A few GLITCH codes outside the trained four, for the CSV's other rows."""
    bound = binding(tech, lines, index)
    if bound is None:
        return set()
    name, value = bound
    codes = set()
    if PASSWORD_NAME.search(name.lower()) and value.kind == "string" and value.text == "":
        codes.add("sec_empty_pass")
    if USER_NAME.search(name.lower()) and value.text.lower() in ("admin", "root") and not value.has_var:
        codes.add("sec_def_admin")
    if "0.0.0.0" in value.text:
        codes.add("sec_invalid_bind")
    if name.lower() == "mode" and value.text in ("0777", "777"):
        codes.add("sec_full_permission_filesystem")
    return codes
