"""The oracle: labels each detection TP or FP by reading the code around it, as a human reviewer does.

The reviewer mostly reads the five lines either side of the flagged line, and follows a variable to where it
is defined when needed: first in that window, then in the same file, then in the project's variable files
(Ansible defaults/vars/group_vars, Chef attributes, Puppet init.pp/params.pp). The decisions, per smell:

* secret/password: a literal credential is TP, also in tests and examples; a value read from a vault, a
  lookup, hiera, a data bag or the environment, an empty/undef value, a file path, a URL, public key
  material, or a name that only contains a keyword (``key_buffer_size``) is FP. A variable is judged by
  what it resolves to. A placeholder (``changeme``) is TP unless a comment next to it says it is overridden.
* user: a run-as account (``become_user``, the user of an exec) is FP; a login or account is TP only when
  the nearest credential of its block (no blank line between) is a TP secret. A name that only contains a
  keyword inside another word (``keycloak_port``) is read for what it is.
* HTTP: plain-HTTP traffic to another host is TP; loopback hosts, XML namespaces, links in comments or
  metadata, and paths that merely contain ``www`` are FP. A templated host is judged by what it resolves to.
* weak crypto: an algorithm named to exclude it (``!MD5``) is FP; for passwords, TLS, signing or auth it is
  TP; as a checksum/cache key it is FP; otherwise the nearest cue in the window decides (TP without one).
* comment: a keyword only inside another word, or a note tracked in an issue URL, is FP; a TODO/FIXME/HACK/
  XXX/BUG about security or admitting a bug/workaround is TP, a cosmetic one FP; a generic one ("TODO:
  revisit") is TP when the code it annotates is security-relevant.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache

from iacsieve.data.sample.detector import (
    WEAK_CRYPTO,
    Finding,
    bare_value,
    crypto_text,
    is_assigned,
)
from iacsieve.data.sample.syntax import ParsedLine, enclosing_block, parse_file

CONTEXT = 5
TP, FP = "TP", "FP"

EMPTY, LOOKUP, REF, PATH, URL, PUBLIC, PLACEHOLDER, LITERAL, UNRESOLVED = (
    "empty",
    "lookup",
    "ref",
    "path",
    "url",
    "public",
    "placeholder",
    "literal",
    "unresolved",
)

LOOKUP_VALUE = re.compile(
    r"lookup\s*\(|query\s*\(|hiera|data_?bag|chef_?vault|vault|ENV\[|Deferred\(|aws_ssm|getenv|ansible_env",
    re.IGNORECASE,
)
NONCREDENTIAL_NAME = re.compile(
    r"passenger|bypass|compass|passive|passthrough|update_password|pass(?:word)?_(?:min|max|warn|expire|reuse|"
    r"complexity|policy|length|hash)|key_?buffer|keyserver|keyring|keytab|keepalive|(?:primary|sort|foreign|"
    r"partition|cache|shard)_key|api_key_header|validate_certs|useradd|users_group|user_agent|"
    r"(?:^|_)(?:file|path|dir|url|size|type|bits|length|ttl|timeout|server|servers|days|header|shell|home|group|"
    r"groups|uid|gid|comment|mode|agent|algorithm|policy|format|location|dest|src|source|expiry|lifetime|name)$",
    re.IGNORECASE,
)
PLACEHOLDERS = frozenset({"changeme", "change_me", "change-me", "replace_me", "replaceme", "todo", "tbd"})
OVERRIDE_NOTE = re.compile(r"overrid|must be set|placeholder|replace (?:it|this|me)|dummy|not a real", re.IGNORECASE)
RUNAS_NAMES = frozenset({"become_user", "remote_user", "sudo_user", "run_as", "runas", "owner"})
RUNAS_BLOCKS = frozenset({"cron", "command", "shell", "git", "exec", "execute", "bash", "script", "vcsrepo"})

LOOPBACK = re.compile(r"localhost(?:\.localdomain)?|127(?:\.\d+){3}|0\.0\.0\.0|::1|ip6-localhost", re.I)
URL_HOST = re.compile(
    r"http://(\{\{[^}]*\}\}|#\{[^}]*\}|\$\{[^}]*\}|\$[\w:]+|\[[0-9a-fA-F:]+\]|[^/\s'\":,]+)", re.IGNORECASE
)
XML_NAMESPACE = re.compile(
    r"xmlns|w3\.org|/schema|XMLSchema|/xml/ns|maven\.apache\.org/POM|purl\.org|java\.sun\.com", re.IGNORECASE
)
INFO_LINK_NAMES = frozenset(
    {"source_url", "issues_url", "homepage", "documentation_url", "project_page", "license_url", "docs_url", "wiki_url"}
)

CRYPTO_LINE_TP = re.compile(
    r"cipher|ssl|tls|hmac|kex|\bmacs\b|passw|pw_hash|htpasswd|crypt|signature|signing|\bsign\b|\bauth|"
    r"-des3|\bmethod\b|\bhost\s+\S+\s+\S+\s+\S+\s+md5",
    re.IGNORECASE,
)
CRYPTO_LINE_FP = re.compile(
    r"checksum|md5sum|sha1sum|etag|revision|commit|\bgit\b|(?<![a-z])cache|fingerprint|dedup", re.IGNORECASE
)
CRYPTO_CONTEXT_TP = re.compile(
    r"passw|credential|login|\bauth|signature|signing|\bsign\b|hmac|token|cipher|\bssl\b|\btls\b|htpasswd|crypt|"
    r"secret|private|\bcsr\b|cert",
    re.IGNORECASE,
)
CRYPTO_CONTEXT_FP = re.compile(
    r"checksum|(?<![a-z])cache|etag|dedup|integrity|artifact|download|archive|tarball|asset|change detection|unchanged|"
    r"compare|static files|build id",
    re.IGNORECASE,
)

URL_TEXT = re.compile(r"https?://\S+", re.IGNORECASE)
TRACKER_URL = re.compile(
    r"https?://\S*(?:/issues/\d+|/pull/\d+|/\+bug/\d+|bugs\.|/browse/[A-Z]+-\d+|jira)", re.IGNORECASE
)
STRONG_MARKER = re.compile(r"\b(?:todo|fixme|hack|xxx|bug)\b", re.IGNORECASE)
SECURITY_TOPIC = re.compile(
    r"passw|secret|credential|token|vault|\bkeys?\b|cert|\btls\b|\bssl\b|\bhttps?\b|encrypt|cipher|permission|"
    r"chmod|\broot\b|sudo|firewall|selinux|apparmor|\bauth|login|privilege|insecure|verif|sanitiz|escap|inject|"
    r"expos|world-readable|open to",
    re.IGNORECASE,
)
ADMITS_PROBLEM = re.compile(
    r"workaround|work around|broken|breaks|\bbug\b|race|flaky|fails?\b|crash|leak|temporar|disable|skip|"
    r"ignore|\bhack\b|dirty|does not|doesn't|wrong",
    re.IGNORECASE,
)
COSMETIC = re.compile(
    r"alphabetic|\bsort|rename|typo|format|indent|lint|style|readab|wording|translat|cosmetic|\bdocs?\b|"
    r"document|tidy|more packages|nicer|spacing|naming",
    re.IGNORECASE,
)
SECURITY_CODE = re.compile(
    r"passw|secret|token|private|vault|validate_certs|verify|sslverify|insecure|curl\s+-k|no-check-certificate|"
    r"0?777|chmod|NOPASSWD|PermitRootLogin|setenforce|selinux|firewall|iptables|ufw|ssl|tls|cipher|md5|sha1|"
    r"http://|\bauth|sudoers|\bkey\b|0\.0\.0\.0",
    re.IGNORECASE,
)

_JINJA_WHOLE = re.compile(r"^\{\{\s*(.+?)\s*\}\}$")
_JINJA_ANY = re.compile(r"\{\{\s*(.+?)\s*\}\}")
_QUOTED_START = re.compile(r"""^(['"])(.*?)\1""")
_IDENT = re.compile(r"^[A-Za-z_]\w*")
_RUBY_NODE_REF = re.compile(r"^node((?:\[\s*['\"][\w\-.:]+['\"]\s*\])+)")
_RUBY_RUN_STATE_REF = re.compile(r"^node\.run_state\[\s*['\"]([\w\-]+)['\"]\s*\]")
_RUBY_NODE_KEYS = re.compile(r"\[\s*['\"]([\w\-.:]+)['\"]\s*\]")
_RUBY_INTERPOLATION = re.compile(r"#\{([^}]*)\}")
_PUPPET_REF = re.compile(r"^\$\{?((?:::)?\w+(?:::\w+)*)\}?$")
_PUPPET_INTERPOLATION = re.compile(r"\$\{?((?:::)?\w+(?:::\w+)*)\}?")
_RUBY_LITERALS = frozenset({"true", "false", "nil", "self"})


_PASSWORD_TOKEN = re.compile(r"(?:pass|password|passwd|passphrase|pwd|pw)", re.IGNORECASE)
_SECRET_TOKEN = re.compile(r"(?:secret|secrets|token|tokens|key|keys|cert|certs|credential|credentials)", re.I)
_USER_TOKEN = re.compile(r"(?:user|username|login|uname)", re.IGNORECASE)


def is_noncredential(name: str) -> bool:
    """True when a name only contains a credential keyword but names something else (a size, a path...)."""
    return bool(NONCREDENTIAL_NAME.search(name))


def name_meaning(name: str) -> str | None:
    """What a reviewer reads a name as: ``secret`` (a password, key or token), ``user``, or None.

    The name is split into words (``_ - . :``); a keyword must be a word or end one (``apikey``, ``dbpass``),
    so ``keycloak_port`` or ``passenger_pool`` mean nothing of the kind.
    """
    words = [word for word in re.split(r"[_\-.:]+", name.lower()) if word]
    if any(_PASSWORD_TOKEN.fullmatch(w) or _SECRET_TOKEN.fullmatch(w) for w in words) or any(
        w.endswith(("password", "passwd", "pass", "secret", "token", "key")) and w not in ("bypass", "compass")
        for w in words
    ):
        return "secret"
    if any(_USER_TOKEN.fullmatch(w) or w.endswith("user") for w in words):
        return "user"
    return None


def is_loopback(host: str) -> bool:
    """True for loopback/any-address hosts, with or without a port."""
    host = host.strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return bool(LOOPBACK.fullmatch(host))


def literal_kind(text: str) -> str:
    """Classify a literal string value: path, URL, public key material, placeholder, or a real literal."""
    if not text:
        return EMPTY
    if text.startswith(("/", "~/", "./", "puppet:///", "file://", "C:\\", "%{")) or re.search(
        r"\.(?:pem|key|crt|cer|p12|pfx|jks|keytab|pub|asc|gpg|der)$", text
    ):
        return PATH
    if re.match(r"^[a-z][a-z0-9+.\-]*://", text):
        return URL
    if text.startswith(("ssh-rsa ", "ssh-ed25519 ", "ecdsa-sha2", "-----BEGIN CERTIFICATE", "-----BEGIN PUBLIC")) or (
        re.fullmatch(r"0x[0-9A-Fa-f]{8,40}", text)
    ):
        return PUBLIC
    if text.lower() in PLACEHOLDERS or re.fullmatch(r"<[^>]+>|your[_\-].*", text, re.IGNORECASE):
        return PLACEHOLDER
    return LITERAL


def _expression_ref(tech: str, expression: str) -> str | None:
    """Return the variable key an interpolated expression reads, if it reads one."""
    expression = expression.strip()
    if tech == "chef":
        match = _RUBY_RUN_STATE_REF.match(expression)
        if match:
            return "run_state:" + match.group(1)
        match = _RUBY_NODE_REF.match(expression)
        if match:
            return "node:" + ".".join(_RUBY_NODE_KEYS.findall(match.group(1)))
    if tech == "puppet":
        match = _PUPPET_REF.match(expression if expression.startswith("$") else "$" + expression)
        return match.group(1).split("::")[-1] if match else None
    match = _IDENT.match(expression)
    if match and match.group(0) not in _RUBY_LITERALS:
        return match.group(0)
    return None


def _pick_ref(keys: Sequence[str]) -> str:
    """Among several variables a value reads, the one a reviewer follows: the credential-like one."""
    for key in keys:
        if name_meaning(key.rsplit(".", 1)[-1].rsplit(":", 1)[-1]) == "secret":
            return key
    return keys[0]


def value_kind(tech: str, value: str) -> tuple[str, str | None]:
    """Classify an assigned value; for a variable reference also return the key it reads."""
    raw = (
        re.sub(r"\s+do(?:\s*\|[^|]*\|)?$", "", value.strip().rstrip(",").strip())
        if tech == "chef"
        else (value.strip().rstrip(",").strip())
    )
    sensitive = re.fullmatch(r"Sensitive\s*\((.*)\)", raw)
    if sensitive:
        raw = sensitive.group(1).strip()
    if LOOKUP_VALUE.search(raw):
        return LOOKUP, None
    text = bare_value(raw)
    quoted = text != raw
    if not text or (not quoted and text.lower() in ("undef", "nil", "null", "~", "none")):
        return EMPTY, None
    if tech == "ansible":
        whole = _JINJA_WHOLE.match(text)
        if whole:
            literal = _QUOTED_START.match(whole.group(1))
            if literal:
                return literal_kind(literal.group(2)), None
            key = _expression_ref(tech, whole.group(1))
            return (REF, key) if key else (LITERAL, None)
        keys = [key for key in (_expression_ref(tech, e) for e in _JINJA_ANY.findall(text)) if key]
        if keys:
            return REF, _pick_ref(keys)
    elif tech == "chef":
        if not quoted:
            key = _expression_ref(tech, text)
            if key and (key.startswith(("node:", "run_state:")) or re.fullmatch(r"[a-z_]\w*", text)):
                return REF, key
        if raw.startswith('"'):
            keys = [key for key in (_expression_ref(tech, e) for e in _RUBY_INTERPOLATION.findall(text)) if key]
            if keys:
                return REF, _pick_ref(keys)
    else:
        if not quoted:
            match = _PUPPET_REF.match(text)
            if match:
                return REF, match.group(1).split("::")[-1]
        if raw.startswith('"'):
            keys = [match.split("::")[-1] for match in _PUPPET_INTERPOLATION.findall(text)]
            if keys:
                return REF, _pick_ref(keys)
    return literal_kind(text), None


class Oracle:
    """Labels detections over a whole corpus; ``files`` maps ``tech/project/...`` paths to their lines."""

    def __init__(self, files: Mapping[str, Sequence[str]]) -> None:
        self._files = files
        self._parsed: dict[str, list[ParsedLine]] = {}
        self._project_files: dict[str, list[str]] = {}
        for path in sorted(files):
            self._project_files.setdefault(_project_of(path), []).append(path)
        self._project_defs: dict[str, dict[str, tuple[str, int]]] = {}

    def label(self, finding: Finding) -> str:
        """Return ``TP`` or ``FP`` for a detection of one of the four trained smells."""
        rule = {
            "sec_hard_pass": self._credential_label,
            "sec_hard_secr": self._credential_label,
            "sec_hard_user": self._credential_label,
            "sec_susp_comm": self._comment_label,
            "sec_https": self._http_label,
            "sec_weak_crypt": self._crypto_label,
        }[finding.code]
        return TP if rule(finding.path, finding.line - 1) else FP

    # -- reading the corpus -------------------------------------------------------------------------------

    def parsed(self, path: str) -> list[ParsedLine]:
        """Parsed lines of one file (cached)."""
        if path not in self._parsed:
            self._parsed[path] = parse_file(_tech_of(path), self._files[path])
        return self._parsed[path]

    def _definitions(self, project: str) -> dict[str, tuple[str, int]]:
        if project not in self._project_defs:
            table: dict[str, tuple[str, int]] = {}
            for path in self._project_files.get(project, []):
                if not _is_variable_file(path):
                    continue
                for index, line in enumerate(self.parsed(path)):
                    if line.def_key and not line.content:
                        table.setdefault(line.def_key, (path, index))
            self._project_defs[project] = table
        return self._project_defs[project]

    def definition(self, path: str, index: int, key: str) -> tuple[str, int] | None:
        """Where variable ``key`` read at ``path:index`` is defined: window, then file, then project."""
        parsed = self.parsed(path)
        for distance in range(1, len(parsed)):
            for cursor in (index - distance, index + distance):
                if 0 <= cursor < len(parsed) and parsed[cursor].def_key == key and not parsed[cursor].content:
                    return path, cursor
        found = self._definitions(_project_of(path)).get(key)
        if found and found != (path, index):
            return found
        return None

    def resolved_kind(self, path: str, index: int, value: str, depth: int = 0) -> tuple[str, tuple[str, int]]:
        """Classify a value, following variable references to their definitions (at most four hops)."""
        kind, key = value_kind(_tech_of(path), value)
        if kind != REF or key is None:
            return kind, (path, index)
        if re.split(r"[:.]", key)[-1].startswith("vault_"):
            return LOOKUP, (path, index)
        found = self.definition(path, index, key) if depth < 4 else None
        if found is None:
            return UNRESOLVED, (path, index)
        def_path, def_index = found
        return self.resolved_kind(def_path, def_index, self.parsed(def_path)[def_index].value, depth + 1)

    def _window(self, path: str, index: int) -> list[int]:
        """Indexes of the lines within CONTEXT of ``index``, nearest first (above before below)."""
        size = len(self.parsed(path))
        order: list[int] = []
        for distance in range(1, CONTEXT + 1):
            order.extend(cursor for cursor in (index - distance, index + distance) if 0 <= cursor < size)
        return order

    def _paragraph(self, path: str, index: int) -> list[int]:
        """The window lines not separated from ``index`` by a blank line, nearest first."""
        parsed = self.parsed(path)
        low, high = index, index
        while low - 1 >= max(0, index - CONTEXT) and (parsed[low - 1].code or parsed[low - 1].comment is not None):
            low -= 1
        while high + 1 <= min(len(parsed) - 1, index + CONTEXT) and (
            parsed[high + 1].code or parsed[high + 1].comment is not None
        ):
            high += 1
        return [cursor for cursor in self._window(path, index) if low <= cursor <= high]

    # -- secrets ------------------------------------------------------------------------------------------

    def _credential_label(self, path: str, index: int) -> bool:
        """Judge a flagged assignment by what its name means, whatever GLITCH code it got."""
        parsed = self.parsed(path)
        line = parsed[index]
        if line.name == "name" and enclosing_block(_tech_of(path), parsed, index) == "user":
            return self._user_label(path, index)
        meaning = name_meaning(line.name or "")
        if meaning == "secret":
            return self._secret_label(path, index)
        if meaning == "user" and not is_noncredential(line.name or ""):
            return self._user_label(path, index)
        return False

    def _secret_label(self, path: str, index: int) -> bool:
        line = self.parsed(path)[index]
        if not line.name or is_noncredential(line.name) or name_meaning(line.name) != "secret":
            return False
        kind, (def_path, def_index) = self.resolved_kind(path, index, line.value)
        if kind == LITERAL:
            return True
        if kind == PLACEHOLDER:
            return not self._override_note(def_path, def_index)
        return False

    def _override_note(self, path: str, index: int) -> bool:
        """True when the placeholder defined at ``index`` carries a note (on its line, or in the comment
        lines right above it) saying it is overridden."""
        parsed = self.parsed(path)
        notes = [parsed[index].comment or ""]
        for cursor in range(index - 1, max(-1, index - 4), -1):
            if not parsed[cursor].comment_only:
                break
            notes.append(parsed[cursor].comment or "")
        return any(OVERRIDE_NOTE.search(note) for note in notes)

    def _user_label(self, path: str, index: int) -> bool:
        tech = _tech_of(path)
        parsed = self.parsed(path)
        line = parsed[index]
        if self._runs_as(tech, parsed, index):
            return False
        kind, _ = self.resolved_kind(path, index, line.value)
        if kind != LITERAL:
            return False
        for cursor in self._paragraph(path, index):
            other = parsed[cursor]
            if other.name and not other.content and name_meaning(other.name) == "secret" and is_assigned(other.value):
                # The nearest credential of the same block is the one that goes with this login.
                return self._secret_label(path, cursor)
        return False

    @staticmethod
    def _runs_as(tech: str, parsed: Sequence[ParsedLine], index: int) -> bool:
        """True when the flagged user is the account a command runs as, not a login."""
        line = parsed[index]
        name = (line.name or "").lower()
        if name in RUNAS_NAMES:
            return True
        if tech == "chef" and name == "user" and not re.search(r"\sdo(?:\s*\|[^|]*\|)?$", line.code):
            return True
        return enclosing_block(tech, parsed, index) in RUNAS_BLOCKS

    # -- HTTP -------------------------------------------------------------------------------------------

    def _http_label(self, path: str, index: int) -> bool:
        line = self.parsed(path)[index]
        match = URL_HOST.search(line.code)
        if not match:
            return False
        if (line.name or "").lower() in INFO_LINK_NAMES or XML_NAMESPACE.search(line.code):
            return False
        host = self._resolve_host(path, index, match.group(1), 0)
        return host is None or not is_loopback(host)

    def _resolve_host(self, path: str, index: int, host: str, depth: int) -> str | None:
        """The literal host a URL's host part names, following a variable; None when it cannot be found."""
        tech = _tech_of(path)
        expression = None
        if host.startswith("{{"):
            expression = host[2:-2]
        elif host.startswith(("#{", "${")):
            expression = host[2:-1]
        elif host.startswith("$"):
            expression = host[1:]
        if expression is None:
            return host
        key = _expression_ref(tech, expression)
        found = self.definition(path, index, key) if key and depth < 4 else None
        if found is None:
            return None
        def_path, def_index = found
        text = bare_value(self.parsed(def_path)[def_index].value)
        nested = URL_HOST.search(text)
        if nested:
            return self._resolve_host(def_path, def_index, nested.group(1), depth + 1)
        if text.startswith(("{{", "#{", "${", "$")):
            return self._resolve_host(def_path, def_index, text, depth + 1)
        return re.split(r"[/\s]", text, maxsplit=1)[0]

    # -- weak crypto ------------------------------------------------------------------------------------

    def _crypto_label(self, path: str, index: int) -> bool:
        parsed = self.parsed(path)
        line = parsed[index]
        text = crypto_text(line)
        matches = list(WEAK_CRYPTO.finditer(text))
        if matches and all(match.start() > 0 and text[match.start() - 1] == "!" for match in matches):
            return False
        if CRYPTO_LINE_TP.search(line.code):
            return True
        if CRYPTO_LINE_FP.search(line.code):
            return False
        lines = self._files[path]
        for cursor in self._window(path, index):
            if CRYPTO_CONTEXT_TP.search(lines[cursor]):
                return True
            if CRYPTO_CONTEXT_FP.search(lines[cursor]):
                return False
        return True

    # -- comments ---------------------------------------------------------------------------------------

    def _comment_label(self, path: str, index: int) -> bool:
        parsed = self.parsed(path)
        comment = parsed[index].comment or ""
        if TRACKER_URL.search(comment):
            return False
        text = URL_TEXT.sub(" ", comment)
        if not STRONG_MARKER.search(text):
            return False
        if SECURITY_TOPIC.search(text) or ADMITS_PROBLEM.search(text):
            return True
        if COSMETIC.search(text):
            return False
        return bool(SECURITY_CODE.search(" ".join(self._annotated_code(parsed, index))))

    @staticmethod
    def _annotated_code(parsed: Sequence[ParsedLine], index: int) -> list[str]:
        """The code a comment is about: its own line's code, else the code lines right below it, up to six,
        up to the next blank line and not past the end of the enclosing block."""
        if parsed[index].code:
            return [parsed[index].code]
        code: list[str] = []
        indent = parsed[index].indent
        for line in parsed[index + 1 : index + 9]:
            if (not line.code and line.comment is None) or line.code.startswith((")", "}", "end")):
                break
            if line.code and line.indent < indent:
                break
            if line.code:
                code.append(line.code)
            if len(code) == 6:
                break
        return code


def _tech_of(path: str) -> str:
    return path.split("/", 1)[0]


def _project_of(path: str) -> str:
    return "/".join(path.split("/")[:2])


@cache
def _is_variable_file(path: str) -> bool:
    """Files whose assignments a reviewer consults to resolve a variable used elsewhere in the project."""
    parts = path.split("/")
    tech = parts[0]
    if tech == "ansible":
        return any(part in ("defaults", "vars", "group_vars", "host_vars") for part in parts[2:-1])
    if tech == "chef":
        return "attributes" in parts[2:-1]
    return parts[-2:] in (["manifests", "init.pp"], ["manifests", "params.pp"])
