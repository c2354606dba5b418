"""Turn a candidate name into a (model, tokenizer) pair ready to fine-tune as a TP/FP classifier."""

from __future__ import annotations

import os

from transformers import (
    AutoConfig,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    set_seed,
)

from iacsieve.errors import IacsieveError
from iacsieve.models.tiny import TINY_CONFIGS, is_tiny, tiny_config

ID2LABEL: dict[int, str] = {0: "FP", 1: "TP"}
LABEL2ID: dict[str, int] = {label: index for index, label in ID2LABEL.items()}


def load_candidate(
    name: str,
    tokenizer_dir: str | os.PathLike | None = None,
    *,
    seed: int = 42,
    trust_remote_code: bool = False,
    layers: int | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Build the classifier for candidate ``name`` and its tokenizer.

    ``name`` is a built-in tiny config (``tiny-roberta``, ``tiny-t5-small``, ``tiny-t5-base``), initialised
    from scratch with the tokenizer in ``tokenizer_dir``; or a Hugging Face id / local folder loaded with
    ``from_pretrained`` (safetensors only; ``trust_remote_code`` only when asked). Randomly initialised
    weights (all of a tiny model, the head of a pretrained one) depend only on ``seed``. Either way the
    model has two labels, ``{0: "FP", 1: "TP"}``, and saves to a folder that plain
    ``AutoModelForSequenceClassification.from_pretrained`` reloads. ``layers``: keep only a pretrained
    encoder's first ``layers`` layers (its config then says so; None keeps them all). Raises
    ``IacsieveError`` when the candidate cannot be loaded, cannot be cut to ``layers`` or its tokenizer
    cannot feed it.
    """
    if layers is not None and is_tiny(name):
        raise IacsieveError(f"candidate {name!r}: layers applies to pretrained models; a tiny model's size is its config")
    if is_tiny(name):
        if tokenizer_dir is None:
            raise IacsieveError(f"candidate {name!r} is a built-in tiny model and needs a tokenizer_dir")
        tokenizer = _load_tokenizer(str(tokenizer_dir), trust_remote_code=False)
        set_seed(seed)
        config = tiny_config(name, tokenizer)
        config.num_labels = len(ID2LABEL)
        model = AutoModelForSequenceClassification.from_config(config)
    else:
        tokenizer = _load_tokenizer(name, trust_remote_code=trust_remote_code)
        set_seed(seed)
        try:
            config = AutoConfig.from_pretrained(name, num_labels=len(ID2LABEL), trust_remote_code=trust_remote_code)
            if layers is not None:
                _keep_first_layers(config, layers, name)
            model = AutoModelForSequenceClassification.from_pretrained(
                name, config=config, use_safetensors=True, trust_remote_code=trust_remote_code
            )
        except (OSError, ValueError) as error:
            raise IacsieveError(_cannot_load(name, error)) from error
    return _as_tp_fp_classifier(model, tokenizer, name), tokenizer


def _keep_first_layers(config, layers: int, name: str) -> None:
    """Set ``config`` to build only the first ``layers`` encoder layers; ``from_pretrained`` then loads
    those layers' weights and leaves the others unused."""
    total = getattr(config, "num_hidden_layers", None)
    if not isinstance(total, int):
        raise IacsieveError(f"candidate {name!r}: layers needs an encoder config with num_hidden_layers")
    if layers > total:
        raise IacsieveError(f"candidate {name!r}: layers={layers}, but the model has only {total} layers")
    config.num_hidden_layers = layers


def _load_tokenizer(source: str, *, trust_remote_code: bool) -> PreTrainedTokenizerBase:
    """``AutoTokenizer.from_pretrained(source)``, with a one-line error when it fails."""
    try:
        return AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as error:
        raise IacsieveError(_cannot_load(source, error)) from error


def _cannot_load(name: str, error: Exception) -> str:
    """One-line message for a candidate that neither is built in nor loads."""
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    built_in = ", ".join(TINY_CONFIGS)
    return f"cannot load candidate {name!r} (built-in ones: {built_in}): {first_line}"


def _as_tp_fp_classifier(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, name: str
) -> PreTrainedModel:
    """Set the labels and padding of ``model`` and check that ``tokenizer`` can feed it."""
    if tokenizer.pad_token is None:
        # GPT-style tokenizers have no pad token; any token works since padding is masked out.
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    model.config.id2label = dict(ID2LABEL)
    model.config.label2id = dict(LABEL2ID)
    model.config.pad_token_id = tokenizer.pad_token_id
    if model.config.is_encoder_decoder:
        _check_eos_appended(tokenizer, name)
        # Sequence classification never decodes step by step: caching only returns unused tensors.
        model.config.use_cache = False
    return model


def _check_eos_appended(tokenizer: PreTrainedTokenizerBase, name: str) -> None:
    """Encoder-decoder heads classify from the last EOS token: every input must end with exactly one."""
    ids = tokenizer("x = 1", truncation=True, max_length=8)["input_ids"]
    eos = tokenizer.eos_token_id
    if eos is None or ids[-1] != eos or ids.count(eos) != 1 or eos == tokenizer.pad_token_id:
        raise IacsieveError(
            f"candidate {name!r}: its tokenizer must append one EOS token distinct from padding "
            "(an encoder-decoder classifier reads the EOS position)"
        )
