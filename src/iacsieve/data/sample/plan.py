"""Choosing what to write next: which smell a scenario block is about and which label its context leads to.

The picker steers each technology towards its smell mix: it favours the smell furthest below its share,
counting both detections already found in finished projects and the ones planned in the current one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from random import Random

from iacsieve.data.sample.doc import SMELL_GROUPS, Doc, fill_blocks
from iacsieve.data.sample.syntax import parse_line
from iacsieve.data.sample.vocab import (
    ADMITTED_PROBLEMS,
    COSMETIC_TODOS,
    GENERIC_TODOS,
    IN_WORD_NOTES,
    SECURITY_TODOS,
    TRACKER_NOTES,
    App,
    fill_words,
)

Scenario = Callable[..., Doc]


@dataclass
class Catalog:
    """Scenario functions of one technology by placement (a kind of file section) and smell group."""

    entries: dict[str, dict[str, list[tuple[float, str, Scenario]]]] = field(default_factory=dict)

    def add(self, placement: str, smell: str, weight: float, scenario: Scenario, labels: str = "both") -> None:
        """Register ``scenario`` for ``placement`` and ``smell`` with a relative ``weight``.

        ``labels`` says which labels the scenario can produce: ``both``, ``tp`` or ``fp``.
        """
        self.entries.setdefault(placement, {}).setdefault(smell, []).append((weight, labels, scenario))

    def smells(self, placement: str) -> list[str]:
        """Smell groups that have scenarios at ``placement``, in the canonical order."""
        available = self.entries.get(placement, {})
        return [smell for smell in SMELL_GROUPS if available.get(smell)]

    def choose(self, rng: Random, placement: str, smell: str, want: bool) -> Scenario:
        """Pick by weight one scenario for ``placement`` and ``smell`` that can give the wanted label."""
        options = [
            (weight, scenario)
            for weight, labels, scenario in self.entries[placement][smell]
            if labels == "both" or labels == ("tp" if want else "fp")
        ] or [(weight, scenario) for weight, _, scenario in self.entries[placement][smell]]
        return rng.choices([scenario for _, scenario in options], weights=[weight for weight, _ in options])[0]


class Picker:
    """Steers one technology's scenario choice towards target smell shares and per-smell TP rates."""

    def __init__(self, rng: Random, shares: Mapping[str, float], tp_rates: Mapping[str, float]) -> None:
        self.rng = rng
        self.shares = dict(shares)
        self.tp_rates = dict(tp_rates)
        self.found = {smell: 0 for smell in SMELL_GROUPS}
        self.planned = {smell: 0 for smell in SMELL_GROUPS}

    def smell(self, allowed: list[str]) -> str:
        """Pick the smell for the next block among ``allowed``, favouring the ones most below target."""
        total = sum(self.found.values()) + sum(self.planned.values()) + 20
        weights = [max(self.shares[smell] * total - self.found[smell] - self.planned[smell], 0.5) for smell in allowed]
        return self.rng.choices(allowed, weights=weights)[0]

    def want(self, smell: str) -> bool:
        """Whether the next block of ``smell`` should put its detection in a TP context."""
        return self.rng.random() < self.tp_rates[smell]

    def note(self, block: Doc) -> None:
        """Count the detections a chosen block is expected to add."""
        for group, _ in block.expect.values():
            self.planned[group] += 1

    def sync(self, found: Mapping[str, int]) -> None:
        """Replace the estimates with the detections actually found so far."""
        self.found = {smell: found.get(smell, 0) for smell in SMELL_GROUPS}
        self.planned = {smell: 0 for smell in SMELL_GROUPS}


def draw_scenario(catalog: Catalog, picker: Picker, placement: str, context: object) -> Doc:
    """Pick a smell and a scenario for ``placement``, build its block in ``context`` and count it."""
    smell = picker.smell(catalog.smells(placement))
    want = picker.want(smell)
    scenario = catalog.choose(picker.rng, placement, smell, want)
    block = scenario(context, want)
    picker.note(block)
    return block


@dataclass
class Ctx:
    """State of the project being generated, shared by the scenario functions of every technology.

    ``far`` collects definitions bound for the project's variable file (Ansible role defaults, Chef
    attributes, Puppet class parameters), at most ``far_room`` lines; ``file_vars`` are the variable names
    already used in the current file, kept distinct so that every reference resolves where intended;
    ``namespace`` is the project's own variable prefix (a Chef attribute namespace, a Puppet module name);
    ``file_keys`` and ``file_blocks`` are the keys defined and the blocks written in the current file, so
    that no file defines a key twice or repeats a block.
    """

    rng: Random
    app: App
    org: str
    far: Doc = field(default_factory=Doc)
    far_names: set[str] = field(default_factory=set)
    file_vars: set[str] = field(default_factory=set)
    far_room: int = 0
    namespace: str = ""
    file_keys: set[str] = field(default_factory=set)
    file_blocks: set[str] = field(default_factory=set)

    def new_file(self) -> None:
        """Start a new file: its variable names, defined keys and blocks are free again."""
        self.file_vars = set()
        self.file_keys = set()
        self.file_blocks = set()

    def pick_var(self, pool: tuple[str, ...], far: bool = False, lines: int = 1) -> str | None:
        """Pick a variable name from ``pool`` not yet used in this file (nor, for ``far``, in the project).

        For ``far`` it also reserves ``lines`` lines of the variable file; returns None when nothing fits.
        """
        candidates = [name for name in pool if name not in self.file_vars and not (far and name in self.far_names)]
        if not candidates or (far and self.far_room < lines):
            return None
        # Pools list the common names first: real code reuses a few names over and over.
        name = self.rng.choices(candidates, weights=[1 / (rank + 1) for rank in range(len(candidates))])[0]
        self.file_vars.add(name)
        if far:
            self.far_names.add(name)
            self.far_room -= lines
        return name

    def local_var(self, pool: tuple[str, ...]) -> str:
        """A variable name for a definition inside the current file (falls back to an app-prefixed name)."""
        name = self.pick_var(pool)
        if name is None:
            name = f"{self.app.name}_{self.rng.choice(pool)}"
            self.file_vars.add(name)
        return name


def unique_name(base: str, taken: set[str], sep: str = "-") -> str:
    """``base``, or ``base-2``, ``base-3``... whichever is not taken yet; the result is marked taken."""
    name, number = base, 1
    while name in taken:
        number += 1
        name = f"{base}{sep}{number}"
    taken.add(name)
    return name


def file_length(rng: Random, low: int, high: int) -> int:
    """A file length between ``low`` and ``high``, most files short, a few long (log-uniform)."""
    return max(low, min(high, int(round(low * (high / low) ** rng.random()))))


def comment_text(ctx: Ctx, want: bool) -> tuple[str, bool | None]:
    """A suspicious comment leading to the wanted label, and whether the code under it must be
    security-relevant (True), must not be (False), or may be either (None)."""
    rng = ctx.rng
    if want:
        pool = rng.choices(("security", "admitted", "generic"), weights=(3, 2, 6))[0]
        if pool == "security":
            return rng.choice(SECURITY_TODOS), True
        if pool == "admitted":
            return rng.choice(ADMITTED_PROBLEMS), None
        return rng.choice(GENERIC_TODOS), True
    pool = rng.choices(("cosmetic", "generic", "in_word", "tracker"), weights=(2, 8, 4, 2))[0]
    if pool == "cosmetic":
        return rng.choice(COSMETIC_TODOS), False
    if pool == "generic":
        return rng.choice(GENERIC_TODOS), False
    if pool == "in_word":
        return rng.choice(IN_WORD_NOTES), None
    return fill_words(rng.choice(TRACKER_NOTES), rng, ctx.app, ctx.org), None


def defined_keys(tech: str, block: Doc) -> set[str]:
    """The variable keys a block defines, and for Puppet also the resources it declares (``type[title]``)."""
    keys: set[str] = set()
    for line in block.lines:
        parsed = parse_line(tech, line)
        if parsed.def_key:
            keys.add(parsed.def_key)
        if tech == "puppet" and parsed.name and parsed.code.endswith(":") and "{" in parsed.code:
            keys.add(f"{parsed.name}[{parsed.value}]")
    return keys


def accept_block(ctx: Ctx, tech: str, block: Doc | None, unique_keys: bool) -> Doc | None:
    """``block`` if it neither repeats the code of a block of the file (comments aside) nor, with
    ``unique_keys``, redefines one of its keys; it is then recorded in the file's state. None otherwise."""
    if block is None:
        return None
    text = "\n".join(line for line in block.lines if not line.lstrip().startswith("#"))
    if text in ctx.file_blocks:
        return None
    if unique_keys:
        keys = defined_keys(tech, block)
        if keys & ctx.file_keys:
            return None
        ctx.file_keys |= keys
    ctx.file_blocks.add(text)
    return block


def body_blocks(
    ctx: Ctx,
    picker: Picker,
    catalog: Catalog,
    tech: str,
    placement: str,
    budget: int,
    density: float,
    filler: Callable[[Ctx, int], Doc | None] | None,
    unique_keys: bool,
) -> list[Doc]:
    """Blocks for one file section: a scenario with probability ``density``, filler otherwise, while they fit
    in ``budget`` lines; never a repeated block, and with ``unique_keys`` never a key defined twice."""

    def draw(room: int) -> Doc | None:
        if ctx.rng.random() < density:
            block = draw_scenario(catalog, picker, placement, ctx)
        else:
            block = filler(ctx, room) if filler else None
        return accept_block(ctx, tech, block, unique_keys)

    return fill_blocks(budget, draw)
