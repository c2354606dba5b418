"""How deep a MiniLM the filter needs: repository-grouped CV F1 of MiniLM cut to its first N layers (alone
and stacked with TF-IDF + LR) against the int8 ONNX scoring time of each depth, in one run.

Each depth keeps the pipeline's recipe otherwise: the real pipeline's Stage-1 `minilm` settings
(`real/params.yaml`: learning rate, batch, epochs, bf16), the top 2 layers + head tuned on cached outputs
of the frozen layers below them, judged exactly as Stage 1 judges a candidate (`run_cross_validation`:
`cv.folds` folds over train + val, the same folds, the stacker cross-fitted on out-of-fold scores). The
test split is never read. Scoring time: the cut model (untrained head; time does not depend on the
weights) exported as the champion is (first-token graph, int8 MatMuls), scoring the first 75 val
texts with `OnnxScorer` (best of 5, warm, `filter.threads` threads).

Needs the real pipeline's split (`make repro-real`, or `cd real && dvc repro split`) and the fetched
model (`make install`). On 2 CPU cores the default run (depths 6, 4, 3) takes about 15 minutes.

    python bench/minilm_depth.py [--depths 6:4,4:2,3:1] [--out DIR]

`--depths` lists `layers:frozen` pairs. Prints the table; a run of the default depths writes `--out`
(default `bench/results/minilm_depth/`, replaced whole): `table.md` and `results.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "results" / "minilm_depth"
DEFAULT_DEPTHS = "6:4,4:2,3:1"
SCORED_TEXTS = 75


def parse_depths(spec: str) -> list[tuple[int, int]]:
    """``"6:4,4:2"`` -> [(6, 4), (4, 2)]: (layers kept, layers frozen), frozen < layers."""
    depths = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        layers, _, frozen = item.partition(":")
        if not (layers.isdigit() and frozen.isdigit() and 0 < int(frozen) < int(layers)):
            raise ValueError(f"--depths: {item!r} is not layers:frozen with 0 < frozen < layers")
        depths.append((int(layers), int(frozen)))
    return depths


def scoring_seconds(base_model: str, layers: int, texts: list[str], max_length: int, threads: int, work: Path) -> float:
    """Best of 5 warm ``OnnxScorer.predict_proba`` calls on ``texts`` with the int8 graph of MiniLM cut to
    ``layers`` layers, exported and quantized as ``champion_freeze`` does (no smoothing)."""
    from iacsieve.champion import write_checksums
    from iacsieve.filtering.onnx_scorer import OnnxScorer
    from iacsieve.models.loading import load_candidate
    from iacsieve.selection.onnx_export import export_onnx, quantize_int8

    folder = work / f"onnx-{layers}"
    folder.mkdir()
    model, tokenizer = load_candidate(base_model, layers=layers)
    model.eval()
    tokenizer.save_pretrained(folder)
    export_onnx(model, tokenizer, folder / "fp32.onnx", opset=17, max_length=max_length)
    quantize_int8(folder / "fp32.onnx", folder / "model.onnx")
    (folder / "fp32.onnx").unlink()
    write_checksums(folder)
    scorer = OnnxScorer(folder, max_length=max_length, threads=threads)
    scorer.predict_proba(texts)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        scorer.predict_proba(texts)
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--depths", default=DEFAULT_DEPTHS, help="comma-separated layers:frozen pairs")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"results folder (default for the default depths: {DEFAULT_OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    try:
        depths = parse_depths(args.depths)
    except ValueError as error:
        print(f"minilm_depth: {error}", file=sys.stderr)
        return 2
    out = args.out.resolve() if args.out else DEFAULT_OUT if args.depths == DEFAULT_DEPTHS else None
    real = ROOT / "real"

    from iacsieve import paths
    from iacsieve.data.records import read_jsonl
    from iacsieve.errors import IacsieveError
    from iacsieve.models.inputs import model_text
    from iacsieve.params import load_params
    from iacsieve.training.stages import base_config, run_cross_validation

    os.chdir(real)  # the real pipeline's params, split and model path, as its stages see them
    try:
        params = load_params()
        base = base_config(params, "minilm")
        val = read_jsonl(paths.split_file("val"))
    except (IacsieveError, FileNotFoundError) as error:
        print(f"minilm_depth: {error} (run `make repro-real` or `cd real && dvc repro split` first)", file=sys.stderr)
        return 2
    base = replace(base, model=str(Path(base.model).resolve()) if Path(base.model).is_dir() else base.model)
    texts = [model_text(r) for r in val[:SCORED_TEXTS]]
    rows = []
    with tempfile.TemporaryDirectory(prefix="minilm-depth-") as tmp:
        work = Path(tmp)
        # A working folder of its own (CV runs write models/, metrics/ there) that reads real/'s split.
        (work / "data").symlink_to(real / "data")
        os.chdir(work)
        for layers, frozen in depths:
            config = replace(base, layers=layers, frozen_layers=frozen)
            start = time.perf_counter()
            result = run_cross_validation(params, config, "depth", f"{layers}-{frozen}", "minilm")
            seconds = time.perf_counter() - start
            entries = json.loads((paths.MODELS / "depth" / f"{layers}-{frozen}" / "iacsieve_run.json")
                                 .read_text(encoding="utf-8"))["cv"]["entries"]
            scoring = scoring_seconds(base.model, layers, texts, base.max_length, params.filter.threads, work)
            rows.append({"layers": layers, "frozen_layers": frozen, "cv_seconds": round(seconds, 1),
                         "scoring_seconds": round(scoring, 3), "entries": entries})
            print(f"  {layers} layers ({frozen} frozen): CV {seconds:.0f} s, scoring {scoring:.2f} s, {result}", flush=True)
    lines = [f"| MiniLM layers (frozen) | CV F1 alone | CV F1 stacked with TF-IDF | CV s ({params.cv.folds} folds) | "
             f"int8 scoring of {SCORED_TEXTS} texts, s |", "|---|---|---|---|---|"]
    for row in rows:
        alone, hybrid = row["entries"]["minilm"], row["entries"].get("minilm+tfidf")
        lines.append(f"| {row['layers']} ({row['frozen_layers']}) | {alone['cv_f1_mean']:.3f} ± {alone['cv_f1_sd']:.3f} | "
                     + (f"{hybrid['cv_f1_mean']:.3f} ± {hybrid['cv_f1_sd']:.3f}" if hybrid else "–")
                     + f" | {row['cv_seconds']:.0f} | {row['scoring_seconds']:.2f} |")
    tfidf = rows[0]["entries"].get("tfidf") if rows else None
    if tfidf:
        lines.append(f"| TF-IDF + LR (same folds) | {tfidf['cv_f1_mean']:.3f} ± {tfidf['cv_f1_sd']:.3f} | – | – | – |")
    table = "\n".join(lines) + "\n"
    print("\n" + table, end="")
    if out is not None:
        from bench_record import machine, write_record

        results = {
            "settings": {"depths": depths, "cv": params.cv.model_dump(), "learning_rate": base.learning_rate,
                         "epochs": base.epochs, "batch_size": base.batch_size, "bf16": base.bf16,
                         "threads": params.filter.threads, "scored_texts": SCORED_TEXTS},
            "machine": machine(("torch", "transformers", "onnxruntime")),
            "depths": rows,
        }
        write_record(out, table, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
