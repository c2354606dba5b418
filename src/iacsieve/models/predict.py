"""Score texts with a trained TP/FP classifier, and load one saved by a training run."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from iacsieve.errors import IacsieveError

#: Label id of a true positive; its probability is "the score".
POSITIVE_LABEL = 1


def tokenize_texts(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids of each text, special tokens included, truncated to ``max_length``, unpadded."""
    if not texts:
        return []
    return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def predict_proba(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    texts: Sequence[str],
    batch_size: int = 64,
    max_length: int = 256,
) -> np.ndarray:
    """Positive-class (TP) probability of each text, in input order, as a float64 array.

    Texts are truncated to ``max_length`` tokens and scored in batches of similar length, each padded only
    to its own longest text, with the model in eval mode and autograd off. The result does not depend on
    ``batch_size`` beyond float rounding of padded positions (≤ 1e-5).
    """
    ids = tokenize_texts(tokenizer, texts, max_length)
    probabilities = np.empty(len(ids), dtype=np.float64)
    by_length = sorted(range(len(ids)), key=lambda index: len(ids[index]))
    device = next(model.parameters()).device
    model.eval()
    with torch.inference_mode():
        for start in range(0, len(by_length), batch_size):
            rows = by_length[start : start + batch_size]
            batch = tokenizer.pad({"input_ids": [ids[row] for row in rows]}, return_tensors="pt")
            logits = model(**{name: tensor.to(device) for name, tensor in batch.items()}).logits
            scores = torch.softmax(logits.float(), dim=-1)[:, POSITIVE_LABEL]
            probabilities[rows] = scores.cpu().numpy()
    return probabilities


def load_classifier(model_dir: str | os.PathLike) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a classifier saved with ``save_pretrained`` and its tokenizer, from safetensors weights only.

    Raises ``IacsieveError`` when ``model_dir`` is missing, holds pickled weights (``*.bin``, which can run
    code when loaded), has no ``model.safetensors``, or its weights do not fill the architecture of its
    ``config.json`` exactly. Never runs code shipped with the model.
    """
    folder = Path(model_dir)
    if not folder.is_dir():
        raise IacsieveError(f"{folder}: model folder not found")
    pickled = sorted(path.name for path in folder.glob("*.bin"))
    if pickled:
        raise IacsieveError(f"{folder}: refusing pickled weights ({', '.join(pickled)}); save with safetensors")
    if not (folder / "model.safetensors").is_file() and not (folder / "model.safetensors.index.json").is_file():
        raise IacsieveError(f"{folder}: no model.safetensors in the model folder")
    try:
        model, loading = AutoModelForSequenceClassification.from_pretrained(
            folder, use_safetensors=True, output_loading_info=True
        )
        # A trained classifier supplies every weight: transformers would initialise the rest at random.
        for problem in ("missing_keys", "mismatched_keys", "unexpected_keys"):
            names = sorted(str(name) for name in loading.get(problem) or ())
            if names:
                raise IacsieveError(f"{folder}: model.safetensors does not fit config.json "
                                    f"({len(names)} {problem.replace('_', ' ')}, e.g. {names[0]})")
        tokenizer = AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError, KeyError) as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise IacsieveError(f"{folder}: cannot load the classifier: {first_line}") from error
    model.eval()
    return model, tokenizer
