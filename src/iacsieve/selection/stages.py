"""Selection stages: stage1_select, stage2_select, threshold_sweep, champion_freeze.

None of them reads the test split: every choice is made on validation scores.
"""

from __future__ import annotations

import json
import shutil
import sys
from itertools import product
from pathlib import Path

from iacsieve import paths
from iacsieve.atomic import atomic_dir, atomic_write_json
from iacsieve.champion import CHAMPION_META, write_checksums
from iacsieve.data.records import read_jsonl
from iacsieve.errors import IacsieveError
from iacsieve.evaluation.metrics import apply_threshold, filter_metrics, headline
from iacsieve.live import plots_logger
from iacsieve.models.inputs import model_text
from iacsieve.params import Params, Stage2Params
from iacsieve.selection.model_card import model_card
from iacsieve.selection.ranking import median_seed, read_selection
from iacsieve.smells import TECHS, TRAINED_SMELLS
from iacsieve.training.cv import LEXICAL_ENTRY, decision_from_oof, read_oof, split_entry

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


def _entry_rows(run: dict) -> list[dict]:
    """One row per entry a CV run judged (the encoder, its hybrid, TF-IDF for reference)."""
    config = run["config"]
    return [
        {"entry": name, "run": run["run"], "candidate": run["candidate"], "model": config["model"],
         "learning_rate": config["learning_rate"], "batch_size": config["batch_size"], **summary}
        for name, summary in run["cv"]["entries"].items()
    ]


def _ranked(rows: list[dict]) -> list[dict]:
    """Rows best first by mean CV F1 (ties: higher pooled F1, then name)."""
    return sorted(rows, key=lambda r: (-r["cv_f1_mean"], -r["cv_f1_pooled"], r["entry"], r["run"]))


def run_stage1_select(params: Params) -> dict:
    """Rank the Stage-1 entries (each candidate, and each stacked with TF-IDF + LR) by mean CV F1 and pass
    the top-k on. TF-IDF alone is listed for reference, never chosen; skipped candidates are listed."""
    runs = read_runs(paths.MODELS / "stage1", list(params.stage1.candidates))
    skipped = {name: run["skipped"] for name, run in runs.items() if "skipped" in run}
    rows = [row for name, run in runs.items() if name not in skipped for row in _entry_rows(run)]
    reference = [r for r in rows if r["entry"] == LEXICAL_ENTRY][:1]
    ranking = _ranked([r for r in rows if r["entry"] != LEXICAL_ENTRY])
    if not ranking:
        raise IacsieveError("stage1: every candidate was skipped; nothing to choose from")
    top_k = min(params.stage1.top_k, len(ranking))
    selection = {
        "rule": f"argmax mean F1 over {params.cv.folds} repository-grouped CV folds of train + val",
        "top": [row["entry"] for row in ranking[:top_k]],
        "runs": ranking,
        "reference": reference,
        "skipped": skipped,
    }
    atomic_write_json(paths.STAGE1_SELECTION, selection)
    metrics = {"stage1_best_cv_f1": ranking[0]["cv_f1_mean"]}
    atomic_write_json(paths.STAGE1_SELECT_METRICS, headline(metrics, params.metrics.prefix))
    return {"top": selection["top"], **metrics}


def run_stage2_select(params: Params) -> dict:
    """Pick the Stage-2 grid point with the best mean CV F1 (among the runs of the current grid only), for
    the entry Stage 1 passed on (an encoder, or an encoder stacked with TF-IDF + LR)."""
    top = read_selection(paths.STAGE1_SELECTION)["top"]
    families = [split_entry(entry)[0] for entry in top]
    runs = read_grid_runs(paths.MODELS / "stage2", params.stage2, families)
    wanted = set(top)
    rows = _ranked([row for run in runs.values() for row in _entry_rows(run) if row["entry"] in wanted])
    best = {**rows[0], "hybrid": split_entry(rows[0]["entry"])[1]}
    selection = {"rule": "argmax mean CV F1", "best": best, "runs": rows}
    atomic_write_json(paths.STAGE2_SELECTION, selection)
    metrics = {"stage2_best_cv_f1": best["cv_f1_mean"]}
    atomic_write_json(paths.STAGE2_SELECT_METRICS, headline(metrics, params.metrics.prefix))
    return {"best": best["run"], "entry": best["entry"], "learning_rate": best["learning_rate"],
            "batch_size": best["batch_size"], **metrics}


def read_val_scores(run_folder: Path) -> tuple[list[int], list[float]]:
    """(labels, positive-class probabilities) a run wrote for the validation split."""
    rows = read_jsonl(run_folder / paths.VAL_SCORES)
    return [int(r["label"]) for r in rows], [float(r["proba"]) for r in rows]


def run_threshold_sweep(params: Params) -> dict:
    """Stage 3: sweep thresholds on the pooled out-of-fold scores of the best Stage-2 config (for a hybrid,
    first fit the stacker on them); write metrics/threshold.json (the threshold and its pooled CV F1),
    details/threshold.json (with the stacker's weights) and the plots."""
    best = read_selection(paths.STAGE2_SELECTION)["best"]
    table = read_oof(paths.MODELS / best["run"])
    labels = table["label"].tolist()
    decision = decision_from_oof(table, best["hybrid"], params.cv.seed, params.threshold)
    stacker, threshold, rows = decision["stacker"], decision["threshold"], decision["rows"]
    probabilities = decision["scores"].tolist()
    chosen = next(r for r in rows if r["threshold"] == threshold)
    argmax = filter_metrics(labels, apply_threshold(probabilities, 0.5))
    result = {
        "threshold": threshold,
        "scores": "pooled out-of-fold scores of train + val",
        "entry": best["entry"],
        "run": best["run"],
        "stacker": stacker,
        "val_f1": chosen["f1"],
        "val_precision": chosen["precision"],
        "val_recall": chosen["recall"],
        "val_f1_at_0.5": argmax["f1"],
    }
    with plots_logger(paths.THRESHOLD_PLOTS) as live:
        live.log_plot("threshold", rows, x="threshold", y=["precision", "recall", "f1"], template="linear",
                      title="Out-of-fold precision / recall / F1 by threshold", y_label="score")
        live.log_sklearn_plot("precision_recall", labels, probabilities, name="precision_recall")
    atomic_write_json(paths.THRESHOLD_DETAILS, result)
    atomic_write_json(paths.THRESHOLD_METRICS, headline({"threshold": threshold, "threshold_cv_f1": chosen["f1"]},
                                                       params.metrics.prefix))
    return result


def freeze_onnx(staging: Path, meta: dict, params: Params, combine=None) -> dict:
    """Export the champion being frozen in ``staging`` to model.onnx and check it against PyTorch on every
    validation record (token ids, probabilities within ``filter.onnx_tolerance``, verdicts at the frozen
    threshold); raise ``IacsieveError`` if they differ. With ``filter.onnx_int8``, then quantize it and
    keep the int8 graph only if ``check_int8`` passes on the final verdicts (``combine``: the hybrid's
    stacking of encoder scores), else keep fp32 and say so once. Returns the record for ``iacsieve.json``."""
    from iacsieve.models.predict import load_classifier, predict_proba
    from iacsieve.selection.onnx_export import (
        ONNX_FILE,
        check_int8,
        check_onnx,
        export_onnx,
        fp32_matmuls,
        onnx_versions,
        quantize_int8,
        smooth_activations,
    )

    model, tokenizer = load_classifier(staging)
    graph = export_onnx(model, tokenizer, staging / ONNX_FILE, params.filter.onnx_opset, meta["max_length"])
    write_checksums(staging)  # the ONNX scorer loads only files that match SHA256SUMS (rewritten at the end)
    val = read_jsonl(paths.split_file("val"))
    reference = predict_proba(model, tokenizer, [model_text(r) for r in val], max_length=meta["max_length"])
    check = check_onnx(staging, val, meta["threshold"], meta["max_length"], params.filter.onnx_tolerance,
                       params.filter.threads, reference=reference)
    # Three significant digits: float noise in the last bits must not change the champion's files.
    for key in ("max_abs_diff", "mean_abs_diff"):
        check[key] = float(f"{check[key]:.2e}")
    record = {"file": ONNX_FILE, "opset": params.filter.onnx_opset, "exporter": "torch.onnx (TorchScript)",
              "graph": graph, "versions": onnx_versions(), "validation": check, "int8": None}
    if params.filter.onnx_int8:
        fp32 = staging / "model.fp32.onnx"
        (staging / ONNX_FILE).replace(fp32)
        smoothed = None
        if params.filter.int8_smoothing > 0:
            calibration = [model_text(r) for r in read_jsonl(paths.split_file("train"))]
            smoothed = smooth_activations(model, tokenizer, calibration[:params.filter.int8_calibration_records],
                                          params.filter.int8_smoothing, meta["max_length"])
        source = fp32
        if smoothed is not None:
            source = staging / "model.smoothed.onnx"
            export_onnx(smoothed, tokenizer, source, params.filter.onnx_opset, meta["max_length"])
        tries = []  # one check per int8 graph tried; every one before the last failed
        for part in params.filter.int8_keep_fp32:  # the first graph that passes ships
            try:
                quantize_int8(source, staging / ONNX_FILE, fp32_matmuls(source, part, model.config))
            except IacsieveError as error:
                print(f"champion_freeze: {error}; int8 with {part} fp32 not tried", file=sys.stderr)
                continue
            write_checksums(staging)
            tries.append({**check_int8(staging, val, reference, meta["threshold"], meta["max_length"],
                                       params.filter.threads, params.filter.int8_min_agreement,
                                       params.filter.int8_max_f1_drop, combine), "fp32": part})
            if tries[-1]["passed"]:
                break
        if source != fp32:
            source.unlink()
        int8 = tries[-1] if tries else None
        record["int8"] = int8 and {**int8, "smoothing": params.filter.int8_smoothing or None, "rejected": [
            {key: check[key] for key in ("fp32", "verdicts_agree", "val_f1_int8")} for check in tries[:-1]]}
        if int8 and int8["passed"]:
            fp32.unlink()
        else:
            fp32.replace(staging / ONNX_FILE)
        if int8 and not int8["passed"]:
            print(f"champion_freeze: no int8 graph passed its check on val (last try, {int8['fp32']} "
                  f"fp32: verdicts agree {int8['agreement']:.4f}, need {int8['min_agreement']}; F1 "
                  f"{int8['val_f1_int8']:.4f} vs {int8['val_f1_pytorch']:.4f}); model.onnx stays fp32", file=sys.stderr)
    return record


def run_champion_freeze(params: Params) -> dict:
    """Score each Stage-4 seed on val at the frozen threshold (stacked with TF-IDF + LR when Stage 2 chose a
    hybrid); freeze the median seed to models/champion/."""
    from iacsieve.models import pretrained
    from iacsieve.models.lexical import LEXICAL_FILE, LexicalModel, stack

    threshold_details = json.loads(paths.THRESHOLD_DETAILS.read_text(encoding="utf-8"))
    threshold, stacker = threshold_details["threshold"], threshold_details.get("stacker")
    lexical = None
    if stacker is not None:
        lexical = LexicalModel.fit(read_jsonl(paths.split_file("train")), params.baselines.tfidf_c, params.baselines.seed)
        lexical_val = lexical.predict_proba(read_jsonl(paths.split_file("val")))
    seeds = params.stage4.seeds
    runs = read_runs(paths.MODELS / "stage4", [str(s) for s in seeds])
    val_by_seed = {}
    for seed in seeds:
        labels, probabilities = read_val_scores(paths.MODELS / "stage4" / str(seed))
        if stacker is not None:
            probabilities = stack(stacker, probabilities, lexical_val)
        val_by_seed[seed] = filter_metrics(labels, apply_threshold(probabilities, threshold))
    f1_by_seed = {seed: m["f1"] for seed, m in val_by_seed.items()}
    chosen = median_seed(f1_by_seed)
    run = runs[str(chosen)]
    f1_values = sorted(f1_by_seed.values())
    source_model = pretrained.spec_of(params.stage1.candidates[run["candidate"]].model, params.pretrained)
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
        "base_model": source_model.hub_id if source_model else run["config"]["model"],
        "pretrained": source_model.model_dump(exclude={"path"}) if source_model else None,
        "train_config": run["config"],
        "stacker": stacker,
        "lexical": LEXICAL_FILE if stacker is not None else None,
        "selection": {
            "rule": "median val F1 over seeds at the frozen threshold (tie -> lower seed)",
            "seed": chosen,
            "val_f1_by_seed": {str(s): f for s, f in f1_by_seed.items()},
            "val_f1_min": f1_values[0],
            "val_f1_max": f1_values[-1],
            "cv": {"entry": threshold_details.get("entry"), "threshold_cv_f1": threshold_details.get("val_f1")},
        },
        "val_metrics": val_by_seed[chosen],
    }
    source = paths.MODELS / "stage4" / str(chosen)
    with atomic_dir(paths.CHAMPION) as staging:
        for item in source.iterdir():
            if item.name not in RUN_ONLY_FILES and item.is_file():
                shutil.copy2(item, staging / item.name)
        if lexical is not None:
            lexical.save(staging / LEXICAL_FILE)
        if params.filter.onnx:
            combine = None if lexical is None else (lambda scores: stack(stacker, scores, lexical_val))
            meta["onnx"] = freeze_onnx(staging, meta, params, combine)
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
