"""The whole sample corpus in memory: scripts, GLITCH detections, oracle labels with noise, and the CSV rows.

Generation per technology: build projects until the GLITCH-like rules have found the wanted number of
trained-smell detections; then one oracle labels every detection over the whole corpus; then a seeded share
of labels is flipped (label noise). All randomness comes from ``random.Random`` instances seeded from
``params.seed``, so the same params give the same corpus.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from random import Random
from types import ModuleType

from iacsieve.data.sample import ansible, chef, puppet
from iacsieve.data.sample.detector import TRAINED_CODES, Finding, detect_file
from iacsieve.data.sample.doc import COMMENT, CRYPTO, GROUP_OF_CODE, HTTP, SECRET, SMELL_GROUPS, SourceFile
from iacsieve.data.sample.oracle import Oracle
from iacsieve.data.sample.params import SampleParams
from iacsieve.data.sample.plan import Picker, file_length
from iacsieve.smells import TECHS, TRAINED_SMELLS, glitch_description, trained_smell

GLITCH_HEADER = "PATH,LINE,ERROR,DESCRIPTION,CODE"
NONSENSE_LINES: tuple[str, ...] = ("9223372036854775999", "-33550336", "-1")

BUILDERS: dict[str, ModuleType] = {"ansible": ansible, "chef": chef, "puppet": puppet}

#: Share of each smell among a technology's trained detections (GLITCH finds secrets most often).
SMELL_SHARES: dict[str, dict[str, float]] = {
    "ansible": {SECRET: 0.42, COMMENT: 0.22, HTTP: 0.22, CRYPTO: 0.14},
    "chef": {SECRET: 0.36, COMMENT: 0.28, HTTP: 0.22, CRYPTO: 0.14},
    "puppet": {SECRET: 0.44, COMMENT: 0.18, HTTP: 0.24, CRYPTO: 0.14},
}
#: How often a scenario block of each smell is written in a TP context (filler adds mostly FPs on top).
TP_RATES: dict[str, dict[str, float]] = {
    "ansible": {SECRET: 0.38, COMMENT: 0.36, HTTP: 0.52, CRYPTO: 0.48},
    "chef": {SECRET: 0.40, COMMENT: 0.40, HTTP: 0.46, CRYPTO: 0.42},
    "puppet": {SECRET: 0.28, COMMENT: 0.32, HTTP: 0.52, CRYPTO: 0.42},
}


@dataclass(frozen=True)
class Detection:
    """A trained-smell detection with its oracle label, final (possibly flipped) label and intended label."""

    path: str
    line: int
    code: str
    oracle_label: str
    label: str
    intended: str | None

    @property
    def smell(self) -> str:
        """The trained smell (literature name) of the GLITCH code."""
        return trained_smell(self.code) or ""


@dataclass
class Corpus:
    """Everything ``generate_sample`` writes, plus the oracle's clean labels and the stats."""

    files: dict[str, SourceFile]
    detections: list[Detection]
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


def glitch_row(path: str, line: str | int, code: str, snippet: str) -> str:
    """One GLITCH CSV row: bare commas, no quoting (the snippet may hold commas and quotes)."""
    return f"{path},{line},{code},{glitch_description(code)},{snippet}"


def _generate_tech(tech: str, params: SampleParams) -> tuple[list[SourceFile], list[Finding]]:
    """Build projects of one technology until enough trained detections are found."""
    rng = Random(f"{params.seed}:{tech}:scripts")
    picker = Picker(Random(f"{params.seed}:{tech}:picker"), SMELL_SHARES[tech], TP_RATES[tech])
    builder = BUILDERS[tech]
    files: list[SourceFile] = []
    findings: list[Finding] = []
    found = {smell: 0 for smell in SMELL_GROUPS}
    taken: set[str] = set()
    target = params.detections_per_tech
    rejected = 0
    while sum(found.values()) < target:
        # The first project holds a file of exactly max_lines, so that file lengths span the whole range;
        # near the end, small projects close the gap without overshooting much.
        if not files:
            single: int | None = params.max_lines
        elif target - sum(found.values()) < 40 or rejected:
            single = file_length(rng, params.min_lines, min(params.max_lines, 60))
        else:
            single = None
        project = builder.build_project(rng, picker, params.min_lines, params.max_lines, taken, single=single)
        project_findings = [f for source in project for f in detect_file(tech, source.path, source.lines)]
        added = sum(1 for f in project_findings if f.code in GROUP_OF_CODE)
        if sum(found.values()) + added > target * 1.02 and rejected < 200:
            rejected += 1
            picker.sync(found)
            continue
        files.extend(project)
        findings.extend(project_findings)
        for finding in project_findings:
            if finding.code in GROUP_OF_CODE:
                found[GROUP_OF_CODE[finding.code]] += 1
        picker.sync(found)
    return files, findings


def build_corpus(params: SampleParams) -> Corpus:
    """Generate the corpus for ``params`` in memory."""
    files: dict[str, SourceFile] = {}
    findings_by_tech: dict[str, list[Finding]] = {}
    for tech in TECHS:
        tech_files, findings = _generate_tech(tech, params)
        for source in tech_files:
            files[source.path] = source
        findings_by_tech[tech] = findings
    oracle = Oracle({path: source.lines for path, source in files.items()})

    trained: list[tuple[Finding, str, str | None]] = []
    for tech in TECHS:
        for finding in findings_by_tech[tech]:
            if finding.code in TRAINED_CODES:
                source = files[finding.path]
                expect = source.expect.get(finding.line - 1)
                intended = expect[1] if expect and expect[0] == GROUP_OF_CODE[finding.code] else None
                trained.append((finding, oracle.label(finding), intended))

    noise_rng = Random(f"{params.seed}:noise")
    flips = set(noise_rng.sample(range(len(trained)), round(params.label_noise * len(trained))))
    detections = [
        Detection(f.path, f.line, f.code, label, _flip(label) if index in flips else label, intended)
        for index, (f, label, intended) in enumerate(trained)
    ]

    glitch_rows: dict[str, list[str]] = {}
    other_counts: dict[str, int] = {}
    for tech in TECHS:
        rows = [
            glitch_row(f.path, f.line, f.code, files[f.path].lines[f.line - 1].strip())
            for f in findings_by_tech[tech]
            if f.code in TRAINED_CODES
        ]
        others = sorted(f for f in findings_by_tech[tech] if f.code not in TRAINED_CODES)
        pick_rng = Random(f"{params.seed}:{tech}:others")
        chosen = pick_rng.sample(others, min(params.other_smell_rows, len(others)))
        rows += [glitch_row(f.path, f.line, f.code, files[f.path].lines[f.line - 1].strip()) for f in sorted(chosen)]
        other_counts[tech] = len(chosen)
        rows += _nonsense_rows(
            tech, params, [source for source in files.values() if source.path.startswith(tech + "/")]
        )
        Random(f"{params.seed}:{tech}:order").shuffle(rows)
        glitch_rows[tech] = rows

    corpus = Corpus(files=dict(sorted(files.items())), detections=detections, glitch_rows=glitch_rows)
    corpus.stats = _stats(corpus, other_counts, params)
    return corpus


def _flip(label: str) -> str:
    return "FP" if label == "TP" else "TP"


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
        snippet = rng.choice([text.strip() for text in source.lines if text.strip()] + [""])
        rows.append(glitch_row(source.path, line, code, snippet))
    return rows


def _stats(corpus: Corpus, other_counts: dict[str, int], params: SampleParams) -> dict:
    """Counts per technology x smell x label, and the overall shares."""
    per_tech: dict[str, dict] = {}
    for tech in TECHS:
        items = [d for d in corpus.detections if d.path.startswith(tech + "/")]
        smells = {smell: {"TP": 0, "FP": 0} for smell in TRAINED_SMELLS}
        for item in items:
            smells[item.smell][item.label] += 1
        per_tech[tech] = {
            "files": sum(1 for path in corpus.files if path.startswith(tech + "/")),
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
