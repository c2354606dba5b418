"""The four training stages: which config each run uses, where it reads and writes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from iacsieve import paths
from iacsieve.data.records import read_jsonl
from iacsieve.errors import IacsieveError
from iacsieve.params import TINY_CANDIDATES, Params
from iacsieve.selection.ranking import read_selection
from iacsieve.training.run import TrainConfig, train_run
from iacsieve.training.threads import threads_for_run


def base_config(params: Params, candidate: str) -> TrainConfig:
    """The training config of a Stage-1 candidate: ``train`` defaults plus the candidate's overrides."""
    if candidate not in params.stage1.candidates:
        known = ", ".join(params.stage1.candidates)
        raise IacsieveError(f"params.yaml: stage1.candidates has no {candidate!r} (known: {known})")
    spec = params.stage1.candidates[candidate]
    train = params.train.model_dump()
    overrides = {k: v for k, v in spec.model_dump().items() if k != "model" and v is not None}
    train.update(overrides)
    train["threads"] = threads_for_run(train["threads"])
    return TrainConfig(
        model=spec.model,
        tokenizer_dir=str(paths.TOKENIZER) if spec.model in TINY_CANDIDATES else None,
        **train,
    )


def run_training(config: TrainConfig, stage: str, run: str, candidate: str) -> dict:
    """Train one run on the train split, scored on val; model, checkpoints and dvclive under ``stage/run``.

    Beside the model goes ``iacsieve_run.json`` (run, candidate, config, summary): what the selection
    stages read.
    """
    train_records = read_jsonl(paths.split_file("train"))
    val_records = read_jsonl(paths.split_file("val"))
    run_path = Path(stage) / run if run else Path(stage)
    summary = train_run(
        config,
        train_records,
        val_records,
        out_dir=paths.MODELS / run_path,
        checkpoint_dir=paths.CHECKPOINTS / run_path,
        live_dir=paths.METRICS / run_path,
        run_info={"run": run_path.as_posix(), "candidate": candidate},
    )
    return {"run": run_path.as_posix(), "model": config.model, "val_f1": summary.get("val_f1")}


def run_stage1(params: Params, candidate: str) -> dict:
    """Stage 1: one candidate model family with the default recipe."""
    return run_training(base_config(params, candidate), "stage1", candidate, candidate)


def stage2_candidate(rank: int) -> str:
    """The Stage-1 family ranked ``rank`` (1 = best)."""
    top = read_selection(paths.STAGE1_SELECTION)["top"]
    if rank > len(top):
        raise IacsieveError(f"stage2: rank {rank} but stage 1 passed on only {len(top)} families")
    return top[rank - 1]


def run_stage2(params: Params, rank: int, learning_rate: float, batch_size: int, name: str) -> dict:
    """Stage 2: one point of the learning-rate x batch-size grid for a top-k family."""
    candidate = stage2_candidate(rank)
    config = replace(base_config(params, candidate), learning_rate=learning_rate, batch_size=batch_size)
    return run_training(config, "stage2", name, candidate)


def stage3_config(params: Params) -> tuple[str, TrainConfig]:
    """(candidate, config): the best Stage-2 config with Stage 3's longer schedule."""
    best = read_selection(paths.STAGE2_SELECTION)["best"]
    config = replace(
        base_config(params, best["candidate"]),
        learning_rate=best["learning_rate"],
        batch_size=best["batch_size"],
    )
    stage3 = params.stage3
    config = replace(config, epochs=stage3.epochs, lr_scheduler=stage3.lr_scheduler, warmup_ratio=stage3.warmup_ratio)
    return best["candidate"], config


def run_stage3(params: Params) -> dict:
    """Stage 3: the best Stage-2 config trained once more (its val scores feed the threshold sweep)."""
    candidate, config = stage3_config(params)
    return run_training(config, "stage3", "", candidate)


def run_stage4(params: Params, seed: int) -> dict:
    """Stage 4: the Stage-3 config with another seed."""
    candidate, config = stage3_config(params)
    return run_training(replace(config, seed=seed), "stage4", str(seed), candidate)
