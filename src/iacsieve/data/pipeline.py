"""The data stages of the pipeline: sample, preprocess, split."""

from __future__ import annotations

from pathlib import Path

from iacsieve import paths
from iacsieve.atomic import atomic_dir, atomic_write_json
from iacsieve.data.corpora import merge_corpora, read_manifest
from iacsieve.data.corpus import is_labelled_corpus, records_from_labelled_corpus
from iacsieve.data.preprocess import PreprocessResult, records_from_glitch, records_from_reference_jsonl
from iacsieve.data.records import read_jsonl, write_jsonl
from iacsieve.data.split import SPLITS, check_disjoint_splits, split_by_repository, split_statistics
from iacsieve.errors import IacsieveError
from iacsieve.params import Params
from iacsieve.smells import TECHS


def run_sample(params: Params) -> dict:
    """Generate the embedded sample corpus into data/raw/sample/ and return its statistics."""
    from iacsieve.data.sample import generate_sample

    assert params.sample is not None  # validated: data.source "sample" needs the section
    return generate_sample(paths.SAMPLE, params.sample)


def source_folder(params: Params) -> Path:
    """The folder of the input data: data/raw/sample for ``sample``, else ``data.source`` itself."""
    return paths.SAMPLE if params.data.source == "sample" else Path(params.data.source)


def read_source(params: Params) -> PreprocessResult:
    """Build labelled records from the data source.

    A source folder holds a labelled corpus of real GLITCH output (``detections.jsonl`` beside
    ``sources.tsv``; with the several corpora of ``corpora.json`` beside it, merged: see
    ``iacsieve.data.corpora``), GLITCH output (``glitch/*.csv``, paths relative to the folder, plus
    ``labels.csv``), or the reference research's JSONL files (``*.jsonl``).
    """
    folder = source_folder(params)
    if not folder.is_dir():
        raise IacsieveError(f"params.yaml: data.source: {folder} is not a folder")
    pre = params.preprocess
    if is_labelled_corpus(folder):
        links = read_manifest(folder.parent)
        held_out = {c.link for c in params.data.corpora if c.held_out}
        if links is not None and folder.name == links[0] and (len(links) > 1 or held_out):
            return merge_corpora(folder.parent, links, held_out, pre.context_lines, pre.max_line_chars,
                                 pre.neighbour_chars)
        return records_from_labelled_corpus(folder, pre.context_lines, pre.max_line_chars, pre.neighbour_chars)
    csvs = sorted((folder / "glitch").glob("*.csv"))
    jsonls = sorted(folder.glob("*.jsonl"))
    if csvs:
        labels = folder / "labels.csv"
        if not labels.is_file():
            raise IacsieveError(f"{labels}: label file missing (columns PATH,LINE,CODE,LABEL)")
        return records_from_glitch(
            csvs, folder, pre.context_lines, pre.max_line_chars, labels, params.data.tech,
            pre.neighbour_chars, params.data.repo_depth,
        )
    if jsonls:
        result = PreprocessResult()
        for jsonl in jsonls:
            part = records_from_reference_jsonl(jsonl, pre.max_line_chars, params.data.repo_depth)
            result.records.extend(part.records)
            result.skipped.update(part.skipped)
        return result
    raise IacsieveError(f"{folder}: no GLITCH CSVs under glitch/ and no reference *.jsonl files")


def run_preprocess(params: Params) -> dict:
    """Write data/interim/detections.jsonl and details/preprocess.json; return the summary."""
    result = read_source(params)
    if not result.records:
        raise IacsieveError(f"{source_folder(params)}: no detections of the four trained smells")
    summary = result.summary()
    write_jsonl(paths.DETECTIONS, sorted(result.records, key=lambda r: r["id"]))
    atomic_write_json(paths.PREPROCESS_DETAILS, summary)
    return summary


def run_split(params: Params) -> dict:
    """Write train/val/test JSONL (and test per technology) plus details/data.json.

    Records marked ``held_out`` (a held-out corpus) go to test only; records of other corpora with the same
    file content as a held-out one are dropped (counted in details/data.json under ``held_out``)."""
    records = read_jsonl(paths.DETECTIONS)
    unlabelled = next((r for r in records if r.get("label") not in (0, 1)), None)
    if unlabelled is not None:
        raise IacsieveError(f"{paths.DETECTIONS}: record {unlabelled.get('id')} has no TP/FP label")
    split = params.split
    held_out = [r for r in records if r.get("held_out")]
    dropped = 0
    if held_out:  # a held-out corpus: test only; records elsewhere with the same file content would leak it
        held_hashes = {r.get("content_hash") for r in held_out} - {None}
        rest = [r for r in records if not r.get("held_out")]
        records = [r for r in rest if r.get("content_hash") not in held_hashes]
        dropped = len(rest) - len(records)
    splits = split_by_repository(records, split.test_fraction, split.val_fraction, split.seed, split.same_split)
    if held_out:
        splits["test"] = splits["test"] + held_out
        check_disjoint_splits(splits)
    # data/processed is one DVC output: its files appear together or not at all.
    with atomic_dir(paths.PROCESSED) as staging:
        for name in SPLITS:
            write_jsonl(staging / paths.split_file(name).name, splits[name])
        for tech in TECHS:
            test_tech = [r for r in splits["test"] if r["tech"] == tech]
            write_jsonl(staging / paths.split_file(f"test_{tech}").name, test_tech)
    stats = split_statistics(splits)
    if held_out:
        stats["held_out"] = {"records": len(held_out), "dropped_same_content_elsewhere": dropped}
    atomic_write_json(paths.DATA_DETAILS, stats)
    return stats
