"""Export a frozen champion to ONNX and check the export against PyTorch on the validation split."""

from __future__ import annotations

import logging
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


def first_token_encoder(model):
    """A RoBERTa or BERT sequence classifier as an (input_ids, attention_mask) -> logits module that
    computes its last encoder layer for the first token only, or None when ``model`` is neither.

    The classification head (RoBERTa's classifier; BERT's pooler + classifier) reads only the first
    token (``<s>`` / ``[CLS]``) of the last layer's output, so the last layer's query, attention,
    feed-forward and layer norms are needed at that position alone (keys and values still come from
    every token). Same modules, same weights, same arithmetic for what the head reads: with a one-layer
    encoder that is most of the work, with MiniLM's six a sixth. ``check_onnx`` verifies the export
    against the unmodified PyTorch model.
    """
    import math

    import torch

    from transformers import BertForSequenceClassification, RobertaForSequenceClassification

    config = model.config
    if getattr(config, "is_decoder", False) or \
            getattr(config, "position_embedding_type", "absolute") not in (None, "absolute"):
        return None
    if type(model) is RobertaForSequenceClassification:
        encoder, head = model.roberta, model.classifier
    elif type(model) is BertForSequenceClassification and model.bert.pooler is not None:
        encoder, head = model.bert, torch.nn.Sequential(model.bert.pooler, model.classifier)  # dropout: eval
    else:
        return None

    class FirstToken(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embeddings = encoder.embeddings
            self.layers = encoder.encoder.layer
            self.head = head
            self.heads = config.num_attention_heads

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

    return FirstToken().eval()


def export_onnx(model, tokenizer, target: Path, opset: int, max_length: int) -> str:
    """Write ``model`` (a transformers sequence classifier in eval mode) to ``target`` as one ONNX file
    with dynamic batch and sequence axes, through torch.onnx's TorchScript exporter; return what the
    graph computes (see ``first_token_encoder``).

    (torch's newer dynamo exporter fails on T5's classification head in torch 2.13 and needs onnxscript;
    the TorchScript one handles RoBERTa and T5 alike.)
    """
    import torch

    example = tokenizer(list(_EXAMPLE_TEXTS), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    if bool(example["attention_mask"].all()):
        raise IacsieveError("ONNX export: the example batch must contain padding")
    wrapper = first_token_encoder(model)
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
               threads: int, batch_size: int = 64, reference=None) -> dict:
    """Score ``records`` with the champion in ``folder`` through PyTorch + transformers and through
    ONNX Runtime + tokenizers (the filter's two paths); raise ``IacsieveError`` unless the token ids are
    identical, every probability is within ``tolerance`` and every verdict at ``threshold`` agrees.
    ``reference``: the PyTorch scores of ``records`` when the caller already has them. Returns the figures for
    the champion's card. ``folder`` must already hold ``SHA256SUMS``.
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
    torch_p = (predict_proba(model, tokenizer, texts, batch_size=batch_size, max_length=max_length)
               if reference is None else reference)
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


#: How ``quantize_int8`` quantizes: ONNX Runtime's dynamic quantization, int8 weights per output channel,
#: activations quantized per batch at run time; MatMul nodes only (embeddings and the head stay fp32).
INT8_METHOD = "ONNX Runtime quantize_dynamic: MatMul weights int8 per channel, activations uint8 per batch"


def smooth_activations(model, tokenizer, texts: Sequence[str], alpha: float, max_length: int, batch_size: int = 64):
    """A copy of ``model`` (a BERT or RoBERTa classifier) with the same function whose encoder linears
    take inputs divided per channel by ``s`` and hold weights multiplied by ``s`` (SmoothQuant, Xiao et
    al. 2023): ``s_j = max|x_j|^alpha / max|w_j|^(1 - alpha)`` from the activations on ``texts``. A few
    input channels of these layers carry values far larger than the rest, and int8 activations share one
    scale per tensor; moving that range into the weights, quantized per channel, keeps int8 scores
    closer to fp32. Returns None for other architectures (they are quantized as they are)."""
    import copy

    import torch

    encoder = getattr(model, "bert", None) or getattr(model, "roberta", None)
    if encoder is None or first_token_encoder(model) is None:
        return None
    model = copy.deepcopy(model).eval()
    encoder = getattr(model, "bert", None) or getattr(model, "roberta", None)
    layers = encoder.encoder.layer
    groups = []  # (parent module, attribute names sharing one input)
    for layer in layers:
        groups += [(layer.attention.self, ("query", "key", "value")), (layer.attention.output, ("dense",)),
                   (layer.intermediate, ("dense",)), (layer.output, ("dense",))]
    peaks: dict[int, torch.Tensor] = {}

    def record_peak(module, inputs):
        peak = inputs[0].detach().abs().reshape(-1, inputs[0].shape[-1]).amax(0)
        peaks[id(module)] = torch.maximum(peaks[id(module)], peak) if id(module) in peaks else peak

    hooks = [getattr(parent, name).register_forward_pre_hook(record_peak) for parent, names in groups for name in names]
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(list(texts[start:start + batch_size]), padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt")
            model(**batch)
    for hook in hooks:
        hook.remove()

    class SmoothedLinear(torch.nn.Module):
        def __init__(self, linear, scale):
            super().__init__()
            self.register_buffer("inverse_scale", (1.0 / scale).to(linear.weight.dtype))
            self.linear = copy.deepcopy(linear)
            with torch.no_grad():
                self.linear.weight.mul_(scale[None, :])

        def forward(self, x):
            return self.linear(x * self.inverse_scale)

    with torch.no_grad():
        for parent, names in groups:
            linears = [getattr(parent, name) for name in names]
            activation = torch.stack([peaks[id(linear)] for linear in linears]).amax(0).clamp(min=1e-5)
            weight = torch.cat([linear.weight for linear in linears]).abs().amax(0).clamp(min=1e-5)
            scale = (activation ** alpha / weight ** (1 - alpha)).clamp(min=1e-5)
            for name, linear in zip(names, linears):
                setattr(parent, name, SmoothedLinear(linear, scale))
    return model


def weight_matmuls(source: Path) -> list[tuple[str, list[int]]]:
    """(name, weight shape) of each MatMul node of the ONNX graph ``source`` that multiplies by a weight
    (an initializer), in graph order: what ``quantize_int8`` turns into int8 (attention's activation x
    activation products stay fp32)."""
    import onnx

    graph = onnx.load(str(source)).graph
    weights = {initializer.name: list(initializer.dims) for initializer in graph.initializer}
    return [(node.name, next(weights[i] for i in node.input if i in weights))
            for node in graph.node if node.op_type == "MatMul" and any(i in weights for i in node.input)]


def fp32_matmuls(source: Path, part: str, config) -> list[str]:
    """Names of the weight MatMuls of ``source`` that ``part`` (one of ``filter.int8_keep_fp32``'s values)
    keeps in fp32: ``none``; ``first-layer``
    (the first encoder layer's, the weight MatMuls split evenly among ``config.num_hidden_layers``);
    ``ffn-output`` (every layer's feed-forward output, whose inputs, after GELU, carry the widest range:
    the weights of shape intermediate_size x hidden_size). Raises ``IacsieveError`` when the graph does
    not show that structure."""
    if part == "none":
        return []
    matmuls = weight_matmuls(source)
    layers = getattr(config, "num_hidden_layers", None)
    intermediate, hidden = getattr(config, "intermediate_size", None), getattr(config, "hidden_size", None)
    if part == "first-layer" and isinstance(layers, int) and layers and len(matmuls) % layers == 0:
        return [name for name, _ in matmuls[:len(matmuls) // layers]]
    if part == "ffn-output" and intermediate and hidden:
        names = [name for name, shape in matmuls if shape == [intermediate, hidden]]
        if names:
            return names
    raise IacsieveError(f"int8: cannot keep {part} in fp32: the graph's {len(matmuls)} weight MatMuls do not show it")


def quantize_int8(source: Path, target: Path, keep_fp32: Sequence[str] = ()) -> None:
    """Write ``source`` (an fp32 ONNX graph) to ``target`` with its MatMul weights in int8 (``INT8_METHOD``):
    about a quarter of the size and about twice as fast on CPU, with scores that move by a few hundredths,
    so ``check_int8`` judges it by verdicts and F1 rather than by probabilities. The MatMul nodes named
    in ``keep_fp32`` stay fp32 (see ``fp32_matmuls``)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its "consider pre-processing" advice goes to the root logger
    try:
        quantize_dynamic(source, target, weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=list(keep_fp32))
    finally:
        root.setLevel(level)


def check_int8(folder: Path, records: Sequence[dict], reference, threshold: float, max_length: int, threads: int,
               min_agreement: float, max_f1_drop: float, combine=None) -> dict:
    """Compare the int8 graph in ``folder`` with the PyTorch scores ``reference`` of ``records`` (0/1
    ``label``s) as the filter decides: the final scores (``combine(encoder scores)``, e.g. the hybrid's
    stacking, or the encoder's own) at ``threshold``. Returns the figures with ``passed``: at least
    ``min_agreement`` of the verdicts equal and |F1 int8 - F1 PyTorch| at most ``max_f1_drop``."""
    import numpy as np

    from iacsieve.evaluation.metrics import filter_metrics

    combine = combine or (lambda scores: scores)
    labels = [int(r["label"]) for r in records]
    scores = OnnxScorer(folder, max_length=max_length, threads=threads).predict_proba(
        [model_text(r) for r in records])  # batched as the filter batches
    final_reference, final = np.asarray(combine(reference)), np.asarray(combine(scores))
    verdicts_reference, verdicts = final_reference >= threshold, final >= threshold
    f1_reference = filter_metrics(labels, verdicts_reference.astype(int).tolist())["f1"]
    f1_int8 = filter_metrics(labels, verdicts.astype(int).tolist())["f1"]
    agreement = float((verdicts_reference == verdicts).mean()) if len(records) else 1.0
    return {
        "method": INT8_METHOD,
        "records": len(records),
        "threshold": threshold,
        "verdicts_agree": int((verdicts_reference == verdicts).sum()),
        "agreement": round(agreement, 4),
        "min_agreement": min_agreement,
        "val_f1_pytorch": round(f1_reference, 4),
        "val_f1_int8": round(f1_int8, 4),
        "max_f1_drop": max_f1_drop,
        "max_abs_diff": float(f"{np.abs(final - final_reference).max():.2e}") if len(records) else 0.0,
        "mean_abs_diff": float(f"{np.abs(final - final_reference).mean():.2e}") if len(records) else 0.0,
        "passed": agreement >= min_agreement and abs(f1_int8 - f1_reference) <= max_f1_drop,
    }


def onnx_versions() -> dict:
    """Versions of the exporting and checking libraries, for the card."""
    from importlib.metadata import version

    return {name: version(name) for name in ("torch", "onnx", "onnxruntime", "tokenizers")}


__all__ = ["ONNX_FILE", "check_int8", "check_onnx", "export_onnx", "onnx_versions", "quantize_int8", "fp32_matmuls", "weight_matmuls"]
