"""Bad input, case by case: each breaks the valid project of conftest.py in one place and runs a stage
script or the CLI as a user would.

Every refused case must exit non-zero with exactly one line on stderr naming the file, line or field
and what is wrong, print no traceback, and leave every file of the working folder as it was (no output
created, none changed). Tolerated input (CRLF, stray bytes, nonsense line numbers, ...) is documented
as skip-with-count: the run succeeds and the summary counts what was skipped or replaced.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bad_input_project import (
    DETECTIONS,
    EXISTING_OUTPUTS,
    ROOT,
    assert_refused,
    glitch_rows,
    label_rows,
    run_in,
    snapshot,
    write_project,
)

PREPROCESS = [sys.executable, str(ROOT / "stages" / "preprocess.py")]
FILTER = ["iacsieve", "filter", "--glitch", "inputs/glitch/all.csv", "--scripts", "inputs", "--model", "champion",
          "-o", "out.sarif"]


@pytest.fixture
def project(tmp_path) -> Path:
    return write_project(tmp_path / "work")


def write(rel: str, data: str | bytes) -> Callable[[Path], None]:
    def change(work: Path) -> None:
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)
    return change


def replace(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def change(work: Path) -> None:
        text = (work / rel).read_text()
        assert old in text, f"{old!r} not in {rel}"
        (work / rel).write_text(text.replace(old, new))
    return change


def glitch(*rows: str) -> Callable[[Path], None]:
    """Append raw rows to the GLITCH CSV."""
    return write("inputs/glitch/all.csv", glitch_rows() + "".join(row + "\n" for row in rows))


def params(edit: Callable[[dict], None]) -> Callable[[Path], None]:
    def change(work: Path) -> None:
        values = yaml.safe_load((work / "params.yaml").read_text())
        edit(values)
        (work / "params.yaml").write_text(yaml.safe_dump(values, sort_keys=False))
    return change


def both(*changes: Callable[[Path], None]) -> Callable[[Path], None]:
    def change(work: Path) -> None:
        for one in changes:
            one(work)
    return change


def relabel(work: Path) -> None:
    """Rewrite SHA256SUMS after a change, as someone would who edits a champion by hand."""
    from iacsieve.champion import write_checksums

    write_checksums(work / "champion")


def set_param(section: str, key: str, value) -> Callable[[dict], None]:
    def edit(values: dict) -> None:
        values[section][key] = value
    return edit


def symlink_out(work: Path) -> None:
    (work / "secret.yml").write_text("password: x\n" * 20)
    os.symlink(work / "secret.yml", work / "inputs" / "link.yml")
    glitch("link.yml,3,sec_hard_pass,-,password: x")(work)


CSV = r"inputs/glitch/all\.csv"
LABELS = r"inputs/labels\.csv"
PARAMS = r"params\.yaml"

# (id, change to the valid project, command, what the one line must say)
CASES: list[tuple[str, Callable[[Path], None], list[str], str]] = [
    # --- GLITCH CSVs -------------------------------------------------------------------------------------
    ("csv-wrong-header", replace("inputs/glitch/all.csv", "PATH,LINE,ERROR", "FILE,LINE,ERROR"), PREPROCESS,
     rf"{CSV}: .*header"),
    ("csv-empty-file", write("inputs/glitch/all.csv", ""), PREPROCESS, rf"{CSV}: empty file"),
    ("csv-binary", write("inputs/glitch/all.csv", b"PATH,LINE\x00\x01\x02\n"), PREPROCESS, rf"{CSV}: .*binary"),
    ("csv-too-few-fields", glitch("site.yml,3,sec_hard_pass"), PREPROCESS, rf"{CSV}: line 6: .*5 fields"),
    ("csv-line-not-integer", glitch("site.yml,three,sec_hard_pass,-,x"), PREPROCESS, rf"{CSV}: line 6: .*LINE"),
    ("csv-empty-code", glitch("site.yml,3,,-,x"), PREPROCESS, rf"{CSV}: line 6: ERROR"),
    ("csv-path-escapes", glitch("../secret.yml,3,sec_hard_pass,-,x"), PREPROCESS,
     rf"{CSV}: line 6: path '../secret.yml' is outside the scripts folder"),
    ("csv-absolute-path", glitch("/etc/passwd,1,sec_hard_pass,-,x"), PREPROCESS,
     rf"{CSV}: line 6: path '/etc/passwd' is outside the scripts folder"),
    ("csv-symlink-escapes", symlink_out, PREPROCESS, rf"{CSV}: line 6: path 'link.yml' is outside the scripts folder"),
    ("csv-line-past-end", glitch("site.yml,99,sec_hard_pass,-,x"), PREPROCESS, rf"{CSV}: line 6: LINE 99 is past the end"),
    ("csv-missing-script", glitch("roles/gone.yml,3,sec_hard_pass,-,x"), PREPROCESS,
     rf"{CSV}: line 6: script 'roles/gone.yml' not found"),
    ("csv-unknown-technology", both(write("inputs/notes.txt", "# TODO\n"), glitch("notes.txt,1,sec_susp_comm,-,# TODO")),
     PREPROCESS, rf"{CSV}: line 6: unknown technology for 'notes.txt'"),
    ("csv-path-is-a-folder", glitch("recipes,1,sec_susp_comm,-,x"), PREPROCESS,
     rf"{CSV}: line 6: 'recipes' is a folder, not a script"),
    ("csv-none-in-source", lambda work: (work / "inputs" / "glitch" / "all.csv").unlink(), PREPROCESS,
     r"inputs: no GLITCH CSVs under glitch/ and no reference \*\.jsonl files"),
    # --- label files -------------------------------------------------------------------------------------
    ("labels-missing-file", lambda work: (work / "inputs" / "labels.csv").unlink(), PREPROCESS,
     rf"{LABELS}: label file missing"),
    ("labels-missing-column", write("inputs/labels.csv", "PATH,LINE,CODE\nsite.yml,11,sec_hard_pass\n"), PREPROCESS,
     rf"{LABELS}: .*missing column"),
    ("labels-bad-verdict", replace("inputs/labels.csv", "sec_hard_pass,TP", "sec_hard_pass,maybe"), PREPROCESS,
     rf"{LABELS}: line 2: LABEL must be TP or FP"),
    ("labels-line-not-integer", replace("inputs/labels.csv", "site.yml,11", "site.yml,eleven"), PREPROCESS,
     rf"{LABELS}: line 2: LINE must be an integer"),
    ("labels-two-verdicts", write("inputs/labels.csv", label_rows() + "site.yml,11,sec_hard_pass,FP\n"), PREPROCESS,
     rf"{LABELS}: line 6: detection site.yml:11 sec_hard_pass has two different labels"),
    ("labels-detection-unlabelled", write("inputs/labels.csv", label_rows(DETECTIONS[:3])), PREPROCESS,
     rf"{CSV}: line 5: no label for manifests/init.pp:2 sec_weak_crypt"),
    ("labels-not-utf8", write("inputs/labels.csv", label_rows().encode() + b"\xff\n"), PREPROCESS,
     rf"{LABELS}: not UTF-8"),
    # --- IaC scripts -------------------------------------------------------------------------------------
    ("script-binary", write("inputs/recipes/default.rb", b"\x7fELF\x00\x00\x01" * 20), PREPROCESS,
     rf"{CSV}: line 3: script 'recipes/default.rb' is a binary file"),
    ("script-empty", write("inputs/manifests/init.pp", ""), PREPROCESS,
     rf"{CSV}: line 5: LINE 2 is past the end of 'manifests/init.pp' \(0 lines\)"),
    # --- reference JSONL imports -------------------------------------------------------------------------
    ("jsonl-not-json", both(lambda w: (w / "inputs" / "glitch" / "all.csv").unlink(),
                            write("inputs/ref.jsonl", '{"smell": "Hard-coded secret",\n')),
     PREPROCESS, r"inputs/ref\.jsonl: line 1: .*JSON"),
    ("jsonl-missing-field", both(lambda w: (w / "inputs" / "glitch" / "all.csv").unlink(),
                                 write("inputs/ref.jsonl", json.dumps({"smell": "Hard-coded secret", "file": "a.yml"}) + "\n")),
     PREPROCESS, r"inputs/ref\.jsonl: (line|record) 1: missing field"),
    ("jsonl-bad-label", both(lambda w: (w / "inputs" / "glitch" / "all.csv").unlink(),
                             write("inputs/ref.jsonl", json.dumps({
                                 "smell": "Hard-coded secret", "file": "a.yml", "content": "password: x", "line": 1,
                                 "detection_span": [1, 1], "with_context": "password: x", "label": "yes",
                                 "source": "ansible"}) + "\n")),
     PREPROCESS, r"inputs/ref\.jsonl: (line|record) 1: field 'label' must be TP or FP"),
    ("jsonl-not-an-object", both(lambda w: (w / "inputs" / "glitch" / "all.csv").unlink(),
                                 write("inputs/ref.jsonl", "[1, 2, 3]\n")),
     PREPROCESS, r"inputs/ref\.jsonl: (line|record) 1: .*object"),
    # --- params ------------------------------------------------------------------------------------------
    ("params-typo-key", replace("params.yaml", "learning_rate:", "learning_rte:"), PREPROCESS,
     rf"{PARAMS}: unknown key 'train.learning_rte'; allowed keys: .*learning_rate"),
    ("params-negative-lr", params(set_param("train", "learning_rate", -0.001)), PREPROCESS,
     rf"{PARAMS}: train.learning_rate: .*greater than 0"),
    ("params-batch-size-zero", params(set_param("train", "batch_size", 0)), PREPROCESS, rf"{PARAMS}: train.batch_size"),
    ("params-threshold-step-zero", params(set_param("threshold", "step", 0)), PREPROCESS, rf"{PARAMS}: threshold.step"),
    ("params-threshold-above-one", params(set_param("threshold", "max", 1.5)), PREPROCESS, rf"{PARAMS}: threshold.max"),
    ("params-unknown-candidate", params(lambda v: v["stage1"]["candidates"].update(bert="tiny-bert")), PREPROCESS,
     rf"{PARAMS}: stage1.candidates.bert"),
    ("params-unknown-technology", params(set_param("data", "tech", "terraform")), PREPROCESS,
     rf"{PARAMS}: data.tech: .*ansible"),
    ("params-wrong-type", params(set_param("train", "epochs", "many")), PREPROCESS, rf"{PARAMS}: train.epochs"),
    ("params-not-yaml", write("params.yaml", "train: [unclosed\n"), PREPROCESS, rf"{PARAMS}: .*YAML"),
    ("params-source-missing", params(set_param("data", "source", "nowhere")), PREPROCESS,
     rf"{PARAMS}: data\.source: nowhere is not a folder"),
    # --- model folders (filter --model) ------------------------------------------------------------------
    ("model-folder-missing", lambda work: None, [*FILTER[:6], "--model", "no-such-champion", "-o", "out.sarif"],
     r"no-such-champion: champion folder not found"),
    ("model-no-checksums", lambda work: (work / "champion" / "SHA256SUMS").unlink(), FILTER,
     r"champion: not a frozen champion \(SHA256SUMS missing\)"),
    ("model-tampered-weights", write("champion/model.safetensors", b"\0" * 64), FILTER,
     r"champion: model.safetensors does not match its SHA256SUMS entry"),
    ("model-unlisted-pickle", write("champion/pytorch_model.bin", b"pickle"), FILTER,
     r"champion: pytorch_model.bin is not listed in SHA256SUMS"),
    ("model-sums-entry-escapes", lambda work: (work / "champion" / "SHA256SUMS").write_text(
        (work / "champion" / "SHA256SUMS").read_text() + "0" * 64 + "  ../params.yaml\n"), FILTER,
     r"champion/SHA256SUMS: entry '\.\./params\.yaml' points outside the champion folder"),
    ("model-sums-malformed", lambda work: (work / "champion" / "SHA256SUMS").write_text("not a checksum line\n"), FILTER,
     r"champion/SHA256SUMS: line 1: not a 'sha256  file' line"),
    ("model-pickle-only", both(lambda w: (w / "champion" / "model.safetensors").unlink(),
                               write("champion/pytorch_model.bin", b"pickle"), relabel), FILTER,
     r"champion: .*safetensors"),
    ("model-meta-not-json", both(write("champion/iacsieve.json", "{broken"), relabel), FILTER,
     r"champion/iacsieve\.json: not valid JSON"),
    ("model-meta-no-threshold", both(write("champion/iacsieve.json", json.dumps({"context_lines": 5})), relabel), FILTER,
     r"champion/iacsieve\.json: field 'threshold' missing or not a number"),
    ("model-weights-do-not-fit", lambda work: None, [*FILTER, "--keep-all"],
     r"champion: model.safetensors does not fit config.json \(\d+ missing keys"),
    ("model-remote-code", both(write("champion/config.json", json.dumps(
        {"model_type": "evil", "auto_map": {"AutoModelForSequenceClassification": "evil.Model"}})), relabel), FILTER,
     r"champion: .*(trust_remote_code|remote code|model type)"),
    # --- CLI flags ---------------------------------------------------------------------------------------
    ("cli-format-unknown", lambda work: None, [*FILTER, "--format", "pdf"], r"--format: invalid choice: 'pdf'"),
    ("cli-batch-size-zero", lambda work: None, [*FILTER, "--batch-size", "0"], r"--batch-size must be at least 1"),
    ("cli-output-exists", lambda work: None, [*FILTER[:-1], "existing.sarif"],
     r"existing\.sarif: already exists \(use --force to overwrite\)"),
    ("cli-glitch-missing", lambda work: None, ["iacsieve", "filter", "--glitch", "gone.csv", "--scripts", "inputs",
                                               "--model", "champion", "-o", "out.sarif"], r"gone\.csv: cannot read"),
    ("cli-scripts-not-a-folder", lambda work: None, [*FILTER[:5], "inputs/site.yml", *FILTER[6:]],
     r"inputs/site\.yml: scripts folder does not exist or is not a folder"),
    ("cli-scripts-required", lambda work: None, ["iacsieve", "filter", "--glitch", "inputs/glitch/all.csv"],
     r"the following arguments are required: --scripts"),
    ("cli-sweep-unknown-stage", lambda work: None, ["iacsieve", "sweep", "stage9", "--dry-run"],
     rf"{PARAMS}: no sweeps\.stage9 \(known: "),
    ("cli-sweep-unknown-grid", lambda work: None, ["iacsieve", "sweep", "stage2", "--grid", "huge", "--dry-run"],
     rf"{PARAMS}: sweeps\.stage2\.grids has no 'huge'"),
    ("cli-stage-option-type", lambda work: None, [sys.executable, str(ROOT / "stages" / "stage4_train.py"), "--seed", "x"],
     r"--seed: invalid int value: 'x'"),
]


@pytest.mark.parametrize("change, command, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_in_one_line_and_nothing_is_written(project, change, command, message):
    change(project)
    before = snapshot(project)
    outcome = run_in(project, command)
    assert_refused(outcome, message)
    assert snapshot(project) == before, "a refused run created, changed or removed a file"


#: Where a refused input is wrong, as a case's message starts: a file (with its line or record where it
#: has one), a folder, a params.yaml field or a command-line argument.
PLACE = re.compile(r"^(\S+\.\S+|\S+/\S*|inputs|champion|no-such-champion|--[a-z-]+|sweeps\.\S+)(:| must)")
#: argparse words a missing argument its own way, naming the argument last.
MISSING_ARGUMENT = re.compile(r"^the following arguments are required: --[a-z-]+$")


def plain(message: str) -> str:
    """A case's message pattern with its regex escapes removed (\\. -> .)."""
    return re.sub(r"\\(.)", r"\1", message)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_each_case_names_the_place_of_its_error(case):
    """The message a case expects (matched from the start of the refusal, see assert_refused) begins with
    the file, folder, field or argument at fault."""
    case_id, _, _, message = case
    assert [c[0] for c in CASES].count(case_id) == 1, f"{case_id} appears twice"
    assert PLACE.match(plain(message)) or MISSING_ARGUMENT.match(plain(message)), message


def test_every_input_of_the_valid_project_has_a_refused_case(tmp_path):
    """Each file the valid project gives a stage or the CLI (inputs, params, champion files) is the place
    named by at least one case, so a new input file without a bad-input case fails here."""
    work = write_project(tmp_path / "work")
    outputs = {*EXISTING_OUTPUTS}
    inputs = sorted(name for name, kind in snapshot(work).items() if kind != "dir" and name not in outputs)
    named = " ".join(plain(message) for *_, message in CASES)
    unnamed = [name for name in inputs if name not in named and Path(name).name not in named]
    assert inputs and not unnamed, f"no bad-input case names {unnamed}"


def test_the_valid_project_is_accepted(project):
    """The control: without a change, preprocess succeeds (so each case fails on its own change)."""
    outcome = run_in(project, PREPROCESS)
    assert outcome.returncode == 0, outcome.stderr
    records = [json.loads(line) for line in (project / "data/interim/detections.jsonl").read_text().splitlines()]
    assert sorted((r["file"], r["line"], r["label"]) for r in records) == sorted(
        (path, line, int(label == "TP")) for path, line, *_, label in DETECTIONS
    )


def preprocess_summary(project: Path) -> dict:
    outcome = run_in(project, PREPROCESS)
    assert outcome.returncode == 0, outcome.stderr
    assert "Traceback" not in outcome.stderr
    return json.loads((project / "details" / "preprocess.json").read_text())


def records(project: Path) -> list[dict]:
    return [json.loads(line) for line in (project / "data/interim/detections.jsonl").read_text().splitlines()]


# --- tolerated input: documented skip-with-count ------------------------------------------------------------


def test_crlf_scripts_and_csv_give_the_same_records(project, tmp_path):
    preprocess_summary(project)
    expected = records(project)
    for path in [*(project / "inputs").rglob("*.yml"), *(project / "inputs").rglob("*.rb"), project / "inputs/glitch/all.csv"]:
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    summary = preprocess_summary(project)
    assert records(project) == expected
    assert summary["records"] == len(DETECTIONS)


def test_non_utf8_bytes_in_a_script_are_replaced_and_counted(project):
    path = project / "inputs" / "recipes" / "default.rb"
    path.write_bytes(path.read_bytes().replace(b"rotate", b"rot\xe9\xffte"))
    summary = preprocess_summary(project)
    assert summary["replaced_invalid_utf8"] == 2
    comment = next(r for r in records(project) if r["glitch_code"] == "sec_susp_comm")
    assert "rot\ufffd\ufffdte" in comment["content"]


def test_a_huge_line_is_cut_to_max_line_chars_and_counted(project):
    path = project / "inputs" / "site.yml"
    lines = path.read_text().splitlines()
    lines[10] = '    db_password: "' + "x" * 2_000_000 + '"'
    path.write_text("\n".join(lines) + "\n")
    summary = preprocess_summary(project)
    secret = next(r for r in records(project) if r["glitch_code"] == "sec_hard_pass")
    max_chars = yaml.safe_load((project / "params.yaml").read_text())["preprocess"]["max_line_chars"]
    assert max(len(line) for line in secret["context"].splitlines()) <= max_chars + 3  # ">> " marker
    assert summary["flagged_lines_cut_to_max_line_chars"] == 1


def test_stray_bytes_in_a_glitch_snippet_are_replaced(project):
    """GLITCH copies the flagged source into CODE; a script in another encoding gives bytes that are not
    UTF-8 there. The snippet is not used (the record reads the script itself), so the row is kept."""
    csv = project / "inputs" / "glitch" / "all.csv"
    csv.write_bytes(csv.read_bytes().replace(b"# TODO: rotate the key\n", b"# TODO: rot\xe9te the key\n"))
    summary = preprocess_summary(project)
    assert summary["records"] == len(DETECTIONS)


def test_nonsense_line_numbers_other_smells_and_duplicates_are_skipped_and_counted(project):
    rows = ["site.yml,-1,sec_hard_pass,-,", "site.yml,9223372036854775999,sec_https,-,x",
            "manifests/init.pp,3,sec_full_permission_filesystem,-,file", "site.yml,11,sec_hard_pass,-,dup"]
    glitch(*rows)(project)
    summary = preprocess_summary(project)
    assert summary["records"] == len(DETECTIONS)
    assert summary["skipped"] == {
        "nonsense line number": 2, "other GLITCH smell (sec_full_permission_filesystem)": 1, "duplicate row": 1,
    }
