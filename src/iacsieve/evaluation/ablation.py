"""The ``ablation`` stage: what each part of the champion is worth on the held-out test repositories.

Every Stage-1 family is scored on test alone and stacked with TF-IDF + LR, each deciding as the pipeline
would have had it won: its stacker (for a hybrid) and threshold are fitted on its pooled out-of-fold
scores of train + val, never on test, and its CV F1 comes from the same scores (cross-fitted for a
hybrid, as in Stage 1). The champion's own family is its frozen encoder (the Stage-4 seed
that was frozen, with and without the stacker); every other family is trained once on train with its
Stage-1 recipe. TF-IDF + LR comes from the ``baselines`` stage, and where the champion ships an int8
ONNX graph, the champion as ``iacsieve filter`` scores it is a row too. This stage reads the test split,
as ``evaluate_test`` does; nothing upstream reads what it writes.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from iacsieve import paths
from iacsieve.atomic import atomic_write_json
from iacsieve.data.records import read_jsonl
from iacsieve.evaluation.held_out import scored_groups
from iacsieve.evaluation.metrics import apply_threshold
from iacsieve.live import train_seconds
from iacsieve.models.inputs import model_text
from iacsieve.models.lexical import LEXICAL_FILE, LexicalModel, stack
from iacsieve.params import Params
from iacsieve.selection.ranking import read_selection
from iacsieve.training.cv import (
    HYBRID_SUFFIX,
    LEXICAL_ENTRY,
    cross_fitted_stack,
    cv_summary,
    decision_from_oof,
    read_oof,
    split_entry,
)

def _families(champion_candidate: str) -> dict[str, str]:
    """Each Stage-1 family that ran -> the CV run whose out-of-fold scores fit its decision: the best
    Stage-2 run for the champion's family, its Stage-1 run for the others."""
    stage2_best = read_selection(paths.STAGE2_SELECTION)["best"]
    families: dict[str, str] = {}
    for row in read_selection(paths.STAGE1_SELECTION)["runs"]:
        family, _ = split_entry(row["entry"])
        if family != LEXICAL_ENTRY:
            families.setdefault(family, stage2_best["run"] if family == champion_candidate else row["run"])
    return families


def _train_family(params: Params, family: str, train: list[dict], records: list[dict]) -> tuple[np.ndarray, float | None]:
    """Train ``family`` with its Stage-1 recipe on train (early stopping on val, ``train.seed``) into
    models/ablation/<family> (its dvclive log in ``<family>-live`` beside it); its TP probabilities of
    ``records`` and its training seconds."""
    from iacsieve.models.predict import load_classifier, predict_proba
    from iacsieve.training.stages import base_config, train_one_into

    config = replace(base_config(params, family), seed=params.train.seed)
    folder, live = paths.ABLATION_MODELS / family, paths.ABLATION_MODELS / f"{family}-live"
    train_one_into(config, train, read_jsonl(paths.split_file("val")), folder,
                   paths.CHECKPOINTS / paths.ABLATION_MODELS.name / family, live,
                   run_info={"run": f"{paths.ABLATION_MODELS.name}/{family}", "candidate": family})
    model, tokenizer = load_classifier(folder)
    scores = predict_proba(model, tokenizer, [model_text(r) for r in records], batch_size=config.eval_batch_size,
                           max_length=config.max_length)
    return scores, train_seconds(live)


def _row(name: str, test: list[dict], scores: np.ndarray, threshold: float, params: Params, **extra) -> dict:
    kept = apply_threshold(scores, threshold).tolist()
    return {"name": name, "threshold": threshold, **extra, "test": scored_groups(test, kept, params.evaluate)}


def run_ablation(params: Params) -> dict:
    """Score each Stage-1 family alone and stacked with TF-IDF + LR on test (see the module docstring);
    write details/ablation.json (one row per filter with its test groups (CIs), its CV mean ± sd, its
    threshold and stacker) and, apart, what training each cost (metrics/ablation/efficiency.json)."""
    from iacsieve.filtering.filter import Filter

    champion = Filter.from_pretrained(paths.CHAMPION, batch_size=params.train.eval_batch_size, backend="torch")
    meta = champion.meta
    train, test = read_jsonl(paths.split_file("train")), read_jsonl(paths.split_file("test"))
    lexical_model = (LexicalModel.load(paths.CHAMPION / LEXICAL_FILE) if meta.get("stacker")  # what the filter uses
                     else LexicalModel.fit(train, params.baselines.tfidf_c, params.baselines.seed))
    lexical = lexical_model.predict_proba(test)
    stage1, stage2 = read_selection(paths.STAGE1_SELECTION), read_selection(paths.STAGE2_SELECTION)
    cv_runs = {run: train_seconds(paths.METRICS / run) for run in {row["run"] for row in stage1["runs"] + stage2["runs"]}}
    rows, efficiency = [], {}
    for family, oof_run in _families(meta["candidate"]).items():
        own = family == meta["candidate"]
        if own:
            encoder, origin = champion.predict_proba([model_text(r) for r in test]), meta["source_run"]
            seconds = train_seconds(paths.METRICS / meta["source_run"])
        else:
            encoder, seconds = _train_family(params, family, train, test)
            origin = f"{paths.ABLATION_MODELS.name}/{family}"
        table = read_oof(paths.MODELS / oof_run)
        for hybrid in (False, True) if "lexical" in table else (False,):
            entry = family + (HYBRID_SUFFIX if hybrid else "")
            decision = decision_from_oof(table, hybrid, params.cv.seed, params.threshold)
            scores = stack(decision["stacker"], encoder, lexical) if hybrid else encoder
            cv = cv_summary(table["label"], cross_fitted_stack(table["encoder"], table["lexical"], table["label"],
                                                               table["fold"], params.cv.seed)
                            if hybrid else table["encoder"], table["fold"], params.threshold)
            rows.append(_row(entry, test, scores, decision["threshold"], params, family=family, hybrid=hybrid,
                             model=origin, champion=own and hybrid == bool(meta.get("stacker")),
                             stacker=decision["stacker"], cv_run=oof_run, cv_f1_mean=cv.get("cv_f1_mean"),
                             cv_f1_sd=cv.get("cv_f1_sd")))
            efficiency[entry] = {"cv_train_seconds": cv_runs.get(oof_run), "train_seconds": seconds}
    baselines = json.loads(paths.BASELINE_DETAILS.read_text(encoding="utf-8"))
    tfidf = baselines["tfidf_logreg"]
    cv = (cv_summary(table["label"], table["lexical"], table["fold"], params.threshold)  # the same folds in every run
          if rows and "lexical" in table else {})
    rows.append({"name": LEXICAL_ENTRY, "threshold": tfidf["threshold"], "family": LEXICAL_ENTRY, "hybrid": False,
                 "model": "baselines stage (threshold swept on val)", "champion": False, "stacker": None,
                 "cv_run": None, "cv_f1_mean": cv.get("cv_f1_mean"), "cv_f1_sd": cv.get("cv_f1_sd"),
                 "test": tfidf["test"]})
    int8 = (meta.get("onnx") or {}).get("int8")
    if int8 and int8.get("passed"):
        shipped = Filter.from_pretrained(paths.CHAMPION, backend="onnx")  # batched as the filter batches
        rows.append(_row("champion (int8 ONNX, as iacsieve filter scores)", test,
                         np.asarray(shipped.score_records(test, progress=False)), meta["threshold"], params,
                         family=meta["candidate"], hybrid=bool(meta.get("stacker")), model="models/champion/model.onnx",
                         champion=False, stacker=meta.get("stacker"), cv_run=None, cv_f1_mean=None, cv_f1_sd=None))
    paths.ABLATION_MODELS.mkdir(parents=True, exist_ok=True)  # the stage's output, empty when nothing trains here
    result = {"rule": "stacker and threshold of each row fitted on its pooled out-of-fold scores (never on test)",
              "rows": rows}
    atomic_write_json(paths.ABLATION_DETAILS, result)
    atomic_write_json(paths.ABLATION_EFFICIENCY, efficiency)  # timings vary between identical runs: not in details
    return {row["name"]: round(row["test"]["all"]["f1"], 4) for row in rows}
