"""params.yaml validation: the shipped file is valid; typos and bad values get one line naming the key."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from iacsieve.errors import IacsieveError
from iacsieve.params import load_params

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_params_are_valid():
    params = load_params(ROOT / "params.yaml")
    assert params.preprocess.context_lines == 5
    assert params.threshold.min == 0.30 and params.threshold.max == 0.70
    assert params.stage1.top_k <= len(params.stage1.candidates)


def edited(tmp_path, edit):
    data = yaml.safe_load((ROOT / "params.yaml").read_text())
    edit(data)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["train"].update(learning_rte=0.1), r"unknown key 'train.learning_rte'; allowed keys: epochs"),
        (lambda d: d["train"].update(learning_rate=-1), r"train.learning_rate: Input should be greater than 0"),
        (lambda d: d["train"].update(batch_size=0), r"train.batch_size: Input should be greater than or equal to 1"),
        (lambda d: d["train"].update(epochs="many"), r"train.epochs: Input should be a valid integer"),
        (lambda d: d["threshold"].update(max=1.5), r"threshold.max: Input should be less than or equal to 1"),
        (lambda d: d["threshold"].update(step=0), r"threshold.step: Input should be greater than 0"),
        (lambda d: d["threshold"].update(min=0.8), r"threshold: min must not exceed max"),
        (lambda d: d["data"].update(tech="terraform"), r"data.tech: Input should be 'ansible', 'chef' or 'puppet'"),
        (lambda d: d["stage1"]["candidates"].update(bert="not a model"), r"unknown candidate 'not a model'"),
        (lambda d: d["stage2"].update(ranks=[3]), r"stage2.ranks \[3\] exceed stage1.top_k=1"),
        (lambda d: d["stage4"].update(seeds=[1, 1]), r"seeds must be a non-empty list of distinct"),
        (lambda d: d.pop("stage4"), r"missing key 'stage4'"),
        (lambda d: d["train"].pop("epochs"), r"missing key 'train.epochs'"),
        (lambda d: d.pop("sample"), r"data.source is 'sample' but there is no sample section"),
        (lambda d: d.update(extra_section={}), r"unknown key 'extra_section'"),
    ],
)
def test_bad_params_name_the_key(tmp_path, edit, message):
    with pytest.raises(IacsieveError, match=message):
        load_params(edited(tmp_path, edit))


def test_dvc_set_string_floats_are_coerced(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text((ROOT / "params.yaml").read_text().replace("learning_rate: 0.0005", "learning_rate: 1e-05"))
    assert load_params(path).train.learning_rate == pytest.approx(1e-5)


def test_stage_script_fails_fast_with_one_line(tmp_path):
    path = edited(tmp_path, lambda d: d["train"].update(learning_rte=0.1))
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "stages" / "stage1_train.py"), "--params", str(path), "--candidate", "roberta"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert time.monotonic() - start < 5
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "learning_rte" in proc.stderr and "Traceback" not in proc.stderr


def test_reference_scale_params_are_valid():
    params = load_params(ROOT / "params-reference.yaml")
    assert params.stage1.candidates["codet5p-220m"].model == "Salesforce/codet5p-220m"
    assert params.stage4.seeds == [41, 42, 43, 44, 45]
    assert min(params.stage2.learning_rates) == pytest.approx(3e-5)


def test_a_typo_in_params_fails_dvc_repro_within_5_seconds_naming_the_key(tmp_path):
    """As a new user would meet it: `learning_rte` in params.yaml, then `dvc repro` in a fresh copy."""
    from conftest import copy_project, tool_env

    repo = copy_project(tmp_path / "repo")
    params_file = repo / "params.yaml"
    params_file.write_text(params_file.read_text().replace("  learning_rate: 0.0005", "  learning_rte: 0.0005", 1))
    start = time.monotonic()
    proc = subprocess.run(["dvc", "repro"], cwd=repo, capture_output=True, text=True, env=tool_env())
    elapsed = time.monotonic() - start
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "params.yaml: unknown key 'train.learning_rte'" in output, output
    assert "Traceback" not in output
    assert elapsed < 5, f"dvc repro took {elapsed:.1f} s to refuse the typo"
    assert not (repo / "data" / "raw" / "sample").exists(), "no stage did any work"
