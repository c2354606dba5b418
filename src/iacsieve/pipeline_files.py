"""Keep both pipelines' ``dvc.yaml`` current: each root stage's code deps recomputed from what its script
imports (``iacsieve.stage_deps``), then ``real/dvc.yaml`` derived from ``dvc.yaml`` (``iacsieve.real_pipeline``).

    python -m iacsieve.pipeline_files           # make pipeline: rewrite both files
    python -m iacsieve.pipeline_files --check   # report what is stale; exit 1 if anything is

Rewriting keeps the root file's comments and every data dependency. Run from the project root.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from iacsieve.paths import REAL
from iacsieve.real_pipeline import real_dvc_yaml_text
from iacsieve.stage_deps import round_trip_yaml, rewrite_code_deps, stale_stages

ROOT_DVC_YAML = Path("dvc.yaml")
REAL_DVC_YAML = REAL / "dvc.yaml"
COMMAND = "python -m iacsieve.pipeline_files"


def check_pipeline_files() -> int:
    """Print one line per stale root stage and for a stale ``real/dvc.yaml``; 1 if anything is stale, else 0."""
    stale = stale_stages(round_trip_yaml().load(ROOT_DVC_YAML))
    for name, (listed, expected) in stale.items():
        print(f"{ROOT_DVC_YAML}: stage {name}: code deps {listed} should be {expected}", file=sys.stderr)
    real_current = REAL_DVC_YAML.read_text(encoding="utf-8") == real_dvc_yaml_text(ROOT_DVC_YAML)
    if not real_current:
        print(f"{REAL_DVC_YAML}: out of date; run `{COMMAND}`", file=sys.stderr)
    return 1 if stale or not real_current else 0


def write_pipeline_files() -> int:
    """Rewrite the root stages' code deps in ``dvc.yaml``, then write ``real/dvc.yaml`` from it; 0."""
    yaml = round_trip_yaml()
    document = yaml.load(ROOT_DVC_YAML)
    stale = stale_stages(document)
    rewrite_code_deps(document)
    with ROOT_DVC_YAML.open("w", encoding="utf-8") as handle:
        yaml.dump(document, handle)
    print(f"{ROOT_DVC_YAML}: code deps of {len(stale)} stage(s) rewritten", file=sys.stderr)
    REAL_DVC_YAML.write_text(real_dvc_yaml_text(ROOT_DVC_YAML), encoding="utf-8")
    print(f"wrote {REAL_DVC_YAML}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report what is stale; exit 1 if anything is")
    return check_pipeline_files() if parser.parse_args(argv).check else write_pipeline_files()


if __name__ == "__main__":
    raise SystemExit(main())
