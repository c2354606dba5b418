"""The whole sample corpus in memory: projects of scripts assembled from shapes, GLITCH's rows, oracle labels.

Per technology, projects (one folder each, a repository for the split) are built until the wanted number of
trained-smell detections is reached. A project has the files of a real role, cookbook or module (tests,
specs, examples, CI files included); each file is its layout from ``FILES`` with every slot filled by shapes
of that slot's pool, plain ones and flagged ones, the flagged ones chosen to steer the technology's smell and
label mix towards ``tables.MIX``. Every line is then checked against GLITCH's rules (``rules.flags``): the
lines the shapes flag are exactly the ones GLITCH reports. Labels are the shapes' (they follow the labelling
guide); a seeded share of them is flipped (label noise). All randomness comes from seeded ``Random``s.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from random import Random

from iacsieve.data.glitch import GLITCH_HEADER
from iacsieve.data.sample import rules, shapes_ansible, shapes_chef, shapes_puppet
from iacsieve.data.sample.tables import APPS, CODE_OF, MIX, VOCAB
from iacsieve.errors import IacsieveError
from iacsieve.params import SampleParams
from iacsieve.smells import TECHS, TRAINED_SMELLS, glitch_description, trained_smell

NONSENSE_LINES: tuple[str, ...] = ("9223372036854775999", "-33550336", "-1")
TRAINED_CODES: tuple[str, ...] = tuple(CODE_OF.values())
SHAPE_TABLES = {"ansible": shapes_ansible, "chef": shapes_chef, "puppet": shapes_puppet}
SUFFIX = {"ansible": ".yml", "chef": ".rb", "puppet": ".pp"}
#: Share of the blocks of a slot that hold a detection.
DENSITY = {"ansible": 0.055, "chef": 0.055, "puppet": 0.05}
#: Pools of which a slot holds exactly one shape.
SINGLE = {"doc", "play", "workflow", "stale", "head", "spec_head"}

_MARK = re.compile(r"^»((?:[PSUCWH][+-])+) ")
_SLOT = re.compile(r"@@(\w+):(\d+):(\d+)@@\n?")
_WORD = re.compile(r"%([A-Za-z]+)(?:_\d)?%")


@dataclass(frozen=True)
class Shape:
    """A block template: its weight, text, and the (code, label) of each flagged line (by line index)."""

    weight: float
    text: str
    marks: tuple[tuple[str, str], ...]


@dataclass
class SourceFile:
    """A generated script: its path under the sample root and its lines; ``marks`` by 0-based line."""

    path: str
    lines: list[str]
    marks: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


@dataclass(frozen=True)
class PlantedDetection:
    """A trained-smell detection the generator planted: GLITCH's row and the oracle's label, before and after noise."""

    path: str
    line: int
    code: str
    oracle_label: str
    label: str

    @property
    def smell(self) -> str:
        return trained_smell(self.code) or ""


@dataclass
class Corpus:
    """Everything ``generate_sample`` writes, and the stats."""

    files: dict[str, SourceFile]
    detections: list[PlantedDetection]
    glitch_rows: dict[str, list[str]]
    stats: dict = field(default_factory=dict)

    def labels_csv(self) -> str:
        """``labels.csv``: header ``PATH,LINE,CODE,LABEL`` (CODE is the GLITCH smell code), sorted rows."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["PATH", "LINE", "CODE", "LABEL"])
        for item in sorted(self.detections, key=lambda d: (d.path, d.line, d.code)):
            writer.writerow([item.path, item.line, item.code, item.label])
        return buffer.getvalue()

    def glitch_csv(self, tech: str) -> str:
        """``glitch/<tech>.csv`` exactly as GLITCH's ``--csv`` writes it."""
        return "\n".join([GLITCH_HEADER, *self.glitch_rows[tech]]) + "\n"


def _parse(weight: float, text: str) -> Shape:
    marks = []
    for line in text.rstrip("\n").split("\n"):
        match = _MARK.match(line)
        if match:
            pairs = match.group(1)
            marks += [(CODE_OF[pairs[i]], "TP" if pairs[i + 1] == "+" else "FP") for i in range(0, len(pairs), 2)]
    return Shape(weight, text, tuple(marks))


_POOLS: dict[str, dict[str, list[Shape]]] = {
    tech: {pool: [_parse(w, t) for w, t in shapes] for pool, shapes in table.SHAPES.items()}
    for tech, table in SHAPE_TABLES.items()
}


def fill(text: str, rng: Random, memo: dict[str, str]) -> str:
    """Replace every ``%word%`` by a draw from its word list (the same draw for the same name in ``memo``)."""

    def one(match: re.Match) -> str:
        key = match.group(0)
        if key not in memo:
            memo[key] = fill(rng.choice(VOCAB[match.group(1)]), rng, memo)
        return memo[key]

    return _WORD.sub(one, text)


class Steer:
    """Counts of (code, label) found so far in one technology, against its target mix."""

    def __init__(self, tech: str, total: int) -> None:
        self.target = {
            (code, label): max(total * share * (rate if label == "TP" else 1 - rate), 1.0)
            for code, (share, rate) in MIX[tech].items()
            for label in ("TP", "FP")
        }
        self.count = {key: 0 for key in self.target}

    def weight(self, shape: Shape) -> float:
        needs = [max(self.target[m] - self.count[m], 0.0) / self.target[m] + 0.01 for m in shape.marks]
        return shape.weight * sum(needs) / len(needs)

    def add(self, marks: list[tuple[str, str]]) -> None:
        for mark in marks:
            self.count[mark] += 1

    def total(self) -> int:
        return sum(self.count.values())


def _block(tech: str, shape: Shape, rng: Random, memo: dict[str, str], indent: int) -> tuple[list[str], dict]:
    text = fill(shape.text, rng, dict(memo))
    lines, marks = [], {}
    for raw in text.rstrip("\n").split("\n"):
        match = _MARK.match(raw)
        if match:
            pairs = match.group(1)
            marks[len(lines)] = [(CODE_OF[pairs[i]], "TP" if pairs[i + 1] == "+" else "FP")
                                 for i in range(0, len(pairs), 2)]
            raw = raw[match.end():]
        lines.append((" " * indent + raw) if raw else "")
    return lines, marks


def _slot(tech: str, pool: str, indent: int, budget: int, rng: Random, memo: dict, steer: Steer):
    shapes = _POOLS[tech][pool]
    plain = [s for s in shapes if not s.marks]
    flagged = [s for s in shapes if s.marks]
    lines: list[str] = []
    marks: dict[int, list] = {}
    seen: set[str] = set()
    tries = 0
    while tries < 200 and (not lines or (pool not in SINGLE and len(lines) < budget)):
        tries += 1
        use_flagged = flagged and (not plain or rng.random() < DENSITY[tech])
        options = flagged if use_flagged else plain
        weights = [steer.weight(s) if use_flagged else s.weight for s in options]
        shape = rng.choices(options, weights=weights)[0]
        block, block_marks = _block(tech, shape, rng, memo, indent)
        key = "\n".join(block)
        if key in seen:
            continue
        seen.add(key)
        if lines and pool not in SINGLE and not (tech == "ansible" and indent):
            lines.append("")
        offset = len(lines)
        marks.update({offset + i: m for i, m in block_marks.items()})
        lines += block
    return lines, marks


def _file(tech: str, path: str, layout: str, length: int, rng: Random, memo: dict, steer: Steer) -> SourceFile:
    layout = fill(layout, rng, memo)
    parts = _SLOT.split(layout)
    fixed = sum(part.count("\n") for part in parts[0::4])
    weights = [int(w) for w in parts[3::4]]
    room = max(length - fixed, 8)
    lines: list[str] = []
    marks: dict[int, list] = {}
    for index in range(0, len(parts), 4):
        text = parts[index]
        if text:
            lines += text.rstrip("\n").split("\n") if text.endswith("\n") else text.split("\n")
        if index + 3 < len(parts):
            pool, indent, weight = parts[index + 1], int(parts[index + 2]), int(parts[index + 3])
            budget = room * weight // sum(weights)
            block, block_marks = _slot(tech, pool, indent, budget, rng, memo, steer)
            marks.update({len(lines) + i: m for i, m in block_marks.items()})
            lines += block
    while lines and not lines[-1].strip():
        lines.pop()
    source = SourceFile(path, lines, marks)
    _check(tech, source)
    steer.add([m for ms in marks.values() for m in ms])
    return source


def _check(tech: str, source: SourceFile) -> None:
    """Refuse a file whose flagged lines differ from what GLITCH's rules flag (a bug in a shape)."""
    for index in range(len(source.lines)):
        want = {code for code, _ in source.marks.get(index, [])}
        got = rules.flags(tech, source.lines, index)
        if want != got:
            raise IacsieveError(
                f"sample shape disagrees with GLITCH's rules at {source.path}:{index + 1}: marked {sorted(want)}, "
                f"rules {sorted(got)}: {source.lines[index]!r}"
            )


def file_length(rng: Random, low: int, high: int) -> int:
    """A file length between ``low`` and ``high``: log-uniform, so most files are short and a few long."""
    return max(low, min(high, int(round(low * (high / low) ** rng.random()))))


def _project(tech: str, name: str, app: str, rng: Random, params: SampleParams, steer: Steer) -> list[SourceFile]:
    table = SHAPE_TABLES[tech]
    memo = {"%app%": app, "%App%": app.capitalize(), "%APP%": app.upper(), "%org%": rng.choice(VOCAB["org"])}
    files: list[SourceFile] = []
    taken: set[str] = set()
    low, high = params.min_lines, params.max_lines
    for share, path, layout in table.FILES:
        if rng.random() >= share:
            continue
        copies = rng.randint(1, 3) if "%step%" in path or "%os%" in path or "%name%" in path else 1
        for _ in range(copies):
            file_memo = dict(memo)
            file_memo["%step%"] = rng.choice(table.STEPS)
            real = fill(path, rng, file_memo)
            if real in taken:
                continue
            taken.add(real)
            length = file_length(rng, max(low, 30), high) if rng.random() < 0.8 else file_length(rng, low, 40)
            files.append(_file(tech, f"{tech}/{name}/{real}", layout, length, rng, file_memo, steer))
    return files


def _generate_tech(tech: str, params: SampleParams) -> list[SourceFile]:
    rng = Random(f"{params.seed}:{tech}:scripts")
    steer = Steer(tech, params.detections_per_tech)
    files: list[SourceFile] = []
    names: set[str] = set()
    apps = list(APPS)
    rng.shuffle(apps)
    number = 0
    while steer.total() < params.detections_per_tech:
        app = apps[number % len(apps)]
        name = {"ansible": f"ansible-role-{app}", "chef": f"{app}-cookbook", "puppet": f"puppet-{app}"}[tech]
        if name in names:
            name = f"{name}-{number // len(apps) + 1}"
        names.add(name)
        files += _project(tech, name, app, rng, params, steer)
        number += 1
    return files


def snippet(tech: str, line: str) -> str:
    """GLITCH's CODE column for a flagged line: the line stripped (Puppet comments without their ``#``,
    Chef attribute assignments without their value)."""
    text = line.strip()
    if tech == "puppet" and text.startswith("#"):
        return text[1:].strip()
    if tech == "chef" and re.match(r"^(node\.)?(default|override|normal)\[", text) and " = " in text:
        return text.split(" = ", 1)[0].strip()
    return text


def glitch_row(path: str, line: str | int, code: str, text: str) -> str:
    """One GLITCH CSV row: bare commas, no quoting (the snippet may hold commas and quotes)."""
    return f"{path},{line},{code},{glitch_description(code)},{text}"


def build_corpus(params: SampleParams) -> Corpus:
    """Generate the corpus for ``params`` in memory."""
    files: dict[str, SourceFile] = {}
    for tech in TECHS:
        for source in _generate_tech(tech, params):
            files[source.path] = source
    found = [
        (source.path, index + 1, code, label)
        for source in files.values()
        for index, marks in sorted(source.marks.items())
        for code, label in marks
    ]
    noise = Random(f"{params.seed}:noise")
    flips = set(noise.sample(range(len(found)), round(params.label_noise * len(found))))
    detections = [
        PlantedDetection(path, line, code, label, ("FP" if label == "TP" else "TP") if i in flips else label)
        for i, (path, line, code, label) in enumerate(found)
    ]
    glitch_rows: dict[str, list[str]] = {}
    other_counts: dict[str, int] = {}
    for tech in TECHS:
        sources = [s for s in files.values() if s.path.startswith(tech + "/")]
        rows = [glitch_row(d.path, d.line, d.code, snippet(tech, files[d.path].lines[d.line - 1]))
                for d in detections if d.path.startswith(tech + "/")]
        others = sorted(
            (s.path, i + 1, code)
            for s in sources
            for i in range(len(s.lines))
            for code in sorted(rules.other_flags(tech, s.lines, i))
        )
        pick = Random(f"{params.seed}:{tech}:others")
        chosen = sorted(pick.sample(others, min(params.other_smell_rows, len(others))))
        rows += [glitch_row(p, n, c, snippet(tech, files[p].lines[n - 1])) for p, n, c in chosen]
        other_counts[tech] = len(chosen)
        rows += _nonsense_rows(tech, params, sources)
        Random(f"{params.seed}:{tech}:order").shuffle(rows)
        glitch_rows[tech] = rows
    corpus = Corpus(files=dict(sorted(files.items())), detections=detections, glitch_rows=glitch_rows)
    corpus.stats = _stats(corpus, other_counts, params)
    return corpus


def _nonsense_rows(tech: str, params: SampleParams, sources: list[SourceFile]) -> list[str]:
    """Rows with GLITCH's position-less LINE values; their snippet is some line of the file, or empty."""
    rng = Random(f"{params.seed}:{tech}:nonsense")
    rows: list[str] = []
    keys: set[tuple[str, str, str]] = set()
    while len(rows) < params.nonsense_line_rows:
        source = rng.choice(sources)
        code = rng.choice(TRAINED_CODES)
        line = NONSENSE_LINES[len(rows) % len(NONSENSE_LINES)]
        if (source.path, line, code) in keys:
            continue
        keys.add((source.path, line, code))
        text = rng.choice([t.strip() for t in source.lines if t.strip()] + [""])
        rows.append(glitch_row(source.path, line, code, text))
    return rows


def _stats(corpus: Corpus, other_counts: dict[str, int], params: SampleParams) -> dict:
    """Counts per technology x smell x label, and the overall shares."""
    per_tech: dict[str, dict] = {}
    for tech in TECHS:
        items = [d for d in corpus.detections if d.path.startswith(tech + "/")]
        smells = {smell: {"TP": 0, "FP": 0} for smell in TRAINED_SMELLS}
        for item in items:
            smells[item.smell][item.label] += 1
        paths = [p for p in corpus.files if p.startswith(tech + "/")]
        per_tech[tech] = {
            "projects": len({"/".join(p.split("/")[:2]) for p in paths}),
            "files": len(paths),
            "detections": len(items),
            "smells": smells,
            "other_smell_rows": other_counts[tech],
            "nonsense_line_rows": params.nonsense_line_rows,
        }
    total = len(corpus.detections)
    flipped = sum(1 for d in corpus.detections if d.label != d.oracle_label)
    return {
        "detections": total,
        "files": len(corpus.files),
        "tp_share": round(sum(1 for d in corpus.detections if d.label == "TP") / max(total, 1), 4),
        "oracle_tp_share": round(sum(1 for d in corpus.detections if d.oracle_label == "TP") / max(total, 1), 4),
        "label_noise_rate": round(flipped / max(total, 1), 4),
        "per_tech": per_tech,
    }
