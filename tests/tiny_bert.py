"""A word-level BERT tokenizer built in memory, for tests that need a tiny BERT without a hub download."""

from __future__ import annotations

from collections.abc import Iterable


def word_level_tokenizer(texts: Iterable[str], max_length: int = 64):
    """A ``PreTrainedTokenizerFast`` ([PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, then each whitespace-split word of
    ``texts`` in order of first appearance) that pads, truncates and adds [CLS]/[SEP] as BERT's does."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3}
    for text in texts:
        for word in text.split():
            vocab.setdefault(word, len(vocab))
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="[PAD]", unk_token="[UNK]",
                                   cls_token="[CLS]", sep_token="[SEP]", model_max_length=max_length)
