"""Grids of experiments: one DVC experiment per grid point, queued locally or run on SLURM."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from iacsieve.errors import IacsieveError
from iacsieve.params import Params


@dataclass(frozen=True)
class GridPoint:
    """One experiment of a sweep: its name, the DVC stage it reproduces, and its ``-S`` overrides."""

    name: str
    target: str
    overrides: tuple[str, ...]

    def exp_run_args(self) -> list[str]:
        """Arguments after ``dvc exp run`` (without ``--queue``/``--temp``)."""
        args = [self.target, "--name", self.name]
        for override in self.overrides:
            args += ["--set-param", override]
        return args


def _abbreviation(key: str) -> str:
    """``stage2.learning_rates`` -> ``lr``; ``train.epochs`` -> ``e``."""
    return "".join(word[0] for word in key.rsplit(".", 1)[-1].split("_") if word)


def _lookup(raw_params: dict, key: str):
    value = raw_params
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise IacsieveError(f"params.yaml: sweeps grid key {key!r} is not a parameter")
        value = value[part]
    return value


def _yaml_value(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip().removesuffix("\n...").strip()


def grid_points(params: Params, raw_params: dict, stage: str, grid: str) -> list[GridPoint]:
    """The cartesian product of ``sweeps.<stage>.grids.<grid>``, in the order the grid lists values.

    A value for a parameter that is a list in params.yaml (e.g. ``stage2.learning_rates``) is set
    as a one-element list, so that each experiment runs exactly that point.
    """
    sweep = params.sweeps.get(stage)
    if sweep is None:
        raise IacsieveError(f"params.yaml: no sweeps.{stage} (known: {', '.join(params.sweeps) or 'none'})")
    if grid not in sweep.grids:
        raise IacsieveError(f"params.yaml: sweeps.{stage}.grids has no {grid!r} (known: {', '.join(sweep.grids)})")
    axes = sweep.grids[grid]
    keys = list(axes)
    points = []
    for values in itertools.product(*(axes[k] for k in keys)):
        overrides, parts = [], []
        for key, value in zip(keys, values):
            wrapped = [value] if isinstance(_lookup(raw_params, key), list) else value
            overrides.append(f"{key}={_yaml_value(wrapped)}")
            parts.append(f"{_abbreviation(key)}{value}")
        prefix = [stage] if grid == "default" else [stage, grid]
        name = re.sub(r"[^A-Za-z0-9._-]", "_", "-".join([*prefix, *parts]))
        points.append(GridPoint(name=name, target=sweep.target, overrides=tuple(overrides)))
    return points


def enqueue(points: list[GridPoint], dvc: str = "dvc") -> None:
    """``dvc exp run --queue`` each point; a refused point raises ``IacsieveError`` with DVC's message."""
    for point in points:
        proc = subprocess.run([dvc, "exp", "run", "--queue", *point.exp_run_args()], capture_output=True, text=True)
        if proc.returncode != 0:
            message = (proc.stderr or proc.stdout).strip().splitlines()
            raise IacsieveError(f"dvc exp run --queue {point.name}: {message[-1] if message else 'failed'}")


def write_points_file(points: list[GridPoint], path: Path) -> None:
    """One JSON line per point (task i of the array job reads line i)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps({"name": p.name, "args": p.exp_run_args()}) + "\n" for p in points))
