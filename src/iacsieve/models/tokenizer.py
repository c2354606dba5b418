"""Train the byte-level BPE tokenizer that the built-in tiny models read with."""

from __future__ import annotations

import os
from collections.abc import Iterable

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

from iacsieve import paths
from iacsieve.atomic import atomic_dir
from iacsieve.data.records import read_jsonl
from iacsieve.models.inputs import model_text
from iacsieve.params import Params

BOS, PAD, EOS, UNK, MASK = "<s>", "<pad>", "</s>", "<unk>", "<mask>"
#: In this order, so that their ids are 0..4 like RoBERTa's (pad 1, eos 2).
SPECIAL_TOKENS: tuple[str, ...] = (BOS, PAD, EOS, UNK, MASK)
#: Longest input the tiny models are built for; callers truncate shorter.
TINY_MODEL_MAX_LENGTH = 512


def train_bpe_tokenizer(
    texts: Iterable[str],
    out_dir: str | os.PathLike,
    vocab_size: int,
    min_frequency: int,
) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on ``texts``, save it to ``out_dir`` (replaced whole) and return it.

    The result has the special tokens ``<s> <pad> </s> <unk> <mask>`` (ids 0-4), wraps every encoded text
    as ``<s> … </s>``, never parses special-token strings found inside the text, and loads back with
    ``AutoTokenizer.from_pretrained(out_dir)``. The same texts in the same order give the same files.
    """
    texts = list(texts)
    if not texts:
        raise ValueError("cannot train a tokenizer on no texts")
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer=trainer, length=len(texts))
    backend.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A {EOS}",
        pair=f"{BOS} $A {EOS} {EOS} $B {EOS}",
        special_tokens=[(BOS, backend.token_to_id(BOS)), (EOS, backend.token_to_id(EOS))],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=BOS,
        eos_token=EOS,
        unk_token=UNK,
        pad_token=PAD,
        mask_token=MASK,
        model_max_length=TINY_MODEL_MAX_LENGTH,
        # IaC files may contain "</s>" literally (HTML templates); parsing it as EOS would break T5 heads.
        split_special_tokens=True,
    )
    with atomic_dir(out_dir) as staging:
        tokenizer.save_pretrained(staging)
    return tokenizer


def run_tokenizer(params: Params) -> dict:
    """The ``tokenizer`` stage: train the byte-level BPE tokenizer of the tiny-* candidates on the train
    split's model texts (no torch import: the stage takes about a second)."""
    texts = [model_text(r) for r in read_jsonl(paths.split_file("train"))]
    tokenizer = train_bpe_tokenizer(texts, paths.TOKENIZER, params.tokenizer.vocab_size, params.tokenizer.min_frequency)
    return {"vocab_size": len(tokenizer)}
