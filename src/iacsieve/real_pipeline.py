"""The real-data pipeline ``real/dvc.yaml``, derived from the root ``dvc.yaml`` so that the two never drift.

``real/`` is a second DVC pipeline with its own ``params.yaml`` and ``dvc.lock``: the same stages run
with ``real/`` as working folder on the labelled corpus that ``real/corpus`` links to, so neither
pipeline's lock goes stale when the other runs. The derivation drops the ``sample`` stage, points code
dependencies one folder up, makes ``preprocess`` depend on the corpus, and adds the ``transfer`` stage
(the root pipeline's sample champion scored on the whole corpus). Regenerate with
``python -m iacsieve.pipeline_files`` (``make pipeline``), which first recomputes the root stages' code
deps; a test checks the committed file.
"""

from __future__ import annotations

from pathlib import Path

import yaml

CORPUS_LINK = "corpus"  # real/corpus -> the labelled corpus folder (made by `make repro-real`)
CORPUS_DEPS = [f"{CORPUS_LINK}/detections.jsonl", f"{CORPUS_LINK}/sources.tsv"]
CORPORA_MANIFEST = "corpora.json"  # every linked corpus with its hashes (iacsieve.data.corpora, make repro-real)
SAMPLE_CHAMPION = "../models/champion"  # the default pipeline's champion, seen from real/
HEADER = (
    "# The real-data pipeline: generated from ../dvc.yaml by `make pipeline`; do not edit.\n"
    "# Run: make repro-real (links real/corpus to the labelled corpus, then `dvc repro` here).\n"
)
TRANSFER_CMD = "python ../stages/transfer.py"


def transfer_stage(project: Path = Path(".")) -> dict:
    """The ``transfer`` stage: its code deps computed from imports (``iacsieve.stage_deps``) in ``project``."""
    from iacsieve.stage_deps import computed_code_deps

    code = [f"../{dep}" for dep in computed_code_deps(TRANSFER_CMD, project)]
    return {
        "cmd": TRANSFER_CMD,
        "deps": [*code, SAMPLE_CHAMPION, *CORPUS_DEPS],
        "params": ["transfer", "evaluate", "metrics.prefix"],
        "outs": [{"details/transfer.json": {"cache": False}}],
        "metrics": [{"metrics/transfer.json": {"cache": False}}],
    }


def _up(path: str) -> str:
    """A path of the project's code (or benchmark results) seen from ``real/``."""
    return f"../{path}" if path.split("/")[0] in ("stages", "src", "bench") else path


def _real_plot(plot: dict) -> dict:
    """A top-level plot of the root pipeline, its title marked as the real pipeline's."""
    return {name: {**spec, "title": f"Real data: {spec['title']}"} if "title" in spec else spec
            for name, spec in plot.items()}


def derive_real_pipeline(root: dict, project: Path = Path(".")) -> dict:
    """Return the real pipeline's dvc.yaml content for the root pipeline ``root`` (parsed YAML) of ``project``."""
    stages = {"transfer": transfer_stage(project)}
    for name, stage in root["stages"].items():
        if name == "sample":
            continue
        stage = dict(stage)
        body = dict(stage["do"]) if "do" in stage else stage
        body["cmd"] = body["cmd"].replace("python stages/", "python ../stages/")
        deps = [_up(dep) for dep in body.get("deps", [])]
        if name == "preprocess":
            deps = [dep for dep in deps if not dep.startswith("data/raw")] + CORPUS_DEPS + [CORPORA_MANIFEST]
        if name == "report":
            deps.append("details/transfer.json")
        body["deps"] = deps
        if "do" in stage:
            stage["do"] = body
        stages[name] = stage if "do" in stage else body
    derived = {"stages": stages, "plots": [_real_plot(plot) for plot in root.get("plots", [])]}
    if "artifacts" in root:
        artifacts = {name: dict(spec) for name, spec in root["artifacts"].items()}
        for spec in artifacts.values():
            spec["desc"] = f"{spec.get('desc', '')} (trained on the real labelled corpus)".strip()
        derived["artifacts"] = artifacts
    return derived


def real_dvc_yaml_text(root_dvc_yaml: Path = Path("dvc.yaml")) -> str:
    """The text of ``real/dvc.yaml`` derived from ``root_dvc_yaml``."""
    root = yaml.safe_load(root_dvc_yaml.read_text(encoding="utf-8"))
    body = yaml.safe_dump(derive_real_pipeline(root, root_dvc_yaml.parent), sort_keys=False, width=110, allow_unicode=True)
    return HEADER + body
