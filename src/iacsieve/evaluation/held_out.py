"""The ``evaluate_test`` stage: the frozen champion on the held-out test repositories."""

from __future__ import annotations

from iacsieve import paths
from iacsieve.atomic import atomic_write_json
from iacsieve.data.records import read_jsonl
from iacsieve.evaluation.bootstrap import bootstrap_intervals
from iacsieve.evaluation.errors import error_shapes
from iacsieve.evaluation.metrics import apply_threshold, filter_metrics, headline
from iacsieve.live import plots_logger
from iacsieve.params import Params
from iacsieve.smells import TECHS, TRAINED_SMELLS

#: Confusion-matrix classes: the GLITCH label (actual) and the champion's verdict (predicted: keep = TP).
CLASS_NAMES = ("FP", "TP")


def scored_groups(records: list[dict], kept: list[int], evaluate: Params) -> dict:
    """Metrics (with bootstrap CIs) on all records, per technology, per smell and, where several corpora
    were merged, per added corpus (``corpus:<link>``, with ``held_out`` and GLITCH as-is F1)."""
    groups = {"all": list(range(len(records)))}
    groups |= {tech: [i for i, r in enumerate(records) if r["tech"] == tech] for tech in TECHS}
    groups |= {smell: [i for i, r in enumerate(records) if r["smell"] == smell] for smell in TRAINED_SMELLS}
    corpora = sorted({r["corpus"] for r in records if r.get("corpus")})  # merged corpora (iacsieve.data.corpora)
    groups |= {f"corpus:{c}": [i for i, r in enumerate(records) if r.get("corpus") == c] for c in corpora}
    result = {}
    for name, index in groups.items():
        if not index:
            continue
        labels = [records[i]["label"] for i in index]
        verdicts = [kept[i] for i in index]
        scores = filter_metrics(labels, verdicts)
        intervals = bootstrap_intervals(labels, verdicts, evaluate.bootstrap_resamples, evaluate.bootstrap_seed)
        scores["f1_ci95"] = intervals["f1"]
        scores["fp_reduction_ci95"] = intervals["fp_reduction"]
        if name.startswith("corpus:"):
            scores["held_out"] = bool(records[index[0]].get("held_out"))
            scores["glitch_as_is_f1"] = filter_metrics(labels, [1] * len(labels))["f1"]
        result[name] = scores
    return result


def run_evaluate_test(params: Params) -> dict:
    """Score the champion with its frozen threshold on the test split.

    Writes details/test.json (every group with CIs, GLITCH as-is, error shapes), metrics/test.json (test F1,
    precision, recall, FP reduction, GLITCH as-is F1) and the confusion matrix labelled FP/TP.
    """
    from iacsieve.filtering.filter import Filter

    champion = Filter.from_pretrained(paths.CHAMPION, batch_size=params.train.eval_batch_size, backend="torch")
    meta = champion.meta
    records = read_jsonl(paths.split_file("test"))
    probabilities = champion.score_records(records, progress=False)
    kept = apply_threshold(probabilities, meta["threshold"]).tolist()
    result = {"threshold": meta["threshold"], **scored_groups(records, kept, params.evaluate)}
    labels = [r["label"] for r in records]
    result["glitch_as_is"] = filter_metrics(labels, [1] * len(labels))
    result["errors"] = error_shapes(records, kept)
    with plots_logger(paths.TEST_PLOTS) as live:
        live.log_sklearn_plot("confusion_matrix", [CLASS_NAMES[y] for y in labels], [CLASS_NAMES[k] for k in kept],
                              name="confusion_matrix")
    atomic_write_json(paths.TEST_DETAILS, result)
    overall = result["all"]
    metrics = {
        "test_f1": overall["f1"],
        "test_precision": overall["precision"],
        "test_recall": overall["recall"],
        "test_fp_reduction": overall["fp_reduction"],
        "as_is_test_f1": result["glitch_as_is"]["f1"],
    }
    atomic_write_json(paths.TEST_METRICS, headline(metrics, params.metrics.prefix))
    return metrics
