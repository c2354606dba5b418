"""End-to-end: `dvc repro` of the whole DAG on a small default, as a fresh clone runs it."""

from __future__ import annotations

import csv
import io
import json

import pytest
import yaml

from conftest import run

pytestmark = pytest.mark.slow

#: The only stages allowed to read the held-out test data (the test split or what is measured on it).
TEST_READERS = {"evaluate_test", "baselines", "ablation", "report"}


def test_only_the_evaluation_stages_read_the_test_split(pipeline_repo):
    """Test data are the split's test files (all and per technology, as the code names them) and the
    outputs of evaluate_test as dvc.lock records them; the stages depending on any of them (or on the
    whole data/processed) are exactly TEST_READERS, so an allowed reader that stops reading is noticed too."""
    from iacsieve.paths import PROCESSED, split_file
    from iacsieve.smells import TECHS

    lock = yaml.safe_load((pipeline_repo / "dvc.lock").read_text())
    test_files = {split_file("test").as_posix(), *(split_file(f"test_{tech}").as_posix() for tech in TECHS)}
    measured = {out["path"] for out in lock["stages"]["evaluate_test"]["outs"]}
    assert "metrics/test.json" in measured and all((pipeline_repo / path).is_file() for path in test_files)
    test_data = test_files | measured | {PROCESSED.as_posix()}
    readers = {stage.split("@")[0]: sorted(d["path"] for d in entry.get("deps", []) if d["path"] in test_data)
               for stage, entry in lock["stages"].items()}
    assert {stage for stage, read in readers.items() if read} == TEST_READERS, readers
    assert split_file("test").as_posix() in readers["evaluate_test"]


def test_split_keeps_files_apart_and_writes_statistics(pipeline_repo):
    processed = pipeline_repo / "data" / "processed"
    files = {}
    for split in ("train", "val", "test"):
        rows = [json.loads(line) for line in (processed / f"{split}.jsonl").read_text().splitlines()]
        files[split] = {r["file"] for r in rows}
        assert rows and set(rows[0]) >= {"id", "tech", "glitch_code", "smell", "file", "line", "content", "context", "label"}
    assert not files["test"] & (files["train"] | files["val"])
    assert not files["train"] & files["val"]
    for tech in ("ansible", "chef", "puppet"):
        assert (processed / f"test_{tech}.jsonl").stat().st_size > 0
    stats = json.loads((pipeline_repo / "details" / "data.json").read_text())
    assert stats["train"]["records"] > 7 * stats["test"]["records"] / 2


def test_champion_is_frozen_as_designed(pipeline_repo):
    champion = pipeline_repo / "models" / "champion"
    names = {p.name for p in champion.iterdir()}
    assert {"model.safetensors", "config.json", "iacsieve.json", "README.md", "SHA256SUMS"} <= names
    assert not any(n.endswith(".bin") for n in names)
    meta = json.loads((champion / "iacsieve.json").read_text())
    assert 0.30 <= meta["threshold"] <= 0.70
    assert meta["context_lines"] == 5
    assert set(meta["selection"]["val_f1_by_seed"]) == {"41", "42", "43"}
    f1s = sorted(meta["selection"]["val_f1_by_seed"].values())
    assert meta["selection"]["val_f1_by_seed"][str(meta["selection"]["seed"])] == f1s[1]
    threshold = json.loads((pipeline_repo / "metrics" / "threshold.json").read_text())
    assert threshold["threshold"] == meta["threshold"]


def test_champion_loads_with_plain_transformers(pipeline_repo):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    champion = pipeline_repo / "models" / "champion"
    model = AutoModelForSequenceClassification.from_pretrained(champion)
    tokenizer = AutoTokenizer.from_pretrained(champion)
    assert model.config.id2label == {0: "FP", 1: "TP"}
    batch = tokenizer(["Hard-coded secret\npassword: x\n>> password: x"], return_tensors="pt")
    assert model(**batch).logits.shape == (1, 2)


def test_champion_beats_glitch_as_is_on_test_f1(pipeline_repo):
    test = json.loads((pipeline_repo / "details" / "test.json").read_text())
    headline = json.loads((pipeline_repo / "metrics" / "test.json").read_text())
    assert headline == {"test_f1": test["all"]["f1"], "test_precision": test["all"]["precision"],
                        "test_recall": test["all"]["recall"], "test_fp_reduction": test["all"]["fp_reduction"],
                        "as_is_test_f1": test["glitch_as_is"]["f1"]}
    assert test["all"]["f1"] > test["glitch_as_is"]["f1"]
    for group in ("all", "ansible", "chef", "puppet"):
        low, high = test[group]["f1_ci95"]
        assert low <= test[group]["f1"] <= high
        assert 0 <= test[group]["fp_reduction"] <= 1
    assert test["glitch_as_is"]["fp_reduction"] == 0


def test_exp_show_lists_the_headline_metrics_only(pipeline_repo):
    table = run(["dvc", "exp", "show", "--csv"], pipeline_repo).stdout
    header = next(csv.reader(io.StringIO(table)))
    # real/ prefixes its metrics (metrics.prefix: real_), so the default pipeline's keep their short names;
    # its params have the same names, so DVC names each of those columns by its file
    for column in ("threshold", "stage1_best_cv_f1", "stage2_best_cv_f1", "champion_seed", "test_f1",
                   "tfidf_test_f1", "real_test_f1", "real_transfer_f1",
                   "params.yaml:stage2.learning_rates", "params.yaml:train.learning_rate"):
        assert column in header, column
    shown = json.loads(run(["dvc", "exp", "show", "--json"], pipeline_repo).stdout)
    metrics = {(file, key) for file, content in shown[0]["data"]["metrics"].items() for key in content["data"]}
    assert 10 <= len(metrics) <= 30, sorted(metrics)
    assert not any(file.startswith(("details/", "metrics/stage1/", "metrics/stage4/")) for file, _ in metrics)


def test_plots_render_offline(pipeline_repo, tmp_path):
    run(["dvc", "plots", "show", "-o", str(tmp_path / "plots")], pipeline_repo)
    html = (tmp_path / "plots" / "index.html").read_text()
    assert "vegaEmbed" in html and "cdn.jsdelivr" not in html and "unpkg.com" not in html
    for title in ("Validation F1 per epoch", "Training loss per epoch", "by decision threshold", "precision-recall curve",
                  "Test confusion matrix", "Real data: Validation F1 per epoch"):  # real/dvc.yaml's plots too
        assert title in html, title
    curves = json.loads((pipeline_repo / "reports" / "training_curves.json").read_text())
    runs = {row["run"] for row in curves}
    assert {"stage1/roberta/fold-1", "stage2/r1-lr0.0003-bs32/fold-2", "stage4/41", "stage4/42", "stage4/43"} <= runs
    confusion = json.loads((pipeline_repo / "plots/test/plots/sklearn/confusion_matrix.json").read_text())
    assert {row["actual"] for row in confusion} == {"FP", "TP"} == {row["predicted"] for row in confusion}


def test_report_has_every_stage(pipeline_repo):
    report = (pipeline_repo / "reports" / "report.md").read_text()
    for heading in ("## Stage 1", "## Stage 2", "## Stage 3", "## Stage 4", "## Test"):
        assert heading in report
    assert "GLITCH as-is" in report


def test_candidate_swap_to_local_hf_checkpoint_is_a_params_change(pipeline_repo, tmp_path):
    """A Hugging Face checkpoint folder (saved with save_pretrained) replaces a candidate by -S alone."""
    import shutil

    local = tmp_path / "local-roberta"
    shutil.copytree(pipeline_repo / "models" / "stage4" / "41", local)
    run(["dvc", "exp", "run", "--temp", "-n", "local-candidate", "stage1_select",
         "-S", f"stage1.candidates.roberta={local}"], pipeline_repo)
    table = run(["dvc", "exp", "show", "--csv"], pipeline_repo).stdout
    row = next(r for r in csv.DictReader(io.StringIO(table)) if r.get("Experiment") == "local-candidate")
    assert row["params.yaml:stage1.candidates.roberta"] == str(local)
    assert float(row["stage1_best_cv_f1"]) > 0.5


def test_flagged_line_alone_does_not_separate_the_test_split(pipeline_repo):
    """A rule that sees only the flagged line (majority label per line over train+val, else the
    smell's majority) stays under F1 0.9 on test, and >= 200 detections sit on a line that occurs
    with both labels: the label depends on context."""
    from collections import Counter, defaultdict

    from iacsieve.evaluation.metrics import filter_metrics

    def rows(split):
        return [json.loads(line) for line in (pipeline_repo / f"data/processed/{split}.jsonl").read_text().splitlines()]

    by_line, by_smell = defaultdict(Counter), defaultdict(Counter)
    for r in rows("train") + rows("val"):
        by_line[(r["smell"], r["content"])][r["label"]] += 1
        by_smell[r["smell"]][r["label"]] += 1

    def rule(r):
        counts = by_line.get((r["smell"], r["content"])) or by_smell[r["smell"]]
        return int(counts[1] >= counts[0])

    test = rows("test")
    assert filter_metrics([r["label"] for r in test], [rule(r) for r in test])["f1"] < 0.9
    everything = rows("train") + rows("val") + test
    labels_by_line = defaultdict(set)
    for r in everything:
        labels_by_line[r["content"]].add(r["label"])
    assert sum(len(labels_by_line[r["content"]]) == 2 for r in everything) >= 200


def test_champion_beats_every_baseline_and_report_says_whether_it_is_conclusive(pipeline_repo):
    baselines = json.loads((pipeline_repo / "details" / "baselines.json").read_text())
    test = json.loads((pipeline_repo / "details" / "test.json").read_text())
    assert set(baselines) == {"glitch_as_is", "keyword_rule", "tfidf_logreg"}
    assert baselines["glitch_as_is"]["test"]["all"]["f1"] == pytest.approx(test["glitch_as_is"]["f1"])
    for name, baseline in baselines.items():
        assert test["all"]["f1"] > baseline["test"]["all"]["f1"], name
        assert set(baseline["test"]) >= {"all", "ansible", "chef", "puppet"}
    report = (pipeline_repo / "reports" / "report.md").read_text()
    assert "## Baselines" in report and "Best baseline:" in report


def test_ablation_rows_decide_like_the_champion(pipeline_repo):
    """The ablation's champion row reproduces evaluate_test exactly (same stacker, threshold and scores,
    fitted on out-of-fold scores), its TF-IDF row is the baseline, and every family has both rows."""
    ablation = json.loads((pipeline_repo / "details" / "ablation.json").read_text())
    test = json.loads((pipeline_repo / "details" / "test.json").read_text())
    baselines = json.loads((pipeline_repo / "details" / "baselines.json").read_text())
    threshold = json.loads((pipeline_repo / "details" / "threshold.json").read_text())
    rows = {row["name"]: row for row in ablation["rows"]}
    (champion,) = [row for row in ablation["rows"] if row["champion"]]
    assert champion["name"] == threshold["entry"] and champion["threshold"] == test["threshold"]
    assert champion["test"]["all"]["f1"] == test["all"]["f1"] and champion["stacker"] == threshold["stacker"]
    assert rows["tfidf"]["test"]["all"] == baselines["tfidf_logreg"]["test"]["all"]
    stage1 = json.loads((pipeline_repo / "selected" / "stage1.json").read_text())
    for entry in (row["entry"] for row in stage1["runs"]):
        assert entry in rows and 0.30 <= rows[entry]["threshold"] <= 0.70
        assert rows[entry]["cv_f1_mean"] is not None and rows[entry]["test"]["all"]["f1_ci95"][0] <= rows[entry]["test"]["all"]["f1"]
    report = (pipeline_repo / "reports" / "report.md").read_text()
    assert "## Ablation on the test repositories" in report and f"**{champion['name']}** (champion)" in report
