"""Fine-tune the top layers of a pretrained encoder on cached outputs of its frozen lower layers.

A 22.7 M-parameter MiniLM fine-tuned whole costs ~100 s per epoch of 1,850 detections on 2 CPU cores
(bf16); with the embeddings and the lower ``frozen_layers`` layers frozen, their outputs are computed
once per record (one inference pass) and each epoch runs only the top layers and the head (~30 s for the
top 2 of 6 layers). The result is an ordinary ``save_pretrained`` classifier: the frozen layers keep
their pretrained weights, so the champion loads, exports to ONNX and filters like any other.

A run writes what ``training.run.train_run`` writes (model, tokenizer, ``val_scores.jsonl``, the run
record, dvclive per epoch, ``efficiency.json``), each folder whole or not at all; a killed run starts
again from its first epoch (a run takes minutes, not hours).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import get_scheduler
from transformers.masking_utils import create_bidirectional_mask

from iacsieve.errors import IacsieveError
from iacsieve.models.inputs import model_text
from iacsieve.models.loading import load_candidate
from iacsieve.models.predict import tokenize_texts
from iacsieve.training.checkpoints import LIVE_STAGING
from iacsieve.training.run import (
    TrainConfig,
    classification_metrics,
    finish_run,
    open_live,
    seed_everything,
)

Record = Mapping[str, Any]
#: Length-grouped batches: records are sorted by length within windows of this many batches.
GROUP_BATCHES = 50


def encoder_parts(model) -> tuple[Any, Any, torch.nn.ModuleList]:
    """(base model, embeddings, encoder layers) of a BERT/RoBERTa-style sequence classifier."""
    base = model.base_model
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    if layers is None or not hasattr(base, "embeddings"):
        raise IacsieveError(f"frozen_layers needs a BERT/RoBERTa-style encoder, not {type(model).__name__}")
    return base, base.embeddings, layers


def _mask(base, hidden: torch.Tensor, attention_mask: torch.Tensor):
    return create_bidirectional_mask(config=base.config, inputs_embeds=hidden, attention_mask=attention_mask)


def _run_layers(layers, base, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = _mask(base, hidden, attention_mask)
    for layer in layers:
        output = layer(hidden, attention_mask=mask)
        hidden = output[0] if isinstance(output, tuple) else output
    return hidden


def prefix_states(model, token_ids: Sequence[list[int]], frozen_layers: int, pad_id: int, bf16: bool,
                  batch_size: int = 64) -> list[torch.Tensor]:
    """Output of the embeddings and the first ``frozen_layers`` layers for each token-id list, unpadded
    (one float32 ``(tokens, hidden)`` tensor per input, in input order)."""
    base, embeddings, layers = encoder_parts(model)
    if not 0 < frozen_layers < len(layers):
        raise IacsieveError(f"frozen_layers={frozen_layers}: the model has {len(layers)} layers; freeze 1..{len(layers) - 1}")
    order = np.argsort([len(ids) for ids in token_ids], kind="stable")
    states: list[torch.Tensor | None] = [None] * len(token_ids)
    model.eval()
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            input_ids, attention = _pad([token_ids[i] for i in batch], pad_id)
            hidden = _run_layers(layers[:frozen_layers], base, embeddings(input_ids=input_ids), attention)
            for row, index in enumerate(batch):
                states[index] = hidden[row, : len(token_ids[index])].float().clone()
    return states  # type: ignore[return-value]


def _pad(sequences: Sequence[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
        mask[row, : len(sequence)] = 1
    return ids, mask


def _stack(states: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(s.shape[0] for s in states)
    hidden = torch.zeros((len(states), width, states[0].shape[1]))
    mask = torch.zeros((len(states), width), dtype=torch.long)
    for row, state in enumerate(states):
        hidden[row, : state.shape[0]] = state
        mask[row, : state.shape[0]] = 1
    return hidden, mask


def top_logits(model, frozen_layers: int, states: Sequence[torch.Tensor], bf16: bool) -> torch.Tensor:
    """Logits of the classifier for cached prefix ``states``: the unfrozen layers, then the model's head."""
    base, _, layers = encoder_parts(model)
    hidden, mask = _stack(states)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        hidden = _run_layers(layers[frozen_layers:], base, hidden, mask)
        pooler = getattr(base, "pooler", None)
        if pooler is not None:  # BERT: pooled [CLS], dropout, linear
            logits = model.classifier(model.dropout(pooler(hidden)))
        else:  # RoBERTa: the head reads the first token itself
            logits = model.classifier(hidden)
    return logits.float()


def _batches(lengths: Sequence[int], batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled, length-grouped batches of indices (little padding, random order)."""
    permutation = rng.permutation(len(lengths))
    window = batch_size * GROUP_BATCHES
    batches = []
    for start in range(0, len(permutation), window):
        chunk = sorted(permutation[start:start + window], key=lambda i: lengths[i])
        batches += [np.array(chunk[i:i + batch_size]) for i in range(0, len(chunk), batch_size)]
    order = rng.permutation(len(batches))
    return [batches[i] for i in order]


def _probabilities(model, frozen_layers: int, states, bf16: bool, batch_size: int) -> np.ndarray:
    model.eval()
    order = np.argsort([s.shape[0] for s in states], kind="stable")
    result = np.zeros(len(states))
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            logits = top_logits(model, frozen_layers, [states[i] for i in batch], bf16)
            result[batch] = torch.softmax(logits, dim=-1)[:, 1].numpy()
    return result


def train_frozen_prefix(
    cfg: TrainConfig,
    train_records: Sequence[Record],
    val_records: Sequence[Record],
    out_dir: str | os.PathLike,
    live_dir: str | os.PathLike,
    *,
    run_info: Mapping[str, Any] | None = None,
    select_best: bool = True,
    save_model: bool = True,
) -> dict[str, Any]:
    """Train the top layers of ``cfg.model`` (``cfg.frozen_layers`` lower layers frozen) on ``train_records``.

    Same contract as ``train_run``: AdamW with ``cfg``'s schedule, length-grouped batches, val F1 after
    every epoch, early stopping (``cfg.patience``, ``cfg.min_delta``) keeping the best epoch, or, with
    ``select_best=False``, every epoch and the last one; bf16 autocast when ``cfg.bf16``. Writes the run
    folder (weights only when ``save_model``) and the dvclive folder; returns summary and efficiency.
    """
    if not train_records or not val_records:
        raise IacsieveError("a training run needs at least one train and one val record")
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    model, tokenizer = load_candidate(cfg.model, cfg.tokenizer_dir, seed=cfg.seed,
                                      trust_remote_code=cfg.trust_remote_code, layers=cfg.layers)
    if cfg.max_length > tokenizer.model_max_length:
        raise IacsieveError(f"max_length {cfg.max_length} exceeds what {cfg.model!r} reads ({tokenizer.model_max_length} tokens)")
    started = time.perf_counter()
    train_ids = tokenize_texts(tokenizer, [model_text(r) for r in train_records], cfg.max_length)
    val_ids = tokenize_texts(tokenizer, [model_text(r) for r in val_records], cfg.max_length)
    train_states = prefix_states(model, train_ids, cfg.frozen_layers, tokenizer.pad_token_id, cfg.bf16, cfg.eval_batch_size)
    val_states = prefix_states(model, val_ids, cfg.frozen_layers, tokenizer.pad_token_id, cfg.bf16, cfg.eval_batch_size)

    for parameter in model.parameters():
        parameter.requires_grad = False
    base, _, layers = encoder_parts(model)
    trained = [*layers[cfg.frozen_layers:], *(m for m in (getattr(base, "pooler", None), model.classifier) if m is not None)]
    parameters = [p for module in trained for p in module.parameters()]
    for parameter in parameters:
        parameter.requires_grad = True
    steps_per_epoch = -(-len(train_records) // cfg.batch_size)
    optimizer = torch.optim.AdamW(parameters, lr=cfg.learning_rate, weight_decay=cfg.weight_decay)
    scheduler = get_scheduler(cfg.lr_scheduler, optimizer, num_warmup_steps=int(cfg.warmup_ratio * steps_per_epoch * cfg.epochs),
                              num_training_steps=steps_per_epoch * cfg.epochs)
    labels = torch.tensor([int(r["label"]) for r in train_records])
    val_labels = [int(r["label"]) for r in val_records]
    lengths = [s.shape[0] for s in train_states]
    rng = np.random.default_rng(cfg.seed)

    staging_live = Path(live_dir).parent / f".{Path(live_dir).name}.{LIVE_STAGING}"
    shutil.rmtree(staging_live, ignore_errors=True)
    live = open_live(staging_live, resume=False)
    live.log_params(asdict(cfg))
    best_f1, best_epoch, best_state, waited, epochs_run = -1.0, 0, None, 0, 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        losses = []
        for batch in _batches(lengths, cfg.batch_size, rng):
            logits = top_logits(model, cfg.frozen_layers, [train_states[i] for i in batch], cfg.bf16)
            loss = torch.nn.functional.cross_entropy(logits, labels[batch])
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
        probabilities = _probabilities(model, cfg.frozen_layers, val_states, cfg.bf16, cfg.eval_batch_size)
        metrics = classification_metrics(val_labels, probabilities > 0.5)
        epochs_run = epoch
        live.log_metric("train/loss", float(np.mean(losses)))
        for name, value in metrics.items():
            live.log_metric(f"eval/{name}", value)
        live.next_step()
        if not select_best:
            best_epoch = epoch
        elif metrics["f1"] > best_f1 + cfg.min_delta:
            best_f1, best_epoch, waited = metrics["f1"], epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
            if waited >= cfg.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    train_seconds = time.perf_counter() - started
    probabilities = _probabilities(model, cfg.frozen_layers, val_states, cfg.bf16, cfg.eval_batch_size)
    for parameter in model.parameters():
        parameter.requires_grad = True
    result = finish_run(cfg, model, tokenizer, len(train_records), val_records, probabilities, epochs_run, best_epoch,
                        train_seconds, run_info, out_dir, live, live_dir, save_model)
    shutil.rmtree(staging_live, ignore_errors=True)
    return result


__all__ = ["prefix_states", "top_logits", "train_frozen_prefix"]
