"""Built-in tiny model configs: small stand-ins for CodeBERT (RoBERTa) and CodeT5 / CodeT5+ (T5).

They are initialised from scratch (seeded) with the BPE tokenizer trained on the train split, and are
sized so that one training run on the embedded sample takes seconds on a laptop CPU.
"""

from __future__ import annotations

from collections.abc import Callable

from transformers import PretrainedConfig, PreTrainedTokenizerBase, RobertaConfig, T5Config

from iacsieve.models.tokenizer import TINY_MODEL_MAX_LENGTH


def _roberta_config(tokenizer: PreTrainedTokenizerBase) -> PretrainedConfig:
    """A 1-layer RoBERTa encoder (CodeBERT's architecture, scaled down)."""
    return RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        num_hidden_layers=1,
        num_attention_heads=4,
        intermediate_size=512,
        # RoBERTa numbers positions from pad_token_id + 1, hence the offset of 2.
        max_position_embeddings=TINY_MODEL_MAX_LENGTH + 2,
        type_vocab_size=1,
        # Dropout on attention weights costs more time at this size than the whole feed-forward
        # layer (a random mask per head and token pair); hidden-state dropout stays.
        attention_probs_dropout_prob=0.0,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )


def _t5_config(tokenizer: PreTrainedTokenizerBase, d_model: int, d_ff: int, heads: int) -> PretrainedConfig:
    """A T5 encoder-decoder (CodeT5's architecture, scaled down) with one block on each side.

    ``T5ForSequenceClassification`` runs the decoder over the whole input too, so a T5 costs about
    twice a RoBERTa of the same width: these are narrower, with 2 heads (fewer attention maps).
    """
    return T5Config(
        vocab_size=len(tokenizer),
        d_model=d_model,
        d_kv=d_model // heads,
        d_ff=d_ff,
        num_layers=1,
        num_decoder_layers=1,
        num_heads=heads,
        feed_forward_proj="relu",
        # T5 has one dropout rate, attention weights included; their masks doubled the epoch time.
        dropout_rate=0.0,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
        use_cache=False,
    )


#: candidate name -> builder of its config from the tokenizer it reads with
TINY_CONFIGS: dict[str, Callable[[PreTrainedTokenizerBase], PretrainedConfig]] = {
    "tiny-roberta": _roberta_config,
    "tiny-t5-small": lambda tokenizer: _t5_config(tokenizer, d_model=64, d_ff=256, heads=2),
    "tiny-t5-base": lambda tokenizer: _t5_config(tokenizer, d_model=80, d_ff=320, heads=2),
}


def is_tiny(name: str) -> bool:
    """True when ``name`` is one of the built-in tiny candidates."""
    return name in TINY_CONFIGS


def tiny_config(name: str, tokenizer: PreTrainedTokenizerBase) -> PretrainedConfig:
    """The config of built-in candidate ``name`` for ``tokenizer``'s vocabulary and special tokens."""
    return TINY_CONFIGS[name](tokenizer)
