"""The training stages: which config each run uses, where it reads and writes.

Stages 1 and 2 judge a config by repository-grouped k-fold cross-validation over train + val
(``training.cv``); Stage 4 trains the chosen config on train, once per seed, scored on val.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from iacsieve import paths
from iacsieve.atomic import atomic_write_json
from iacsieve.data.records import read_jsonl
from iacsieve.errors import IacsieveError
from iacsieve.models import pretrained
from iacsieve.params import TINY_CANDIDATES, Params
from iacsieve.selection.ranking import read_selection
from iacsieve.training.cv import HYBRID_SUFFIX, LEXICAL_ENTRY, cross_fitted_stack, cv_folds, cv_summary, \
    lexical_out_of_fold, out_of_fold, split_entry, write_cv_run
from iacsieve.training.run import TrainConfig, train_run
from iacsieve.training.threads import threads_for_run


def base_config(params: Params, candidate: str) -> TrainConfig:
    """The training config of a Stage-1 candidate: ``train`` defaults plus the candidate's overrides.

    A ``pretrained:<name>`` model becomes its local folder, verified against its sha256 (a one-line error
    names the file and the expected hash).
    """
    if candidate not in params.stage1.candidates:
        known = ", ".join(params.stage1.candidates)
        raise IacsieveError(f"params.yaml: stage1.candidates has no {candidate!r} (known: {known})")
    spec = params.stage1.candidates[candidate]
    train = params.train.model_dump()
    overrides = {k: v for k, v in spec.model_dump().items() if k != "model" and v is not None}
    train.update(overrides)
    train["threads"] = threads_for_run(train["threads"])
    return TrainConfig(
        model=pretrained.resolve(spec.model, params.pretrained),
        tokenizer_dir=str(paths.TOKENIZER) if spec.model in TINY_CANDIDATES else None,
        **train,
    )


def train_one(config: TrainConfig, train_records, val_records, run_path: Path, *, run_info: dict,
              select_best: bool = True, save_model: bool = True) -> dict:
    """One training run of ``config``, with its model under models/, checkpoints under checkpoints/ and
    dvclive under metrics/ (``train_one_into`` those folders)."""
    return train_one_into(config, train_records, val_records, paths.MODELS / run_path, paths.CHECKPOINTS / run_path,
                          paths.METRICS / run_path, run_info=run_info, select_best=select_best, save_model=save_model)


def train_one_into(config: TrainConfig, train_records, val_records, out_dir: Path, checkpoint_dir: Path,
                   live_dir: Path, *, run_info: dict, select_best: bool = True, save_model: bool = True) -> dict:
    """One training run of ``config`` (frozen-prefix fine-tuning when ``config.frozen_layers``) into the
    given model, checkpoint and dvclive folders."""
    kwargs = {"run_info": run_info, "select_best": select_best, "save_model": save_model}
    if config.frozen_layers:
        from iacsieve.training.frozen_prefix import train_frozen_prefix

        return train_frozen_prefix(config, train_records, val_records, out_dir, live_dir, **kwargs)
    return train_run(config, train_records, val_records, out_dir=out_dir, checkpoint_dir=checkpoint_dir,
                     live_dir=live_dir, **kwargs)


def run_training(config: TrainConfig, stage: str, run: str, candidate: str) -> dict:
    """Train one run on the train split, scored on val; model, checkpoints and dvclive under ``stage/run``.

    Beside the model goes ``iacsieve_run.json`` (run, candidate, config, summary): what the selection
    stages read.
    """
    train_records = read_jsonl(paths.split_file("train"))
    val_records = read_jsonl(paths.split_file("val"))
    run_path = Path(stage) / run if run else Path(stage)
    summary = train_one(config, train_records, val_records, run_path,
                        run_info={"run": run_path.as_posix(), "candidate": candidate})
    return {"run": run_path.as_posix(), "model": config.model, "val_f1": summary.get("val_f1")}


def run_cross_validation(params: Params, config: TrainConfig, stage: str, run: str, candidate: str) -> dict:
    """Cross-validate ``config`` on train + val; write ``models/<stage>/<run>`` (out-of-fold scores, the
    run record with the CV summary of the encoder and, with ``cv.stack_lexical``, of its hybrid).

    Each fold is one training run (every epoch, the last kept, no weights saved) whose dvclive log goes to
    ``metrics/<stage>/<run>/fold-<i>``.
    """
    records = read_jsonl(paths.split_file("train")) + read_jsonl(paths.split_file("val"))
    folds = cv_folds(records, params.cv.folds, params.cv.seed, params.split.same_split)
    run_path = Path(stage) / run

    def train_fold(train, held, fold):
        fold_path = run_path / f"fold-{fold + 1}"
        train_one(config, train, held, fold_path, select_best=False, save_model=False,
                  run_info={"run": fold_path.as_posix(), "candidate": candidate})
        scores = [row["proba"] for row in read_jsonl(paths.MODELS / fold_path / paths.VAL_SCORES)]
        shutil.rmtree(paths.MODELS / fold_path)
        return scores

    shutil.rmtree(paths.MODELS / run_path, ignore_errors=True)
    encoder = out_of_fold(records, folds, train_fold)
    labels = np.array([int(r["label"]) for r in records])
    lexical = (lexical_out_of_fold(records, folds, params.baselines.tfidf_c, params.baselines.seed)
               if params.cv.stack_lexical else None)
    entries = {candidate: cv_summary(labels, encoder, folds, params.threshold)}
    if lexical is not None:
        hybrid = cross_fitted_stack(encoder, lexical, labels, folds, params.cv.seed)
        entries[candidate + HYBRID_SUFFIX] = cv_summary(labels, hybrid, folds, params.threshold)
        entries[LEXICAL_ENTRY] = cv_summary(labels, lexical, folds, params.threshold)
    record = {"run": run_path.as_posix(), "candidate": candidate, "config": asdict(config),
              "cv": {"folds": params.cv.folds, "seed": params.cv.seed, "records": len(records), "entries": entries}}
    write_cv_run(paths.MODELS / run_path, records, folds, encoder, lexical, record)
    shutil.rmtree(paths.CHECKPOINTS / run_path, ignore_errors=True)
    return {"run": run_path.as_posix(), **{name: e["cv_f1_mean"] for name, e in entries.items()}}


def run_stage1(params: Params, candidate: str) -> dict:
    """Stage 1: one candidate model family with the default recipe, cross-validated.

    A pretrained candidate whose weights were never fetched (offline install) is recorded as skipped,
    with one line saying so: Stage 1 then compares the other families.
    """
    why = pretrained.unavailable(params.stage1.candidates[candidate].model, params.pretrained)
    if why is not None:
        print(f"stage1: candidate {candidate} skipped: {why}", file=sys.stderr)
        shutil.rmtree(paths.MODELS / "stage1" / candidate, ignore_errors=True)
        atomic_write_json(paths.MODELS / "stage1" / candidate / paths.RUN_RECORD,
                          {"run": f"stage1/{candidate}", "candidate": candidate, "skipped": why})
        (paths.METRICS / "stage1" / candidate).mkdir(parents=True, exist_ok=True)
        return {"run": f"stage1/{candidate}", "skipped": why}
    return run_cross_validation(params, base_config(params, candidate), "stage1", candidate, candidate)


def stage2_entry(rank: int) -> tuple[str, bool]:
    """(candidate, hybrid) of the Stage-1 entry ranked ``rank`` (1 = best)."""
    top = read_selection(paths.STAGE1_SELECTION)["top"]
    if rank > len(top):
        raise IacsieveError(f"stage2: rank {rank} but stage 1 passed on only {len(top)} families")
    return split_entry(top[rank - 1])


def run_stage2(params: Params, rank: int, learning_rate: float, batch_size: int, name: str) -> dict:
    """Stage 2: one point of the learning-rate x batch-size grid for a top-k family, cross-validated."""
    candidate, _ = stage2_entry(rank)
    config = replace(base_config(params, candidate), learning_rate=learning_rate, batch_size=batch_size)
    return run_cross_validation(params, config, "stage2", name, candidate)


def stage4_config(params: Params) -> tuple[str, TrainConfig]:
    """(candidate, config): the best Stage-2 config."""
    best = read_selection(paths.STAGE2_SELECTION)["best"]
    config = replace(
        base_config(params, best["candidate"]),
        learning_rate=best["learning_rate"],
        batch_size=best["batch_size"],
    )
    return best["candidate"], config


def run_stage4(params: Params, seed: int) -> dict:
    """Stage 4: the best Stage-2 config trained on train with another seed, scored on val."""
    candidate, config = stage4_config(params)
    return run_training(replace(config, seed=seed), "stage4", str(seed), candidate)
