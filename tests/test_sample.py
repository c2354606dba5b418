"""The embedded sample corpus: deterministic, GLITCH's exact format and rules, labels by the guide, real shapes."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from iacsieve.data.sample import build_corpus, generate_sample, rules
from iacsieve.data.glitch import GLITCH_HEADER
from iacsieve.data.sample.corpus import NONSENSE_LINES, Corpus, snippet
from iacsieve.data.sample.tables import VOCAB
from iacsieve.errors import IacsieveError
from iacsieve.params import load_params
from iacsieve.smells import GLITCH_CODES, TECHS, TRAINED_SMELLS, glitch_description, tech_from_path, trained_smell

ROOT = Path(__file__).resolve().parents[1]
PARAMS = load_params(ROOT / "params.yaml").sample


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


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus(PARAMS)


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def flagged(sample: Sample, code_prefix: str = "") -> list[tuple[str, int, str, str]]:
    """(path, line, code, text) of the labelled detections whose code starts with ``code_prefix``."""
    return [
        (path, line, code, sample.lines[path][line - 1])
        for (path, line, code) in sorted(sample.labels)
        if code.startswith(code_prefix)
    ]


# -- 1. determinism --------------------------------------------------------------------------------------------


def test_same_params_give_identical_bytes_and_another_seed_differs(sample: Sample, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert generate_sample(again, PARAMS) == sample.stats
    assert tree_digest(again) == tree_digest(sample.root)
    other = tmp_path / "other"
    generate_sample(other, PARAMS.model_copy(update={"seed": PARAMS.seed + 1, "detections_per_tech": 100}))
    assert tree_digest(other) != tree_digest(sample.root)


def test_output_replaces_an_existing_tree_whole(tmp_path: Path) -> None:
    out = tmp_path / "sample"
    (out / "stale").mkdir(parents=True)
    (out / "stale" / "old.yml").write_text("---\n")
    generate_sample(out, PARAMS.model_copy(update={"detections_per_tech": 40}))
    assert not (out / "stale").exists()
    assert (out / "labels.csv").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sample"]


# -- 2. sizes, mix and shapes of real modules --------------------------------------------------------------------


def test_detection_counts_match_the_params(sample: Sample) -> None:
    per_tech = Counter(path.split("/", 1)[0] for path, _, _ in sample.labels)
    for tech in TECHS:
        assert abs(per_tech[tech] - PARAMS.detections_per_tech) <= 0.08 * PARAMS.detections_per_tech, per_tech


def test_every_smell_in_every_technology_with_both_labels(sample: Sample) -> None:
    counts: Counter = Counter()
    for (path, _, code), label in sample.labels.items():
        counts[path.split("/", 1)[0], trained_smell(code), label] += 1
    for tech in TECHS:
        for smell in TRAINED_SMELLS:
            assert counts[tech, smell, "TP"] >= 10 and counts[tech, smell, "FP"] >= 5, (tech, smell)
            stat = sample.stats["per_tech"][tech]["smells"][smell]
            assert (stat["TP"], stat["FP"]) == (counts[tech, smell, "TP"], counts[tech, smell, "FP"])
    tp_share = sum(1 for label in sample.labels.values() if label == "TP") / len(sample.labels)
    assert 0.3 <= tp_share <= 0.5
    assert json.loads(json.dumps(sample.stats)) == sample.stats


def test_smell_mix_is_near_real_glitch_output(corpus: Corpus) -> None:
    """Secrets and comments dominate; literal passwords are nearly always TP, HTTP mostly TP, comments and
    generic secrets mostly FP (as on public modules)."""
    by_code: dict[str, Counter] = {}
    for d in corpus.detections:
        by_code.setdefault(d.code, Counter())[d.oracle_label] += 1
    rate = {code: c["TP"] / (c["TP"] + c["FP"]) for code, c in by_code.items()}
    assert rate["sec_hard_pass"] >= 0.9
    assert rate["sec_https"] >= 0.7
    assert rate["sec_susp_comm"] <= 0.4 and rate["sec_hard_secr"] <= 0.4
    share = Counter(d.smell for d in corpus.detections)
    assert share["Hard-coded secret"] > share["Use of HTTP without SSL/TLS"] > share["Use of weak cryptography algorithms"]
    assert share["Suspicious comment"] > 0.25 * len(corpus.detections)


def test_projects_are_repositories_with_tests_specs_examples_and_ci(sample: Sample) -> None:
    for tech in TECHS:
        assert sample.stats["per_tech"][tech]["projects"] >= 30
        assert sum(1 for path in sample.lines if path.startswith(tech + "/")) >= 150
    assert all(tech_from_path(path) == path.split("/", 1)[0] for path in sample.lines)
    detected = {path for path, _, _ in sample.labels}
    for tech, folders in {
        "ansible": ("/molecule/", "/tests/", "/examples/", "/.github/", "/defaults/"),
        "chef": ("/spec/", "/test/integration/", "/test/fixtures/", "/attributes/", "/recipes/"),
        "puppet": ("/manifests/",),
    }.items():
        for folder in folders:
            assert any(folder in path for path in detected if path.startswith(tech + "/")), (tech, folder)


def test_files_are_as_long_as_real_modules(sample: Sample) -> None:
    lengths = [len(lines) for lines in sample.lines.values()]
    assert max(lengths) <= PARAMS.max_lines + 40
    assert max(lengths) >= 300
    assert sum(1 for n in lengths if n >= 100) >= 0.3 * len(lengths)
    assert sorted(lengths)[len(lengths) // 2] >= 60


def test_puppet_classes_carry_documentation_blocks(sample: Sample) -> None:
    inits = [lines for path, lines in sample.lines.items() if path.endswith("/manifests/init.pp")]
    assert len(inits) >= 30
    for lines in inits:
        assert sum(1 for line in lines if line.startswith("# @param") or line.startswith("# [*")) >= 1
        assert any(line.startswith("class ") for line in lines)


# -- 3. GLITCH's rules and format ------------------------------------------------------------------------------


def test_detections_are_exactly_what_glitch_rules_flag(sample: Sample) -> None:
    found = {
        (path, index + 1, code)
        for path, lines in sample.lines.items()
        for index in range(len(lines))
        for code in rules.flags(path.split("/", 1)[0], lines, index)
    }
    assert found == set(sample.labels)


def test_no_secret_is_flagged_on_a_variable_lookup_or_vault_value(sample: Sample) -> None:
    for path, line, _, text in flagged(sample, "sec_hard_"):
        _, value = rules.binding(path.split("/", 1)[0], sample.lines[path], line - 1)
        assert not value.has_var and value.kind in ("string", "array", "null"), text
        assert "{{" not in value.text and "lookup(" not in value.text and "node[" not in value.text, text
    unflagged = [
        (path, index)
        for path, lines in sample.lines.items()
        for index, text in enumerate(lines)
        if re.search(r"(password|token|secret)\w*: \"\{\{ (vault_|lookup)", text)
    ]
    assert len(unflagged) >= 20
    assert not any((path, index + 1, "sec_hard_pass") in sample.labels for path, index in unflagged)


def test_no_localhost_url_is_flagged_and_comments_never_give_http(sample: Sample) -> None:
    for _, _, _, text in flagged(sample, "sec_https"):
        assert "http://localhost" not in text and "http://127.0.0.1" not in text
        assert not text.strip().startswith("#")
    local = sum(1 for lines in sample.lines.values() for text in lines if "http://localhost" in text)
    assert local >= 10


def test_glitch_csv_is_byte_exact(sample: Sample) -> None:
    for tech in TECHS:
        raw = (sample.root / "glitch" / f"{tech}.csv").read_bytes()
        assert b"\r" not in raw and raw.endswith(b"\n")
        assert raw.decode("utf-8").split("\n", 1)[0] == GLITCH_HEADER
        keys = set()
        nonsense = 0
        for row in sample.rows[tech]:
            assert row.code in GLITCH_CODES and row.description == glitch_description(row.code)
            assert row.path.startswith(f"{tech}/") and row.path in sample.lines
            if row.line in NONSENSE_LINES:
                nonsense += 1
                continue
            line = int(row.line)
            assert row.snippet == snippet(tech, sample.lines[row.path][line - 1])
            assert (row.path, line, row.code) not in keys
            keys.add((row.path, line, row.code))
        assert nonsense == PARAMS.nonsense_line_rows
        others = [row for row in sample.rows[tech] if trained_smell(row.code) is None]
        assert 0 < len(others) <= PARAMS.other_smell_rows
    puppet_comments = [r for r in sample.rows["puppet"] if r.code == "sec_susp_comm"]
    assert puppet_comments and not any(r.snippet.startswith("#") for r in puppet_comments[:50])


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
    keys = [(row.path, row.line) for row in sample.rows["ansible"]]
    assert keys != sorted(keys)


# -- 4. scripts parse ------------------------------------------------------------------------------------------


def test_every_ansible_file_is_yaml(sample: Sample) -> None:
    for path in sample.lines:
        if path.endswith(".yml"):
            yaml.safe_load((sample.root / path).read_text(encoding="utf-8"))


@pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby is not installed: Chef syntax not checked")
def test_every_chef_file_passes_ruby_c(sample: Sample) -> None:
    paths = [str(sample.root / path) for path in sample.lines if path.endswith(".rb")]
    failures = []
    for path in paths:
        result = subprocess.run(["ruby", "-c", path], capture_output=True, text=True)
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


# -- 5. labels follow the labelling guide ----------------------------------------------------------------------


def test_explicit_markers_are_tp_and_keywords_inside_words_are_fp(corpus: Corpus) -> None:
    lines = {path: source.lines for path, source in corpus.files.items()}
    comments = [(d, lines[d.path][d.line - 1]) for d in corpus.detections if d.code == "sec_susp_comm"]
    markers = [d for d, text in comments if re.search(r"\b(TODO|FIXME|HACK)\b", text)]
    in_word = [d for d, text in comments if re.search(r"(?i)\b(prefix|postfix|suffix|debug)\w*", text)
               and not re.search(r"(?i)todo|fixme|hack|bug\b|issue|fix\b|later", text)]
    assert len(markers) >= 50 and len(in_word) >= 30
    assert all(d.oracle_label == "TP" for d in markers)
    assert all(d.oracle_label == "FP" for d in in_word)


def test_service_accounts_are_fp_and_privileged_logins_tp(corpus: Corpus) -> None:
    lines = {path: source.lines for path, source in corpus.files.items()}
    services = set(VOCAB["svc"]) - set(VOCAB["priv"])
    users = [(d, lines[d.path][d.line - 1]) for d in corpus.detections if d.code == "sec_hard_user"]
    service = [d for d, text in users if re.search(r"['\" :]([a-z]+)'?,?$", text)
               and re.search(r"['\" :]([a-z]+)'?,?$", text).group(1) in services]
    root_login = [d for d, text in users if re.search(r"(remote_user|become_user|user\s*=>|^\s*user)\W+root\b", text)]
    assert len(service) >= 50 and len(root_login) >= 20
    assert all(d.oracle_label == "FP" for d in service)
    assert all(d.oracle_label == "TP" for d in root_login)


def test_label_noise_rate(corpus: Corpus) -> None:
    flipped = sum(1 for d in corpus.detections if d.label != d.oracle_label)
    assert flipped / len(corpus.detections) == pytest.approx(PARAMS.label_noise, abs=0.002)
    assert corpus.stats["label_noise_rate"] == pytest.approx(flipped / len(corpus.detections), abs=1e-4)


@pytest.mark.parametrize(
    ("tech", "text", "codes"),
    [
        ("ansible", 'db_password: "S3cr3t!x"', {"sec_hard_pass"}),
        ("ansible", "db_password: \"{{ lookup('hashi_vault', 'secret=kv/app:db') }}\"", set()),
        ("ansible", 'db_password: "{{ vault_db_password }}"', set()),
        ("ansible", 'db_password: ""', set()),
        ("ansible", "ssl_key: /etc/ssl/private/app.key", {"sec_hard_secr"}),
        ("ansible", "key_buffer_size: 16M", {"sec_hard_secr"}),
        ("ansible", "passenger_root: /usr/lib/passenger", {"sec_hard_user"}),
        ("ansible", "url: http://localhost:8080/health", set()),
        ("ansible", "url: http://mirror.example.org/app.tar.gz", {"sec_https"}),
        ("ansible", "url: https://mirror.example.org/app.tar.gz", set()),
        ("ansible", "# see http://mirror.example.org/", set()),
        ("ansible", "# Prefix of every metric", {"sec_susp_comm"}),
        ("ansible", "# XXX the unit file", set()),
        ("ansible", "ssl_ciphers: 'HIGH:!aNULL:!MD5'", {"sec_weak_crypt"}),
        ("ansible", "archive_checksum: 'md5:abc'", set()),
        ("ansible", "ciphers: 'RC4-SHA:DES-CBC3-SHA'", set()),
        ("chef", "default['app']['db']['password'] = 'secret'", {"sec_hard_pass"}),
        ("chef", "default['app']['db']['password'] = node['app']['vault']", set()),
        ("chef", "  source \"http://#{node['app']['host']}/app.tgz\"", set()),
        ("puppet", "  Optional[String] $user = undef,", {"sec_hard_user"}),
        ("puppet", "  Optional[String] $password = undef,", set()),
        ("puppet", "  $password = $app::params::password,", set()),
        ("puppet", "  String $api_url = \"http://${bind_host}:8080\",", {"sec_https"}),
    ],
)
def test_glitch_rules_on_single_lines(tech: str, text: str, codes: set[str]) -> None:
    assert rules.flags(tech, [text], 0) == codes


def test_invalid_params_are_refused(tmp_path: Path) -> None:
    for changes, message in [
        ({"label_noise": 0.6}, r"sample.label_noise: Input should be less than 0.5"),
        ({"min_lines": 5}, r"sample.min_lines: must be in \[10, 40\]"),
        ({"min_lines": 30, "max_lines": 50}, r"sample.max_lines: must be at least 60 and twice min_lines \(30\)"),
    ]:
        data = yaml.safe_load((ROOT / "params.yaml").read_text())
        data["sample"].update(changes)
        path = tmp_path / "params.yaml"
        path.write_text(yaml.safe_dump(data))
        with pytest.raises(IacsieveError, match=message):
            load_params(path)
