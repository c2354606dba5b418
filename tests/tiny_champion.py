"""A small user project (scripts + GLITCH CSV) and a frozen champion built in seconds without the pipeline:
a randomly initialised tiny-roberta with a widened head (so scores spread over [0, 1]), its ONNX export
checked against PyTorch exactly as champion_freeze does, a threshold that keeps some detections and
filters others, and SHA256SUMS."""

from __future__ import annotations

import json
from pathlib import Path

from iacsieve.data.glitch import GLITCH_HEADER

HEADER = GLITCH_HEADER + "\n"
#: (GLITCH code, flagged line template) per trained smell, and one code GLITCH reports that is not trained on.
TRAINED_ROWS = [
    ("sec_hard_pass", '    db_password: "s3cret{i}"'),
    ("sec_susp_comm", "# TODO: rotate key {i} before release"),
    ("sec_https", "    url: http://mirror{i}.example.org/pkg.tgz"),
    ("sec_weak_crypt", "    checksum: md5:{i}abc"),
    ("sec_hard_user", '    admin_user: "root{i}"'),
]
UNTRAINED = ("sec_def_admin", "    become_user: admin")


def write_project(root: Path, detections: int = 24, untrained: int = 2) -> Path:
    """Ansible scripts under ``root/ansible/`` and ``root/glitch.csv`` with ``detections`` rows of trained
    smells plus ``untrained`` rows GLITCH reports but the champion passes through. Returns the CSV."""
    rows = []
    per_file = 6
    for start in range(0, detections + untrained, per_file):
        name = f"ansible/role{start // per_file}/tasks/main.yml"
        lines = ["---", "- name: configure", "  hosts: all", "  vars:"]
        for i in range(start, min(start + per_file, detections + untrained)):
            code, template = UNTRAINED if i >= detections else TRAINED_ROWS[i % len(TRAINED_ROWS)]
            flagged = template.format(i=i)
            lines += [f"    # step {i}", flagged, f"    note_{i}: value {i}"]
            rows.append(f"{name},{len(lines) - 1},{code},-,{flagged.strip()}\n")
        lines += ["  tasks:", "    - debug: msg=done", ""]
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines))
    csv = root / "glitch.csv"
    csv.write_text(HEADER + "".join(rows))
    return csv


def build_champion(folder: Path, project: Path, csv: Path, onnx: bool = True) -> Path:
    """Freeze a tiny random champion for ``project`` into ``folder`` (see the module docstring)."""
    import numpy as np
    import torch

    from iacsieve.champion import CHAMPION_META, write_checksums
    from iacsieve.data.glitch import read_glitch_csvs
    from iacsieve.data.preprocess import detection_record
    from iacsieve.data.scripts import ScriptFolder
    from iacsieve.models.inputs import model_text
    from iacsieve.models.loading import load_candidate
    from iacsieve.models.tokenizer import train_bpe_tokenizer
    from iacsieve.smells import trained_smell
    from iacsieve.models.predict import predict_proba

    scripts = ScriptFolder(project)
    records = [detection_record(d, scripts, 5, 400) for d in read_glitch_csvs([csv]).detections
               if trained_smell(d.code)]
    texts = [model_text(r) for r in records]
    tokenizer_dir = folder.parent / f"{folder.name}-tokenizer"
    train_bpe_tokenizer(texts * 3, tokenizer_dir, vocab_size=400, min_frequency=1)
    model, tokenizer = load_candidate("tiny-roberta", tokenizer_dir, seed=7)
    with torch.no_grad():  # a random head gives scores near 0.5; widen it so verdicts are not ties
        for parameter in model.classifier.parameters():
            parameter.mul_(10.0)
    model.eval()
    folder.mkdir(parents=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    scores = np.sort(predict_proba(model, tokenizer, texts, max_length=256))
    middle = len(scores) // 2
    threshold = round(float(scores[middle - 1] + scores[middle]) / 2, 6)
    meta = {"threshold": threshold, "context_lines": 5, "max_line_chars": 400, "max_length": 256, "threads": 1,
            "smells": [], "techs": ["ansible", "chef", "puppet"]}
    if onnx:
        from iacsieve.selection.onnx_export import check_onnx, export_onnx

        export_onnx(model, tokenizer, folder / "model.onnx", opset=17, max_length=256)
        write_checksums(folder)
        meta["onnx"] = {"file": "model.onnx", "validation": check_onnx(folder, records, threshold, 256, 1e-4, 1)}
    (folder / CHAMPION_META).write_text(json.dumps(meta, indent=2))
    write_checksums(folder)
    return folder
