"""`iacsieve label` driven as a person uses it: in a real terminal (tmux), keys sent, screens read back."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from label_project import ROWS, TRAINED_ROWS, git, write_checkout

BIN = Path(sys.executable).parent
SRC = Path(__file__).resolve().parents[1] / "src"
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)")


class Terminal:
    """One tmux server (own socket) running one command in a 110x45 window."""

    def __init__(self, folder: Path, command: str):
        self.socket = str(folder / "tmux.sock")
        self.pid_file = folder / "label.pid"
        self.pid_file.unlink(missing_ok=True)
        env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
               "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "TERM": "xterm-256color"}
        script = folder / "run.sh"
        script.write_text(f"#!/bin/sh\necho $$ > {self.pid_file}\nexec {command}\n")
        script.chmod(0o755)
        subprocess.run(["tmux", "-S", self.socket, "new-session", "-d", "-s", "t", "-x", "110", "-y", "45",
                        f"{script}; echo EXIT=$?; sleep 600"], check=True, env=env)

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "-S", self.socket, "send-keys", "-t", "t", *keys], check=True)

    def screen(self) -> str:
        return subprocess.run(["tmux", "-S", self.socket, "capture-pane", "-p", "-t", "t"],
                              check=True, capture_output=True, text=True).stdout

    def wait_for(self, pattern: str, timeout: float = 60) -> str:
        """The screen once ``pattern`` (a regex) appears on it; fails the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.screen()
            if re.search(pattern, text):
                return text
            time.sleep(0.1)
        pytest.fail(f"{pattern!r} never appeared; screen:\n{self.screen()}")

    def pid(self) -> int:
        return int(self.pid_file.read_text())

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)


@pytest.fixture(scope="module")
def team(tmp_path_factory) -> dict:
    """A committed team checkout, its GLITCH CSV and a tiny frozen champion scoring it."""
    from tiny_champion import build_champion

    root = tmp_path_factory.mktemp("team")
    scripts, csv = write_checkout(root)
    champion = build_champion(root / "champion", scripts, csv)
    return {"root": root, "scripts": scripts, "csv": csv, "champion": champion}


def label_command(team: dict, out: Path, *extra: str) -> str:
    return (f"{BIN / 'iacsieve'} label --glitch {team['csv']} --scripts {team['scripts']} -o {out} "
            f"--model {team['champion']} " + " ".join(extra))


def records(corpus: Path) -> list[dict]:
    return [json.loads(line) for line in (corpus / "detections.jsonl").read_text().splitlines()]


def shown(screen: str) -> tuple[str, int]:
    """(path, line) of the detection on the screen."""
    match = re.search(r"^(\S+):(\d+)\s+(ansible|chef|puppet)", screen, re.M)
    assert match, screen
    return match.group(1), int(match.group(2))


@pytest.fixture
def terminal_factory(tmp_path):
    terminals: list[Terminal] = []

    def start(command: str) -> Terminal:
        folder = tmp_path / f"term{len(terminals)}"
        folder.mkdir()
        terminals.append(Terminal(folder, command))
        return terminals[-1]

    yield start
    for terminal in terminals:
        terminal.close()


def test_ten_answers_one_undo_kill_and_resume_at_answer_11(team, tmp_path, terminal_factory):
    from iacsieve.data.corpus import records_from_labelled_corpus
    from iacsieve.filtering.filter import Filter
    from iacsieve.labelling.items import order_items, read_label_input

    out = tmp_path / "corpus"
    expected = order_items(*(lambda d: (d.items, d.threshold))(read_label_input([team["csv"]], team["scripts"], team["champion"])))
    term = terminal_factory(label_command(team, out))
    seen = []
    for n in range(1, 11):
        screen = term.wait_for(rf"answer {n} of {TRAINED_ROWS}\b")
        seen.append(shown(screen))
        if n == 3:  # a reason, typed before the answer
            term.keys("r")
            term.wait_for("reason \\(Enter")
            term.keys("literal password, not a variable", "Enter")
            term.wait_for("reason: literal password")
        term.keys("t" if n % 2 else "f")
    assert seen == [(i.path, i.detection.line) for i in expected[:10]], "not in uncertainty order"
    first = term.wait_for(rf"answer 11 of {TRAINED_ROWS}\b")
    threshold = Filter.from_pretrained(team["champion"]).threshold
    assert re.search(rf"champion score \d\.\d{{3}} \(threshold {threshold:.2f}\)", first)
    # back: the 10th answer (FP) is shown again and changed to TP
    term.keys("b")
    again = term.wait_for("changing an earlier answer \\(currently FP\\)")
    assert shown(again) == seen[9]
    term.keys("t")
    eleventh = shown(term.wait_for(rf"answer 11 of {TRAINED_ROWS}\b"))
    written = records(out)
    assert len(written) == 10 and len({r["id"] for r in written}) == 10
    assert [(r["path"], r["line"]) for r in written] == seen
    assert [r["label"] for r in written] == ["TP", "FP"] * 4 + ["TP", "TP"]
    assert written[2]["reason"] == "literal password, not a variable" and written[0]["reason"] == ""
    commit = git(team["scripts"], "rev-parse", "HEAD")
    assert {(r["repo"], r["commit"], r["labeller"].startswith("human:")) for r in written} == {("acme/infra", commit, True)}
    os.kill(term.pid(), signal.SIGKILL)
    term.wait_for("EXIT=137")
    assert records(out) == written

    rerun = terminal_factory(label_command(team, out))
    screen = rerun.wait_for(rf"answer 11 of {TRAINED_ROWS}\b")
    assert shown(screen) == eleventh and eleventh not in seen
    rerun.keys("q")
    assert re.search(r"stopped: 10 of \d+ labelled \(\+0 this run\)", rerun.wait_for("EXIT=0"))

    # the corpus reads as a labelled corpus, each window holding its flagged line
    sources = (out / "sources.tsv").read_text().splitlines()
    assert sources[1].split("\t")[:2] == ["acme/infra", commit]
    corpus = records_from_labelled_corpus(out, 3, 300, 100)
    assert len(corpus.records) == 10 and {r["id"] for r in corpus.records} == {r["id"] for r in written}
    for record in written:
        assert record["window"][record["line"] - record["window_start"]].strip() == record["glitch_snippet"]

    # ... and `make repro-real REAL_CORPUS="<public> <this corpus>"` links and merges it (its preprocess stage)
    from test_corpora import SHARED, pipeline_folder, read_jsonl, stage

    if (SHARED / "detections.jsonl").is_file():
        work = pipeline_folder(tmp_path, [SHARED, out])
        assert stage(work, "preprocess").returncode == 0
        merged = read_jsonl(work / "data/interim/detections.jsonl")
        assert {r["id"] for r in merged if r.get("corpus") == "corpus-2"} == {r["id"] for r in written}


def test_uncertainty_order_spreads_across_files():
    from iacsieve.data.glitch import Detection
    from iacsieve.labelling.items import LabelItem, order_items

    def item(path: str, line: int, score: float) -> LabelItem:
        detection = Detection(path, line, "sec_hard_pass", "-", "x", "g.csv", line)
        return LabelItem(detection, f"{path}{line}", path, "ansible", "Hard-coded secret", ("x",) * 40, score)

    items = [item("a.yml", n, 0.5 + n / 1000) for n in range(1, 6)] + [item("b.yml", 1, 0.9), item("b.yml", 2, 0.1)]
    order = [(i.path, i.detection.line) for i in order_items(items, 0.5)]
    # a.yml's detections are all closer to 0.5 than b.yml's, yet b.yml gets its turn in round one and two
    assert order == [("a.yml", 1), ("b.yml", 1), ("a.yml", 2), ("b.yml", 2), ("a.yml", 3), ("a.yml", 4), ("a.yml", 5)]
    assert [(i.path, i.detection.line) for i in order_items(items, 0.5, "file")][:3] == [("a.yml", 1), ("a.yml", 2), ("a.yml", 3)]


def test_without_a_champion_scores_are_dashes_in_file_order(team, tmp_path, terminal_factory):
    out = tmp_path / "corpus"
    command = (f"env IACSIEVE_MODEL={tmp_path / 'none'} {BIN / 'iacsieve'} label {team['csv']} "
               f"--scripts {team['scripts']} -o {out}")
    term = terminal_factory(command)
    screen = term.wait_for("answer 1 of")
    assert "champion score -" in screen and screen.count("no champion at") == 1
    first = sorted((p, line) for p, line, code in ROWS if code != "sec_def_admin")[0]
    assert shown(screen) == first
    term.keys("s")
    screen = term.wait_for(r"ansible/roles/db/tasks/main.yml:6 ")
    assert "answer 1 of" in screen and "no champion at" not in screen  # a skip answers nothing
    term.keys("f", "q")  # sent at once: neither key is lost
    term.wait_for("EXIT=0")
    assert [r["label"] for r in records(out)] == ["FP"]


def iacsieve_label(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run([str(BIN / "iacsieve"), "label", *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("case, message", [
    ("bad_csv", "glitch.csv: line 1: expected the GLITCH --csv header"),
    ("no_scripts", "scripts folder does not exist"),
    ("foreign_output", "not a labelled corpus (holds 'notes.txt')"),
    ("other_version", "this corpus labels acme/infra at commit 0000000, the scripts are at"),
    ("no_tty", "iacsieve label is interactive: run it in a terminal"),
])
def test_bad_input_gives_one_line_and_writes_nothing(team, tmp_path, case, message):
    csv, scripts, out = team["csv"], team["scripts"], tmp_path / "corpus"
    if case == "bad_csv":
        csv = tmp_path / "glitch.csv"
        csv.write_text("path,line\nx,1\n")
    elif case == "no_scripts":
        scripts = tmp_path / "missing"
    elif case == "foreign_output":
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    elif case == "other_version":
        out.mkdir()
        (out / "sources.tsv").write_text("repo\tcommit\ttech\tlicense\tfolder\tn_rows\tn_trained\tn_files_failed\n"
                                         "acme/infra\t0000000\tansible\tMIT\t.\t1\t1\t0\n")
    before = sorted(p.name for p in out.iterdir()) if out.exists() else None
    proc = iacsieve_label("--glitch", str(csv), "--scripts", str(scripts), "-o", str(out), "--model", str(team["champion"]))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("iacsieve label: error: ") and message in proc.stderr, proc.stderr
    assert (sorted(p.name for p in out.iterdir()) if out.exists() else None) == before
