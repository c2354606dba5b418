"""Filter speed in one run: the seed's per-item predict, batched PyTorch and ONNX Runtime, and the wall time
of one `iacsieve filter` call on a 75-detection CSV (start-up included) with each backend.

- per-item: the reference recipe (and the seed's): one detection at a time, padded to 256 tokens, torch.no_grad;
- batched PyTorch: `Filter(backend="torch")`: batches sorted by length, dynamic padding, inference_mode;
- ONNX Runtime: `Filter(backend="onnx")`: the same batching on the champion's model.onnx, no torch.

Same detections (every trained-smell row of the sample's GLITCH CSVs, built as the filter builds them), same
threads. Rates count scoring only (records built once); the ONNX line also gives the whole
`filter_glitch` path (read CSVs, build contexts, score). `--large` repeats the three rates on a randomly
initialised model of CodeT5-small's size (60 M parameters, the reference's smallest candidate), exported
the same way, on the first `--large-limit` detections, so that the ratios are not all per-call overhead.

    python bench/filter_throughput.py [--model models/champion] [--scripts data/raw/sample] [--threads 2] [--large]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI_DETECTIONS = 75


def detection_records(meta: dict, csvs: list[Path], scripts_root: Path) -> list[dict]:
    """The records `iacsieve filter` scores for these CSVs (trained smells only), in CSV order."""
    from iacsieve.data.glitch import read_glitch_csvs
    from iacsieve.data.preprocess import detection_record
    from iacsieve.data.scripts import ScriptFolder
    from iacsieve.smells import trained_smell

    extra = {"neighbour_chars": meta["neighbour_chars"]} if meta.get("neighbour_chars") is not None else {}
    scripts = ScriptFolder(scripts_root)
    return [detection_record(d, scripts, meta["context_lines"], meta["max_line_chars"], **extra)
            for d in read_glitch_csvs(csvs).detections if trained_smell(d.code)]


def per_item_predict(model, tokenizer, texts: list[str]) -> list[float]:
    """The seed's predict: pad every input to 256 tokens, a batch of one."""
    import torch

    scores = []
    model.eval()
    with torch.no_grad():
        for text in texts:
            batch = tokenizer(text, padding="max_length", truncation=True, max_length=256, return_tensors="pt")
            logits = model(**batch).logits
            scores.append(torch.softmax(logits, dim=-1)[0, 1].item())
    return scores


def timed(function, *args):
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def compare(folder: Path, texts: list[str], threads: int, label: str) -> dict:
    """Detections/s of the three ways on ``texts`` with the champion in ``folder``; prints a block."""
    import numpy as np

    from iacsieve import Filter

    torch_filter = Filter.from_pretrained(folder, backend="torch", threads=threads).load()
    onnx_filter = Filter.from_pretrained(folder, backend="onnx", threads=threads).load()
    warm = texts[:64]
    per_item_predict(torch_filter.model, torch_filter.tokenizer, warm[:8])
    torch_filter.predict_proba(warm)
    onnx_filter.predict_proba(warm)

    reference, reference_s = timed(per_item_predict, torch_filter.model, torch_filter.tokenizer, texts)
    batched, batched_s = timed(torch_filter.predict_proba, texts)
    onnx, onnx_s = timed(onnx_filter.predict_proba, texts)
    rates = {"per_item": len(texts) / reference_s, "torch_batched": len(texts) / batched_s,
             "onnx": len(texts) / onnx_s}
    gap_onnx = float(np.abs(np.asarray(reference) - onnx).max())
    gap_batched = float(np.abs(np.asarray(reference) - batched).max())
    params = sum(p.numel() for p in torch_filter.model.parameters()) / 1e6
    print(f"\n{label}: {params:.2f} M parameters, {len(texts)} detections, threads={threads}")
    print(f"  per-item, pad to 256 (seed):   {rates['per_item']:9.1f} detections/s ({reference_s:6.2f} s)")
    print(f"  batched PyTorch:               {rates['torch_batched']:9.1f} detections/s ({batched_s:6.2f} s)  "
          f"{rates['torch_batched'] / rates['per_item']:5.1f}x")
    print(f"  ONNX Runtime:                  {rates['onnx']:9.1f} detections/s ({onnx_s:6.2f} s)  "
          f"{rates['onnx'] / rates['per_item']:5.1f}x  ({rates['onnx'] / rates['torch_batched']:.1f}x batched PyTorch)")
    print(f"  largest score difference vs per-item: batched {gap_batched:.1e}, ONNX {gap_onnx:.1e}")
    return {"label": label, "parameters_m": round(params, 2), "detections": len(texts), **rates,
            "onnx_over_per_item": rates["onnx"] / rates["per_item"],
            "torch_batched_over_per_item": rates["torch_batched"] / rates["per_item"],
            "max_diff_onnx": gap_onnx, "max_diff_batched": gap_batched}


def whole_path(folder: Path, csvs: list[Path], scripts_root: Path, threads: int) -> float:
    """Detections/s of Filter.filter_glitch with ONNX: read the CSVs, build contexts, score."""
    from iacsieve import Filter

    onnx_filter = Filter.from_pretrained(folder, backend="onnx", threads=threads).load()
    result, seconds = timed(onnx_filter.filter_glitch, csvs, scripts_root, False)
    scored = sum(d.score is not None for d in result.detections)
    print(f"  ONNX, whole filter_glitch path (read CSVs, build contexts, score): {scored / seconds:9.1f} detections/s")
    return scored / seconds


def small_csv(csvs: list[Path], target: Path, count: int) -> Path:
    """A GLITCH CSV of ``count`` trained-smell rows taken in turn from ``csvs``."""
    from iacsieve.data.glitch import GLITCH_HEADER, read_glitch_csvs
    from iacsieve.smells import trained_smell

    per_file = []
    for csv in csvs:
        lines = Path(csv).read_text(encoding="utf-8").splitlines()
        per_file.append([lines[d.row - 1] for d in read_glitch_csvs([csv]).detections if trained_smell(d.code)])
    rows = [row for group in zip(*per_file) for row in group][:count]
    target.write_text(GLITCH_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return target


def cli_wall(folder: Path, csv: Path, scripts_root: Path, backend: str, threads: int, repeat: int) -> list[float]:
    """Wall seconds of `iacsieve filter` (a fresh process each time: start-up, imports, loading, scoring)."""
    command = [str(Path(sys.executable).parent / "iacsieve"), "filter", "--glitch", str(csv), "--scripts",
               str(scripts_root), "--model", str(folder), "--backend", backend, "--threads", str(threads),
               "--format", "sarif", "--force", "-o", os.devnull, "--exit-zero"]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def codet5_small_champion(champion: Path, target: Path) -> Path:
    """A champion folder with a randomly initialised T5 classifier of CodeT5-small's size (d_model 512,
    6 + 6 layers, 8 heads, d_ff 2048, vocabulary 32,100) and ``champion``'s tokenizer, exported to ONNX."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from iacsieve.champion import CHAMPION_META, write_checksums
    from iacsieve.models.loading import _as_tp_fp_classifier
    from iacsieve.models.tiny import _t5_config
    from iacsieve.selection.onnx_export import export_onnx

    tokenizer = AutoTokenizer.from_pretrained(champion)
    config = _t5_config(tokenizer, d_model=512, d_ff=2048, heads=8)
    config.num_layers = config.num_decoder_layers = 6
    config.vocab_size = 32100
    config.num_labels = 2
    model = _as_tp_fp_classifier(AutoModelForSequenceClassification.from_config(config), tokenizer, "codet5-small-size")
    model.eval()
    target.mkdir(parents=True)
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    meta = json.loads((champion / CHAMPION_META).read_text(encoding="utf-8"))
    export_onnx(model, tokenizer, target / "model.onnx", opset=17, max_length=meta["max_length"])
    (target / CHAMPION_META).write_text(json.dumps(meta), encoding="utf-8")
    write_checksums(target)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=Path("models/champion"))
    parser.add_argument("--scripts", type=Path, default=Path("data/raw/sample"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cli-repeat", type=int, default=3, help="CLI calls per backend (the median is reported)")
    parser.add_argument("--large", action="store_true", help="also a CodeT5-small-sized model (minutes)")
    parser.add_argument("--large-limit", type=int, default=96, help="detections scored with the large model")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    import torch

    from iacsieve.champion import read_champion_meta
    from iacsieve.models.inputs import model_text

    torch.set_num_threads(args.threads)
    meta = read_champion_meta(args.model)
    if not (args.model / "model.onnx").is_file():
        sys.exit(f"{args.model}: no model.onnx; freeze the champion again (dvc repro champion_freeze)")
    csvs = sorted((args.scripts / "glitch").glob("*.csv"))
    texts = [model_text(r) for r in detection_records(meta, csvs, args.scripts)]
    figures = {"champion": compare(args.model, texts, args.threads, "default champion")}
    figures["champion"]["onnx_whole_path"] = whole_path(args.model, csvs, args.scripts, args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        csv = small_csv(csvs, Path(tmp) / "glitch75.csv", CLI_DETECTIONS)
        print(f"\n`iacsieve filter` on {CLI_DETECTIONS} detections, wall time of the whole command "
              f"(median of {args.cli_repeat}, start-up included):")
        figures["cli"] = {}
        for backend in ("onnx", "torch"):
            times = cli_wall(args.model, csv, args.scripts, backend, args.threads, args.cli_repeat)
            figures["cli"][backend] = statistics.median(times)
            print(f"  {backend:5s}: {statistics.median(times):.2f} s  (all: {', '.join(f'{t:.2f}' for t in times)})")
        if args.large:
            large = codet5_small_champion(args.model, Path(tmp) / "codet5-small-size")
            figures["large"] = compare(large, texts[: args.large_limit], args.threads,
                                       "CodeT5-small-sized model (random weights)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
