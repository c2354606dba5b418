"""The ``report`` stage: reports/report.md, tables of every stage's runs and the test metrics."""

from __future__ import annotations

import json
from pathlib import Path

from iacsieve import paths
from iacsieve.atomic import atomic_write_json, atomic_write_text
from iacsieve.evaluation.tables import (
    BASELINE_LABELS,
    ablation_table,
    markdown_table,
    per_group_f1_table,
    test_results_table,
)
from iacsieve.live import train_seconds
from iacsieve.params import Params
from iacsieve.smells import TECHS

#: dvclive histories of a run, relative to its folder under metrics/: column name -> (file, column in it).
_HISTORIES = {"val_f1": ("plots/metrics/eval/f1.tsv", "f1"), "train_loss": ("plots/metrics/train/loss.tsv", "loss")}


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def cv_seconds(run: str) -> float:
    """Training seconds of a CV run: the sum over its folds (0 when none were logged)."""
    return train_seconds(paths.METRICS / run) or 0.0


def runs_table(runs: list[dict]) -> str:
    """A table of CV entries: run, entry, lr, batch, mean ± sd F1 over folds, pooled F1, training seconds."""
    rows = [[r["run"], r["entry"], r["model"], r["learning_rate"], r["batch_size"],
             f"{r['cv_f1_mean']:.4f} ± {r['cv_f1_sd']:.4f}", r["cv_f1_pooled"], cv_seconds(r["run"])] for r in runs]
    return markdown_table(["run", "entry", "model", "lr", "batch", "CV F1 mean ± sd", "pooled CV F1",
                           "train s (all folds)"], rows)


def threshold_curve_table(every: int = 5) -> str:
    """Every ``every``-th point of the validation threshold sweep (precision, recall, F1)."""
    points = json.loads(paths.THRESHOLD_CURVE.read_text(encoding="utf-8"))
    rows = [[p["threshold"], p["precision"], p["recall"], p["f1"]] for i, p in enumerate(points) if i % every == 0]
    return markdown_table(["threshold", "val precision", "val recall", "val F1"], rows)


def baselines_table(baselines: dict, test: dict) -> str:
    """Val F1 and test F1 / FP reduction with 95 % CIs of each baseline beside the champion."""
    def ci(values: list[float]) -> str:
        return f"[{values[0]:.3f}, {values[1]:.3f}]"

    rows = [[BASELINE_LABELS.get(name, name), b["val"]["f1"], b["test"]["all"]["f1"], ci(b["test"]["all"]["f1_ci95"]),
             b["test"]["all"]["fp_reduction"], ci(b["test"]["all"]["fp_reduction_ci95"])]
            for name, b in baselines.items()]
    champion = test["all"]
    rows.append(["**champion**", None, champion["f1"], ci(champion["f1_ci95"]), champion["fp_reduction"],
                 ci(champion["fp_reduction_ci95"])])
    return (markdown_table(["filter", "val F1", "test F1", "F1 95% CI", "FP reduction", "FP red. 95% CI"], rows)
            + "\n\nTest F1 (95 % CI) per technology and smell:\n\n" + per_group_f1_table(test, baselines))


def errors_table(test: dict) -> str:
    """The champion's test errors per smell and shape of detection (evaluation.errors)."""
    rows = [[e["smell"], e["shape"], e["n"], e["missed_tp"], e["kept_fp"]] for e in test.get("errors", [])]
    return markdown_table(["smell", "shape", "test detections", "missed TP", "kept FP"], rows)


def transfer_section() -> str:
    """The sample champion scored on the whole labelled corpus (stage `transfer`), when that stage ran."""
    if not paths.TRANSFER_DETAILS.is_file():
        return ""
    t = _load(paths.TRANSFER_DETAILS)
    return f"""## Transfer: the sample-trained champion on the whole corpus (stage `transfer`)
`{t["champion"]}` (trained only on the generated sample), threshold {t["threshold"]:.2f}, scored on all
{t["detail"]["all"]["n"]} corpus detections: F1 **{t["f1"]:.4f}** (95 % CI [{t["detail"]["all"]["f1_ci95"][0]:.3f},
{t["detail"]["all"]["f1_ci95"][1]:.3f}]), precision {t["precision"]:.4f}, recall {t["recall"]:.4f}; GLITCH as-is
F1 {t["glitch_as_is_f1"]:.4f} on the same records ({t["f1_gain_over_as_is"]:+.4f}).

"""


def reference_line(stage1: dict) -> str:
    """TF-IDF + LR's CV F1 on the same folds, as Stage 1 recorded it."""
    reference = stage1.get("reference") or []
    if not reference:
        return "not scored (cv.stack_lexical: false)."
    r = reference[0]
    return f"CV F1 {r['cv_f1_mean']:.4f} ± {r['cv_f1_sd']:.4f} (pooled {r['cv_f1_pooled']:.4f})."


def skipped_line(stage1: dict) -> str:
    """The candidates Stage 1 could not run here, and why."""
    skipped = stage1.get("skipped") or {}
    return "".join(f"\n\nSkipped: `{name}`: {why}" for name, why in skipped.items())


def corpora_section(test: dict) -> str:
    """The champion on each added corpus's test detections (a team's own code), when corpora were merged."""
    groups = {name.removeprefix("corpus:"): g for name, g in test.items() if name.startswith("corpus:")}
    if not groups:
        return ""
    rows = [[link, "held out: test only (labels not trained on)" if g["held_out"] else "merged: trained on",
             g["n"], f"{g['f1']:.4f}", f"[{g['f1_ci95'][0]:.3f}, {g['f1_ci95'][1]:.3f}]", f"{g['glitch_as_is_f1']:.4f}"]
            for link, g in sorted(groups.items())]
    return f"""## Added corpora: the champion on each one's test detections
{markdown_table(["corpus", "role", "test detections", "F1", "95 % CI", "GLITCH as-is F1"], rows)}

A held-out corpus shows the filter on that code before its labels are used; merge it (drop `held_out`) or hold
out another of the team's corpora to see it after.

"""


def lead_statement(baselines: dict, test: dict) -> str:
    """Whether the champion's test F1 lead over the best baseline lies outside the baseline's 95 % CI."""
    best_name, best = max(baselines.items(), key=lambda item: item[1]["test"]["all"]["f1"])
    champion_f1 = test["all"]["f1"]
    lead = champion_f1 - best["test"]["all"]["f1"]
    low, high = best["test"]["all"]["f1_ci95"]
    champion_low = test["all"]["f1_ci95"][0]
    if lead <= 0:
        verdict = "The champion does **not** beat it on test F1."
    elif champion_f1 > high and champion_low > best["test"]["all"]["f1"]:
        verdict = "The lead is outside both 95 % bootstrap intervals."
    else:
        verdict = "The lead is within the 95 % bootstrap intervals: on this test set it is not conclusive."
    return (f"Best baseline: {BASELINE_LABELS.get(best_name, best_name)}, test F1 {best['test']['all']['f1']:.4f} "
            f"(95 % CI [{low:.3f}, {high:.3f}]); champion {champion_f1:.4f}, lead {lead:+.4f}. {verdict}")


def training_curves(runs: list[str]) -> list[dict]:
    """One row per run and epoch (``run``, ``epoch`` from 1, ``val_f1``, ``train_loss``) from the runs' dvclive
    histories under metrics/<run>/, in the order of ``runs``; a run without histories contributes nothing."""
    import pandas as pd

    frames = []
    for run in runs:
        folder = paths.METRICS / run
        if not all((folder / file).is_file() for file, _ in _HISTORIES.values()):
            continue
        columns = [pd.read_csv(folder / file, sep="\t").set_index("step")[column].rename(name)
                   for name, (file, column) in _HISTORIES.items()]
        frame = pd.concat(columns, axis=1).reset_index()
        frames.append(frame.assign(run=run, epoch=frame["step"] + 1)[["run", "epoch", *_HISTORIES]])
    if not frames:
        return []
    return pd.concat(frames).astype(object).where(lambda f: f.notna(), None).to_dict(orient="records")


def active_learning_section() -> str:
    """The active-learning benchmark's table, as committed (``bench/results/active_learning/table.md``)."""
    table = paths.from_project(paths.ACTIVE_LEARNING_TABLE)
    head = ("## Does active learning pay? (`python bench/active_learning.py`, on the real corpus)\n"
            "A team simulated on the labelled corpus: a group of repositories held out, its detections labelled "
            "in batches chosen by `iacsieve label`'s uncertainty order or at random, the TF-IDF + LR half of "
            "the filter retrained and scored on the group's other repositories (README: *Does active "
            "learning pay?*).\n\n")
    if not table.is_file():
        return head + "Not measured here: run `python bench/active_learning.py`.\n"
    return head + table.read_text(encoding="utf-8").strip() + "\n"


def run_report(params: Params) -> dict:
    """Write reports/report.md from the outputs of every stage."""
    data = _load(paths.DATA_DETAILS)
    stage1 = _load(paths.STAGE1_SELECTION)
    stage2 = _load(paths.STAGE2_SELECTION)
    threshold = _load(paths.THRESHOLD_DETAILS)
    champion = _load(paths.CHAMPION_DETAILS)
    test = _load(paths.TEST_DETAILS)
    baselines = _load(paths.BASELINE_DETAILS)
    glitch = test["glitch_as_is"]
    seeds = [[s, champion[f"val_f1_seed_{s}"], "champion" if s == champion["champion_seed"] else ""]
             for s in params.stage4.seeds]
    data_rows = [[name, s["records"], s["repositories"], s["files"], s["tp_share"],
                  *[s["by_tech"].get(t, 0) for t in TECHS]] for name, s in data.items() if name != "held_out"]
    text = f"""# iacsieve report

Generated by `dvc repro` (stage `report`) on data source `{params.data.source}`. Every choice below
was made on train + val ({params.cv.folds}-fold repository-grouped cross-validation, then the validation
split for the seed); only the test tables use the held-out test repositories.

## Data (split by repository: no repository, file or file content in two splits)
{markdown_table(["split", "detections", "repositories", "files", "TP share", *TECHS], data_rows)}

{transfer_section()}
## Stage 1: broad candidates (argmax mean CV F1; top {params.stage1.top_k} passed on: {", ".join(stage1["top"])})
Each candidate alone and, with `cv.stack_lexical`, stacked with TF-IDF + LR (`+tfidf`: a logistic
regression on the two out-of-fold scores, cross-fitted). TF-IDF + LR alone, for reference:
{reference_line(stage1)}{skipped_line(stage1)}

{runs_table(stage1["runs"])}

## Stage 2: learning rate x batch size for the top entries (best: {stage2["best"]["run"]}, {stage2["best"]["entry"]})
{runs_table(stage2["runs"])}

## Stage 3: threshold swept {params.threshold.min:.2f}–{params.threshold.max:.2f} step {params.threshold.step} on pooled out-of-fold scores
Frozen threshold **{threshold["threshold"]:.2f}** for `{threshold["entry"]}`: out-of-fold precision
{threshold["val_precision"]:.4f}, recall {threshold["val_recall"]:.4f}, F1 {threshold["val_f1"]:.4f} (F1 at 0.5:
{threshold["val_f1_at_0.5"]:.4f}).

{threshold_curve_table()}

Interactive plots: `dvc plots show` (val F1 and training loss per epoch of every run, threshold vs
precision/recall/F1, PR curve, test confusion matrix).

## Stage 4: seeds at the frozen threshold (median val F1 is frozen)
{markdown_table(["seed", "val F1", ""], seeds)}

Spread of val F1 across seeds: min {champion["val_f1_min"]:.4f}, median {champion["val_f1_median"]:.4f},
max {champion["val_f1_max"]:.4f}.

## Test (champion, threshold {test["threshold"]:.2f})
{test_results_table(test, baselines)}

GLITCH as-is (every detection kept) on the same test set: precision {glitch["precision"]:.4f},
F1 {glitch["f1"]:.4f}. The champion's test F1 is {test["all"]["f1"]:.4f}.

{corpora_section(test)}## Baselines (same splits, same metric code; stage `baselines`)
{baselines_table(baselines, test)}

{lead_statement(baselines, test)}

## Ablation on the test repositories (stage `ablation`)
Each Stage-1 family alone and stacked with TF-IDF + LR, each with the stacker and threshold fitted on its
pooled out-of-fold scores (never on test); the champion's family is its frozen Stage-4 encoder, the
others are trained once on train with their Stage-1 recipe. Test F1 [95 % CI]; CV F1 from Stages 1–2.

{ablation_table(_load(paths.ABLATION_DETAILS), _load(paths.ABLATION_EFFICIENCY))}

{active_learning_section()}
## Error analysis: what the champion gets wrong on test, by shape of detection
{errors_table(test)}
"""
    cv_runs = dict.fromkeys(r["run"] for r in stage1["runs"] + stage2["runs"])
    runs = [f"{run}/fold-{fold}" for run in cv_runs for fold in range(1, params.cv.folds + 1)]
    runs += [f"stage4/{seed}" for seed in params.stage4.seeds]
    atomic_write_json(paths.TRAINING_CURVES, training_curves(runs))
    atomic_write_text(paths.REPORT, text)
    return {"report": str(paths.REPORT)}
