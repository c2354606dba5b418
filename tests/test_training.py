"""Training runs, tiny and Hugging Face candidates, resume, early stopping, prediction and loading."""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    RobertaConfig,
    RobertaForSequenceClassification,
    T5Config,
    T5ForSequenceClassification,
    TrainerCallback,
)

from iacsieve.errors import IacsieveError
from iacsieve.models.inputs import model_text
from iacsieve.models.loading import load_candidate
from iacsieve.models.tokenizer import train_bpe_tokenizer
from iacsieve.models.predict import load_classifier, predict_proba
from iacsieve.training.checkpoints import prepare_checkpoint_dir
from iacsieve.training.run import (
    EFFICIENCY_KEYS,
    SUMMARY_KEYS,
    TrainConfig,
    run_fingerprint,
    train_run,
)


SECRET = "Hard-coded secret"
FILLER = [
    "- name: install {app}",
    "  apt: name={app} state=present",
    "  service: name={app} state=started",
    "  become: true",
    "  notify: restart {app}",
    "  template: src={app}.j2 dest=/etc/{app}.conf",
]


def make_records(count: int, seed: int, prefix: str) -> list[dict]:
    """Detections whose label is learnable from one word: a vault lookup is FP, a literal value is TP."""
    rng = random.Random(seed)
    records = []
    for index in range(count):
        label = index % 2
        app = rng.choice(["nginx", "mysql", "redis", "jenkins"])
        value = rng.choice(["hunter2", "S3cret!", "admin123"]) if label else "{{ vault_%s_password }}" % app
        flagged = f'  {app}_password: "{value}"'
        around = [rng.choice(FILLER).format(app=app) for _ in range(rng.randint(2, 10))]
        cut = len(around) // 2
        context = "\n".join(
            ["   " + line for line in around[:cut]] + [">> " + flagged] + ["   " + line for line in around[cut:]]
        )
        records.append(
            {
                "id": f"{prefix}{index}",
                "tech": "ansible",
                "glitch_code": "sec_hard_pass",
                "smell": SECRET,
                "file": f"roles/{app}/tasks/main.yml",
                "line": cut + 1,
                "content": flagged.strip(),
                "context": context,
                "label": label,
            }
        )
    return records


@pytest.fixture(scope="module")
def train_records() -> list[dict]:
    return make_records(48, seed=1, prefix="t")


@pytest.fixture(scope="module")
def val_records() -> list[dict]:
    return make_records(16, seed=2, prefix="v")


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory, train_records) -> str:
    out = tmp_path_factory.mktemp("tokenizer") / "bpe"
    train_bpe_tokenizer([model_text(record) for record in train_records], out, vocab_size=400, min_frequency=2)
    return str(out)


@pytest.fixture(autouse=True)
def outside_the_repo(tmp_path, monkeypatch):
    """dvclive looks for a DVC/git repo from the working directory: keep every run away from ours."""
    monkeypatch.chdir(tmp_path)


def config(tokenizer_dir: str | None, **changes) -> TrainConfig:
    base = TrainConfig(
        model="tiny-roberta",
        tokenizer_dir=tokenizer_dir,
        learning_rate=5e-3,
        batch_size=8,
        eval_batch_size=16,
        epochs=3,
        max_length=128,
        weight_decay=0.0,
        warmup_ratio=0.0,
        lr_scheduler="linear",
        patience=2,
        min_delta=0.001,
        gradient_checkpointing=False,
        seed=42,
        threads=1,
        trust_remote_code=False,
        frozen_layers=0,
        bf16=False,
        layers=None,
    )
    return dataclasses.replace(base, **changes)


def run(cfg: TrainConfig, train_records, val_records, root: Path, callbacks=()) -> dict:
    return train_run(
        cfg, train_records, val_records, root / "model", root / "checkpoints", root / "live", callbacks=callbacks
    )


def result(summary: dict) -> dict:
    """The part of a summary that must not depend on timing."""
    return {key: value for key, value in summary.items() if key not in EFFICIENCY_KEYS}


def history_of(root: Path, metric: str) -> list[str]:
    """Rows of a dvclive metric history: step and value per epoch."""
    return (root / "live" / "plots" / "metrics" / metric).read_text().splitlines()


def val_scores(root: Path) -> list[dict]:
    return [json.loads(line) for line in (root / "model" / "val_scores.jsonl").read_text().splitlines()]


class Interrupted(Exception):
    """Stands for the process being killed."""


class InterruptAfterSave(TrainerCallback):
    """Raise once the checkpoint of epoch ``epoch`` is on disk."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_save(self, args, state, control, **kwargs):
        if round(state.epoch) >= self.epoch:
            raise Interrupted


class InterruptAtEnd(TrainerCallback):
    def on_train_end(self, args, state, control, **kwargs):
        raise Interrupted


class CountEpochs(TrainerCallback):
    def __init__(self) -> None:
        self.started = 0

    def on_epoch_begin(self, args, state, control, **kwargs):
        self.started += 1


# --- inputs and tokenizer ---------------------------------------------------------------------------------


def test_model_text_puts_code_and_path_then_flagged_line_then_context(train_records):
    record = train_records[0]
    text = model_text(record)
    assert text.startswith(f"{record['glitch_code']} {record['file']}\n{record['content']}\n")
    assert text.endswith(record["context"])
    assert model_text(dict(record)) == text


def test_bpe_tokenizer_is_deterministic_and_reloads(tmp_path, train_records):
    texts = [model_text(record) for record in train_records]
    train_bpe_tokenizer(texts, tmp_path / "a", vocab_size=400, min_frequency=2)
    train_bpe_tokenizer(texts, tmp_path / "b", vocab_size=400, min_frequency=2)
    assert (tmp_path / "a" / "tokenizer.json").read_bytes() == (tmp_path / "b" / "tokenizer.json").read_bytes()
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "a")
    assert tokenizer.convert_ids_to_tokens([0, 1, 2, 3, 4]) == ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    ids = tokenizer("url: http://x/</s>", truncation=True, max_length=64)["input_ids"]
    assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id
    assert ids.count(tokenizer.eos_token_id) == 1, "text that looks like </s> must not become EOS"
    assert tokenizer(texts[0], truncation=True, max_length=10)["input_ids"][-1] == tokenizer.eos_token_id


# --- candidates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tiny-roberta", "tiny-t5-small", "tiny-t5-base"])
def test_builtin_tiny_candidates_train_save_and_reload(name, tmp_path, tokenizer_dir, train_records, val_records):
    summary = run(config(tokenizer_dir, model=name, epochs=2), train_records, val_records, tmp_path)
    assert 0.0 <= summary["val_f1"] <= 1.0
    reloaded = AutoModelForSequenceClassification.from_pretrained(tmp_path / "model")
    assert reloaded.config.id2label == {0: "FP", 1: "TP"}
    expected = RobertaForSequenceClassification if name == "tiny-roberta" else T5ForSequenceClassification
    assert type(reloaded) is expected
    assert summary["n_parameters"] == sum(parameter.numel() for parameter in reloaded.parameters())


def test_tiny_t5_base_is_larger_than_small(tokenizer_dir):
    small, _ = load_candidate("tiny-t5-small", tokenizer_dir)
    base, _ = load_candidate("tiny-t5-base", tokenizer_dir)
    assert base.num_parameters() > small.num_parameters()


def test_tiny_candidate_needs_a_tokenizer():
    with pytest.raises(IacsieveError, match="tokenizer_dir"):
        load_candidate("tiny-roberta", None)


def save_hf_model(kind: str, tokenizer_dir: str, out: Path) -> Path:
    """A randomly initialised Hugging Face classifier saved the way a downloaded one would be."""
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    torch.manual_seed(0)
    if kind == "roberta":
        model = RobertaForSequenceClassification(
            RobertaConfig(
                vocab_size=len(tokenizer),
                hidden_size=32,
                num_hidden_layers=1,
                num_attention_heads=2,
                intermediate_size=64,
                max_position_embeddings=258,
                type_vocab_size=1,
                pad_token_id=tokenizer.pad_token_id,
            )
        )
    else:
        model = T5ForSequenceClassification(
            T5Config(
                vocab_size=len(tokenizer),
                d_model=32,
                d_kv=16,
                d_ff=64,
                num_layers=1,
                num_heads=2,
                pad_token_id=tokenizer.pad_token_id,
                eos_token_id=tokenizer.eos_token_id,
                decoder_start_token_id=tokenizer.pad_token_id,
            )
        )
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


@pytest.mark.parametrize("kind", ["roberta", "t5"])
def test_hugging_face_path_candidate(kind, tmp_path, tokenizer_dir, train_records, val_records):
    candidate = save_hf_model(kind, tokenizer_dir, tmp_path / f"hf-{kind}")
    summary = run(config(None, model=str(candidate), epochs=2), train_records, val_records, tmp_path / "run")
    assert set(SUMMARY_KEYS) <= set(summary)
    model, tokenizer = load_classifier(tmp_path / "run" / "model")
    assert model.config.id2label == {0: "FP", 1: "TP"}
    scores = predict_proba(model, tokenizer, [model_text(record) for record in val_records], max_length=128)
    saved = [row["proba"] for row in val_scores(tmp_path / "run")]
    np.testing.assert_allclose(scores, saved, atol=1e-5)


# --- training behaviour ------------------------------------------------------------------------------------


def test_learns_the_keyword_and_writes_flat_metrics(tmp_path, tokenizer_dir, train_records, val_records):
    summary = run(config(tokenizer_dir, epochs=6, learning_rate=2e-3, patience=6), train_records, val_records, tmp_path)
    assert summary["val_f1"] >= 0.8  # all-TP scores 0.667: the model must have learnt the keyword
    metrics = json.loads((tmp_path / "live" / "metrics.json").read_text())
    assert set(metrics) == {*SUMMARY_KEYS, "step"}, "dvclive's metrics hold only what a rerun reproduces"
    assert {key: metrics[key] for key in SUMMARY_KEYS} == {key: summary[key] for key in SUMMARY_KEYS}
    efficiency = json.loads((tmp_path / "live" / "efficiency.json").read_text())
    assert set(efficiency) == set(EFFICIENCY_KEYS) and all(efficiency[key] > 0 for key in EFFICIENCY_KEYS)
    assert not list((tmp_path / "live").rglob("*runtime*")), "evaluation timings stay out of the plots"
    record = json.loads((tmp_path / "model" / "iacsieve_run.json").read_text())
    assert record["summary"] == {key: summary[key] for key in SUMMARY_KEYS}, "the run record holds no timing"
    assert record["config"]["model"] == "tiny-roberta"
    f1_rows = (tmp_path / "live" / "plots" / "metrics" / "eval" / "f1.tsv").read_text().splitlines()
    loss_rows = (tmp_path / "live" / "plots" / "metrics" / "train" / "loss.tsv").read_text().splitlines()
    assert len(f1_rows) == len(loss_rows) == summary["epochs_run"] + 1  # header + one row per epoch
    best_epoch_f1 = float(f1_rows[summary["best_epoch"]].split("\t")[1])
    assert best_epoch_f1 == pytest.approx(summary["val_f1"]), "the saved model is the best epoch's"
    params = (tmp_path / "live" / "params.yaml").read_text()
    assert "model: tiny-roberta" in params
    assert not list(tmp_path.rglob("dvc.yaml"))
    assert not (tmp_path / "checkpoints").exists(), "checkpoints are removed once the model is saved"
    scores = val_scores(tmp_path)
    assert [row["id"] for row in scores] == [record["id"] for record in val_records]
    assert [row["label"] for row in scores] == [record["label"] for record in val_records]


def test_early_stopping_stops_when_f1_plateaus(tmp_path, tokenizer_dir, train_records, val_records):
    summary = run(config(tokenizer_dir, learning_rate=0.0, epochs=8, patience=2), train_records, val_records, tmp_path)
    assert summary["epochs_run"] == 3
    assert summary["best_epoch"] == 1


def test_two_runs_with_the_same_config_are_identical(tmp_path, tokenizer_dir, train_records, val_records):
    cfg = config(tokenizer_dir, epochs=2)
    first = run(cfg, train_records, val_records, tmp_path / "a")
    second = run(cfg, train_records, val_records, tmp_path / "b")
    assert result(first) == result(second)
    assert val_scores(tmp_path / "a") == val_scores(tmp_path / "b")


def assert_same_weights(left: Path, right: Path) -> None:
    a, b = load_file(left / "model.safetensors"), load_file(right / "model.safetensors")
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


@pytest.mark.parametrize("model", ["tiny-roberta", "tiny-t5-small"])
def test_resumed_run_ends_like_an_uninterrupted_one(model, tmp_path, tokenizer_dir, train_records, val_records):
    cfg = config(tokenizer_dir, model=model, epochs=3, patience=3)
    uninterrupted = run(cfg, train_records, val_records, tmp_path / "whole")

    with pytest.raises(Interrupted):
        run(cfg, train_records, val_records, tmp_path / "killed", callbacks=[InterruptAfterSave(epoch=1)])
    assert (tmp_path / "killed" / "checkpoints" / "checkpoint-6").is_dir()
    epochs = CountEpochs()
    resumed = run(cfg, train_records, val_records, tmp_path / "killed", callbacks=[epochs])

    assert epochs.started == 2, "epoch 1 came from the checkpoint"
    assert result(resumed) == result(uninterrupted)
    assert val_scores(tmp_path / "killed") == val_scores(tmp_path / "whole")
    assert_same_weights(tmp_path / "killed" / "model", tmp_path / "whole" / "model")
    for history in ("eval/f1.tsv", "train/loss.tsv"):
        assert history_of(tmp_path / "killed", history) == history_of(tmp_path / "whole", history)


def test_epochs_logged_after_the_resumed_checkpoint_are_not_repeated(
    tmp_path, tokenizer_dir, train_records, val_records
):
    cfg = config(tokenizer_dir, epochs=3, patience=3)
    uninterrupted = run(cfg, train_records, val_records, tmp_path / "whole")
    with pytest.raises(Interrupted):
        run(cfg, train_records, val_records, tmp_path / "killed", callbacks=[InterruptAfterSave(epoch=2)])
    shutil.rmtree(tmp_path / "killed" / "checkpoints" / "checkpoint-12")  # killed while saving epoch 2
    assert run(cfg, train_records, val_records, tmp_path / "killed") == {
        **uninterrupted,
        **{key: mock.ANY for key in EFFICIENCY_KEYS},
    }
    assert history_of(tmp_path / "killed", "eval/f1.tsv") == history_of(tmp_path / "whole", "eval/f1.tsv")


KILLED_RUN_SCRIPT = """
import json, sys
from iacsieve.training.run import TrainConfig, train_run
cfg, train, val, root = json.load(open(sys.argv[1]))
train_run(TrainConfig(**cfg), train, val, root + "/model", root + "/checkpoints", root + "/live")
"""


@pytest.mark.slow
def test_process_killed_mid_run_resumes_to_the_same_model(tmp_path, tokenizer_dir):
    """SIGKILL at whatever point the second epoch has reached, then run again in a new process."""
    train, val = make_records(400, seed=5, prefix="t"), make_records(40, seed=6, prefix="v")
    cfg = config(tokenizer_dir, epochs=3, patience=3)
    (tmp_path / "run.py").write_text(KILLED_RUN_SCRIPT)
    for name in ("whole", "killed"):
        (tmp_path / f"{name}.json").write_text(json.dumps([dataclasses.asdict(cfg), train, val, str(tmp_path / name)]))
    command = [sys.executable, str(tmp_path / "run.py")]
    subprocess.run([*command, str(tmp_path / "whole.json")], check=True, capture_output=True)

    process = subprocess.Popen([*command, str(tmp_path / "killed.json")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first_checkpoint = tmp_path / "killed" / "checkpoints" / "checkpoint-50" / "trainer_state.json"
    deadline = time.monotonic() + 120
    while not first_checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    process.kill()
    process.wait()
    assert not (tmp_path / "killed" / "model").exists(), "the run finished before it could be killed"
    assert not (tmp_path / "killed" / "live").exists(), "dvclive's folder appears only when the run ends"
    subprocess.run([*command, str(tmp_path / "killed.json")], check=True, capture_output=True)

    assert_same_weights(tmp_path / "killed" / "model", tmp_path / "whole" / "model")
    assert val_scores(tmp_path / "killed") == val_scores(tmp_path / "whole")
    whole = json.loads((tmp_path / "whole" / "live" / "metrics.json").read_text())
    killed = json.loads((tmp_path / "killed" / "live" / "metrics.json").read_text())
    assert result(killed) == result(whole)


def test_run_killed_after_its_last_checkpoint_is_not_trained_again(
    tmp_path, tokenizer_dir, train_records, val_records
):
    cfg = config(tokenizer_dir, learning_rate=0.0, epochs=6, patience=1)
    uninterrupted = run(cfg, train_records, val_records, tmp_path / "whole")
    with pytest.raises(Interrupted):
        run(cfg, train_records, val_records, tmp_path / "killed", callbacks=[InterruptAtEnd()])
    epochs = CountEpochs()
    resumed = run(cfg, train_records, val_records, tmp_path / "killed", callbacks=[epochs])
    assert epochs.started == 0
    assert result(resumed) == result(uninterrupted)
    assert val_scores(tmp_path / "killed") == val_scores(tmp_path / "whole")
    summaries = [json.loads((tmp_path / name / "live" / "metrics.json").read_text()) for name in ("killed", "whole")]
    assert summaries[0] == summaries[1], "dvclive's summary (its step too) is as if the run was never killed"


def test_checkpoints_of_another_config_are_discarded(tmp_path, tokenizer_dir, train_records, val_records):
    old = config(tokenizer_dir, epochs=3)
    with pytest.raises(Interrupted):
        run(old, train_records, val_records, tmp_path, callbacks=[InterruptAfterSave(epoch=1)])
    epochs = CountEpochs()
    new = dataclasses.replace(old, learning_rate=1e-3)
    summary = run(new, train_records, val_records, tmp_path, callbacks=[epochs])
    assert epochs.started == summary["epochs_run"] == 3


def test_fingerprint_depends_on_config_and_records(tokenizer_dir, train_records, val_records):
    cfg = config(tokenizer_dir)
    base = run_fingerprint(cfg, train_records, val_records)
    assert run_fingerprint(cfg, list(train_records), list(val_records)) == base
    assert run_fingerprint(dataclasses.replace(cfg, seed=7), train_records, val_records) != base
    flipped = [dict(train_records[0], label=1 - train_records[0]["label"]), *train_records[1:]]
    assert run_fingerprint(cfg, flipped, val_records) != base
    assert run_fingerprint(cfg, train_records, val_records[1:]) != base


def test_prepare_checkpoint_dir_keeps_only_complete_checkpoints_of_the_same_run(tmp_path):
    folder = tmp_path / "checkpoints"
    assert prepare_checkpoint_dir(folder, "run-a") is None
    for step in (3, 6):
        (folder / f"checkpoint-{step}").mkdir()
        (folder / f"checkpoint-{step}" / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    (folder / "checkpoint-9").mkdir()  # killed while saving: no trainer state
    assert prepare_checkpoint_dir(folder, "run-a") == folder / "checkpoint-6"
    assert not (folder / "checkpoint-9").exists()
    assert prepare_checkpoint_dir(folder, "run-b") is None
    assert not list(folder.glob("checkpoint-*"))


def test_max_length_beyond_the_model_is_refused(tmp_path, tokenizer_dir, train_records, val_records):
    with pytest.raises(IacsieveError, match="max_length 4096"):
        run(config(tokenizer_dir, max_length=4096), train_records, val_records, tmp_path)


def test_gradient_checkpointing_run(tmp_path, tokenizer_dir, train_records, val_records):
    summary = run(config(tokenizer_dir, epochs=1, gradient_checkpointing=True), train_records, val_records, tmp_path)
    assert summary["epochs_run"] == 1


# --- prediction and loading --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def classifier(tokenizer_dir):
    model, tokenizer = load_candidate("tiny-roberta", tokenizer_dir, seed=3)
    return model, tokenizer


def test_predict_proba_keeps_input_order_and_matches_one_by_one(classifier, train_records):
    model, tokenizer = classifier
    texts = [model_text(record) for record in train_records]
    batched = predict_proba(model, tokenizer, texts, batch_size=16, max_length=128)
    one_by_one = np.array([predict_proba(model, tokenizer, [text], max_length=128)[0] for text in texts])
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)
    reversed_scores = predict_proba(model, tokenizer, texts[::-1], batch_size=7, max_length=128)
    np.testing.assert_allclose(reversed_scores[::-1], batched, atol=1e-5)
    assert batched.shape == (len(texts),) and ((batched >= 0) & (batched <= 1)).all()
    assert len(set(np.round(batched, 6))) > 1, "different texts should get different scores"
    assert predict_proba(model, tokenizer, []).shape == (0,)


def test_load_classifier_refuses_pickled_weights(classifier, tmp_path):
    model, tokenizer = classifier
    pickled = tmp_path / "pickled"
    model.save_pretrained(pickled)
    tokenizer.save_pretrained(pickled)
    (pickled / "model.safetensors").unlink()
    torch.save(model.state_dict(), pickled / "pytorch_model.bin")
    with pytest.raises(IacsieveError, match="pytorch_model.bin"):
        load_classifier(pickled)
    (pickled / "pytorch_model.bin").unlink()
    with pytest.raises(IacsieveError, match="model.safetensors"):
        load_classifier(pickled)
    with pytest.raises(IacsieveError, match="not found"):
        load_classifier(tmp_path / "missing")
