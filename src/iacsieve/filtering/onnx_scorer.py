"""Score texts with a champion's ``model.onnx`` through ONNX Runtime and the ``tokenizers`` library.

This is the filter's fast path: it imports neither torch nor transformers (importing transformers alone
costs seconds), so ``iacsieve filter`` starts in a fraction of a second. Tokenisation reproduces what
``AutoTokenizer`` does for the champion (same ``tokenizer.json``, truncation, special tokens and pad
token); ``champion_freeze`` checks on the validation split that both paths give the same token ids,
probabilities within ``filter.onnx_tolerance`` and the same verdicts.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from iacsieve.champion import read_verified
from iacsieve.errors import IacsieveError

ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG = "tokenizer_config.json"
#: Graph inputs and output of the export (see iacsieve.selection.onnx_export).
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "logits"
#: Overrides the champion's ``threads`` (frozen from ``filter.threads``) without changing any file.
THREADS_ENV = "IACSIEVE_THREADS"
DEFAULT_THREADS = 2
#: Texts per ONNX batch, at most: an int8 graph quantizes activations with one scale per batch, so small
#: batches keep its scores closer to fp32 (and pad less); the int8 check at freeze scores the same way.
BATCH_SIZE = 16
#: Padded tokens per ONNX batch, at most (16 texts at 128 tokens; fewer positions padded on CPU).
MAX_BATCH_TOKENS = 2048


def resolve_threads(explicit: int | None, meta: dict) -> int:
    """Threads for scoring: ``explicit`` > ``$IACSIEVE_THREADS`` > the champion's ``threads`` > 2."""
    if explicit is not None:
        return explicit
    value = os.environ.get(THREADS_ENV, "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    frozen = meta.get("threads")
    return frozen if isinstance(frozen, int) and not isinstance(frozen, bool) and frozen > 0 else DEFAULT_THREADS


def positive_probability(logits: np.ndarray) -> np.ndarray:
    """P(TP) of two-class logits, as float64: softmax over the last axis, column 1."""
    logits = np.asarray(logits, dtype=np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp[:, 1] / exp.sum(axis=-1)


def _token_name(value) -> str | None:
    """A special token as tokenizer_config.json stores it: a string or an AddedToken dict."""
    if isinstance(value, dict):
        value = value.get("content")
    return value if isinstance(value, str) else None


class OnnxScorer:
    """A champion's ONNX graph and tokenizer, loaded once; ``predict_proba`` scores texts in batches.

    Both files are read into memory and checked against the champion's ``SHA256SUMS`` as read, so what
    is verified is what runs; the graph is loaded from those bytes (an ONNX file cannot pull in
    external data files this way). Raises ``IacsieveError`` for a missing, unlisted or unloadable file.
    """

    def __init__(self, folder: str | Path, max_length: int, threads: int = DEFAULT_THREADS):
        import onnxruntime
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        self.max_length = max_length
        model_bytes = read_verified(self.folder, ONNX_FILE)
        tokenizer_bytes = read_verified(self.folder, TOKENIZER_FILE)
        try:
            self.tokenizer = Tokenizer.from_str(tokenizer_bytes.decode("utf-8"))
        except Exception as error:  # tokenizers raises a bare Exception for a malformed file
            raise IacsieveError(f"{self.folder / TOKENIZER_FILE}: cannot load the tokenizer: {_first_line(error)}") from None
        config = self._tokenizer_config()
        self._configure_tokenizer(config)

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only: stderr carries our one-line summary
        # Idle threads sleep instead of spinning: on a busy 2-core machine spinning threads steal the time
        # the working ones need (measured with two other jobs running: 2 threads 550 -> 760 detections/s).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = onnxruntime.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own pybind exception types
            raise IacsieveError(f"{self.folder / ONNX_FILE}: cannot load the ONNX model: {_first_line(error)}") from None
        inputs = {i.name for i in self.session.get_inputs()}
        outputs = [o.name for o in self.session.get_outputs()]
        if not set(INPUT_NAMES) <= inputs or OUTPUT_NAME not in outputs:
            raise IacsieveError(f"{self.folder / ONNX_FILE}: expected inputs {', '.join(INPUT_NAMES)} and output "
                                f"{OUTPUT_NAME}, found inputs {sorted(inputs)} and outputs {outputs}")
        self._feeds_token_type_ids = "token_type_ids" in inputs

    def _tokenizer_config(self) -> dict:
        if not (self.folder / TOKENIZER_CONFIG).is_file():
            return {}
        try:
            config = json.loads(read_verified(self.folder, TOKENIZER_CONFIG).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise IacsieveError(f"{self.folder / TOKENIZER_CONFIG}: not valid JSON ({error})") from None
        return config if isinstance(config, dict) else {}

    def _configure_tokenizer(self, config: dict) -> None:
        """Truncation, special-token handling and padding as ``AutoTokenizer`` applies them."""
        tokenizer = self.tokenizer
        tokenizer.no_padding()
        tokenizer.enable_truncation(self.max_length, direction=config.get("truncation_side", "right"))
        # transformers' split_special_tokens: "</s>" inside a script is text, not the EOS token.
        tokenizer.encode_special_tokens = bool(config.get("split_special_tokens", False))
        pad = _token_name(config.get("pad_token"))
        pad_id = tokenizer.token_to_id(pad) if pad else None
        if pad_id is None:
            padding = json.loads(tokenizer.to_str()).get("padding") or {}
            pad_id = padding.get("pad_id")
        if pad_id is None:
            raise IacsieveError(f"{self.folder}: the tokenizer names no pad token (tokenizer_config.json pad_token)")
        self.pad_id = int(pad_id)
        self.pad_left = config.get("padding_side", "right") == "left"

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text, special tokens included, truncated to ``max_length``, unpadded."""
        if not texts:
            return []
        return [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts))]

    def predict_proba(self, texts: Sequence[str], batch_size: int = BATCH_SIZE,
                      max_batch_tokens: int = MAX_BATCH_TOKENS) -> np.ndarray:
        """Positive-class (TP) probability of each text, in input order, as a float64 array.

        Texts are sorted by token count and cut into batches of at most ``batch_size`` texts whose padded
        size (texts x longest) stays within ``max_batch_tokens``, each padded only to its own longest
        text: short texts go in large batches, long ones in small batches, and little is padded.
        """
        ids = self.token_ids(texts)
        probabilities = np.empty(len(ids), dtype=np.float64)
        by_length = sorted(range(len(ids)), key=lambda index: len(ids[index]))
        for rows in _batches(by_length, [len(i) for i in ids], batch_size, max_batch_tokens):
            width = max(len(ids[row]) for row in rows)
            input_ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            attention_mask = np.zeros((len(rows), width), dtype=np.int64)
            for slot, row in enumerate(rows):
                tokens = ids[row]
                span = slice(width - len(tokens), width) if self.pad_left else slice(0, len(tokens))
                input_ids[slot, span] = tokens
                attention_mask[slot, span] = 1
            feeds = {"input_ids": input_ids, "attention_mask": attention_mask}
            if self._feeds_token_type_ids:
                feeds["token_type_ids"] = np.zeros_like(input_ids)
            logits = self.session.run([OUTPUT_NAME], feeds)[0]
            probabilities[rows] = positive_probability(logits)
        return probabilities


def _batches(order: list[int], lengths: list[int], batch_size: int, max_tokens: int) -> list[list[int]]:
    """``order`` (indices sorted by ascending ``lengths``) cut into consecutive batches of at most
    ``batch_size`` indices whose count x longest length is at most ``max_tokens`` (a longer single text
    still gets its own batch)."""
    batches: list[list[int]] = []
    for index in order:
        if batches and len(batches[-1]) < batch_size and (len(batches[-1]) + 1) * lengths[index] <= max_tokens:
            batches[-1].append(index)
        else:
            batches.append([index])
    return batches


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
