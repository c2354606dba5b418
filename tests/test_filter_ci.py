"""`iacsieve filter` for CI: the torch-free ONNX path, exit codes, --fail-on, the console table, the
pre-commit hook and the GitHub Action's script — on a small project and a tiny champion built in seconds
(tests/tiny_champion.py), so none of this needs the pipeline."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import BIN, ROOT, run, tool_env
from tiny_champion import HEADER, build_champion, write_project


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """``project/``: ansible scripts and glitch.csv (24 trained-smell rows, 2 passed through), ``champion/``
    with model.onnx, and ``champion-torch/``: the same champion without it."""
    base = tmp_path_factory.mktemp("ci")
    project = base / "project"
    glitch = write_project(project)
    build_champion(project / "champion", project, glitch)
    torch_only = project / "champion-torch"
    shutil.copytree(project / "champion", torch_only)
    (torch_only / "model.onnx").unlink()
    from iacsieve.champion import write_checksums

    write_checksums(torch_only)
    return project


def iacsieve_filter(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return run(["iacsieve", "filter", "glitch.csv", "--scripts", ".", "--model", "champion", *args], project,
               check=False, **env)


def verdicts(project: Path, *args: str) -> list[dict]:
    proc = iacsieve_filter(project, "--format", "jsonl", "--keep-all", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_onnx_path_imports_neither_torch_nor_transformers(project, tmp_path):
    probe = (
        "import json, sys\n"
        "from iacsieve.cli import main\n"
        f"code = main(['filter', 'glitch.csv', '--scripts', '.', '--model', 'champion', '-o', {str(tmp_path / 'o.sarif')!r}])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers'))\n"
        "print(json.dumps({'code': code, 'heavy': heavy, 'onnxruntime': 'onnxruntime' in sys.modules}))\n"
    )
    proc = run([sys.executable, "-c", probe], project)
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["code"] == 1 and seen["onnxruntime"], seen
    assert seen["heavy"] == [], f"torch/transformers imported on the ONNX path: {seen['heavy'][:5]}"
    assert json.loads((tmp_path / "o.sarif").read_text())["runs"][0]["results"]


def test_onnx_and_pytorch_backends_agree(project):
    from iacsieve import Filter

    results = {}
    for backend in ("onnx", "torch"):
        filt = Filter.from_pretrained(project / "champion", backend=backend)
        assert filt.backend == backend
        results[backend] = filt.filter_glitch([project / "glitch.csv"], project, progress=False).detections
    assert [d.verdict for d in results["onnx"]] == [d.verdict for d in results["torch"]]
    for a, b in zip(results["onnx"], results["torch"]):
        assert (a.score is None) == (b.score is None)
        if a.score is not None:
            assert a.score == pytest.approx(b.score, abs=1e-5)
    assert {"keep", "filter", "unscored"} == {d.verdict for d in results["onnx"]}


def test_freeze_check_is_recorded(project):
    meta = json.loads((project / "champion" / "iacsieve.json").read_text())
    check = meta["onnx"]["validation"]
    assert check["verdicts_agree"] == check["records"] == 24 and check["max_abs_diff"] <= 1e-4
    assert "model.onnx" in (project / "champion" / "SHA256SUMS").read_text()


def test_auto_backend_falls_back_to_pytorch_without_onnx(project):
    from iacsieve import Filter
    from iacsieve.errors import IacsieveError

    assert Filter.from_pretrained(project / "champion").backend == "onnx"
    assert Filter.from_pretrained(project / "champion-torch").backend == "torch"
    with pytest.raises(IacsieveError, match="no model.onnx"):
        Filter.from_pretrained(project / "champion-torch", backend="onnx")
    onnx_rows = verdicts(project)
    torch_rows = verdicts(project, "--model", "champion-torch")
    assert [r["verdict"] for r in onnx_rows] == [r["verdict"] for r in torch_rows]


def test_threads_come_from_the_flag_then_the_environment_then_the_champion(project, monkeypatch):
    from iacsieve import Filter

    monkeypatch.delenv("IACSIEVE_THREADS", raising=False)
    assert Filter.from_pretrained(project / "champion").threads == 1  # frozen in iacsieve.json
    monkeypatch.setenv("IACSIEVE_THREADS", "3")
    assert Filter.from_pretrained(project / "champion").threads == 3
    assert Filter.from_pretrained(project / "champion", threads=2).threads == 2


def test_exit_codes(project, tmp_path):
    rows = verdicts(project)
    kept = [r for r in rows if r["verdict"] == "keep"]
    filtered = [r for r in rows if r["verdict"] == "filter"]
    assert kept and filtered
    assert iacsieve_filter(project).returncode == 1
    assert iacsieve_filter(project, "--exit-zero").returncode == 0
    # Only detections the champion filters out: nothing kept, exit 0 (passed-through ones do not count).
    only_filtered = tmp_path / "filtered.csv"
    lines = (project / "glitch.csv").read_text().splitlines()[1:]
    keep_keys = {(r["path"], r["line"]) for r in kept}
    only_filtered.write_text(HEADER + "".join(
        line + "\n" for line in lines if (line.split(",")[0], int(line.split(",")[1])) not in keep_keys))
    proc = run(["iacsieve", "filter", str(only_filtered), "--scripts", ".", "--model", "champion"], project, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "0 kept" in proc.stderr and "2 passed through unscored" in proc.stderr
    # Errors: 2 with one line, whatever else is asked.
    for args in (("--glitch", "missing.csv"), ("--fail-on", "nonsense"), ("--threads", "0"),
                 ("--backend", "onnx", "--model", "champion-torch")):
        proc = iacsieve_filter(project, *args, "--exit-zero")
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr, proc.stderr


def test_fail_on_chooses_the_smells_that_fail_the_run(project):
    rows = verdicts(project)
    kept_smells = {r["smell"] for r in rows if r["verdict"] == "keep"}
    aliases = {"Hard-coded secret": "secret", "Suspicious comment": "comment",
               "Use of weak cryptography algorithms": "crypto", "Use of HTTP without SSL/TLS": "http"}
    for smell, alias in aliases.items():
        expected = 1 if smell in kept_smells else 0
        assert iacsieve_filter(project, "--fail-on", alias).returncode == expected, smell
        assert iacsieve_filter(project, "--fail-on", smell).returncode == expected, smell
    not_kept = [alias for smell, alias in aliases.items() if smell not in kept_smells]
    kept_codes = sorted({r["code"] for r in rows if r["verdict"] == "keep"})
    assert iacsieve_filter(project, "--fail-on", kept_codes[0]).returncode == 1
    # A smell that is only passed through (not trained on) fails the run only when named.
    assert iacsieve_filter(project, "--fail-on", "sec_def_admin").returncode == 1
    assert iacsieve_filter(project, "--fail-on", "all").returncode == 1
    if not_kept:
        assert iacsieve_filter(project, "--fail-on", ",".join(not_kept)).returncode == 0


def test_table_format(project):
    proc = iacsieve_filter(project, "--format", "table", "--keep-all")
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["FILE:LINE", "SMELL", "SCORE", "VERDICT"]
    rows = verdicts(project)
    assert len(lines) == 1 + len(rows)
    for line, row in zip(lines[1:], rows):
        assert line.startswith(f"{row['path']}:{row['line']} ")
        assert line.endswith(row["verdict"])
        assert (f"{row['score']:.3f}" if row["score"] is not None else " - ") in line
    kept_only = iacsieve_filter(project, "--format", "table").stdout.splitlines()
    assert len(kept_only) == 1 + sum(r["verdict"] != "filter" for r in rows)
    assert proc.stderr.strip().startswith("iacsieve filter: 26 detections read")


def champion_with_a_flipped_byte(project: Path, tmp_path: Path, name: str) -> Path:
    """A copy of the project's champion with one byte of ``name`` flipped (SHA256SUMS unchanged)."""
    champion = tmp_path / "champion"
    shutil.copytree(project / "champion", champion)
    data = bytearray((champion / name).read_bytes())
    data[-100] ^= 0xFF
    (champion / name).write_bytes(bytes(data))
    return champion


def test_tampered_onnx_is_refused(project, tmp_path):
    champion = champion_with_a_flipped_byte(project, tmp_path, "model.onnx")
    proc = iacsieve_filter(project, "--model", str(champion))
    assert proc.returncode == 2 and "model.onnx does not match its SHA256SUMS entry" in proc.stderr


def test_each_backend_hashes_the_weights_it_loads(project, tmp_path):
    """The ONNX backend never reads the PyTorch weights, so it hashes them only if PyTorch is asked for."""
    from iacsieve.errors import IacsieveError
    from iacsieve.filtering.filter import Filter

    champion = champion_with_a_flipped_byte(project, tmp_path, "model.safetensors")
    onnx = Filter.from_pretrained(champion)
    assert onnx.backend == "onnx" and len(onnx.predict_proba(["password: x", "# TODO"])) == 2
    with pytest.raises(IacsieveError, match="model.safetensors does not match its SHA256SUMS entry"):
        onnx.model
    with pytest.raises(IacsieveError, match="model.safetensors does not match its SHA256SUMS entry"):
        Filter.from_pretrained(champion, backend="torch")


def test_garbage_onnx_with_valid_sums_gives_one_line(project, tmp_path):
    from iacsieve.champion import write_checksums

    champion = tmp_path / "champion"
    shutil.copytree(project / "champion", champion)
    (champion / "model.onnx").write_bytes(b"not an onnx graph")
    write_checksums(champion)
    proc = iacsieve_filter(project, "--model", str(champion))
    assert proc.returncode == 2 and "cannot load the ONNX model" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_model_from_the_environment(project):
    proc = run(["iacsieve", "filter", "glitch.csv", "--scripts", ".", "--format", "csv"], project, check=False,
               IACSIEVE_MODEL="champion")
    assert proc.returncode == 1, proc.stderr
    assert list(csv.DictReader(io.StringIO(proc.stdout)))


# --- pre-commit hook -----------------------------------------------------------------------------------


def test_pre_commit_manifest_is_valid():
    proc = run([str(BIN / "pre-commit"), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")], ROOT)
    assert proc.returncode == 0
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert {"iacsieve-filter", "iacsieve-filter-system"} <= set(hooks)
    for hook in hooks.values():
        assert hook["entry"].startswith("iacsieve filter")


def git(repo: Path, *args: str) -> None:
    run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], repo)


def test_pre_commit_hook_runs_the_filter_on_a_glitch_csv(project, tmp_path):
    if shutil.which("pre-commit", path=str(BIN)) is None:
        pytest.skip("pre-commit not installed (pip install -e '.[dev]')")
    # The hook repository: this project's manifest, committed (try-repo reads a git repo).
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    shutil.copy2(ROOT / ".pre-commit-hooks.yaml", hooks)
    git(hooks, "init", "-q", "-b", "main")
    git(hooks, "add", "-A")
    git(hooks, "commit", "-qm", "hooks")
    # A user repository with scripts, GLITCH's CSV and the champion.
    user = tmp_path / "user"
    shutil.copytree(project, user, ignore=shutil.ignore_patterns("champion-torch"))
    git(user, "init", "-q", "-b", "main")
    git(user, "add", "-A")
    env = {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "IACSIEVE_MODEL": "champion"}
    command = [str(BIN / "pre-commit"), "try-repo", str(hooks), "iacsieve-filter-system", "--files", "glitch.csv"]
    proc = run(command, user, check=False, **env)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # detections kept: the hook fails
    assert "iacsieve filter" in proc.stdout and "Failed" in proc.stdout
    assert "FILE:LINE" in proc.stdout and "keep" in proc.stdout
    # A CSV with nothing the champion keeps passes.
    rows = verdicts(project)
    kept = {(r["path"], r["line"]) for r in rows if r["verdict"] == "keep"}
    lines = (user / "glitch.csv").read_text().splitlines()[1:]
    (user / "glitch.csv").write_text(HEADER + "".join(
        line + "\n" for line in lines if (line.split(",")[0], int(line.split(",")[1])) not in kept))
    git(user, "add", "-A")
    proc = run(command, user, check=False, **env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Passed" in proc.stdout


# --- GitHub Action ---------------------------------------------------------------------------------------


def test_action_definition_runs_the_script_and_uploads_the_sarif():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    filter_step = next(s for s in steps if s.get("id") == "filter")
    assert "action/run-filter.sh" in filter_step["run"]
    for name in filter_step["env"].values():
        input_name = name.removeprefix("${{ inputs.").removesuffix(" }}")
        assert input_name in action["inputs"], input_name
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert "steps.filter.outputs.sarif" in upload["with"]["sarif_file"] and "!cancelled()" in upload["if"]
    assert action["inputs"]["glitch-csv"]["required"] is True


def run_action_script(project: Path, tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess, dict, str]:
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.write_text("")
    summary.write_text("")
    env = tool_env(GITHUB_OUTPUT=str(output), GITHUB_STEP_SUMMARY=str(summary),
                   **{f"INPUT_{key.upper()}": value for key, value in inputs.items()})
    proc = subprocess.run(["bash", str(ROOT / "action" / "run-filter.sh")], cwd=project, env=env,
                          capture_output=True, text=True)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return proc, outputs, summary.read_text()


def test_action_script_writes_sarif_outputs_and_summary(project, tmp_path):
    sarif = tmp_path / "out.sarif"
    proc, outputs, summary = run_action_script(project, tmp_path, glitch_csv="glitch.csv", model="champion",
                                               sarif=str(sarif))
    assert proc.returncode == 1, proc.stderr
    log = json.loads(sarif.read_text())
    kept = sum(r["properties"]["iacsieveVerdict"] == "keep" for r in log["runs"][0]["results"])
    assert outputs == {"sarif": str(sarif), "exit-code": "1", "kept": str(kept),
                       "summary": outputs["summary"]} and "detections read" in outputs["summary"]
    assert "FILE:LINE" in proc.stdout and "::error::" in proc.stdout
    assert "### iacsieve filter" in summary and "FILE:LINE" in summary

    proc, outputs, _ = run_action_script(project, tmp_path, glitch_csv="glitch.csv", model="champion",
                                         sarif=str(sarif), exit_zero="true", keep_all="true")
    assert proc.returncode == 0 and outputs["exit-code"] == "0", proc.stderr
    verdict_set = {r["properties"]["iacsieveVerdict"] for r in json.loads(sarif.read_text())["runs"][0]["results"]}
    assert verdict_set == {"keep", "filter", "unscored"}


def test_action_script_error_exits_2_without_outputs(project, tmp_path):
    sarif = tmp_path / "none.sarif"
    proc, outputs, _ = run_action_script(project, tmp_path, glitch_csv="missing.csv", model="champion",
                                         sarif=str(sarif))
    assert proc.returncode == 2 and outputs == {} and not sarif.exists()
    assert "::error::iacsieve filter failed (exit 2)" in proc.stdout


def test_fail_on_values_name_glitch_codes():
    from iacsieve.errors import IacsieveError
    from iacsieve.filtering.filter import fail_codes

    assert fail_codes(None) is None
    assert fail_codes(["secret"]) == {"sec_hard_secr", "sec_hard_pass", "sec_hard_user"}
    assert fail_codes(["http,crypto"]) == {"sec_https", "sec_weak_crypt"}
    assert fail_codes(["Use of HTTP without SSL/TLS", "sec_def_admin"]) == {"sec_https", "sec_def_admin"}
    assert "sec_def_admin" in fail_codes(["all"]) and "sec_def_admin" not in fail_codes(["trained"])
    with pytest.raises(IacsieveError, match="unknown smell 'passwords'"):
        fail_codes(["passwords"])


# --- the freeze step ---------------------------------------------------------------------------------------


def freeze_inputs(project: Path, work: Path) -> tuple[Path, dict]:
    """A staging folder holding the tiny champion without model.onnx, and data/processed/val.jsonl in
    ``work`` with the project's records."""
    from iacsieve.champion import write_checksums
    from iacsieve.data.glitch import read_glitch_csvs
    from iacsieve.data.preprocess import detection_record
    from iacsieve.data.scripts import ScriptFolder
    from iacsieve.smells import trained_smell

    staging = work / "staging"
    shutil.copytree(project / "champion-torch", staging)
    (staging / "SHA256SUMS").unlink()
    scripts = ScriptFolder(project)
    records = [detection_record(d, scripts, 5, 400) for d in read_glitch_csvs([project / "glitch.csv"]).detections
               if trained_smell(d.code)]
    (work / "data" / "processed").mkdir(parents=True)
    (work / "data" / "processed" / "val.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    write_checksums(staging)
    return staging, json.loads((staging / "iacsieve.json").read_text())


def test_freeze_exports_checks_and_documents_the_onnx_model(project, tmp_path, monkeypatch):
    from iacsieve.params import load_params
    from iacsieve.selection.model_card import _onnx_section
    from iacsieve.selection.stages import freeze_onnx

    staging, meta = freeze_inputs(project, tmp_path)
    monkeypatch.chdir(tmp_path)
    params = load_params(ROOT / "params.yaml")
    record = freeze_onnx(staging, meta, params)
    assert (staging / "model.onnx").is_file()
    check = record["validation"]
    assert check["records"] == check["verdicts_agree"] == 24 and check["max_abs_diff"] <= 1e-4
    assert "first token only" in record["graph"]
    card = _onnx_section({**meta, "onnx": record})
    assert "## ONNX export" in card and "24 of 24 records" in card
    assert "No ONNX export" in _onnx_section({k: v for k, v in meta.items() if k != "onnx"})


def _ops(graph_file: Path) -> set[str]:
    import onnx

    return {node.op_type for node in onnx.load(str(graph_file)).graph.node}


@pytest.mark.parametrize("flip", [False, True], ids=["int8 passes", "every int8 try fails"])
def test_freeze_tries_int8_graphs_in_turn_and_ships_the_first_that_passes(project, tmp_path, monkeypatch, flip):
    """filter.int8_keep_fp32 lists the int8 graphs tried in turn: the first whose check passes ships; when
    none passes (a combination that flips every int8 verdict), model.onnx stays fp32 and the record lists
    every rejected try."""
    from iacsieve.params import load_params
    from iacsieve.selection.model_card import _onnx_section
    from iacsieve.selection.stages import freeze_onnx

    staging, meta = freeze_inputs(project, tmp_path)
    val = tmp_path / "data" / "processed" / "val.jsonl"
    records = [json.loads(line) for line in val.read_text().splitlines()]
    val.write_text("".join(json.dumps({**r, "label": i % 2}) + "\n" for i, r in enumerate(records)))
    monkeypatch.chdir(tmp_path)
    params = load_params(ROOT / "params.yaml")
    tries = ["none", "first-layer", "ffn-output"]
    int8 = params.filter.model_copy(update={"onnx_int8": True, "int8_smoothing": 0.0, "int8_keep_fp32": tries,
                                            "int8_min_agreement": 0.9, "int8_max_f1_drop": 0.1})
    reference_is_flipped = []
    if flip:  # the reference is the PyTorch scores object itself; every other score is flipped
        from iacsieve.selection import onnx_export

        original = onnx_export.check_int8

        def check_flipped(folder, records, reference, *args):
            reference_is_flipped.append(True)  # one call per try
            return original(folder, records, reference, *args[:-1],
                            combine=lambda s: s if s is reference else 1.0 - np.asarray(s))
        monkeypatch.setattr(onnx_export, "check_int8", check_flipped)
    if not flip:  # this tiny model scores every detection near its threshold, where int8 noise flips verdicts
        meta = {**meta, "threshold": 0.0}
    record = freeze_onnx(staging, meta, params.model_copy(update={"filter": int8}))
    result = record["int8"]
    if flip:
        assert len(reference_is_flipped) == 3
        assert not result["passed"] and result["fp32"] == "ffn-output"
        assert [r["fp32"] for r in result["rejected"]] == ["none", "first-layer"]
        assert "MatMulInteger" not in _ops(staging / "model.onnx") and "DynamicQuantizeLinear" not in _ops(staging / "model.onnx")
        assert "tried and rejected" in _onnx_section({**meta, "onnx": record})
    else:
        assert result["passed"] and result["fp32"] == "none" and result["rejected"] == []
        assert {"MatMulInteger", "DynamicQuantizeLinear"} & _ops(staging / "model.onnx")
        assert "**The shipped graph is int8**" in _onnx_section({**meta, "onnx": record})
    assert not (staging / "model.fp32.onnx").exists()


def test_freeze_fails_when_onnx_and_pytorch_differ_beyond_the_tolerance(project, tmp_path, monkeypatch):
    from iacsieve.errors import IacsieveError
    from iacsieve.params import load_params
    from iacsieve.selection.stages import freeze_onnx

    staging, meta = freeze_inputs(project, tmp_path)
    monkeypatch.chdir(tmp_path)
    params = load_params(ROOT / "params.yaml")
    strict = params.model_copy(update={"filter": params.filter.model_copy(update={"onnx_tolerance": 1e-12})})
    with pytest.raises(IacsieveError, match="ONNX check failed on 24 validation records"):
        freeze_onnx(staging, meta, strict)
