"""Training samples/s, peak memory and val F1: iacsieve's training run vs. the reference recipe.

Reference recipe: Hugging Face ``Trainer`` with every input padded to 256 tokens (``padding="max_length"``)
and no length grouping. iacsieve: dynamic padding with length-grouped batches (``train_run``). Same tiny
model, data (the pipeline's train/val split), epochs, batch size, learning rate and seed; each recipe runs
in its own process so peak memory is its own. Needs `dvc repro tokenizer` first.

    python bench/train_throughput.py [--model tiny-roberta] [--epochs 6]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path


def run_recipe(recipe: str, model_name: str, epochs: int) -> dict:
    import torch
    from transformers import Trainer, TrainingArguments

    from iacsieve import paths
    from iacsieve.data.records import read_jsonl
    from iacsieve.evaluation.metrics import filter_metrics
    from iacsieve.models.inputs import model_text
    from iacsieve.models.loading import load_candidate
    from iacsieve.params import load_params
    from iacsieve.models.predict import predict_proba
    from iacsieve.training.stages import base_config

    params = load_params()
    candidate = next(name for name, spec in params.stage1.candidates.items() if spec.model == model_name)
    # A patience beyond the epoch count: both recipes train exactly `epochs` epochs.
    config = replace(base_config(params, candidate), epochs=epochs, patience=epochs + 1)
    train, val = read_jsonl(paths.split_file("train")), read_jsonl(paths.split_file("val"))
    torch.set_num_threads(config.threads)
    work = Path(tempfile.mkdtemp(prefix=f"bench-{recipe}-"))
    if recipe == "ours":
        from iacsieve.training.run import train_run

        summary = train_run(config, train, val, work / "model", work / "checkpoints", work / "live")
        seconds, f1 = summary["train_seconds"], summary["val_f1"]
    else:
        model, tokenizer = load_candidate(config.model, config.tokenizer_dir, seed=config.seed)

        def encode(records):
            batch = tokenizer([model_text(r) for r in records], padding="max_length", truncation=True, max_length=256)
            return [{"input_ids": i, "attention_mask": m, "labels": int(r["label"])}
                    for i, m, r in zip(batch["input_ids"], batch["attention_mask"], records)]

        args = TrainingArguments(
            output_dir=str(work / "out"), per_device_train_batch_size=config.batch_size,
            learning_rate=config.learning_rate, num_train_epochs=epochs, weight_decay=config.weight_decay,
            warmup_steps=int(config.warmup_ratio * epochs * -(-len(train) // config.batch_size)),
            lr_scheduler_type=config.lr_scheduler, seed=config.seed, save_strategy="no", eval_strategy="no",
            report_to=[], logging_strategy="no", use_cpu=not torch.cuda.is_available(), disable_tqdm=True,
        )
        trainer = Trainer(model=model, args=args, train_dataset=encode(train))
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
        probabilities = predict_proba(model, tokenizer, [model_text(r) for r in val], max_length=256)
        f1 = filter_metrics([r["label"] for r in val], (probabilities >= 0.5).astype(int))["f1"]
    return {
        "recipe": recipe, "samples_per_second": len(train) * epochs / seconds, "train_seconds": seconds,
        "val_f1": f1, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny-roberta")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--recipe", choices=("ours", "reference"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.recipe:
        print(json.dumps(run_recipe(args.recipe, args.model, args.epochs)))
        return
    results = {}
    for recipe in ("reference", "ours"):
        proc = subprocess.run([sys.executable, __file__, "--recipe", recipe, "--model", args.model,
                               "--epochs", str(args.epochs)], capture_output=True, text=True, check=True)
        results[recipe] = json.loads(proc.stdout.strip().splitlines()[-1])
    ours, ref = results["ours"], results["reference"]
    print(f"{args.model}, {args.epochs} epochs, same data/seed/lr/batch (CPU)")
    for r in (ref, ours):
        print(f"  {r['recipe']:9}: {r['samples_per_second']:7.1f} samples/s  {r['train_seconds']:6.1f} s  "
              f"peak RSS {r['peak_rss_mb']:6.0f} MB  val F1 {r['val_f1']:.4f}")
    print(f"speed-up: {ours['samples_per_second'] / ref['samples_per_second']:.2f}x   "
          f"peak memory ratio: {ours['peak_rss_mb'] / ref['peak_rss_mb']:.2f}   "
          f"val F1 difference: {ours['val_f1'] - ref['val_f1']:+.4f}")


if __name__ == "__main__":
    main()
