"""Building blocks of generated files: line documents with expected labels, and length-exact assembly."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from random import Random

SECRET, COMMENT, HTTP, CRYPTO = "secret", "comment", "http", "crypto"
SMELL_GROUPS: tuple[str, ...] = (SECRET, COMMENT, HTTP, CRYPTO)
GROUP_OF_CODE: dict[str, str] = {
    "sec_hard_secr": SECRET,
    "sec_hard_pass": SECRET,
    "sec_hard_user": SECRET,
    "sec_susp_comm": COMMENT,
    "sec_https": HTTP,
    "sec_weak_crypt": CRYPTO,
}

Expect = tuple[str, str]


def label_of(flag: bool) -> str:
    """``TP`` for True, ``FP`` for False."""
    return "TP" if flag else "FP"


def intent(smell: str, flag: bool) -> Expect:
    """The label the generator means a detection of smell group ``smell`` to get."""
    return smell, label_of(flag)


@dataclass
class Doc:
    """Lines of code plus the label the generator intends for some of them (0-based line -> (group, label)).

    The intended labels are only a cross-check of the oracle; the corpus labels come from the oracle.
    """

    lines: list[str] = field(default_factory=list)
    expect: dict[int, Expect] = field(default_factory=dict)

    def add(self, line: str = "", expect: Expect | None = None) -> Doc:
        """Append one line, optionally with the label intended for the detection on it."""
        if expect is not None:
            self.expect[len(self.lines)] = expect
        self.lines.append(line)
        return self

    def add_lines(self, lines: list[str]) -> Doc:
        """Append plain lines."""
        self.lines.extend(lines)
        return self

    def extend(self, other: Doc, indent: int = 0) -> Doc:
        """Append another document, indenting its non-blank lines by ``indent`` spaces."""
        offset = len(self.lines)
        pad = " " * indent
        self.lines.extend(pad + line if line else line for line in other.lines)
        for index, expect in other.expect.items():
            self.expect[offset + index] = expect
        return self

    def __len__(self) -> int:
        return len(self.lines)


@dataclass
class SourceFile:
    """A generated script: its path (``tech/project/...``), lines and intended labels."""

    path: str
    lines: list[str]
    expect: dict[int, Expect]

    @property
    def text(self) -> str:
        """File content with ``\\n`` line ends and a final newline."""
        return "\n".join(self.lines) + "\n"


def fill_blocks(budget: int, draw: Callable[[int], Doc | None], attempts: int = 20) -> list[Doc]:
    """Draw blocks (each followed by a blank line) while they fit in ``budget`` lines.

    ``draw(remaining)`` proposes a block or None; a block that does not fit is dropped, and drawing stops
    after ``attempts`` proposals in a row that did not fit.
    """
    blocks: list[Doc] = []
    used = 0
    misses = 0
    while misses < attempts and budget - used > 1:
        block = draw(budget - used)
        if block is None or used + len(block) + 1 > budget:
            misses += 1
            continue
        misses = 0
        blocks.append(block)
        used += len(block) + 1
    return blocks


def assemble(
    rng: Random,
    header: Doc,
    blocks: list[Doc],
    footer: Doc,
    target: int,
    pad_line: Callable[[Random], str],
    indent: int = 0,
) -> Doc:
    """Join header, blocks (one blank line between two) and footer, padded to exactly ``target`` lines.

    Padding lines from ``pad_line`` are spread evenly before, between and after blocks; content longer
    than ``target`` is kept whole.
    """
    used = len(header) + sum(len(block) for block in blocks) + max(0, len(blocks) - 1) + len(footer)
    extra = max(0, target - used)
    slots = [extra // (len(blocks) + 1)] * (len(blocks) + 1)
    for slot in rng.sample(range(len(slots)), extra % len(slots)):
        slots[slot] += 1
    doc = Doc().extend(header)
    for slot, block in enumerate(blocks):
        if slot:
            doc.add("")
        for _ in range(slots[slot]):
            line = pad_line(rng)
            doc.add(" " * indent + line if line else "")
        doc.extend(block, indent)
    for _ in range(slots[-1]):
        line = pad_line(rng)
        doc.add(" " * indent + line if line else "")
    doc.extend(footer)
    return doc


_MARK = re.compile(r"\s*⟨(\w+)⟩$")
_HOLE = re.compile(r"«\w+»")


def render(template: str, marks: Mapping[str, Expect | None] | None = None, **values: object) -> Doc:
    """Turn a template into a Doc: fill ``«name»`` holes from ``values``; a line ending in ``⟨m⟩`` gets the
    intended label ``marks[m]`` (the marker itself is removed)."""
    text = textwrap.dedent(template).strip("\n")
    for key, value in values.items():
        text = text.replace(f"«{key}»", str(value))
    hole = _HOLE.search(text)
    if hole:
        raise ValueError(f"template hole {hole.group(0)} left unfilled")
    doc = Doc()
    for line in text.split("\n"):
        mark = _MARK.search(line)
        if mark:
            doc.add(line[: mark.start()], (marks or {}).get(mark.group(1)))
        else:
            doc.add(line)
    return doc
