"""Export a frozen champion to ONNX and check the export against PyTorch on the validation split."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

from iacsieve.errors import IacsieveError
from iacsieve.filtering.onnx_scorer import INPUT_NAMES, ONNX_FILE, OUTPUT_NAME, OnnxScorer
from iacsieve.models.inputs import model_text

#: Texts of different lengths: the traced example must contain padding, or a model could be traced
#: through a "no padding in this batch" shortcut and ignore the attention mask afterwards.
_EXAMPLE_TEXTS = ("x", "password: hunter2 # TODO rotate this key before the release of version 2")


def _logits_only(model):
    """``model`` wrapped so that the exported graph is (input_ids, attention_mask) -> logits."""
    import torch

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).logits

    # eval() before export: the exporter restores the wrapper's mode afterwards, and a wrapper left in
    # training mode would switch dropout on in the wrapped model.
    return LogitsOnly(model).eval()


def first_token_roberta(model):
    """A RoBERTa sequence classifier as an (input_ids, attention_mask) -> logits module that computes its
    last encoder layer for the first token only, or None when ``model`` is not one.

    The classification head reads only the first token (``<s>``) of the last layer's output, so the
    last layer's query, attention, feed-forward and layer norms are needed at that position alone (keys
    and values still come from every token). Same modules, same weights, same arithmetic for what the
    head reads; with a one-layer encoder that is most of the work. ``check_onnx`` verifies the export
    against the unmodified PyTorch model.
    """
    import math

    import torch

    from transformers import RobertaForSequenceClassification

    config = model.config
    if type(model) is not RobertaForSequenceClassification or getattr(config, "is_decoder", False) or \
            getattr(config, "position_embedding_type", "absolute") not in (None, "absolute"):
        return None

    class FirstTokenRoberta(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.embeddings = inner.roberta.embeddings
            self.layers = inner.roberta.encoder.layer
            self.head = inner.classifier
            self.heads = inner.config.num_attention_heads

        def split(self, x):  # (batch, tokens, hidden) -> (batch, heads, tokens, head size)
            return x.view(x.shape[0], x.shape[1], self.heads, -1).transpose(1, 2)

        def layer(self, layer, hidden, bias, first_only: bool):
            attention = layer.attention.self
            queries = hidden[:, :1] if first_only else hidden
            q = self.split(attention.query(queries))
            k = self.split(attention.key(hidden))
            v = self.split(attention.value(hidden))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1]) + bias
            context = torch.matmul(torch.softmax(scores, dim=-1), v)
            context = context.transpose(1, 2).reshape(queries.shape[0], queries.shape[1], -1)
            attended = layer.attention.output.LayerNorm(layer.attention.output.dense(context) + queries)
            return layer.output.LayerNorm(layer.output.dense(layer.intermediate(attended)) + attended)

        def forward(self, input_ids, attention_mask):
            hidden = self.embeddings(input_ids=input_ids)
            mask = attention_mask[:, None, None, :].to(hidden.dtype)
            bias = (1.0 - mask) * torch.finfo(hidden.dtype).min
            last = len(self.layers) - 1
            for index, layer in enumerate(self.layers):
                hidden = self.layer(layer, hidden, bias, first_only=index == last)
            return self.head(hidden)  # the head reads hidden[:, 0]

    return FirstTokenRoberta(model).eval()


def export_onnx(model, tokenizer, target: Path, opset: int, max_length: int) -> str:
    """Write ``model`` (a transformers sequence classifier in eval mode) to ``target`` as one ONNX file
    with dynamic batch and sequence axes, through torch.onnx's TorchScript exporter; return what the
    graph computes (see ``first_token_roberta``).

    (torch's newer dynamo exporter fails on T5's classification head in torch 2.13 and needs onnxscript;
    the TorchScript one handles RoBERTa and T5 alike.)
    """
    import torch

    example = tokenizer(list(_EXAMPLE_TEXTS), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    if bool(example["attention_mask"].all()):
        raise IacsieveError("ONNX export: the example batch must contain padding")
    wrapper = first_token_roberta(model)
    graph = "last encoder layer computed for the first token only (all the head reads)"
    if wrapper is None:
        wrapper, graph = _logits_only(model), "the model's forward pass"
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            OUTPUT_NAME: {0: "batch"}}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # TracerWarnings on shape checks and the exporter's deprecation notice
        try:
            torch.onnx.export(
                wrapper, (example["input_ids"], example["attention_mask"]), str(target),
                input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME], dynamic_axes=axes,
                opset_version=opset, do_constant_folding=True, dynamo=False,
            )
        except Exception as error:  # the exporter raises many types; one line names the cause
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise IacsieveError(f"ONNX export of the champion failed ({first}); set filter.onnx: false to freeze "
                                "without it") from error
    model.eval()
    return graph


def check_onnx(folder: Path, records: Sequence[dict], threshold: float, max_length: int, tolerance: float,
               threads: int, batch_size: int = 64) -> dict:
    """Score ``records`` with the champion in ``folder`` through PyTorch + transformers and through
    ONNX Runtime + tokenizers (the filter's two paths); raise ``IacsieveError`` unless the token ids are
    identical, every probability is within ``tolerance`` and every verdict at ``threshold`` agrees.
    Returns the figures for the champion's card. ``folder`` must already hold ``SHA256SUMS``.
    """
    import numpy as np

    from iacsieve.models.predict import load_classifier, predict_proba, tokenize_texts

    texts = [model_text(r) for r in records]
    model, tokenizer = load_classifier(folder)
    scorer = OnnxScorer(folder, max_length=max_length, threads=threads)
    torch_ids = tokenize_texts(tokenizer, texts, max_length)
    onnx_ids = scorer.token_ids(texts)
    differing = [i for i, (a, b) in enumerate(zip(torch_ids, onnx_ids)) if list(a) != list(b)]
    if differing:
        raise IacsieveError(f"ONNX check: the tokenizers library and transformers tokenise {len(differing)} of "
                            f"{len(texts)} validation records differently (first: record {differing[0]})")
    torch_p = predict_proba(model, tokenizer, texts, batch_size=batch_size, max_length=max_length)
    onnx_p = scorer.predict_proba(texts, batch_size=batch_size)
    gap = np.abs(torch_p - onnx_p)
    disagree = int(((torch_p >= threshold) != (onnx_p >= threshold)).sum())
    result = {
        "records": len(texts),
        "max_abs_diff": float(gap.max()) if len(texts) else 0.0,
        "mean_abs_diff": float(gap.mean()) if len(texts) else 0.0,
        "tolerance": tolerance,
        "verdicts_agree": len(texts) - disagree,
        "threshold": threshold,
    }
    if result["max_abs_diff"] > tolerance or disagree:
        raise IacsieveError(f"ONNX check failed on {len(texts)} validation records: max |ONNX - PyTorch| "
                            f"{result['max_abs_diff']:.2e} (tolerance {tolerance:.0e}), {disagree} verdicts differ "
                            f"at threshold {threshold}")
    return result


def onnx_versions() -> dict:
    """Versions of the exporting and checking libraries, for the card."""
    from importlib.metadata import version

    return {name: version(name) for name in ("torch", "onnx", "onnxruntime", "tokenizers")}


__all__ = ["ONNX_FILE", "check_onnx", "export_onnx", "onnx_versions"]
