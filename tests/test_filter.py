"""`iacsieve filter` on new GLITCH output with the frozen champion: formats, integrity, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from conftest import ROOT, run

pytestmark = pytest.mark.slow

SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-2.1.0.json").read_text())
SAMPLE_CSV = "data/raw/sample/glitch/ansible.csv"


def iacsieve_filter(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run `iacsieve filter`; with ``check``, fail the test unless it exits 0 (nothing kept) or 1 (kept)."""
    proc = run(["iacsieve", "filter", *args], repo, check=False)
    if check and proc.returncode not in (0, 1):
        pytest.fail(f"iacsieve filter exited {proc.returncode}\n{proc.stderr[-4000:]}")
    return proc


def test_sarif_output_is_schema_valid_with_rules_locations_and_scores(pipeline_repo, tmp_path):
    out = tmp_path / "out.sarif"
    proc = iacsieve_filter(pipeline_repo, "--glitch", SAMPLE_CSV, "--scripts", "data/raw/sample",
                           "--format", "sarif", "-o", str(out))
    log = json.loads(out.read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(log)
    run_ = log["runs"][0]
    rule_ids = {rule["id"] for rule in run_["tool"]["driver"]["rules"]}
    results = run_["results"]
    assert results and {r["ruleId"] for r in results} <= rule_ids
    threshold = run_["properties"]["iacsieveThreshold"]
    for result in results:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].startswith("ansible/")
        assert (pipeline_repo / "data/raw/sample" / location["artifactLocation"]["uri"]).is_file()
        assert location["region"]["startLine"] >= 1
        props = result["properties"]
        assert props["iacsieveVerdict"] in ("keep", "unscored")
        if props["iacsieveVerdict"] == "keep":
            assert props["iacsieveScore"] >= threshold
    summary = proc.stderr.strip().splitlines()[-1]
    assert "detections read" in summary and "kept" in summary and "filtered" in summary
    assert proc.returncode == 1  # detections kept


def test_keep_all_scores_every_detection_and_counts_add_up(pipeline_repo, tmp_path):
    out = tmp_path / "all.jsonl"
    iacsieve_filter(pipeline_repo, "--glitch", SAMPLE_CSV, "--scripts", "data/raw/sample",
                    "--format", "jsonl", "--keep-all", "-o", str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    csv_rows = (pipeline_repo / SAMPLE_CSV).read_text().splitlines()[1:]
    nonsense = sum(1 for r in csv_rows if int(r.split(",", 4)[1]) < 1 or int(r.split(",", 4)[1]) > 2**31)
    assert len(rows) == len(csv_rows) - nonsense
    verdicts = {r["verdict"] for r in rows}
    assert verdicts <= {"keep", "filter", "unscored"} and "filter" in verdicts
    assert all((r["score"] is None) == (r["verdict"] == "unscored") for r in rows)
    assert all(r["smell"] is None for r in rows if r["verdict"] == "unscored")


def test_scores_match_the_evaluate_test_code_path(pipeline_repo):
    """The filter builds contexts with preprocess's code: same detection, same score."""
    from iacsieve import Filter
    from iacsieve.data.records import read_jsonl

    filt = Filter.from_pretrained(pipeline_repo / "models" / "champion")
    # data/raw/sample holds one repository per <tech>/<project> (data.repo_depth: 2), as preprocess saw it
    result = filt.filter_glitch([pipeline_repo / SAMPLE_CSV], pipeline_repo / "data/raw/sample", progress=False,
                                repo_depth=2)
    by_key = {(d.file, d.detection.line, d.detection.code): d.score for d in result.detections}
    records = [r for r in read_jsonl(pipeline_repo / "data/interim/detections.jsonl") if r["tech"] == "ansible"][:40]
    scores = filt.score_records(records, progress=False)
    for record, score in zip(records, scores):
        assert by_key[(record["file"], record["line"], record["glitch_code"])] == pytest.approx(score, abs=1e-6)


def test_champion_has_an_onnx_export_checked_on_every_validation_record(pipeline_repo):
    from iacsieve.data.records import read_jsonl

    champion = pipeline_repo / "models" / "champion"
    assert "  model.onnx" in (champion / "SHA256SUMS").read_text()
    check = json.loads((champion / "iacsieve.json").read_text())["onnx"]["validation"]
    val = read_jsonl(pipeline_repo / "data" / "processed" / "val.jsonl")
    assert check["records"] == check["verdicts_agree"] == len(val)
    assert check["max_abs_diff"] <= check["tolerance"] <= 1e-4
    assert "## ONNX export" in (champion / "README.md").read_text()


def test_onnx_and_pytorch_paths_agree_on_the_sample(pipeline_repo):
    from iacsieve import Filter

    csvs = sorted((pipeline_repo / "data/raw/sample/glitch").glob("*.csv"))
    results = {}
    for backend in ("onnx", "torch"):
        filt = Filter.from_pretrained(pipeline_repo / "models" / "champion", backend=backend)
        results[backend] = filt.filter_glitch(csvs, pipeline_repo / "data/raw/sample", progress=False).detections
    assert [d.verdict for d in results["onnx"]] == [d.verdict for d in results["torch"]]
    gaps = [abs(a.score - b.score) for a, b in zip(results["onnx"], results["torch"]) if a.score is not None]
    assert gaps and max(gaps) <= 1e-4


def test_csv_output_round_trips(pipeline_repo, tmp_path):
    import csv

    out = tmp_path / "kept.csv"
    iacsieve_filter(pipeline_repo, "--glitch", SAMPLE_CSV, "--scripts", "data/raw/sample", "--format", "csv",
                    "-o", str(out))
    rows = list(csv.DictReader(out.open()))
    assert rows and set(rows[0]) == {"PATH", "LINE", "ERROR", "DESCRIPTION", "CODE", "SMELL", "SCORE", "VERDICT"}


@pytest.fixture
def champion_copy(pipeline_repo, tmp_path) -> Path:
    target = tmp_path / "champion"
    shutil.copytree(pipeline_repo / "models" / "champion", target)
    return target


def _damage(name: str):
    return lambda c: (c / name).write_bytes((c / name).read_bytes()[:-8] + b"\0" * 8)


@pytest.mark.parametrize(
    "tamper, backend, message",
    [
        # Each backend hashes the files it loads: the PyTorch weights before PyTorch loads them, the ONNX graph
        # as ONNX Runtime reads it; listing, presence and unlisted files are checked on open for both.
        (_damage("model.safetensors"), "torch", "model.safetensors does not match its SHA256SUMS entry"),
        (_damage("model.onnx"), "auto", "model.onnx does not match its SHA256SUMS entry"),
        (_damage("tokenizer.json"), "auto", "tokenizer.json does not match its SHA256SUMS entry"),
        (_damage("config.json"), "auto", "config.json does not match its SHA256SUMS entry"),
        (lambda c: (c / "model.safetensors").unlink(), "auto", "model.safetensors is listed in SHA256SUMS but missing"),
        (lambda c: (c / "config.json").unlink(), "auto", "config.json is listed in SHA256SUMS but missing"),
        (lambda c: (c / "SHA256SUMS").unlink(), "auto", "not a frozen champion"),
        (lambda c: (c / "pytorch_model.bin").write_bytes(b"pickle"), "auto", "pytorch_model.bin is not listed in SHA256SUMS"),
    ],
)
def test_tampered_champion_is_refused(pipeline_repo, champion_copy, tmp_path, tamper, backend, message):
    tamper(champion_copy)
    out = tmp_path / "out.sarif"
    proc = iacsieve_filter(pipeline_repo, "--glitch", SAMPLE_CSV, "--scripts", "data/raw/sample",
                           "--model", str(champion_copy), "--backend", backend, "-o", str(out), check=False)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


def test_pickle_weights_are_refused_even_with_valid_sums(pipeline_repo, champion_copy, tmp_path):
    from iacsieve.champion import write_checksums

    (champion_copy / "model.safetensors").unlink()
    (champion_copy / "pytorch_model.bin").write_bytes(b"not loaded")
    write_checksums(champion_copy)
    proc = iacsieve_filter(pipeline_repo, "--glitch", SAMPLE_CSV, "--scripts", "data/raw/sample",
                           "--model", str(champion_copy), "-o", str(tmp_path / "o.sarif"), check=False)
    assert proc.returncode == 2 and "safetensors" in proc.stderr and "Traceback" not in proc.stderr


def write_csv(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "glitch.csv"
    path.write_text("PATH,LINE,ERROR,DESCRIPTION,CODE\n" + rows)
    return path


@pytest.mark.parametrize(
    "rows, args, message",
    [
        ("../../../etc/passwd,1,sec_hard_pass,-,x\n", (), "outside the scripts folder"),
        ("ansible/{f},99999,sec_hard_pass,-,x\n", (), "past the end of"),
        ("ansible/{f},1,sec_hard_pass\n", (), "expected 5 fields"),
        ("ansible/{f},1,sec_hard_pass,-,x\n", ("--model", "data/raw/sample"), "not a frozen champion"),
        ("ansible/{f},1,sec_hard_pass,-,x\n", ("--format", "pdf"), "invalid choice: 'pdf'"),
    ],
)
def test_bad_input_gives_one_line_and_no_output(pipeline_repo, tmp_path, rows, args, message):
    first_file = next((pipeline_repo / "data/raw/sample/ansible").rglob("*.yml")).relative_to(
        pipeline_repo / "data/raw/sample/ansible").as_posix()
    glitch = write_csv(tmp_path, rows.replace("{f}", first_file))
    out = tmp_path / "out.sarif"
    proc = iacsieve_filter(pipeline_repo, "--glitch", str(glitch), "--scripts", "data/raw/sample",
                           *args, "-o", str(out), check=False)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not out.exists()
    assert not list(tmp_path.glob(".out.sarif.*"))


def test_existing_output_is_not_overwritten_without_force(pipeline_repo, tmp_path):
    out = tmp_path / "out.sarif"
    out.write_text("keep me")
    proc = iacsieve_filter(pipeline_repo, "--glitch", SAMPLE_CSV, "--scripts", "data/raw/sample", "-o", str(out),
                           check=False)
    assert proc.returncode == 2 and "already exists" in proc.stderr
    assert out.read_text() == "keep me"


def test_sarif_passes_microsofts_validator(pipeline_repo, tmp_path):
    tool = shutil.which("sarif-multitool") or next(
        (str(p) for p in (ROOT / ".ci" / "tools" / "node_modules" / ".bin").glob("sarif-multitool")), None)
    if tool is None:
        pytest.skip("sarif-multitool not installed (.ci/run installs it from npm)")
    out = tmp_path / "out.sarif"
    iacsieve_filter(pipeline_repo, "--glitch", SAMPLE_CSV, "--scripts", "data/raw/sample", "-o", str(out))
    proc = subprocess.run([tool, "validate", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ": error" not in proc.stdout, proc.stdout
