"""The embedded sample corpus: deterministic, GLITCH's exact format, real syntax, context-dependent labels."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from random import Random

import pytest
import yaml

from iacsieve.data.sample import SampleParams, build_corpus, generate_sample
from iacsieve.data.sample.corpus import GLITCH_HEADER, NONSENSE_LINES
from iacsieve.data.sample.detector import Finding, detect_file
from iacsieve.data.sample.oracle import Oracle
from iacsieve.errors import IacsieveError
from iacsieve.smells import GLITCH_CODES, TECHS, TRAINED_SMELLS, glitch_description, tech_from_path, trained_smell

PARAMS = SampleParams()
CONTEXT = 5
#: Words a simple context reader looks for around the flagged line.
CONTEXT_WORDS = (
    "vault",
    "lookup",
    "hiera",
    "data_bag",
    "chef_vault",
    "env[",
    "localhost",
    "127.0.0.1",
    "checksum",
    "cache",
    "compare",
    "build id",
    "etag",
    "artifact",
    "sign",
    "login",
    "token",
    "passw",
    "0777",
    "validate_certs",
    "nopasswd",
    "selinux",
    "firewall",
    "permitrootlogin",
    "ssl",
    "override",
    "dummy",
    "placeholder",
    "motd",
    "packages",
    "verify_none",
    "setenforce",
    "install.sh",
)


@dataclass(frozen=True)
class Row:
    """One GLITCH CSV row."""

    path: str
    line: str
    code: str
    description: str
    snippet: str


@dataclass
class Sample:
    """The generated tree and what the tests read from it."""

    root: Path
    stats: dict
    rows: dict[str, list[Row]]
    labels: dict[tuple[str, int, str], str]
    lines: dict[str, list[str]]


def read_rows(text: str) -> list[Row]:
    """Parse GLITCH CSV text (header checked by the caller) the only safe way: first four commas."""
    return [Row(*line.split(",", 4)) for line in text.split("\n")[1:] if line]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    root = tmp_path_factory.mktemp("sample") / "sample"
    stats = generate_sample(root, PARAMS)
    rows = {tech: read_rows((root / "glitch" / f"{tech}.csv").read_text(encoding="utf-8")) for tech in TECHS}
    with (root / "labels.csv").open(newline="", encoding="utf-8") as handle:
        labels = {(r["PATH"], int(r["LINE"]), r["CODE"]): r["LABEL"] for r in csv.DictReader(handle)}
    lines = {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8").split("\n")[:-1]
        for path in sorted(root.rglob("*"))
        if path.is_file() and tech_from_path(path.name)
    }
    return Sample(root, stats, rows, labels, lines)


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def trained_detections(sample: Sample) -> list[tuple[str, int, str, str]]:
    """(path, line, code, label) of every labelled detection."""
    return [(path, line, code, label) for (path, line, code), label in sorted(sample.labels.items())]


def f1_tp(pairs: list[tuple[str, str]]) -> float:
    """F1 of the TP class over (truth, prediction) pairs."""
    tp = sum(1 for truth, guess in pairs if truth == guess == "TP")
    fp = sum(1 for truth, guess in pairs if truth == "FP" and guess == "TP")
    fn = sum(1 for truth, guess in pairs if truth == "TP" and guess == "FP")
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def majority(counter: Counter) -> str:
    """Majority label, FP on ties (GLITCH detections are mostly FPs)."""
    return "TP" if counter["TP"] > counter["FP"] else "FP"


def context_signature(lines: list[str], line: int) -> frozenset[str]:
    """The context words present within ±CONTEXT lines of 1-based ``line`` (the line itself excluded)."""
    window = " ".join(lines[max(0, line - 1 - CONTEXT) : line - 1] + lines[line : line + CONTEXT]).lower()
    return frozenset(word for word in CONTEXT_WORDS if word in window)


# -- 1. determinism --------------------------------------------------------------------------------------------


def test_same_params_give_identical_bytes_and_another_seed_differs(sample: Sample, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert generate_sample(again, PARAMS) == sample.stats
    assert tree_digest(again) == tree_digest(sample.root)
    other = tmp_path / "other"
    generate_sample(other, replace(PARAMS, seed=PARAMS.seed + 1))
    assert tree_digest(other) != tree_digest(sample.root)


def test_output_replaces_an_existing_tree_whole(tmp_path: Path) -> None:
    out = tmp_path / "sample"
    (out / "stale").mkdir(parents=True)
    (out / "stale" / "old.yml").write_text("---\n")
    generate_sample(out, replace(PARAMS, detections_per_tech=40))
    assert not (out / "stale").exists()
    assert (out / "labels.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample"]


# -- 2. sizes and mix --------------------------------------------------------------------------------------------


def test_detection_counts_match_the_params(sample: Sample) -> None:
    total = len(sample.labels)
    assert abs(total - 3 * PARAMS.detections_per_tech) <= 0.10 * 3 * PARAMS.detections_per_tech
    per_tech = Counter(path.split("/", 1)[0] for path, _, _ in sample.labels)
    for tech in TECHS:
        assert abs(per_tech[tech] - total / 3) <= 0.05 * total / 3, per_tech


def test_every_smell_in_every_technology_and_a_low_tp_share(sample: Sample) -> None:
    counts: Counter = Counter()
    for path, _, code, label in trained_detections(sample):
        counts[path.split("/", 1)[0], trained_smell(code), label] += 1
    for tech in TECHS:
        for smell in TRAINED_SMELLS:
            assert counts[tech, smell, "TP"] + counts[tech, smell, "FP"] >= 80, (tech, smell)
            assert counts[tech, smell, "TP"] > 0 and counts[tech, smell, "FP"] > 0, (tech, smell)
    tp_share = sum(1 for label in sample.labels.values() if label == "TP") / len(sample.labels)
    assert 0.35 <= tp_share <= 0.45
    assert json.loads(json.dumps(sample.stats)) == sample.stats
    for tech in TECHS:
        for smell in TRAINED_SMELLS:
            stat = sample.stats["per_tech"][tech]["smells"][smell]
            assert (stat["TP"], stat["FP"]) == (counts[tech, smell, "TP"], counts[tech, smell, "FP"])


def test_files_per_technology(sample: Sample) -> None:
    per_tech = Counter(path.split("/", 1)[0] for path in sample.lines)
    for tech in TECHS:
        assert per_tech[tech] >= 150, per_tech
    assert all(tech_from_path(path) == path.split("/", 1)[0] for path in sample.lines)


# -- 3. GLITCH CSV format ---------------------------------------------------------------------------------------


def test_glitch_csv_is_byte_exact(sample: Sample) -> None:
    for tech in TECHS:
        raw = (sample.root / "glitch" / f"{tech}.csv").read_bytes()
        assert b"\r" not in raw and raw.endswith(b"\n")
        text = raw.decode("utf-8")
        assert text.split("\n", 1)[0] == GLITCH_HEADER
        keys = set()
        nonsense = 0
        for row in sample.rows[tech]:
            assert len(row.snippet.split("\n")) == 1
            assert row.code in GLITCH_CODES
            assert row.description == glitch_description(row.code)
            assert row.path.startswith(f"{tech}/") and row.path in sample.lines
            if row.line in NONSENSE_LINES:
                nonsense += 1
                continue
            line = int(row.line)
            assert row.snippet == sample.lines[row.path][line - 1].strip()
            key = (row.path, line, row.code)
            assert key not in keys
            keys.add(key)
        assert nonsense == PARAMS.nonsense_line_rows
        others = [row for row in sample.rows[tech] if trained_smell(row.code) is None]
        assert 0 < len(others) <= PARAMS.other_smell_rows
        assert len({row.code for row in others}) >= 3


def test_labels_cover_exactly_the_trained_detections(sample: Sample) -> None:
    header = (sample.root / "labels.csv").read_text(encoding="utf-8").split("\n", 1)[0]
    assert header == "PATH,LINE,CODE,LABEL"
    trained = {
        (row.path, int(row.line), row.code)
        for rows in sample.rows.values()
        for row in rows
        if trained_smell(row.code) and row.line not in NONSENSE_LINES
    }
    assert trained == set(sample.labels)
    assert set(sample.labels.values()) == {"TP", "FP"}


def test_rows_are_not_in_file_order(sample: Sample) -> None:
    rows = sample.rows["ansible"]
    keys = [(row.path, row.line) for row in rows]
    assert keys != sorted(keys)


# -- 4. scripts parse -------------------------------------------------------------------------------------------


def test_every_ansible_file_is_yaml(sample: Sample) -> None:
    for path in sample.lines:
        if path.endswith(".yml"):
            yaml.safe_load((sample.root / path).read_text(encoding="utf-8"))


@pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby is not installed: Chef syntax not checked")
def test_every_chef_file_passes_ruby_c(sample: Sample) -> None:
    failures = []
    for path in sample.lines:
        if path.endswith(".rb"):
            result = subprocess.run(["ruby", "-c", str(sample.root / path)], capture_output=True, text=True)
            if result.returncode != 0:
                failures.append(f"{path}: {result.stderr.strip()}")
    assert not failures, failures[:5]


def test_puppet_files_are_balanced(sample: Sample) -> None:
    for path, lines in sample.lines.items():
        if not path.endswith(".pp"):
            continue
        depth = 0
        for text in lines:
            code = re.sub(r"'[^']*'|\"[^\"]*\"|#.*$", "", text)
            for char in code:
                depth += {"{": 1, "(": 1, "[": 1, "}": -1, ")": -1, "]": -1}.get(char, 0)
                assert depth >= 0, path
        assert depth == 0, path


def test_file_lengths_span_the_range(sample: Sample) -> None:
    lengths = [len(lines) for lines in sample.lines.values()]
    assert min(lengths) == PARAMS.min_lines
    assert max(lengths) <= PARAMS.max_lines
    assert max(lengths) >= PARAMS.max_lines - 5
    assert sum(1 for n in lengths if n > 100) >= 30


# -- 5. labels depend on context -------------------------------------------------------------------------------


def test_the_flagged_line_alone_does_not_decide_the_label(sample: Sample) -> None:
    by_text: dict[str, Counter] = defaultdict(Counter)
    for path, line, _, label in trained_detections(sample):
        by_text[sample.lines[path][line - 1].strip()][label] += 1
    pairs = []
    for path, line, _, label in trained_detections(sample):
        pairs.append((label, majority(by_text[sample.lines[path][line - 1].strip()])))
    assert f1_tp(pairs) < 0.9
    both = sum(sum(counter.values()) for counter in by_text.values() if counter["TP"] and counter["FP"])
    assert both >= 500


def test_reading_the_context_beats_reading_the_line(sample: Sample) -> None:
    detections = trained_detections(sample)
    keys = {}
    for path, line, code, _ in detections:
        text = sample.lines[path][line - 1].strip()
        keys[path, line, code] = (text, context_signature(sample.lines[path], line))
    by_line: dict = defaultdict(Counter)
    by_context: dict = defaultdict(Counter)
    for path, line, code, label in detections:
        text, signature = keys[path, line, code]
        by_line[text][label] += 1
        by_context[text, signature][label] += 1
    line_pairs = [(label, majority(by_line[keys[p, n, c][0]])) for p, n, c, label in detections]
    context_pairs = [(label, majority(by_context[keys[p, n, c]])) for p, n, c, label in detections]
    assert f1_tp(context_pairs) >= f1_tp(line_pairs) + 0.05


def test_context_resolves_lines_that_occur_with_both_labels_in_unseen_projects(sample: Sample) -> None:
    """Trained on half the projects, a bag-of-words reader of line + context beats one of the line alone on
    the other half's detections whose line text occurs with both labels."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    detections = trained_detections(sample)
    by_text: dict[str, Counter] = defaultdict(Counter)
    for path, line, _, label in detections:
        by_text[sample.lines[path][line - 1].strip()][label] += 1

    def line_only(path: str, line: int, code: str) -> str:
        return f"{code} {sample.lines[path][line - 1]}"

    def with_context(path: str, line: int, code: str) -> str:
        lines = sample.lines[path]
        before = " ".join("B_" + word for word in " ".join(lines[max(0, line - 1 - CONTEXT) : line - 1]).split())
        after = " ".join("A_" + word for word in " ".join(lines[line : line + CONTEXT]).split())
        return f"{line_only(path, line, code)} {before} {after}"

    projects = sorted({"/".join(path.split("/")[:2]) for path, _, _, _ in detections})
    gains = []
    for seed in range(3):
        held_out = set(Random(seed).sample(projects, len(projects) // 2))
        train = [d for d in detections if "/".join(d[0].split("/")[:2]) not in held_out]
        test = [
            d
            for d in detections
            if "/".join(d[0].split("/")[:2]) in held_out and len(by_text[sample.lines[d[0]][d[1] - 1].strip()]) == 2
        ]
        accuracy = []
        for reader in (line_only, with_context):
            vectorizer = CountVectorizer(token_pattern=r"[A-Za-z_]+|[^\sA-Za-z_]", binary=True)
            model = LogisticRegression(max_iter=2000)
            model.fit(vectorizer.fit_transform([reader(*d[:3]) for d in train]), [d[3] for d in train])
            guesses = model.predict(vectorizer.transform([reader(*d[:3]) for d in test]))
            accuracy.append(sum(1 for d, guess in zip(test, guesses, strict=True) if d[3] == guess) / len(test))
        gains.append(accuracy[1] - accuracy[0])
    assert sum(gains) / len(gains) >= 0.05, gains


# -- 6. label noise ---------------------------------------------------------------------------------------------


def test_label_noise_rate(sample: Sample) -> None:
    oracle = Oracle(sample.lines)
    flipped = sum(
        1 for (path, line, code), label in sample.labels.items() if oracle.label(Finding(path, line, code)) != label
    )
    rate = flipped / len(sample.labels)
    assert 0.05 <= rate <= 0.10
    assert rate == pytest.approx(PARAMS.label_noise, abs=0.002)
    assert sample.stats["label_noise_rate"] == pytest.approx(rate, abs=1e-4)


def test_oracle_agrees_with_what_the_generator_meant() -> None:
    corpus = build_corpus(PARAMS)
    intended = [d for d in corpus.detections if d.intended is not None]
    assert len(intended) >= 0.7 * len(corpus.detections)
    agreeing = sum(1 for d in intended if d.intended == d.oracle_label)
    assert agreeing >= 0.98 * len(intended)


TASK = """---
- name: Create the app database user
  mysql_user:
    name: app
    password: "{{ db_password }}"
    state: present
  vars:
    db_password: %s
"""
RECIPE = """mirror_host = '%s'
remote_file '/tmp/app.tar.gz' do
  source "http://#{mirror_host}/dist/app.tar.gz"
end
"""
COMMENTED = """---
- name: Fetch the archive
  get_url:
    url: https://example.com/app.tar.gz
    dest: /opt/app.tar.gz
    %s  # TODO: revisit
"""


@pytest.mark.parametrize(
    ("path", "text", "line", "code", "label"),
    [
        ("ansible/p/tasks.yml", TASK % '"S3cr3t!x"', 5, "sec_hard_pass", "TP"),
        ("ansible/p/tasks.yml", TASK % "\"{{ lookup('hashi_vault', 'secret=kv/app:db') }}\"", 5, "sec_hard_pass", "FP"),
        ("ansible/p/tasks.yml", TASK % '"{{ vault_db_password }}"', 5, "sec_hard_pass", "FP"),
        ("chef/c/recipes/default.rb", RECIPE % "mirror.example.org", 3, "sec_https", "TP"),
        ("chef/c/recipes/default.rb", RECIPE % "127.0.0.1", 3, "sec_https", "FP"),
        ("ansible/p/get.yml", COMMENTED % "validate_certs: no", 6, "sec_susp_comm", "TP"),
        ("ansible/p/get.yml", COMMENTED % 'mode: "0644"', 6, "sec_susp_comm", "FP"),
        (
            "puppet/m/manifests/init.pp",
            "class m {\n  # Enable debug logging\n  include stdlib\n}",
            2,
            "sec_susp_comm",
            "FP",
        ),
        ("puppet/m/manifests/init.pp", "class m {\n  $ciphers = 'HIGH:!aNULL:!MD5'\n}", 2, "sec_weak_crypt", "FP"),
        ("puppet/m/manifests/init.pp", "class m {\n  $ciphers = 'RC4-SHA:HIGH'\n}", 2, "sec_weak_crypt", "TP"),
    ],
)
def test_detector_flags_and_oracle_reads_the_context(path: str, text: str, line: int, code: str, label: str) -> None:
    lines = text.split("\n")
    assert Finding(path, line, code) in detect_file(path.split("/", 1)[0], path, lines)
    assert Oracle({path: lines}).label(Finding(path, line, code)) == label


def test_invalid_params_are_refused() -> None:
    with pytest.raises(IacsieveError, match="label_noise"):
        SampleParams(label_noise=0.6)
    with pytest.raises(IacsieveError, match="max_lines"):
        SampleParams(min_lines=30, max_lines=50)
