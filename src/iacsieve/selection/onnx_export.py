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


def export_onnx(model, tokenizer, target: Path, opset: int, max_length: int) -> None:
    """Write ``model`` (a transformers sequence classifier in eval mode) to ``target`` as one ONNX file
    with dynamic batch and sequence axes, through torch.onnx's TorchScript exporter.

    (torch's newer dynamo exporter fails on T5's classification head in torch 2.13 and needs onnxscript;
    the TorchScript one handles RoBERTa and T5 alike.)
    """
    import torch

    example = tokenizer(list(_EXAMPLE_TEXTS), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    if bool(example["attention_mask"].all()):
        raise IacsieveError("ONNX export: the example batch must contain padding")
    wrapper = _logits_only(model)
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


def check_onnx(folder: Path, records: Sequence[dict], threshold: float, max_length: int, tolerance: float,
               threads: int, batch_size: int = 64) -> dict:
    """Score ``records`` with the champion in ``folder`` through PyTorch + transformers and through
    ONNX Runtime + tokenizers (the filter's two paths); raise ``IacsieveError`` unless the token ids are
    identical, every probability is within ``tolerance`` and every verdict at ``threshold`` agrees.
    Returns the figures for the champion's card. ``folder`` must already hold ``SHA256SUMS``.
    """
    import numpy as np

    from iacsieve.training.predict import load_classifier, predict_proba, tokenize_texts

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
