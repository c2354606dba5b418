"""A small valid user project (scripts, GLITCH CSV, labels, params, a frozen champion) that each bad-input
case breaks in one place, and the checks every case must pass."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from conftest import ROOT, tool_env  # tests/conftest.py


HEADER = "PATH,LINE,ERROR,DESCRIPTION,CODE\n"
PASSWORD = "Hard-coded password - Developers should not reveal sensitive information in the source code. (CWE-259)"

PLAYBOOK = [f"- name: task {i}\n  debug: msg=step{i}" for i in range(1, 11)]
PLAYBOOK[4] = '- name: connect\n  vars:\n    db_password: "hunter2"'
SCRIPTS = {
    "site.yml": "\n".join(PLAYBOOK) + "\n",
    "recipes/default.rb": "# TODO: rotate the key\npackage 'nginx'\nremote_file 'x' do\n  source 'http://mirror.local/a.tgz'\nend\n",
    "manifests/init.pp": "class app {\n  $digest = md5($input)\n  file { '/etc/app': ensure => present }\n}\n",
}
DETECTIONS = [
    ("site.yml", 11, "sec_hard_pass", PASSWORD, 'db_password: "hunter2"', "TP"),
    ("recipes/default.rb", 1, "sec_susp_comm", "-", "# TODO: rotate the key", "FP"),
    ("recipes/default.rb", 4, "sec_https", "-", "source 'http://mirror.local/a.tgz'", "TP"),
    ("manifests/init.pp", 2, "sec_weak_crypt", "-", "$digest = md5($input)", "FP"),
]
#: What a user already had in the working folder: a bad run must leave it exactly as it was.
EXISTING_OUTPUTS = {
    "data/interim/detections.jsonl": '{"id": "kept from an earlier run"}\n',
    "details/preprocess.json": '{"records": 1}\n',
    "existing.sarif": '{"keep": "me"}\n',
}


def glitch_rows(rows=DETECTIONS) -> str:
    return HEADER + "".join(f"{path},{line},{code},{desc},{snippet}\n" for path, line, code, desc, snippet, _ in rows)


def label_rows(rows=DETECTIONS) -> str:
    return "PATH,LINE,CODE,LABEL\n" + "".join(f"{path},{line},{code},{label}\n" for path, line, code, *_, label in rows)


def write_project(work: Path) -> Path:
    """A valid project in ``work``: inputs/ (scripts, glitch/all.csv, labels.csv), params.yaml, champion/."""
    inputs = work / "inputs"
    for name, text in SCRIPTS.items():
        (inputs / name).parent.mkdir(parents=True, exist_ok=True)
        (inputs / name).write_text(text)
    (inputs / "glitch").mkdir()
    (inputs / "glitch" / "all.csv").write_text(glitch_rows())
    (inputs / "labels.csv").write_text(label_rows())
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["data"]["source"] = "inputs"
    (work / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for name, text in EXISTING_OUTPUTS.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    write_champion(work / "champion")
    return work


def write_champion(folder: Path) -> None:
    """A frozen-champion folder whose checksums and metadata are valid (its weights are never reached by
    the cases that use it unchanged: they fail on their input first)."""
    from safetensors.numpy import save_file
    import numpy as np

    from iacsieve.champion import CHAMPION_META, write_checksums

    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "roberta", "architectures": ["RobertaForSequenceClassification"]}))
    save_file({"weight": np.zeros((2, 2), dtype=np.float32)}, str(folder / "model.safetensors"))
    meta = {"threshold": 0.5, "context_lines": 5, "max_line_chars": 400, "max_length": 256,
            "smells": [], "techs": ["ansible", "chef", "puppet"]}
    (folder / CHAMPION_META).write_text(json.dumps(meta))
    write_checksums(folder)


def snapshot(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (and its kind for links), by relative path."""
    state = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            state[name] = f"link->{os.readlink(path)}"
        elif path.is_file():
            state[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[name] = "dir"
    return state


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def run_in(work: Path, command: list[str]) -> Outcome:
    proc = subprocess.run(command, cwd=work, capture_output=True, text=True, env=tool_env(), timeout=120)
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


#: How a stage script or the CLI starts its one line: "preprocess: error: ", "iacsieve filter: error: ", and
#: argparse's "argument " before an option it refuses.
REFUSAL_PREFIX = r"[\w-]+(?: [\w-]+)?: error: (?:argument )?"


def assert_refused(outcome: Outcome, message: str) -> None:
    """Exit ≠ 0, exactly one line on stderr, no traceback anywhere; after the program's "error: " prefix
    the line starts with ``message`` (so the place a case names comes first)."""
    lines = outcome.stderr.strip().splitlines()
    detail = f"exit {outcome.returncode}\nstderr:\n{outcome.stderr}\nstdout:\n{outcome.stdout}"
    assert outcome.returncode != 0, detail
    assert "Traceback" not in outcome.stderr + outcome.stdout, detail
    assert len(lines) == 1, detail
    assert re.match(REFUSAL_PREFIX + f"(?:{message})", lines[0]), f"{lines[0]!r} does not start with {message!r}"
