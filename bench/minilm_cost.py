"""MiniLM's cost against its quality on the real corpus: seconds per epoch and F1 of each fine-tuning recipe,
measured in one run against the reference recipe (the whole model fine-tuned, fp32).

Recipes (all from all-MiniLM-L6-v2, the real pipeline's split, input and Stage-1 settings from
`real/params.yaml`; one seed; `--epochs` epochs, no early stopping; seconds include the frozen recipes' one caching pass):

- `full-fp32`: the reference: every layer tuned, fp32;
- `full-bf16`: every layer tuned, bf16 autocast;
- `frozen-4`: embeddings + lower 4 layers frozen and their outputs cached once, top 2 + head tuned in bf16
  (the pipeline's recipe until the MiniLM candidate was cut to 4 layers);
- `frozen-5`: the same with only the top layer tuned;
- `cut4-frozen2`: MiniLM cut to its first 4 layers, the lower 2 frozen and cached, the top 2 + head tuned in
  bf16 (the pipeline's recipe since the filter-speed work: the same tuned layers' cost, a cheaper ONNX graph);
- TF-IDF + LR on the same input, for scale.

Each recipe's threshold is swept on val; val F1 and test F1 are printed (test is read for this table only,
nothing is chosen on it), with the seconds per epoch and the ratio to the reference. Needs the real
pipeline's split (`make repro-real`, or `cd real && dvc repro split`) and the fetched model
(`make install`). On 2 CPU cores the default run takes about 17 minutes; `--recipes frozen-4,cut4-frozen2`
or `--limit 400` for a quick look.

Prints the table and writes `--out` (default `bench/results/minilm_cost/`, replaced whole, atomically):
`table.md` and `results.json` (every figure, the settings and the library versions). A run with `--limit`
or fewer recipes writes nowhere unless `--out` is given, so a quick look never replaces the full run's record.

    python bench/minilm_cost.py [--recipes full-fp32,full-bf16,frozen-4,frozen-5,cut4-frozen2] [--epochs 3] [--limit N] [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

RECIPES = {
    "full-fp32": {"layers": None, "frozen_layers": 0, "bf16": False},
    "full-bf16": {"layers": None, "frozen_layers": 0, "bf16": True},
    "frozen-4": {"layers": None, "frozen_layers": 4, "bf16": True},
    "frozen-5": {"layers": None, "frozen_layers": 5, "bf16": True},
    "cut4-frozen2": {"layers": 4, "frozen_layers": 2, "bf16": True},
}
REFERENCE = "full-fp32"
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "results" / "minilm_cost"
#: Learning rates: the issue's measured full fine-tuning (5e-5), the pipeline's for the frozen recipes.
LEARNING_RATES = {"full-fp32": 5e-5, "full-bf16": 5e-5, "frozen-4": 3e-4, "frozen-5": 3e-4, "cut4-frozen2": 3e-4}


def sweep_f1(labels, scores, threshold_grid) -> tuple[float, float]:
    """(threshold, F1) maximising F1 of ``scores`` on ``labels`` over the params' threshold grid."""
    from iacsieve.evaluation.threshold import sweep_thresholds

    threshold, rows = sweep_thresholds(labels, list(scores), threshold_grid.min, threshold_grid.max, threshold_grid.step)
    return threshold, next(r["f1"] for r in rows if r["threshold"] == threshold)


def f1_at(labels, scores, threshold: float) -> float:
    from iacsieve.evaluation.metrics import apply_threshold, filter_metrics

    return filter_metrics(labels, apply_threshold(scores, threshold).tolist())["f1"]


def run_recipe(name: str, params, split: dict, epochs: int, work: Path) -> dict:
    """Train one recipe on train (val scored each epoch), then score val and test; seconds and F1."""
    from iacsieve.models.predict import load_classifier, predict_proba
    from iacsieve.models.inputs import model_text
    from iacsieve.training.frozen_prefix import train_frozen_prefix
    from iacsieve.training.run import train_run
    from iacsieve.training.stages import base_config

    config = replace(base_config(params, "minilm"), epochs=epochs, patience=epochs + 1,
                     learning_rate=LEARNING_RATES[name], **RECIPES[name])
    out = work / name
    start = time.perf_counter()
    if config.frozen_layers:
        train_frozen_prefix(config, split["train"], split["val"], out / "model", out / "live",
                            run_info={"run": name, "candidate": "minilm"}, select_best=False)
    else:
        train_run(config, split["train"], split["val"], out / "model", out / "checkpoints", out / "live",
                  run_info={"run": name, "candidate": "minilm"}, select_best=False)
    seconds = time.perf_counter() - start
    model, tokenizer = load_classifier(out / "model")
    scores = {part: predict_proba(model, tokenizer, [model_text(r) for r in split[part]],
                                  batch_size=config.eval_batch_size, max_length=config.max_length)
              for part in ("val", "test")}
    return {"seconds": seconds, "scores": scores}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipes", default=",".join(RECIPES), help="comma-separated, from " + ", ".join(RECIPES))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N train records only")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"results folder (default for a full run: {DEFAULT_OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    recipes = [r.strip() for r in args.recipes.split(",") if r.strip()]
    unknown = [r for r in recipes if r not in RECIPES]
    if unknown or args.epochs < 1:
        print(f"minilm_cost: unknown recipe {unknown[0]!r} (known: {', '.join(RECIPES)})" if unknown
              else "minilm_cost: --epochs must be at least 1", file=sys.stderr)
        return 2

    full_run = args.limit is None and set(recipes) == set(RECIPES)
    out = (args.out.resolve() if args.out else DEFAULT_OUT if full_run else None)
    os.chdir(ROOT / "real")  # the real pipeline's params and split, as its stages see them
    from iacsieve import paths
    from iacsieve.data.records import read_jsonl
    from iacsieve.errors import IacsieveError
    from iacsieve.models.lexical import LexicalModel, fit_stacker, stack
    from iacsieve.params import load_params

    try:
        params = load_params()
        split = {part: read_jsonl(paths.split_file(part)) for part in ("train", "val", "test")}
    except (IacsieveError, FileNotFoundError) as error:
        print(f"minilm_cost: {error} (run `make repro-real` or `cd real && dvc repro split` first)", file=sys.stderr)
        return 2
    if args.limit:
        split["train"] = split["train"][: args.limit]
    labels = {part: [int(r["label"]) for r in records] for part, records in split.items()}
    start = time.perf_counter()
    lexical_model = LexicalModel.fit(split["train"], params.baselines.tfidf_c, params.baselines.seed)
    lexical = {part: lexical_model.predict_proba(split[part]) for part in ("val", "test")}
    lexical_seconds = time.perf_counter() - start
    print(f"{len(split['train'])} train / {len(split['val'])} val / {len(split['test'])} test detections, "
          f"{args.epochs} epochs, threads {params.train.threads}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="minilm-cost-") as tmp:
        for name in recipes:
            result = run_recipe(name, params, split, args.epochs, Path(tmp))
            threshold, val_f1 = sweep_f1(labels["val"], result["scores"]["val"], params.threshold)
            stacker = fit_stacker(result["scores"]["val"], lexical["val"], labels["val"], params.cv.seed)
            stacked_val = stack(stacker, result["scores"]["val"], lexical["val"])
            stacked_threshold, stacked_val_f1 = sweep_f1(labels["val"], stacked_val, params.threshold)
            stacked_test = stack(stacker, result["scores"]["test"], lexical["test"])
            rows.append([name, result["seconds"], val_f1, f1_at(labels["test"], result["scores"]["test"], threshold),
                         stacked_val_f1, f1_at(labels["test"], stacked_test, stacked_threshold)])
            print(f"  {name}: {result['seconds'] / args.epochs:.0f} s/epoch", flush=True)
    threshold, val_f1 = sweep_f1(labels["val"], lexical["val"], params.threshold)
    lexical_test = f1_at(labels["test"], lexical["test"], threshold)
    reference = next((row[1] for row in rows if row[0] == REFERENCE), None)
    lines = ["| recipe | s per epoch | min in all | × reference | val F1 | test F1 | stacked with TF-IDF: val F1 | test F1 |",
             "|---|---|---|---|---|---|---|---|"]
    for name, seconds, val, test, stacked_val, stacked_test in rows:
        ratio = f"{seconds / reference:.2f}" if reference else "–"
        lines.append(f"| {name} | {seconds / args.epochs:.0f} | {seconds / 60:.1f} | {ratio} | {val:.3f} | {test:.3f} | "
                     f"{stacked_val:.3f} | {stacked_test:.3f} |")
    lines.append(f"| TF-IDF + LR | – | {lexical_seconds / 60:.2f} | – | {val_f1:.3f} | {lexical_test:.3f} | – | – |")
    lines.append("")
    lines.append("(stacker fitted and threshold swept on val here; the pipeline fits both on out-of-fold scores)")
    table = "\n".join(lines) + "\n"
    print("\n" + table, end="")
    if out is not None:
        from bench_record import machine, write_record

        results = {
            "settings": {"epochs": args.epochs, "limit": args.limit, "recipes": recipes, "threads": params.train.threads,
                         "learning_rates": {name: LEARNING_RATES[name] for name in recipes},
                         "detections": {part: len(records) for part, records in split.items()}},
            "machine": machine(("torch", "transformers")),
            "reference": REFERENCE,
            "recipes": [{"recipe": name, "seconds": round(seconds, 1), "seconds_per_epoch": round(seconds / args.epochs, 1),
                         "ratio_to_reference": round(seconds / reference, 3) if reference else None,
                         "val_f1": round(val, 4), "test_f1": round(test, 4),
                         "stacked_val_f1": round(stacked_val, 4), "stacked_test_f1": round(stacked_test, 4)}
                        for name, seconds, val, test, stacked_val, stacked_test in rows],
            "tfidf": {"seconds": round(lexical_seconds, 2), "val_f1": round(val_f1, 4), "test_f1": round(lexical_test, 4)},
        }
        write_record(out, table, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
