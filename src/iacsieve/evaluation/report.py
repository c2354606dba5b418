"""The ``report`` stage: reports/report.md, tables of every stage's runs and the test metrics."""

from __future__ import annotations

import json
from pathlib import Path

from iacsieve import paths
from iacsieve.atomic import atomic_write_text
from iacsieve.params import Params
from iacsieve.smells import TECHS, TRAINED_SMELLS



def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _table(header: list[str], rows: list[list]) -> str:
    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.1e}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def efficiency(run: str) -> dict:
    """A run's efficiency figures (train seconds, samples/s, peak memory), empty if absent."""
    metrics_file = paths.METRICS / run / paths.EFFICIENCY
    return _load(metrics_file) if metrics_file.is_file() else {}


def runs_table(runs: list[dict]) -> str:
    """A table of training runs: model, lr, batch, epochs run, val F1, train seconds, samples/s."""
    rows = []
    for r in runs:
        timing = efficiency(r["run"])
        rows.append([r["run"], r["model"], r["learning_rate"], r["batch_size"], r["epochs_run"], r["val_f1"],
                     timing.get("train_seconds"), timing.get("train_samples_per_second"), r["n_parameters"]])
    return _table(["run", "model", "lr", "batch", "epochs run", "val F1", "train s", "samples/s", "params"], rows)


def test_table(test: dict, groups: list[str]) -> str:
    """Test metrics per group with 95 % bootstrap CIs."""
    rows = []
    for group in groups:
        if group not in test:
            continue
        m = test[group]
        rows.append([group, m["n"], m["precision"], m["recall"], m["f1"],
                     f"[{m['f1_ci95'][0]:.3f}, {m['f1_ci95'][1]:.3f}]", m["fp_reduction"],
                     f"[{m['fp_reduction_ci95'][0]:.3f}, {m['fp_reduction_ci95'][1]:.3f}]", m["tp_retention"]])
    return _table(["test set", "n", "precision", "recall", "F1", "F1 95% CI", "FP reduction",
                   "FP red. 95% CI", "TP retention"], rows)




def threshold_curve_table(every: int = 5) -> str:
    """Every ``every``-th point of the validation threshold sweep (precision, recall, F1)."""
    points = json.loads(paths.THRESHOLD_CURVE.read_text(encoding="utf-8"))
    rows = [[p["threshold"], p["precision"], p["recall"], p["f1"]] for i, p in enumerate(points) if i % every == 0]
    return _table(["threshold", "val precision", "val recall", "val F1"], rows)


BASELINE_NAMES = {"glitch_as_is": "GLITCH as-is (keep all)", "keyword_rule": "keyword rule per smell",
                  "tfidf_logreg": "TF-IDF + logistic regression"}


def baselines_table(baselines: dict, test: dict) -> str:
    """Val F1 and test F1 / FP reduction with 95 % CIs of each baseline beside the champion."""
    def ci(values: list[float]) -> str:
        return f"[{values[0]:.3f}, {values[1]:.3f}]"

    rows = [[BASELINE_NAMES.get(name, name), b["val"]["f1"], b["test"]["all"]["f1"], ci(b["test"]["all"]["f1_ci95"]),
             b["test"]["all"]["fp_reduction"], ci(b["test"]["all"]["fp_reduction_ci95"])]
            for name, b in baselines.items()]
    champion = test["all"]
    rows.append(["**champion**", None, champion["f1"], ci(champion["f1_ci95"]), champion["fp_reduction"],
                 ci(champion["fp_reduction_ci95"])])
    return (_table(["filter", "val F1", "test F1", "F1 95% CI", "FP reduction", "FP red. 95% CI"], rows)
            + "\n\nTest F1 (95 % CI) per technology and smell:\n\n" + per_group_table(baselines, test))


def per_group_table(baselines: dict, test: dict) -> str:
    """Test F1 with its 95 % CI of each filter (rows) per technology and smell (columns)."""
    groups = [g for g in (*TECHS, *TRAINED_SMELLS) if g in test]

    def cell(m: dict | None) -> str:
        return "" if m is None else f"{m['f1']:.3f} [{m['f1_ci95'][0]:.2f}, {m['f1_ci95'][1]:.2f}]"

    rows = [[BASELINE_NAMES.get(name, name), *[cell(b["test"].get(g)) for g in groups]] for name, b in baselines.items()]
    rows.append(["**champion**", *[cell(test[g]) for g in groups]])
    counts = ["n", *[test[g]["n"] for g in groups]]
    return _table(["filter", *groups], [counts, *rows])


def errors_table(test: dict) -> str:
    """The champion's test errors per smell and shape of detection (evaluation.errors)."""
    rows = [[e["smell"], e["shape"], e["n"], e["missed_tp"], e["kept_fp"]] for e in test.get("errors", [])]
    return _table(["smell", "shape", "test detections", "missed TP", "kept FP"], rows)




def transfer_section() -> str:
    """The sample champion scored on the whole labelled corpus (stage `transfer`), when that stage ran."""
    if not paths.TRANSFER_METRICS.is_file():
        return ""
    t = _load(paths.TRANSFER_METRICS)
    return f"""## Transfer: the sample-trained champion on the whole corpus (stage `transfer`)
`{t["champion"]}` (trained only on the generated sample), threshold {t["threshold"]:.2f}, scored on all
{t["detail"]["all"]["n"]} corpus detections: F1 **{t["f1"]:.4f}** (95 % CI [{t["detail"]["all"]["f1_ci95"][0]:.3f},
{t["detail"]["all"]["f1_ci95"][1]:.3f}]), precision {t["precision"]:.4f}, recall {t["recall"]:.4f}; GLITCH as-is
F1 {t["glitch_as_is_f1"]:.4f} on the same records ({t["f1_gain_over_as_is"]:+.4f}).

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
    return (f"Best baseline: {BASELINE_NAMES.get(best_name, best_name)}, test F1 {best['test']['all']['f1']:.4f} "
            f"(95 % CI [{low:.3f}, {high:.3f}]); champion {champion_f1:.4f}, lead {lead:+.4f}. {verdict}")


def run_report(params: Params) -> dict:
    """Write reports/report.md from the outputs of every stage."""
    data = _load(paths.DATA_METRICS)
    stage1 = _load(paths.STAGE1_SELECTION)
    stage2 = _load(paths.STAGE2_SELECTION)
    stage3 = _load(paths.MODELS / "stage3" / paths.RUN_RECORD)
    threshold = _load(paths.THRESHOLD_METRICS)
    champion = _load(paths.CHAMPION_METRICS)
    test = _load(paths.TEST_METRICS)
    baselines = _load(paths.BASELINE_METRICS)
    glitch = test["glitch_as_is"]
    seeds = [[s, champion[f"val_f1_seed_{s}"], "champion" if s == champion["champion_seed"] else ""]
             for s in params.stage4.seeds]
    stage3_summary = stage3["summary"]
    data_rows = [[name, s["records"], s["repositories"], s["files"], s["tp_share"],
                  *[s["by_tech"].get(t, 0) for t in TECHS]] for name, s in data.items()]
    text = f"""# iacsieve report

Generated by `dvc repro` (stage `report`) on data source `{params.data.source}`. Every choice below
was made on the validation split; only the test tables use the held-out test repositories.

## Data (split by repository: no repository, file or file content in two splits)
{_table(["split", "detections", "repositories", "files", "TP share", *TECHS], data_rows)}

{transfer_section()}
## Stage 1: broad candidates (argmax val F1; top {params.stage1.top_k} passed on: {", ".join(stage1["top"])})
{runs_table(stage1["runs"])}

## Stage 2: learning rate x batch size for the top families (best: {stage2["best"]["run"]})
{runs_table(stage2["runs"])}

## Stage 3: best config retrained, threshold swept {params.threshold.min:.2f}–{params.threshold.max:.2f} step {params.threshold.step}
Stage-3 run: {stage3["config"]["model"]}, lr {stage3["config"]["learning_rate"]}, batch {stage3["config"]["batch_size"]},
{stage3_summary.get("epochs_run")} epochs, {efficiency("stage3").get("train_seconds", 0):.1f} s, val F1 (argmax) {stage3_summary["val_f1"]:.4f}.

Frozen threshold **{threshold["threshold"]:.2f}**: val precision {threshold["val_precision"]:.4f}, recall
{threshold["val_recall"]:.4f}, F1 {threshold["val_f1"]:.4f} (F1 at 0.5: {threshold["val_f1_at_0.5"]:.4f}).

{threshold_curve_table()}

Interactive plots: `dvc plots show` (threshold vs precision/recall/F1, PR curve).

## Stage 4: seeds at the frozen threshold (median val F1 is frozen)
{_table(["seed", "val F1", ""], seeds)}

Spread of val F1 across seeds: min {champion["val_f1_min"]:.4f}, median {champion["val_f1_median"]:.4f},
max {champion["val_f1_max"]:.4f}.

## Test (champion, threshold {test["threshold"]:.2f})
{test_table(test, ["all", *TECHS, *TRAINED_SMELLS])}

GLITCH as-is (every detection kept) on the same test set: precision {glitch["precision"]:.4f},
F1 {glitch["f1"]:.4f}. The champion's test F1 is {test["all"]["f1"]:.4f}.

## Baselines (same splits, same metric code; stage `baselines`)
{baselines_table(baselines, test)}

{lead_statement(baselines, test)}

## Error analysis: what the champion gets wrong on test, by shape of detection
{errors_table(test)}
"""
    atomic_write_text(paths.REPORT, text)
    return {"report": str(paths.REPORT)}
