"""Records from scripts + GLITCH CSV + labels: context, marking, and every bad-input case."""

import json
import os

import pytest

from iacsieve.data.preprocess import records_from_glitch, records_from_reference_jsonl
from iacsieve.errors import IacsieveError

HEADER = "PATH,LINE,ERROR,DESCRIPTION,CODE\n"
DESC = "Hard-coded password - Developers should not reveal sensitive information in the source code. (CWE-259)"


@pytest.fixture
def project(tmp_path):
    scripts = tmp_path / "scripts"
    (scripts / "roles" / "db" / "tasks").mkdir(parents=True)
    lines = [f"- name: task {i}" for i in range(1, 21)]
    lines[9] = '  password: "hunter2"'
    (scripts / "roles" / "db" / "tasks" / "main.yml").write_text("\n".join(lines) + "\n")
    (scripts / "default.rb").write_text("# TODO: fix the key\npackage 'nginx'\n")
    csv = tmp_path / "glitch.csv"
    csv.write_text(
        HEADER
        + f"roles/db/tasks/main.yml,10,sec_hard_pass,{DESC},password: \"hunter2\"\n"
        + "default.rb,1,sec_susp_comm,-,# TODO: fix the key\n"
        + "default.rb,2,sec_no_int_check,-,package 'nginx'\n"
        + "default.rb,-1,sec_https,-,\n"
    )
    labels = tmp_path / "labels.csv"
    labels.write_text("PATH,LINE,CODE,LABEL\nroles/db/tasks/main.yml,10,sec_hard_pass,TP\ndefault.rb,1,sec_susp_comm,FP\n")
    return tmp_path, scripts, csv, labels


def build(project, **kwargs):
    _, scripts, csv, labels = project
    options = {"context_lines": 2, "max_line_chars": 400, "labels_path": labels} | kwargs
    return records_from_glitch([csv], scripts, **options)


def test_records_carry_marked_context_tech_smell_and_label(project):
    result = build(project)
    by_code = {r["glitch_code"]: r for r in result.records}
    secret = by_code["sec_hard_pass"]
    assert secret["tech"] == "ansible" and secret["smell"] == "Hard-coded secret" and secret["label"] == 1
    assert secret["content"] == 'password: "hunter2"'
    assert secret["context"].split("\n") == [
        "   - name: task 8", "   - name: task 9", '>>   password: "hunter2"', "   - name: task 11", "   - name: task 12"
    ]
    comment = by_code["sec_susp_comm"]
    assert comment["tech"] == "chef" and comment["label"] == 0
    assert comment["context"].startswith(">> # TODO")


def test_other_smells_and_nonsense_lines_are_counted_not_errors(project):
    result = build(project)
    assert len(result.records) == 2
    assert result.skipped["other GLITCH smell (sec_no_int_check)"] == 1
    assert result.skipped["nonsense line number"] == 1
    assert [d.code for d in result.untrained] == ["sec_no_int_check"]


def test_context_window_is_clipped_at_file_edges(project):
    result = build(project, context_lines=5)
    comment = next(r for r in result.records if r["glitch_code"] == "sec_susp_comm")
    assert comment["context"].split("\n") == [">> # TODO: fix the key", "   package 'nginx'"]


def test_non_utf8_bytes_are_replaced_and_counted(project):
    _, scripts, _, _ = project
    (scripts / "default.rb").write_bytes(b"# TODO: fix the key \xff\xfe\npackage 'nginx'\n")
    result = build(project)
    assert result.replaced_chars >= 1
    assert "\ufffd" in next(r for r in result.records if r["glitch_code"] == "sec_susp_comm")["content"]


def test_crlf_scripts_give_the_same_lines(project):
    _, scripts, _, _ = project
    target = scripts / "roles" / "db" / "tasks" / "main.yml"
    target.write_bytes(target.read_bytes().replace(b"\n", b"\r\n"))
    secret = next(r for r in build(project).records if r["glitch_code"] == "sec_hard_pass")
    assert secret["content"] == 'password: "hunter2"' and "\r" not in secret["context"]


def replace_row(project, old, new):
    _, _, csv, _ = project
    csv.write_text(csv.read_text().replace(old, new))


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("roles/db/tasks/main.yml,10", "roles/db/tasks/main.yml,99", r"line 2: LINE 99 is past the end"),
        ("roles/db/tasks/main.yml,10", "../outside.yml,10", r"line 2: path '../outside.yml' is outside the scripts folder"),
        ("roles/db/tasks/main.yml,10", "/etc/passwd,10", r"line 2: path '/etc/passwd' is outside the scripts folder"),
        ("roles/db/tasks/main.yml,10", "roles/missing.yml,10", r"line 2: script 'roles/missing.yml' not found"),
        ("default.rb,1,", "notes.txt,1,", r"line 3: unknown technology for 'notes.txt'"),
    ],
)
def test_bad_detection_rows_fail_naming_the_csv_line(project, old, new, message):
    tmp_path, scripts, _, _ = project
    (tmp_path / "outside.yml").write_text("a: 1\n" * 20)
    (scripts / "notes.txt").write_text("# TODO\n")
    replace_row(project, old, new)
    with pytest.raises(IacsieveError, match=message):
        build(project)


def test_symlink_leaving_the_scripts_folder_is_refused(project):
    tmp_path, scripts, _, _ = project
    (tmp_path / "secret.yml").write_text("password: x\n" * 20)
    os.symlink(tmp_path / "secret.yml", scripts / "link.yml")
    replace_row(project, "roles/db/tasks/main.yml,10", "link.yml,10")
    with pytest.raises(IacsieveError, match="outside the scripts folder"):
        build(project)


def test_binary_script_is_refused(project):
    _, scripts, _, _ = project
    (scripts / "default.rb").write_bytes(b"\x00\x01binary\n")
    with pytest.raises(IacsieveError, match="binary file"):
        build(project)


def test_missing_label_when_training_names_the_row(project):
    _, _, _, labels = project
    labels.write_text("PATH,LINE,CODE,LABEL\nroles/db/tasks/main.yml,10,sec_hard_pass,TP\n")
    with pytest.raises(IacsieveError, match=r"line 3: no label for default.rb:1 sec_susp_comm"):
        build(project)


@pytest.mark.parametrize(
    "text, message",
    [
        ("PATH,LINE,CODE\nx,1,y\n", "missing column"),
        ("PATH,LINE,CODE,LABEL\ndefault.rb,1,sec_susp_comm,maybe\n", "line 2: LABEL must be TP or FP"),
        ("PATH,LINE,CODE,LABEL\ndefault.rb,one,sec_susp_comm,TP\n", "line 2: LINE must be an integer"),
    ],
)
def test_bad_label_files_are_refused(project, text, message):
    _, _, _, labels = project
    labels.write_text(text)
    with pytest.raises(IacsieveError, match=message):
        build(project)


def test_unlabelled_run_leaves_labels_empty(project):
    result = build(project, labels_path=None)
    assert {r["label"] for r in result.records} == {None}


def test_explicit_technology_overrides_the_suffix(project):
    assert {r["tech"] for r in build(project, tech="puppet").records} == {"puppet"}


def test_reference_jsonl_import(tmp_path):
    rows = [
        {"smell": "Hard-coded secret", "file": "roles/a/tasks/main.yml", "content": "password: x", "line": 3,
         "detection_span": [3, 3], "with_context": "a: 1\nb: 2\npassword: x\nc: 3", "label": "TP", "source": "ansible"},
        {"smell": "Suspicious comment", "file": "x.pp", "content": "# FIXME", "line": 1,
         "detection_span": [1, 1], "with_context": "# FIXME\nclass a {}", "label": "FP", "source": "oracle"},
        {"smell": "Missing default case statement", "file": "x.pp", "content": "case", "line": 2,
         "detection_span": [2, 2], "with_context": "case", "label": "TP", "source": "puppet"},
    ]
    path = tmp_path / "ref.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = records_from_reference_jsonl(path, max_line_chars=400)
    assert [(r["tech"], r["label"], r["glitch_code"]) for r in result.records] == [
        ("ansible", 1, "sec_hard_secr"), ("puppet", 0, "sec_susp_comm")
    ]
    assert result.records[0]["context"].split("\n")[2] == ">> password: x"
    assert sum(result.skipped.values()) == 1


def test_reference_jsonl_bad_record_names_it(tmp_path):
    path = tmp_path / "ref.jsonl"
    path.write_text(json.dumps({"smell": "Hard-coded secret", "file": "a.yml"}) + "\n")
    with pytest.raises(IacsieveError, match="record 1: missing field"):
        records_from_reference_jsonl(path, max_line_chars=400)
