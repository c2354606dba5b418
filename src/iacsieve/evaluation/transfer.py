"""The ``transfer`` stage: a champion trained elsewhere (the embedded sample's) scored on a whole labelled corpus.

It measures how well what the generated sample teaches carries over to real GLITCH output, before
anything is trained on the real data. The corpus records are built with the champion's own context
settings, so the champion reads them exactly as it read its training data.
"""

from __future__ import annotations

from pathlib import Path

from iacsieve import paths
from iacsieve.atomic import atomic_write_json
from iacsieve.data.corpus import records_from_labelled_corpus
from iacsieve.data.pipeline import source_folder
from iacsieve.evaluation.held_out import scored_groups
from iacsieve.evaluation.metrics import apply_threshold, filter_metrics, headline
from iacsieve.errors import IacsieveError
from iacsieve.params import Params


def run_transfer(params: Params) -> dict:
    """Score ``transfer.champion`` on every record of the corpus in ``data.source``.

    details/transfer.json holds the champion's F1, precision and recall at its frozen threshold, the F1
    of GLITCH as-is (keeping every detection) on the same records, and per technology and smell with
    bootstrap CIs below them; metrics/transfer.json the two F1 figures.
    """
    from iacsieve.filtering.filter import Filter

    if params.transfer is None:
        raise IacsieveError("params.yaml: section 'transfer' (champion: <folder>) is needed by this stage")
    champion = Filter.from_pretrained(Path(params.transfer.champion))
    meta = champion.meta
    records = records_from_labelled_corpus(
        source_folder(params), meta["context_lines"], meta["max_line_chars"], meta.get("neighbour_chars")
    ).records
    kept = apply_threshold(champion.score_records(records, progress=False), champion.threshold).tolist()
    labels = [r["label"] for r in records]
    overall = filter_metrics(labels, kept)
    as_is = filter_metrics(labels, [1] * len(labels))
    result = {
        "f1": overall["f1"],
        "precision": overall["precision"],
        "recall": overall["recall"],
        "glitch_as_is_f1": as_is["f1"],
        "f1_gain_over_as_is": overall["f1"] - as_is["f1"],
        "champion": params.transfer.champion,
        "threshold": champion.threshold,
        "detail": scored_groups(records, kept, params.evaluate),
    }
    atomic_write_json(paths.TRANSFER_DETAILS, result)
    metrics = {"transfer_f1": result["f1"], "transfer_as_is_f1": result["glitch_as_is_f1"]}
    atomic_write_json(paths.TRANSFER_METRICS, headline(metrics, params.metrics.prefix))
    return {key: round(result[key], 4) for key in ("f1", "precision", "recall", "glitch_as_is_f1")}
