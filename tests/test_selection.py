"""Threshold sweep against scikit-learn, median-seed selection, metrics, bootstrap CIs."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from iacsieve.evaluation.bootstrap import bootstrap_intervals
from iacsieve.evaluation.metrics import filter_metrics
from iacsieve.evaluation.threshold import sweep_thresholds, threshold_grid
from iacsieve.errors import IacsieveError
from iacsieve.params import load_params
from iacsieve.selection.ranking import median_seed
from iacsieve.selection.stages import run_stage2_select

ROOT = Path(__file__).resolve().parents[1]


def test_grid_is_030_to_070_in_41_steps():
    grid = threshold_grid(0.30, 0.70, 0.01)
    assert len(grid) == 41 and grid[0] == 0.30 and grid[-1] == 0.70 and 0.45 in grid


def test_sweep_matches_scikit_learn_on_hand_made_probabilities():
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, 300)
    proba = np.clip(labels * 0.25 + rng.random(300) * 0.75, 0, 1)
    best, rows = sweep_thresholds(labels, proba, 0.30, 0.70, 0.01)
    for row in rows:
        pred = (proba >= row["threshold"]).astype(int)
        assert row["f1"] == pytest.approx(f1_score(labels, pred))
        assert row["precision"] == pytest.approx(precision_score(labels, pred, zero_division=0))
        assert row["recall"] == pytest.approx(recall_score(labels, pred))
    best_f1 = max(f1_score(labels, (proba >= t).astype(int)) for t in threshold_grid(0.3, 0.7, 0.01))
    assert next(r for r in rows if r["threshold"] == best)["f1"] == pytest.approx(best_f1)


def test_sweep_picks_the_obvious_threshold():
    labels = [0, 0, 0, 1, 1, 1]
    proba = [0.1, 0.35, 0.41, 0.42, 0.8, 0.9]
    best, _ = sweep_thresholds(labels, proba, 0.30, 0.70, 0.01)
    assert best == 0.42


def test_median_seed_odd_and_even_and_ties():
    assert median_seed({41: 0.70, 42: 0.80, 43: 0.75}) == 43
    assert median_seed({41: 0.70, 42: 0.80, 43: 0.75, 44: 0.90}) == 43
    assert median_seed({41: 0.70, 42: 0.75, 43: 0.75}) == 42
    assert median_seed({45: 0.75, 41: 0.75, 42: 0.70}) == 41
    assert median_seed({7: 0.5}) == 7


def test_filter_metrics_fp_reduction_and_tp_retention():
    labels = [1, 1, 1, 0, 0, 0, 0, 0]
    kept = [1, 1, 0, 1, 0, 0, 0, 0]
    m = filter_metrics(labels, kept)
    assert (m["tp"], m["fn"], m["fp"], m["tn"]) == (2, 1, 1, 4)
    assert m["fp_reduction"] == pytest.approx(4 / 5)
    assert m["tp_retention"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)
    glitch = filter_metrics(labels, [1] * 8)
    assert glitch["fp_reduction"] == 0 and glitch["tp_retention"] == 1


def test_bootstrap_interval_contains_point_estimate_and_is_seeded():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    kept = np.where(rng.random(400) < 0.8, labels, 1 - labels)
    a = bootstrap_intervals(labels, kept, 1000, seed=5)
    b = bootstrap_intervals(labels, kept, 1000, seed=5)
    assert a == b
    point = filter_metrics(labels, kept)
    assert a["f1"][0] < point["f1"] < a["f1"][1]
    assert a["fp_reduction"][0] < point["fp_reduction"] < a["fp_reduction"][1]
    assert 0.03 < a["f1"][1] - a["f1"][0] < 0.2


def write_run(
    folder, name: str, val_f1: float, learning_rate: float, batch_size: int = 32, candidate: str = "roberta"
) -> None:
    run_folder = folder / name
    run_folder.mkdir(parents=True)
    entry = {"cv_f1_mean": val_f1, "cv_f1_sd": 0.01, "cv_f1_pooled": val_f1}
    record = {
        "run": f"stage2/{name}", "candidate": candidate,
        "cv": {"entries": {candidate: entry, f"{candidate}+tfidf": {**entry, "cv_f1_mean": val_f1 - 0.01}}},
        "config": {"model": f"tiny-{candidate}", "learning_rate": learning_rate, "batch_size": batch_size},
    }
    (run_folder / "iacsieve_run.json").write_text(json.dumps(record))


def test_stage2_select_reads_only_the_current_grid(tmp_path, monkeypatch):
    """Runs of an earlier grid (and a killed writer's staging folder) left in models/stage2 never win."""
    params = load_params(ROOT / "params.yaml")
    rates = params.stage2.learning_rates
    assert params.stage2.ranks == [1] and params.stage2.batch_sizes == [32] and len(rates) == 2
    names = [f"r1-lr{lr}-bs32" for lr in rates]  # as dvc.yaml's stage2_train names its outputs
    monkeypatch.chdir(tmp_path)
    (tmp_path / "selected").mkdir()
    (tmp_path / "selected" / "stage1.json").write_text(json.dumps({"top": ["roberta"]}))
    stage2 = tmp_path / "models" / "stage2"
    write_run(stage2, names[0], 0.70, rates[0])
    write_run(stage2, names[1], 0.75, rates[1])
    write_run(stage2, "r2-lr0.002-bs32", 0.99, 0.002)
    write_run(stage2, f"r1-lr{rates[0]}-bs16", 0.97, rates[0], batch_size=16)
    write_run(stage2, f"r2-lr{rates[0]}-bs32", 0.96, rates[0], candidate="t5-small")
    write_run(stage2, f".{names[0]}.x1y2.tmp", 0.98, 0.1)

    result = run_stage2_select(params)

    selection = json.loads((tmp_path / "selected" / "stage2.json").read_text())
    assert [row["run"] for row in selection["runs"]] == [f"stage2/{names[1]}", f"stage2/{names[0]}"]
    assert result["stage2_best_cv_f1"] == 0.75
    assert selection["best"]["entry"] == "roberta" and selection["best"]["hybrid"] is False
    shutil.rmtree(stage2 / names[0])
    with pytest.raises(IacsieveError, match=f"no finished run for rank 1 \\(roberta\\), learning rate {rates[0]}, "):
        run_stage2_select(params)
    write_run(stage2, names[0], 0.70, rates[0])
    write_run(stage2, "stale", 0.70, rates[0])
    with pytest.raises(IacsieveError, match=f"runs {names[0]}, stale all match rank 1"):
        run_stage2_select(params)
