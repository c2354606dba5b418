"""Detections/s of `iacsieve filter` against the reference recipe's per-item predict, in one run.

Reference recipe: one detection at a time, padded to 256 tokens. iacsieve: batches sorted by length,
dynamic padding, torch.inference_mode. Same champion, same detections (the sample's GLITCH CSVs).

    python bench/filter_throughput.py [--model models/champion] [--scripts data/raw/sample] [--repeat 1]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from iacsieve import Filter
from iacsieve.models.inputs import model_text


def reference_predict(filt: Filter, records: list[dict]) -> list[float]:
    """Per-item predict as the reference pipeline does it: pad every input to 256, batch of one."""
    scores = []
    filt.model.eval()
    with torch.no_grad():
        for record in records:
            batch = filt.tokenizer(model_text(record), padding="max_length", truncation=True, max_length=256,
                                   return_tensors="pt")
            logits = filt.model(**batch).logits
            scores.append(torch.softmax(logits, dim=-1)[0, 1].item())
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/champion"))
    parser.add_argument("--scripts", type=Path, default=Path("data/raw/sample"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    csvs = sorted((args.scripts / "glitch").glob("*.csv"))
    filt = Filter.from_pretrained(args.model)
    filt.score_records([], progress=False)
    _ = filt.model  # load the weights before timing: both recipes start from a loaded model

    start = time.perf_counter()
    result = filt.filter_glitch(csvs, args.scripts, progress=False)
    ours_seconds = time.perf_counter() - start
    scored = [d for d in result.detections if d.score is not None]

    # The same records the filter built (preprocess's code path), scored the reference way.
    from iacsieve.data.preprocess import records_from_glitch

    records = records_from_glitch(csvs, args.scripts, filt.meta["context_lines"], filt.meta["max_line_chars"]).records
    start = time.perf_counter()
    reference_scores = reference_predict(filt, records)
    reference_seconds = time.perf_counter() - start

    ours_rate = len(scored) / ours_seconds
    reference_rate = len(records) / reference_seconds
    by_key = {(d.file, d.detection.line, d.detection.code): d.score for d in scored}
    largest_gap = max(abs(by_key[(r["file"], r["line"], r["glitch_code"])] - s)
                      for r, s in zip(records, reference_scores))
    print(f"detections scored: {len(scored)} (threads={args.threads}, {torch.__version__}, CPU)")
    print(f"iacsieve filter (whole command path): {ours_rate:8.1f} detections/s ({ours_seconds:.2f} s)")
    print(f"reference per-item, pad to 256:       {reference_rate:8.1f} detections/s ({reference_seconds:.2f} s)")
    print(f"ratio: {ours_rate / reference_rate:.1f}x   largest score difference: {largest_gap:.1e}")


if __name__ == "__main__":
    main()
