"""Selection stages: stage1_select, stage2_select, threshold_sweep, champion_freeze.

None of them reads the test split: every choice is made on validation scores.
"""

from __future__ import annotations

import json
import shutil
from itertools import product
from pathlib import Path

from iacsieve import paths
from iacsieve.atomic import atomic_dir, atomic_write_json
from iacsieve.champion import CHAMPION_META, write_checksums
from iacsieve.data.records import read_jsonl
from iacsieve.errors import IacsieveError
from iacsieve.evaluation.metrics import apply_threshold, filter_metrics, headline
from iacsieve.evaluation.threshold import sweep_thresholds
from iacsieve.live import plots_logger
from iacsieve.params import Params, Stage2Params
from iacsieve.selection.model_card import model_card
from iacsieve.selection.ranking import median_seed, rank_runs, read_selection
from iacsieve.smells import TECHS, TRAINED_SMELLS

RUN_ONLY_FILES = (paths.RUN_RECORD, paths.VAL_SCORES)


def read_runs(stage_folder: Path, names: list[str]) -> dict[str, dict]:
    """Run records (``iacsieve_run.json``) of the runs ``names`` in ``stage_folder``, by name.

    Only the named runs count: folders left by an earlier grid or seed list are ignored.
    """
    missing = [name for name in names if not (stage_folder / name / paths.RUN_RECORD).is_file()]
    if missing:
        raise IacsieveError(f"{stage_folder}: no finished run for {', '.join(missing)}; run `dvc repro`")
    return {name: _run_record(stage_folder / name) for name in names}


def _run_record(run_folder: Path) -> dict:
    return json.loads((run_folder / paths.RUN_RECORD).read_text(encoding="utf-8"))


def read_grid_runs(stage_folder: Path, grid: Stage2Params, top: list[str]) -> dict[str, dict]:
    """Run records of the current Stage-2 grid in ``stage_folder``, by run folder name.

    A grid point is (rank, learning rate, batch size); its run is the one whose record names the family
    Stage 1 ranked ``rank`` (``top``) and whose config has that learning rate and batch size. The folder
    names are dvc.yaml's, never rebuilt here. Runs of an earlier grid and staging folders (``.*``) are
    ignored; a grid point with no run, or with two, stops the stage.
    """
    records = {
        folder.name: _run_record(folder)
        for folder in sorted(stage_folder.iterdir() if stage_folder.is_dir() else [])
        if not folder.name.startswith(".") and (folder / paths.RUN_RECORD).is_file()
    }
    runs: dict[str, dict] = {}
    for rank, learning_rate, batch_size in product(grid.ranks, grid.learning_rates, grid.batch_sizes):
        if rank > len(top):
            raise IacsieveError(f"stage2: rank {rank} but stage 1 passed on only {len(top)} families")
        point = f"rank {rank} ({top[rank - 1]}), learning rate {learning_rate}, batch size {batch_size}"
        found = [
            name for name, record in records.items()
            if record["candidate"] == top[rank - 1]
            and record["config"]["learning_rate"] == learning_rate
            and record["config"]["batch_size"] == batch_size
        ]
        if not found:
            raise IacsieveError(f"{stage_folder}: no finished run for {point}; run `dvc repro`")
        if len(found) > 1:
            raise IacsieveError(f"{stage_folder}: runs {', '.join(found)} all match {point}; remove the stale ones")
        runs[found[0]] = records[found[0]]
    return runs


def _summary_row(run: dict) -> dict:
    config, summary = run["config"], run["summary"]
    return {
        "run": run["run"],
        "candidate": run["candidate"],
        "model": config["model"],
        "learning_rate": config["learning_rate"],
        "batch_size": config["batch_size"],
        "epochs_run": summary.get("epochs_run"),
        "val_f1": summary["val_f1"],
        "n_parameters": summary.get("n_parameters"),
    }


def run_stage1_select(params: Params) -> dict:
    """Rank the Stage-1 candidates by val F1 (argmax rule) and pass the top-k families on."""
    runs = read_runs(paths.MODELS / "stage1", list(params.stage1.candidates))
    ranking = rank_runs({n: r["summary"] for n, r in runs.items()})
    selection = {
        "rule": "argmax val F1",
        "top": [name for name, _ in ranking[: params.stage1.top_k]],
        "runs": [_summary_row(runs[name]) for name, _ in ranking],
    }
    atomic_write_json(paths.STAGE1_SELECTION, selection)
    metrics = {"stage1_best_val_f1": ranking[0][1]}
    atomic_write_json(paths.STAGE1_SELECT_METRICS, headline(metrics, params.metrics.prefix))
    return {"top": selection["top"], **metrics}


def run_stage2_select(params: Params) -> dict:
    """Pick the Stage-2 grid point with the best val F1 (among the runs of the current grid only)."""
    top = read_selection(paths.STAGE1_SELECTION)["top"]
    runs = read_grid_runs(paths.MODELS / "stage2", params.stage2, top)
    ranking = rank_runs({n: r["summary"] for n, r in runs.items()})
    rows = [_summary_row(runs[name]) for name, _ in ranking]
    selection = {"rule": "argmax val F1", "best": rows[0], "runs": rows}
    atomic_write_json(paths.STAGE2_SELECTION, selection)
    best = rows[0]
    metrics = {"stage2_best_val_f1": best["val_f1"]}
    atomic_write_json(paths.STAGE2_SELECT_METRICS, headline(metrics, params.metrics.prefix))
    return {"best": best["run"], "learning_rate": best["learning_rate"], "batch_size": best["batch_size"], **metrics}


def read_val_scores(run_folder: Path) -> tuple[list[int], list[float]]:
    """(labels, positive-class probabilities) a run wrote for the validation split."""
    rows = read_jsonl(run_folder / paths.VAL_SCORES)
    return [int(r["label"]) for r in rows], [float(r["proba"]) for r in rows]


def run_threshold_sweep(params: Params) -> dict:
    """Sweep thresholds on Stage-3 val probabilities; write metrics/threshold.json (the threshold and its val F1),
    details/threshold.json (val precision, recall, F1 at 0.5 too) and the plots."""
    labels, probabilities = read_val_scores(paths.MODELS / "stage3")
    grid = params.threshold
    threshold, rows = sweep_thresholds(labels, probabilities, grid.min, grid.max, grid.step)
    best = next(r for r in rows if r["threshold"] == threshold)
    argmax = filter_metrics(labels, apply_threshold(probabilities, 0.5))
    result = {
        "threshold": threshold,
        "val_f1": best["f1"],
        "val_precision": best["precision"],
        "val_recall": best["recall"],
        "val_f1_at_0.5": argmax["f1"],
    }
    with plots_logger(paths.THRESHOLD_PLOTS) as live:
        live.log_plot("threshold", rows, x="threshold", y=["precision", "recall", "f1"], template="linear",
                      title="Validation precision / recall / F1 by threshold", y_label="score")
        live.log_sklearn_plot("precision_recall", labels, probabilities, name="precision_recall")
    atomic_write_json(paths.THRESHOLD_DETAILS, result)
    atomic_write_json(paths.THRESHOLD_METRICS, headline({"threshold": threshold, "threshold_val_f1": best["f1"]},
                                                       params.metrics.prefix))
    return result


def freeze_onnx(staging: Path, meta: dict, params: Params) -> dict:
    """Export the champion being frozen in ``staging`` to model.onnx and check it against PyTorch on every
    validation record (token ids, probabilities within ``filter.onnx_tolerance``, verdicts at the frozen
    threshold); raise ``IacsieveError`` if they differ. Returns the record for ``iacsieve.json``."""
    from iacsieve.selection.onnx_export import ONNX_FILE, check_onnx, export_onnx, onnx_versions
    from iacsieve.models.predict import load_classifier

    model, tokenizer = load_classifier(staging)
    graph = export_onnx(model, tokenizer, staging / ONNX_FILE, params.filter.onnx_opset, meta["max_length"])
    write_checksums(staging)  # the ONNX scorer loads only files that match SHA256SUMS (rewritten at the end)
    check = check_onnx(staging, read_jsonl(paths.split_file("val")), meta["threshold"], meta["max_length"],
                       params.filter.onnx_tolerance, params.filter.threads)
    # Three significant digits: float noise in the last bits must not change the champion's files.
    for key in ("max_abs_diff", "mean_abs_diff"):
        check[key] = float(f"{check[key]:.2e}")
    return {"file": ONNX_FILE, "opset": params.filter.onnx_opset, "exporter": "torch.onnx (TorchScript)",
            "graph": graph, "versions": onnx_versions(), "validation": check}


def run_champion_freeze(params: Params) -> dict:
    """Score each Stage-4 seed on val at the frozen threshold; freeze the median seed to models/champion/."""
    threshold = json.loads(paths.THRESHOLD_DETAILS.read_text(encoding="utf-8"))["threshold"]
    seeds = params.stage4.seeds
    runs = read_runs(paths.MODELS / "stage4", [str(s) for s in seeds])
    val_by_seed = {}
    for seed in seeds:
        labels, probabilities = read_val_scores(paths.MODELS / "stage4" / str(seed))
        val_by_seed[seed] = filter_metrics(labels, apply_threshold(probabilities, threshold))
    f1_by_seed = {seed: m["f1"] for seed, m in val_by_seed.items()}
    chosen = median_seed(f1_by_seed)
    run = runs[str(chosen)]
    f1_values = sorted(f1_by_seed.values())
    meta = {
        "threshold": threshold,
        "context_lines": params.preprocess.context_lines,
        "max_line_chars": params.preprocess.max_line_chars,
        "neighbour_chars": params.preprocess.neighbour_chars,
        "max_length": run["config"]["max_length"],
        "threads": params.filter.threads,
        "smells": list(TRAINED_SMELLS),
        "techs": list(TECHS),
        "source_run": f"stage4/{chosen}",
        "candidate": run["candidate"],
        "base_model": run["config"]["model"],
        "train_config": run["config"],
        "selection": {
            "rule": "median val F1 over seeds at the frozen threshold (tie -> lower seed)",
            "seed": chosen,
            "val_f1_by_seed": {str(s): f for s, f in f1_by_seed.items()},
            "val_f1_min": f1_values[0],
            "val_f1_max": f1_values[-1],
        },
        "val_metrics": val_by_seed[chosen],
    }
    source = paths.MODELS / "stage4" / str(chosen)
    with atomic_dir(paths.CHAMPION) as staging:
        for item in source.iterdir():
            if item.name not in RUN_ONLY_FILES and item.is_file():
                shutil.copy2(item, staging / item.name)
        if params.filter.onnx:
            meta["onnx"] = freeze_onnx(staging, meta, params)
        (staging / CHAMPION_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        (staging / "README.md").write_text(model_card(meta, params), encoding="utf-8")
        write_checksums(staging)
    details = {
        "champion_seed": chosen,
        "threshold": threshold,
        "val_f1": f1_by_seed[chosen],
        "val_f1_min": f1_values[0],
        "val_f1_median": f1_by_seed[chosen],
        "val_f1_max": f1_values[-1],
        **{f"val_f1_seed_{s}": f for s, f in f1_by_seed.items()},
    }
    atomic_write_json(paths.CHAMPION_DETAILS, details)
    metrics = {"champion_seed": chosen, "champion_val_f1": f1_by_seed[chosen]}
    atomic_write_json(paths.CHAMPION_METRICS, headline(metrics, params.metrics.prefix))
    return metrics
