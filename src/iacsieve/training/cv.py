"""Repository-grouped k-fold cross-validation over train + val: how stages 1 and 2 judge a config.

Validation alone is 9 repositories on the real corpus: one config's val F1 spans 0.66-0.74 across seeds.
Every record of train + val is scored once by a model that never saw its repository (folds follow the
split's repository / content-hash groups, stratified by technology, smell and label); a config is
judged by its mean ± sd F1 over folds at the threshold that maximises F1 on the pooled out-of-fold
scores. The test split is never read here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from iacsieve.atomic import atomic_dir
from iacsieve.data.records import read_jsonl
from iacsieve.data.split import repository_groups
from iacsieve.errors import IacsieveError
from iacsieve.evaluation.metrics import apply_threshold, filter_metrics
from iacsieve.evaluation.threshold import sweep_thresholds
from iacsieve.models.lexical import LexicalModel, fit_stacker, stack

#: Out-of-fold scores of a CV run: one line per record (id, label, fold, encoder and lexical P(TP)).
OOF_FILE = "oof.jsonl"
#: Suffix of a hybrid entry's name (the encoder stacked with TF-IDF + LR).
HYBRID_SUFFIX = "+tfidf"
#: The entry of TF-IDF + LR alone: listed for reference, never chosen.
LEXICAL_ENTRY = "tfidf"

Record = Mapping[str, Any]
#: Trains on the first records, scores the second; returns their P(TP) (a training run with its outputs).
FoldTrainer = Callable[[Sequence[Record], Sequence[Record], int], Sequence[float]]


def cv_folds(records: Sequence[Record], k: int, seed: int, same_split: Sequence[Sequence[str]] = ()) -> np.ndarray:
    """Fold index (0..k-1) of each record: repository groups kept whole, stratified by tech x smell x label."""
    groups = repository_groups(list(records), [list(g) for g in same_split])
    if len(set(groups)) < k:
        raise IacsieveError(f"cv.folds={k} but train + val hold only {len(set(groups))} repository groups")
    strata = [f"{r['tech']}|{r['smell']}|{r['label']}" for r in records]
    folds = np.zeros(len(records), dtype=int)
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for fold, (_, held) in enumerate(splitter.split(np.zeros(len(records)), strata, groups)):
        folds[held] = fold
    return folds


def out_of_fold(records: Sequence[Record], folds: np.ndarray, train_fold: FoldTrainer) -> np.ndarray:
    """P(TP) of every record from the model of the fold that held it out."""
    scores = np.zeros(len(records))
    for fold in range(int(folds.max()) + 1):
        held = np.flatnonzero(folds == fold)
        rest = np.flatnonzero(folds != fold)
        scores[held] = train_fold([records[i] for i in rest], [records[i] for i in held], fold)
    return scores


def lexical_out_of_fold(records: Sequence[Record], folds: np.ndarray, c: float, seed: int) -> np.ndarray:
    """Out-of-fold P(TP) of TF-IDF + LR on the same folds."""
    return out_of_fold(records, folds, lambda train, held, _: LexicalModel.fit(train, c, seed).predict_proba(held))


def cross_fitted_stack(encoder: np.ndarray, lexical: np.ndarray, labels: np.ndarray, folds: np.ndarray,
                       seed: int) -> np.ndarray:
    """Hybrid out-of-fold scores: each fold's stacker is fitted on the other folds' out-of-fold scores."""
    result = np.zeros(len(labels))
    for fold in range(int(folds.max()) + 1):
        held, rest = folds == fold, folds != fold
        weights = fit_stacker(encoder[rest], lexical[rest], labels[rest], seed)
        result[held] = stack(weights, encoder[held], lexical[held])
    return result


def cv_summary(labels: np.ndarray, scores: np.ndarray, folds: np.ndarray, grid) -> dict:
    """F1 at the pooled-best threshold: pooled, per fold, mean and sd over folds (plus precision, recall)."""
    threshold, _ = sweep_thresholds(labels.tolist(), scores.tolist(), grid.min, grid.max, grid.step)
    verdicts = apply_threshold(scores, threshold)
    pooled = filter_metrics(labels.tolist(), verdicts.tolist())
    per_fold = [filter_metrics(labels[folds == f].tolist(), verdicts[folds == f].tolist())["f1"]
                for f in range(int(folds.max()) + 1)]
    return {
        "cv_f1_mean": round(float(np.mean(per_fold)), 4),
        "cv_f1_sd": round(float(np.std(per_fold, ddof=1)) if len(per_fold) > 1 else 0.0, 4),
        "cv_f1_folds": [round(f, 4) for f in per_fold],
        "cv_f1_pooled": round(pooled["f1"], 4),
        "cv_precision_pooled": round(pooled["precision"], 4),
        "cv_recall_pooled": round(pooled["recall"], 4),
        "cv_threshold": threshold,
    }


def decision_from_oof(table: Mapping[str, np.ndarray], hybrid: bool, seed: int, grid) -> dict:
    """How an entry decides, fitted on its pooled out-of-fold scores (``read_oof``): for a hybrid the
    stacker (``fit_stacker`` on the encoder and lexical scores), then the threshold that maximises F1
    on the scores it gives. Returns ``stacker`` (None for an encoder alone), ``threshold``, the sweep's
    ``rows`` and the out-of-fold ``scores``."""
    stacker, scores = None, np.asarray(table["encoder"], dtype=float)
    if hybrid:
        stacker = fit_stacker(table["encoder"], table["lexical"], table["label"], seed)
        scores = stack(stacker, table["encoder"], table["lexical"])
    threshold, rows = sweep_thresholds(table["label"].tolist(), scores.tolist(), grid.min, grid.max, grid.step)
    return {"stacker": stacker, "threshold": threshold, "rows": rows, "scores": scores}


def write_cv_run(out_dir: Path, records: Sequence[Record], folds: np.ndarray, encoder: np.ndarray,
                 lexical: np.ndarray | None, record: dict) -> None:
    """Write the CV run folder whole: ``oof.jsonl`` and the run record."""
    lines = [json.dumps({"id": r["id"], "label": int(r["label"]), "fold": int(f), "encoder": float(e),
                         **({"lexical": float(lexical[i])} if lexical is not None else {})})
             for i, (r, f, e) in enumerate(zip(records, folds, encoder, strict=True))]
    with atomic_dir(out_dir) as staging:
        (staging / OOF_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        (staging / "iacsieve_run.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def read_oof(run_dir: Path) -> dict[str, np.ndarray]:
    """A CV run's out-of-fold table as arrays: label, fold, encoder (and lexical when it was scored)."""
    rows = read_jsonl(run_dir / OOF_FILE)
    table = {name: np.array([row[name] for row in rows]) for name in ("label", "fold", "encoder")}
    if rows and "lexical" in rows[0]:
        table["lexical"] = np.array([row["lexical"] for row in rows])
    return table


def split_entry(entry: str) -> tuple[str, bool]:
    """``minilm+tfidf`` -> (``minilm``, True); ``minilm`` -> (``minilm``, False)."""
    hybrid = entry.endswith(HYBRID_SUFFIX)
    return (entry[: -len(HYBRID_SUFFIX)] if hybrid else entry), hybrid
