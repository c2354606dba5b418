"""Line-level reading of Ansible YAML, Chef Ruby and Puppet code, shared by the detector and the oracle.

GLITCH parses each language properly; its security rules, and a human reading a detection, only need what a
line says: its comment, the name it assigns (a key, an attribute, a variable or a class parameter), the
value, and the block it sits in. This module extracts exactly that, per line, for the code this package
generates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

BLOCK_SCALARS = frozenset({"|", ">", "|-", ">-", "|+", ">+"})


@dataclass(frozen=True)
class ParsedLine:
    """What one source line says.

    ``code`` is the line without its comment, stripped; ``comment`` the text after ``#`` (``None`` when the
    line has no comment); ``name``/``value`` the assignment the line makes (``value`` is the whole code when
    there is no name); ``def_key`` the variable key the line defines, used to resolve references; ``content``
    is true for lines inside a YAML block scalar or a Ruby heredoc, which are string data, not code.
    """

    indent: int
    code: str
    comment: str | None
    name: str | None
    value: str
    def_key: str | None = None
    content: bool = False

    @property
    def comment_only(self) -> bool:
        """True when the line is nothing but a comment."""
        return self.comment is not None and not self.code


def split_comment(line: str) -> tuple[str, str | None]:
    """Split ``line`` at the first ``#`` that starts a comment (outside quotes, at a word start)."""
    quote: str | None = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index], line[index + 1 :]
        index += 1
    return line, None


_YAML_KEY = re.compile(r"^(?:-\s+)*([A-Za-z_][\w.\-]*)\s*:(?:\s+(.*))?$")

_CHEF_NODE_ASSIGN = re.compile(
    r"^(?:node\.)?(?:default|override|normal|force_default|force_override)"
    r"((?:\[\s*['\"][\w\-.:]+['\"]\s*\])+)\s*(?:\|\|)?=\s*(.+)$"
)
_CHEF_RUN_STATE = re.compile(r"^node\.run_state\[\s*['\"]([\w\-]+)['\"]\s*\]\s*(?:\|\|)?=\s*(.+)$")
_CHEF_LOCAL = re.compile(r"^([a-z_]\w*)\s*(?:\|\|)?=(?![=~>])\s*(.+)$")
_CHEF_PAIR = re.compile(r"^(?::?([A-Za-z_]\w*)|['\"]([\w\-.]+)['\"])\s*(?:=>|:)\s+(.+?),?$")
_CHEF_CALL = re.compile(r"^([a-z_]\w*[!?]?)\s+(.+)$")
_CHEF_BLOCK_TAIL = re.compile(r"\s+do(?:\s*\|[^|]*\|)?$")
_NODE_KEYS = re.compile(r"\[\s*['\"]([\w\-.:]+)['\"]\s*\]")
_RUBY_KEYWORDS = frozenset(
    {
        "if",
        "unless",
        "elsif",
        "else",
        "end",
        "case",
        "when",
        "while",
        "until",
        "return",
        "begin",
        "rescue",
        "ensure",
        "do",
        "require",
        "include",
        "extend",
        "def",
        "class",
        "module",
        "then",
        "and",
        "or",
        "not",
        "yield",
    }
)

_PP_VAR = re.compile(r"^(?:[A-Z][\w:]*(?:\[.*\])?\s+)?\$((?:::)?\w+(?:::\w+)*)\s*=\s*(.+?)\s*,?$")
_PP_ATTR = re.compile(r"^['\"]?([\w:.\-]+)['\"]?\s*=>\s*(.+?)\s*,?$")
_PP_RESOURCE = re.compile(r"^([a-z][\w:]*)\s*\{\s*(.+?)\s*:\s*$")


def parse_line(tech: str, line: str) -> ParsedLine:
    """Parse one line of ``tech`` code into its comment, name and value (no multi-line state)."""
    indent = len(line) - len(line.lstrip(" "))
    code, comment = split_comment(line)
    code = code.strip()
    comment = comment.strip() if comment is not None else None
    if not code:
        return ParsedLine(indent, "", comment, None, "")
    if tech == "ansible":
        return _parse_yaml(indent, code, comment)
    if tech == "chef":
        return _parse_ruby(indent, code, comment)
    return _parse_puppet(indent, code, comment)


def _parse_yaml(indent: int, code: str, comment: str | None) -> ParsedLine:
    match = _YAML_KEY.match(code)
    if not match:
        value = re.sub(r"^(?:-\s+)+", "", code) if code.startswith("- ") else code
        return ParsedLine(indent, code, comment, None, value)
    name, value = match.group(1), (match.group(2) or "").strip()
    return ParsedLine(indent, code, comment, name, value, def_key=name if value else None)


def _parse_ruby(indent: int, code: str, comment: str | None) -> ParsedLine:
    match = _CHEF_NODE_ASSIGN.match(code)
    if match:
        keys = _NODE_KEYS.findall(match.group(1))
        return ParsedLine(indent, code, comment, "_".join(keys), match.group(2).strip(), "node:" + ".".join(keys))
    match = _CHEF_RUN_STATE.match(code)
    if match:
        return ParsedLine(indent, code, comment, match.group(1), match.group(2).strip(), "run_state:" + match.group(1))
    match = _CHEF_LOCAL.match(code)
    if match and match.group(1) not in _RUBY_KEYWORDS:
        return ParsedLine(indent, code, comment, match.group(1), match.group(2).strip(), match.group(1))
    match = _CHEF_PAIR.match(code)
    if match:
        return ParsedLine(indent, code, comment, match.group(1) or match.group(2), match.group(3).strip())
    match = _CHEF_CALL.match(code)
    if match and match.group(1) not in _RUBY_KEYWORDS:
        value = _CHEF_BLOCK_TAIL.sub("", match.group(2)).strip()
        return ParsedLine(indent, code, comment, match.group(1), value)
    return ParsedLine(indent, code, comment, None, code)


def _parse_puppet(indent: int, code: str, comment: str | None) -> ParsedLine:
    match = _PP_VAR.match(code)
    if match:
        name = match.group(1).split("::")[-1]
        return ParsedLine(indent, code, comment, name, match.group(2).strip(), name)
    match = _PP_ATTR.match(code)
    if match:
        return ParsedLine(indent, code, comment, match.group(1), match.group(2).strip())
    match = _PP_RESOURCE.match(code)
    if match:
        return ParsedLine(indent, code, comment, match.group(1), match.group(2).strip())
    return ParsedLine(indent, code, comment, None, code)


def parse_file(tech: str, lines: Sequence[str]) -> list[ParsedLine]:
    """Parse every line of a file, treating YAML block scalars and Ruby heredocs as string content."""
    parsed: list[ParsedLine] = []
    block_key_column: int | None = None
    heredoc_end: str | None = None
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        stripped = line.strip()
        if block_key_column is not None:
            if not stripped or indent > block_key_column:
                parsed.append(ParsedLine(indent, stripped, None, None, stripped, content=True))
                continue
            block_key_column = None
        if heredoc_end is not None:
            parsed.append(ParsedLine(indent, stripped, None, None, stripped, content=True))
            if stripped == heredoc_end:
                heredoc_end = None
            continue
        item = parse_line(tech, line)
        parsed.append(item)
        if tech == "ansible" and item.value in BLOCK_SCALARS:
            block_key_column = indent + len(item.code) - len(item.code.lstrip("- "))
        elif tech == "chef":
            heredoc = re.search(r"<<[-~]([A-Z_]+)", item.code)
            if heredoc:
                heredoc_end = heredoc.group(1)
    return parsed


_CHEF_OPENER = re.compile(r"^([a-z_]\w*)\b.*\sdo(?:\s*\|[^|]*\|)?$")
_PP_OPENER = re.compile(r"^([a-z][\w:]*)\s*\{")


def enclosing_block(tech: str, parsed: Sequence[ParsedLine], index: int) -> str | None:
    """Return the name of the block that line ``index`` sits in: the YAML key, Chef resource or Puppet type.

    Returns None at top level or inside a block of another shape (a task list item, a class body).
    """
    indent = parsed[index].indent
    for cursor in range(index - 1, -1, -1):
        line = parsed[cursor]
        if not line.code or line.content or line.indent >= indent:
            continue
        if tech == "ansible":
            if line.name and not line.value:
                return line.name
            return None
        if tech == "chef":
            match = _CHEF_OPENER.match(line.code)
            return match.group(1) if match else None
        match = _PP_OPENER.match(line.code)
        return match.group(1) if match else None
    return None
