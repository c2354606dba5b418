"""The filter's fast path for a pretrained hybrid champion: TF-IDF scoring without scikit-learn, the BERT
first-token ONNX graph, SmoothQuant smoothing and the int8 check that decides whether int8 ships."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from iacsieve.models.inputs import model_text
from iacsieve.models.lexical import VECTORIZERS, LexicalModel, _analyzer
from tiny_bert import word_level_tokenizer

TRICKY_TEXTS = [
    "", "a", "  ab  ", "x=1;y==2 # TODO: fix\n\n password: 'hunter2'", "ÄÖ  Straße\t\tX  y",
    "sec_hard_pass roles/db/tasks/main.yml\n    db_password: \"{{ vault_db }}\"\n>> line\n   next",
    "http://mirror.example.org/pkg.tgz md5sum sha1 TODO(fix) FIXME XXX", "_a1 __init__ a-b a.b a_b 42 ..",
]


def _records(n: int = 160) -> list[dict]:
    rng = np.random.default_rng(3)
    words = ["password", "vault", "token", "TODO", "http://", "md5", "user", "name", "{{", "}}", "key", "x1"]
    records = []
    for i in range(n):
        label = int(rng.random() < 0.4)
        body = " ".join(rng.choice(words, 6)) + (" hunter2 secret" if label else " lookup var")
        records.append({"glitch_code": "sec_hard_pass", "repo": f"org/r{i % 9}", "file": f"org/r{i % 9}/a.yml",
                        "content": body, "context": f">> {body}\n   - name: t{i % 4}", "label": label})
    return records


@pytest.mark.parametrize("settings", VECTORIZERS, ids=lambda s: s.get("analyzer", "word"))
def test_analyzers_extract_the_terms_scikit_learn_does(settings):
    from sklearn.feature_extraction.text import TfidfVectorizer

    reference = TfidfVectorizer(**settings).build_analyzer()
    texts = TRICKY_TEXTS + [model_text(r) for r in _records(40)]
    for text in texts:
        assert _analyzer(settings)(text) == reference(text), text


def test_lexical_scores_equal_scikit_learns_transform(tmp_path):
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    records = _records()
    model = LexicalModel.fit(records[:120], c=4.0, seed=0)
    vectorizers = [TfidfVectorizer(**settings).fit([model_text(r) for r in records[:120]]) for settings in VECTORIZERS]
    held = records[120:] + [{**records[0], "content": text, "context": ""} for text in TRICKY_TEXTS]
    features = hstack([v.transform([model_text(r) for r in held]) for v in vectorizers]).tocsr()
    reference = 1.0 / (1.0 + np.exp(-(features @ model.coef + model.intercept)))
    assert np.abs(model.predict_proba(held) - reference).max() < 1e-12
    assert len(set(np.round(reference, 3))) > 5  # the comparison covers varied scores


def test_a_saved_lexical_model_scores_without_importing_scikit_learn(tmp_path):
    records = _records()
    LexicalModel.fit(records[:120], c=4.0, seed=0).save(tmp_path / "lexical.json")
    (tmp_path / "held.json").write_text(json.dumps(records[120:]))
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from iacsieve.models.lexical import LexicalModel\n"
        f"m = LexicalModel.load(Path({str(tmp_path / 'lexical.json')!r}))\n"
        f"p = m.predict_proba(json.loads(Path({str(tmp_path / 'held.json')!r}).read_text()))\n"
        "print(len(p), sorted(k for k in sys.modules if k.split('.')[0] in ('sklearn', 'scipy', 'torch')))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["40", "[]"]


def _tiny_bert(folder: Path, layers: int = 2):
    """A random BERT classifier (with pooler) and a word-level tokenizer over the test records' words."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    tokenizer = word_level_tokenizer(model_text(r) for r in _records())
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=layers, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64, num_labels=2)
    model = BertForSequenceClassification(config)
    with torch.no_grad():  # outlier input channels, as trained BERTs have them
        model.bert.embeddings.LayerNorm.weight[:2] *= 20.0
    texts = [model_text(r) for r in _records()]
    batch = tokenizer(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
    labels = torch.tensor([r["label"] for r in _records()])
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(8):  # a few full-batch steps, so that scores depend on the text
        optimizer.zero_grad()
        model(**batch, labels=labels).loss.backward()
        optimizer.step()
    model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return model, tokenizer


def pytorch_scores(folder: Path, records: list[dict]):
    """TP probabilities of ``records`` from the PyTorch model saved in ``folder`` (the int8 check's reference)."""
    from iacsieve.models.predict import load_classifier, predict_proba

    model, tokenizer = load_classifier(folder)
    return predict_proba(model, tokenizer, [model_text(r) for r in records], max_length=64)


def test_bert_exports_with_the_last_layer_for_the_first_token_only(tmp_path):
    from iacsieve.champion import write_checksums
    from iacsieve.selection.onnx_export import check_onnx, export_onnx, first_token_encoder

    model, tokenizer = _tiny_bert(tmp_path)
    assert first_token_encoder(model) is not None
    graph = export_onnx(model, tokenizer, tmp_path / "model.onnx", opset=17, max_length=64)
    assert graph.startswith("last encoder layer computed for the first token only")
    write_checksums(tmp_path)
    check = check_onnx(tmp_path, _records(), threshold=0.5, max_length=64, tolerance=1e-5, threads=1)
    assert check["max_abs_diff"] < 1e-5 and check["verdicts_agree"] == check["records"] == 160


def test_smoothing_keeps_the_function_and_does_not_hurt_int8(tmp_path):
    import torch

    from iacsieve.champion import write_checksums
    from iacsieve.selection.onnx_export import (
        check_int8,
        export_onnx,
        quantize_int8,
        smooth_activations,
    )

    model, tokenizer = _tiny_bert(tmp_path)
    records = _records()
    texts = [model_text(r) for r in records]
    smoothed = smooth_activations(model, tokenizer, texts[:64], alpha=0.85, max_length=64)
    batch = tokenizer(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
    with torch.inference_mode():
        assert torch.allclose(model(**batch).logits, smoothed(**batch).logits, atol=1e-4)
    scale = smoothed.bert.encoder.layer[0].attention.self.query.inverse_scale
    assert float(scale.max() / scale.min()) > 3  # the outlier channels got their own scales
    reference = pytorch_scores(tmp_path, records)
    gaps = {}
    for name, source in (("plain", model), ("smoothed", smoothed)):
        export_onnx(source, tokenizer, tmp_path / "fp32.onnx", opset=17, max_length=64)
        quantize_int8(tmp_path / "fp32.onnx", tmp_path / "model.onnx")
        (tmp_path / "fp32.onnx").unlink()
        write_checksums(tmp_path)
        check = check_int8(tmp_path, records, reference, 0.5, 64, 1, min_agreement=0.9, max_f1_drop=0.1)
        gaps[name] = check["mean_abs_diff"]
        assert 0 < check["mean_abs_diff"] < 0.2 and check["records"] == 160
    # On this tiny model int8 moves scores by ~2e-4 either way (MiniLM: 0.021 -> 0.011 mean with smoothing,
    # README); what must hold here is that smoothing does not make int8 worse.
    assert gaps["smoothed"] <= 1.25 * gaps["plain"]


def test_int8_check_fails_on_verdicts_or_f1(tmp_path):
    from iacsieve.champion import write_checksums
    from iacsieve.selection.onnx_export import check_int8, export_onnx, quantize_int8

    model, tokenizer = _tiny_bert(tmp_path)
    records = _records()
    export_onnx(model, tokenizer, tmp_path / "fp32.onnx", opset=17, max_length=64)
    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "model.onnx")
    (tmp_path / "fp32.onnx").unlink()
    write_checksums(tmp_path)
    reference = pytorch_scores(tmp_path, records)
    threshold = float(np.median(reference))
    loose = check_int8(tmp_path, records, reference, threshold, 64, 1, min_agreement=0.6, max_f1_drop=0.1)
    assert loose["passed"] and loose["verdicts_agree"] >= 0.6 * 160
    strict = check_int8(tmp_path, records, reference, threshold, 64, 1, min_agreement=1.0, max_f1_drop=0.1)
    assert strict["passed"] == (strict["verdicts_agree"] == 160)
    # A combination that turns every int8 score into a flip of PyTorch's verdict cannot pass.
    flipped = check_int8(tmp_path, records, reference, threshold, 64, 1, min_agreement=0.6, max_f1_drop=0.1,
                         combine=lambda s: s if s is reference else 1.0 - np.asarray(s))
    assert not flipped["passed"] and flipped["agreement"] < 0.6


@pytest.mark.parametrize("part", ["none", "first-layer", "ffn-output"])
def test_int8_keeps_the_named_part_of_the_encoder_in_fp32(tmp_path, part):
    """``fp32_matmuls`` finds the first layer's weight MatMuls or every feed-forward output's, and
    ``quantize_int8`` leaves exactly those as fp32 MatMul nodes; the graph still scores like PyTorch."""
    import onnx

    from iacsieve.champion import write_checksums
    from iacsieve.selection.onnx_export import check_int8, export_onnx, fp32_matmuls, quantize_int8, weight_matmuls

    model, tokenizer = _tiny_bert(tmp_path)
    records = _records()
    export_onnx(model, tokenizer, tmp_path / "fp32.onnx", opset=17, max_length=64)
    matmuls = weight_matmuls(tmp_path / "fp32.onnx")
    layers = model.config.num_hidden_layers
    assert len(matmuls) == 6 * layers  # query, key, value, attention output, intermediate, output
    kept = fp32_matmuls(tmp_path / "fp32.onnx", part, model.config)
    expected = {"none": [], "first-layer": [name for name, _ in matmuls[:6]],
                "ffn-output": [name for name, _ in matmuls[5::6]]}[part]
    assert kept == expected
    quantize_int8(tmp_path / "fp32.onnx", tmp_path / "model.onnx", kept)
    (tmp_path / "fp32.onnx").unlink()
    graph = onnx.load(str(tmp_path / "model.onnx")).graph
    fp32_weighted = {node.name for node in graph.node if node.op_type == "MatMul" and
                     any(i in {t.name for t in graph.initializer} for i in node.input)}
    assert fp32_weighted == set(kept)
    write_checksums(tmp_path)
    check = check_int8(tmp_path, records, pytorch_scores(tmp_path, records), 0.5, 64, 1, 0.9, 0.1)
    assert check["records"] == 160 and check["mean_abs_diff"] < 0.2


def test_an_encoder_part_the_graph_does_not_show_is_a_one_line_error(tmp_path):
    from iacsieve.errors import IacsieveError
    from iacsieve.selection.onnx_export import export_onnx, fp32_matmuls

    model, tokenizer = _tiny_bert(tmp_path)
    export_onnx(model, tokenizer, tmp_path / "fp32.onnx", opset=17, max_length=64)
    config = model.config.__class__(**{**model.config.to_dict(), "num_hidden_layers": 5, "intermediate_size": 7})
    for part in ("first-layer", "ffn-output"):
        with pytest.raises(IacsieveError, match=f"cannot keep {part} in fp32"):
            fp32_matmuls(tmp_path / "fp32.onnx", part, config)
