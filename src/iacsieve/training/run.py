"""One training run: fine-tune a candidate on train records, early-stop on val F1, save the best epoch.

Built on Hugging Face's ``Trainer``: it already checkpoints the optimizer, scheduler, RNG and callback
states per epoch, so a resumed run continues bit for bit where the killed one stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch
import transformers
from dvclive import Live
from scmrepo.exceptions import SCMError
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from transformers import (
    AutoModelForSequenceClassification,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    EvalPrediction,
    PreTrainedModel,
    Trainer,
    TrainerCallback,
    TrainerState,
    TrainingArguments,
    set_seed,
)
from transformers.integrations import DVCLiveCallback
from transformers.trainer_callback import ExportableState

from iacsieve import paths
from iacsieve.atomic import atomic_dir, atomic_write_text
from iacsieve.errors import IacsieveError
from iacsieve.models.inputs import model_text
from iacsieve.models.loading import load_candidate
from iacsieve.models.predict import POSITIVE_LABEL, predict_proba, tokenize_texts
from iacsieve.training.checkpoints import (
    LIVE_STAGING,
    TRAINER_STATE_FILE,
    prepare_checkpoint_dir,
    remove_checkpoints,
)

Record = Mapping[str, Any]

#: Keys every run's dvclive ``metrics.json`` holds at top level; all are reproduced exactly by a rerun.
SUMMARY_KEYS: tuple[str, ...] = (
    "val_f1",
    "val_precision",
    "val_recall",
    "val_accuracy",
    "epochs_run",
    "best_epoch",
    "n_parameters",
)
#: Keys of ``efficiency.json``: wall time, throughput and memory.
EFFICIENCY_KEYS: tuple[str, ...] = ("train_seconds", "train_samples_per_second", "peak_memory_mb")
#: Trainer log entries that time the evaluation loop; left out of the per-epoch dvclive plots.
_EVAL_TIMINGS = ("eval_runtime", "eval_samples_per_second", "eval_steps_per_second")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run's result (and so its checkpoint fingerprint).

    No defaults: the stages build it from the validated ``train`` section of params.yaml
    (``training.stages.base_config``), so the values live in params.yaml only.
    """

    model: str
    tokenizer_dir: str | None
    learning_rate: float
    batch_size: int
    eval_batch_size: int
    epochs: int
    max_length: int
    weight_decay: float
    warmup_ratio: float
    lr_scheduler: str
    patience: int
    min_delta: float
    gradient_checkpointing: bool
    seed: int
    threads: int
    trust_remote_code: bool
    frozen_layers: int
    bf16: bool
    layers: int | None  # a pretrained encoder truncated to its first N layers (None: all)


def train_run(
    cfg: TrainConfig,
    train_records: Sequence[Record],
    val_records: Sequence[Record],
    out_dir: str | os.PathLike,
    checkpoint_dir: str | os.PathLike,
    live_dir: str | os.PathLike,
    *,
    run_info: Mapping[str, Any] | None = None,
    callbacks: Sequence[TrainerCallback] = (),
    select_best: bool = True,
    save_model: bool = True,
) -> dict[str, Any]:
    """Train ``cfg.model`` on ``train_records``, keep the epoch with the best val F1, and save it.

    Writes ``out_dir`` whole or not at all: the best model and tokenizer (safetensors),
    ``val_scores.jsonl`` (``{"id", "label", "proba"}`` per val record, proba = P(TP)) and
    ``iacsieve_run.json`` (``run_info`` plus the config and the summary, all reproduced exactly by a rerun,
    so the folder's hash is too). Per-epoch checkpoints go to ``checkpoint_dir``; a run started again
    with the same cfg and records resumes from the latest one and ends with the same result as an
    uninterrupted run, while checkpoints of another cfg or data are discarded. They are removed once ``out_dir`` is written. dvclive logs params, per-epoch
    metrics and a flat summary (``SUMMARY_KEYS``) to ``live_dir`` (never to a ``dvc.yaml``), and
    ``efficiency.json`` beside them holds ``EFFICIENCY_KEYS``; ``live_dir`` too is written whole or not at
    all. ``callbacks`` are extra ``TrainerCallback``s (tests use them to interrupt a run).
    ``select_best=False`` (cross-validation folds, whose "val" records are the held-out fold) trains every
    epoch and keeps the last, with no early stopping; ``save_model=False`` writes no weights. Returns the
    summary and the efficiency figures in one dict.
    """
    if not train_records or not val_records:
        raise IacsieveError("a training run needs at least one train and one val record")
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    # Relative stays relative: TrainingArguments (logged by dvclive) then hold no machine-specific path.
    checkpoint_dir = Path(checkpoint_dir)
    resume_from = prepare_checkpoint_dir(checkpoint_dir, run_fingerprint(cfg, train_records, val_records))

    model, tokenizer = load_candidate(
        cfg.model, cfg.tokenizer_dir, seed=cfg.seed, trust_remote_code=cfg.trust_remote_code, layers=cfg.layers
    )
    if cfg.max_length > tokenizer.model_max_length:
        raise IacsieveError(
            f"max_length {cfg.max_length} exceeds what {cfg.model!r} reads ({tokenizer.model_max_length} tokens)"
        )
    live = open_live(checkpoint_dir / LIVE_STAGING, resume=resume_from is not None)
    live.log_params(asdict(cfg))
    trainer = _build_trainer(cfg, model, tokenizer, train_records, val_records, checkpoint_dir, live, callbacks,
                             select_best)
    model, state, train_seconds = _train_or_reuse(trainer, cfg, checkpoint_dir, resume_from, live, select_best)

    texts = [model_text(record) for record in val_records]
    probabilities = predict_proba(model, tokenizer, texts, cfg.eval_batch_size, cfg.max_length)
    result = finish_run(cfg, model, tokenizer, len(train_records), val_records, probabilities, _epochs_done(state),
                        _best_epoch(state), train_seconds, run_info, out_dir, live, live_dir, save_model)
    remove_checkpoints(checkpoint_dir)
    return result


def finish_run(
    cfg: TrainConfig,
    model: PreTrainedModel,
    tokenizer,
    train_count: int,
    val_records: Sequence[Record],
    probabilities: np.ndarray,
    epochs_run: int,
    best_epoch: int,
    train_seconds: float,
    run_info: Mapping[str, Any] | None,
    out_dir: str | os.PathLike,
    live: Live,
    live_dir: str | os.PathLike,
    save_model: bool = True,
) -> dict[str, Any]:
    """Write a finished run: the run folder (weights when ``save_model``, val scores, run record) and
    the dvclive folder with ``efficiency.json``. Returns the summary (``SUMMARY_KEYS``) and efficiency."""
    labels = [int(record["label"]) for record in val_records]
    summary = {
        **{f"val_{name}": value for name, value in classification_metrics(labels, probabilities > 0.5).items()},
        "epochs_run": epochs_run,
        "best_epoch": best_epoch,
        "n_parameters": int(sum(parameter.numel() for parameter in model.parameters())),
    }
    efficiency = {
        "train_seconds": round(train_seconds, 3),
        "train_samples_per_second": round(train_count * epochs_run / max(train_seconds, 1e-9), 3),
        "peak_memory_mb": round(peak_memory_mb(), 1),
    }
    record = {**(run_info or {}), "config": asdict(cfg), "summary": summary}
    save_run(model if save_model else None, tokenizer, val_records, labels, probabilities, record, out_dir)
    # Replaces dvclive's nested last-epoch values ("eval": {"f1": …}) with the flat run summary, at the
    # step of the last epoch (a run resumed after its last epoch has logged nothing in this session).
    live.summary = dict(summary)
    live.step = epochs_run - 1
    live.make_summary()
    publish_live(Path(live.dir), efficiency, live_dir)
    return {**summary, **efficiency}


def _build_trainer(
    cfg: TrainConfig,
    model: PreTrainedModel,
    tokenizer,
    train_records: Sequence[Record],
    val_records: Sequence[Record],
    checkpoint_dir: Path,
    live: Live,
    callbacks: Sequence[TrainerCallback],
    select_best: bool = True,
) -> Trainer:
    """Trainer over tokenised records with dynamic padding, early stopping on val F1 and dvclive logging."""
    train_set = _encode(tokenizer, train_records, cfg.max_length)
    # Evaluation order does not matter: sorting by length (stable) lets each eval batch pad only a little.
    val_set = _encode(tokenizer, val_records, cfg.max_length)
    lengths = [len(ids) for ids in val_set["input_ids"]]
    val_set = val_set.select(sorted(range(len(lengths)), key=lengths.__getitem__))
    stopping = [EarlyStoppingCallback(early_stopping_patience=cfg.patience, early_stopping_threshold=cfg.min_delta)]
    return _EpochLogTrainer(
        model=model,
        args=_training_arguments(cfg, checkpoint_dir, select_best),
        train_dataset=train_set,
        eval_dataset=val_set,
        data_collator=DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8 if torch.cuda.is_available() else None),
        processing_class=tokenizer,
        compute_metrics=_eval_metrics,
        preprocess_logits_for_metrics=_logits_only,
        callbacks=[*(stopping if select_best else []), _TrainClock(), DVCLiveCallback(live=live), *callbacks],
    )


def _train_or_reuse(
    trainer: Trainer, cfg: TrainConfig, checkpoint_dir: Path, resume_from: Path | None, live: Live,
    select_best: bool = True,
) -> tuple[PreTrainedModel, TrainerState, float]:
    """Train (from scratch or from ``resume_from``) and return the best model, final state and seconds.

    A checkpoint where training had already ended (the process was killed while saving the result) is
    not trained further: its best epoch is loaded instead.
    """
    if resume_from is None:
        trainer.train()
        return trainer.model, trainer.state, _running_clock(trainer).seconds()
    state = TrainerState.load_from_json(str(resume_from / TRAINER_STATE_FILE))
    if _training_ended(state, cfg):
        kept = state.best_global_step if select_best else state.global_step
        best = checkpoint_dir / f"checkpoint-{kept}"
        model = AutoModelForSequenceClassification.from_pretrained(best, use_safetensors=True)
        return model, state, _stored_clock_seconds(state)
    # dvclive may have logged epochs after this checkpoint: they are trained again, so forget them.
    live.step = _epochs_done(state)
    _forget_logged_steps(live, first=live.step)
    trainer.train(resume_from_checkpoint=str(resume_from))
    return trainer.model, trainer.state, _running_clock(trainer).seconds()


def run_fingerprint(cfg: TrainConfig, train_records: Sequence[Record], val_records: Sequence[Record]) -> str:
    """sha256 over what makes a run's checkpoints reusable: cfg, library versions, tokenizer, records.

    Records contribute their id, label and model text, in order (order changes the batches).
    """
    digest = hashlib.sha256()
    versions = {"torch": torch.__version__, "transformers": transformers.__version__}
    digest.update(json.dumps({"cfg": asdict(cfg), "versions": versions}, sort_keys=True).encode())
    if cfg.tokenizer_dir is not None:
        for name in ("tokenizer.json", "tokenizer_config.json"):
            path = Path(cfg.tokenizer_dir) / name
            digest.update(path.read_bytes() if path.is_file() else b"")
    for split, records in (("train", train_records), ("val", val_records)):
        for record in records:
            line = [split, str(record["id"]), int(record["label"]), model_text(record)]
            digest.update(json.dumps(line).encode() + b"\n")
    return digest.hexdigest()


def classification_metrics(labels: Sequence[int], predictions: Sequence[bool] | np.ndarray) -> dict[str, float]:
    """Accuracy, and precision / recall / F1 of the TP class (0.0 where undefined)."""
    predicted = np.asarray(predictions).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predicted, average="binary", pos_label=POSITIVE_LABEL, zero_division=0
    )
    return {
        "accuracy": float(accuracy_score(labels, predicted)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }


class _EpochLogTrainer(Trainer):
    """``Trainer`` that reports an epoch's train loss together with its evaluation, as one dvclive step.

    Stock ``Trainer`` logs the train loss and the evaluation as two events, and DVCLiveCallback advances
    its step on each; holding the loss back keeps one step per epoch. The end-of-training speed summary
    stays in ``state.log_history`` only, since the run writes its own summary.
    """

    _held_train_logs: dict[str, float] | None = None

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "train_runtime" in logs:
            self.state.log_history.append({**logs, "step": self.state.global_step})
            return
        if "loss" in logs and not any(name.startswith("eval_") for name in logs):
            self._held_train_logs = {"train_loss": logs["loss"], "learning_rate": logs.get("learning_rate", 0.0)}
            return
        logs = {name: value for name, value in logs.items() if name not in _EVAL_TIMINGS}
        merged = {**(self._held_train_logs or {}), **logs}
        self._held_train_logs = None
        super().log(merged, start_time)


class _TrainClock(TrainerCallback, ExportableState):
    """Training wall time summed over every session of a run, stored in its checkpoints."""

    def __init__(self, seconds_before: float = 0.0) -> None:
        self.seconds_before = seconds_before
        self._started: float | None = None

    def on_train_begin(self, args, state, control, **kwargs) -> None:
        self._started = time.perf_counter()

    def seconds(self) -> float:
        """Seconds trained so far, this session included."""
        running = time.perf_counter() - self._started if self._started is not None else 0.0
        return self.seconds_before + running

    def state(self) -> dict:
        return {"args": {"seconds_before": self.seconds()}, "attributes": {}}


def _training_arguments(cfg: TrainConfig, checkpoint_dir: Path, select_best: bool = True) -> TrainingArguments:
    """Trainer settings: evaluate, log and checkpoint every epoch; keep the best epoch by val F1 (or the last)."""
    cuda = torch.cuda.is_available()
    bf16 = (cuda and torch.cuda.is_bf16_supported()) or (cfg.bf16 and not cuda)
    return TrainingArguments(
        output_dir=str(checkpoint_dir),
        learning_rate=cfg.learning_rate,
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.eval_batch_size,
        num_train_epochs=cfg.epochs,
        weight_decay=cfg.weight_decay,
        warmup_steps=cfg.warmup_ratio,  # a float in [0, 1) is a fraction of all steps
        lr_scheduler_type=cfg.lr_scheduler,
        seed=cfg.seed,
        data_seed=cfg.seed,
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        # Keeps the latest checkpoint (to resume from) and the best one, or the one before the latest.
        # (A limit of 1 would delete the latest at the end, and a run killed then would retrain.)
        save_total_limit=2,
        load_best_model_at_end=select_best,
        metric_for_best_model="f1",
        greater_is_better=True,
        restore_callback_states_from_checkpoint=True,
        train_sampling_strategy="group_by_length",
        activation_checkpointing=cfg.gradient_checkpointing,
        bf16=bf16,
        fp16=cuda and not bf16,
        use_cpu=not cuda,
        dataloader_num_workers=0,
        report_to="none",
        disable_tqdm=True,
        save_only_model=False,
    )


def open_live(live_dir: str | os.PathLike, *, resume: bool) -> Live:
    """dvclive logger for ``live_dir`` that writes no dvc.yaml, saves no experiment and makes no report."""
    try:
        return Live(dir=str(live_dir), dvcyaml=False, save_dvc_exp=False, report=None, resume=resume)
    except SCMError as error:
        # dvclive reads the current git commit; it cannot in a repository that has none yet.
        raise IacsieveError(f"dvclive cannot start in this git repository ({error}): make a first commit") from error


def publish_live(staging: Path, efficiency: dict[str, float], live_dir: str | os.PathLike) -> None:
    """Copy dvclive's finished folder and ``efficiency.json`` to ``live_dir``, replacing it whole."""
    with atomic_dir(live_dir) as published:
        shutil.copytree(staging, published, dirs_exist_ok=True)
        (published / paths.EFFICIENCY).write_text(json.dumps(efficiency, indent=2) + "\n", encoding="utf-8")


def _forget_logged_steps(live: Live, first: int) -> None:
    """Drop rows of step ``first`` and later from dvclive's metric histories (``plots/metrics/**.tsv``)."""
    for history in Path(live.plots_dir, "metrics").rglob("*.tsv"):
        header, *rows = history.read_text(encoding="utf-8").splitlines()
        step_column = header.split("\t").index("step")
        kept = [row for row in rows if int(row.split("\t")[step_column]) < first]
        atomic_write_text(history, "\n".join([header, *kept]) + "\n")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch; ask cuDNN for deterministic kernels (CPU kernels already are)."""
    set_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def _encode(tokenizer, records: Sequence[Record], max_length: int) -> datasets.Dataset:
    """Trainer examples: token ids of each record's model text (unpadded) and its label, as an in-memory
    ``Dataset`` tokenised batch by batch with ``Dataset.map`` (no cache files, no progress bar)."""
    examples = datasets.Dataset.from_dict(
        {"text": [model_text(record) for record in records], "labels": [int(record["label"]) for record in records]}
    )
    bars_were_disabled = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        return examples.map(
            lambda batch: {"input_ids": tokenize_texts(tokenizer, batch["text"], max_length)},
            batched=True,
            remove_columns=["text"],
            keep_in_memory=True,
            new_fingerprint=f"iacsieve-encode-{max_length}",  # in memory, never cached: nothing to hash
        )
    finally:
        if not bars_were_disabled:
            datasets.enable_progress_bars()


def _logits_only(logits: Any, labels: torch.Tensor) -> torch.Tensor:
    """Drop the extra outputs (T5 returns encoder states too) so evaluation keeps only the logits."""
    return logits[0] if isinstance(logits, (tuple, list)) else logits


def _eval_metrics(prediction: EvalPrediction) -> dict[str, float]:
    """Per-epoch val metrics; the predicted class is the argmax of the logits."""
    logits = np.asarray(prediction.predictions)
    return classification_metrics(np.asarray(prediction.label_ids), logits.argmax(axis=-1) == POSITIVE_LABEL)


def _training_ended(state: TrainerState, cfg: TrainConfig) -> bool:
    """Whether a checkpoint's state is the end of training: last epoch done, or patience used up."""
    stopping = state.stateful_callbacks.get("EarlyStoppingCallback") or {}
    counter = stopping.get("attributes", {}).get("early_stopping_patience_counter", 0)
    return state.global_step >= state.max_steps or counter >= cfg.patience


def _epochs_done(state: TrainerState) -> int:
    """Completed epochs; runs evaluate and checkpoint only at epoch ends, so this is whole."""
    return int(round(state.epoch or 0))


def _best_epoch(state: TrainerState) -> int:
    """1-based epoch whose weights were kept (the best val F1)."""
    for entry in state.log_history:
        if "eval_f1" in entry and entry.get("step") == state.best_global_step:
            return int(round(entry["epoch"]))
    raise IacsieveError("training ended without an evaluated epoch")


def _running_clock(trainer: Trainer) -> _TrainClock:
    """The trainer's clock (on resume, Trainer replaces it by one restored from the checkpoint)."""
    return next(callback for callback in trainer.callback_handler.callbacks if isinstance(callback, _TrainClock))


def _stored_clock_seconds(state: TrainerState) -> float:
    """Summed training seconds stored in a checkpoint's trainer state."""
    stored = state.stateful_callbacks.get("_TrainClock") or {}
    if isinstance(stored, list):
        stored = stored[-1]
    return float(stored.get("args", {}).get("seconds_before", 0.0))


def peak_memory_mb() -> float:
    """Peak GPU memory allocated by torch on CUDA, otherwise the process's peak resident set size."""
    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def save_run(
    model: PreTrainedModel | None,
    tokenizer,
    val_records: Sequence[Record],
    labels: Sequence[int],
    probabilities: np.ndarray,
    record: dict[str, Any],
    out_dir: str | os.PathLike,
) -> None:
    """Write model and tokenizer (unless ``model`` is None), val scores and the run record to ``out_dir``,
    replacing it whole."""
    lines = [
        json.dumps({"id": record["id"], "label": label, "proba": float(proba)})
        for record, label, proba in zip(val_records, labels, probabilities, strict=True)
    ]
    with atomic_dir(out_dir) as staging:
        if model is not None:
            model.save_pretrained(staging, safe_serialization=True)
            tokenizer.save_pretrained(staging)
        (staging / paths.VAL_SCORES).write_text("\n".join(lines) + "\n", encoding="utf-8")
        (staging / paths.RUN_RECORD).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
