"""Does active learning pay? A simulated team labels its own detections, chosen by uncertainty or at random.

Simulates a team on the real labelled corpus (read in place: ``--corpus``, else ``$IACSIEVE_REAL_CORPUS``,
else ``../shared/real-corpus`` beside the project), with the records the real pipeline builds from it
(``records_from_labelled_corpus`` with ``real/params.yaml``'s ``preprocess`` settings; ``model_text``):

- **Groups** play the team's code: every organisation (``owner/``) with at least ``--owner-min-repos`` (3)
  repositories and ``--owner-min-detections`` (60) detections (seven on the corpus), plus ``--random-groups``
  (3) random groups of repositories drawn (seeded) from the other repositories, each of at least
  ``--random-group-detections`` (440), so that a 200-label budget fits in the half that is labelled.
  Repositories sharing a window's content (or listed together in ``split.same_split``) stay together
  (``repository_groups``, as the pipeline's split): a group never shares a window with its training data.
- Each group is held out; the learner trains on the **rest**. Its threshold is swept (``sweep_thresholds``
  on ``real/params.yaml``'s grid) on out-of-fold scores of the rest (``cv_folds`` / ``lexical_out_of_fold``
  with ``cv.folds`` and ``cv.seed``): chosen on the training part only, then frozen for the group. (The
  champion's own threshold is for the hybrid's stacked score, not for the lexical model's.)
- Per split (``--splits``, 3) the group's repositories are split, seeded, into a **labelling pool** (whole
  repositories holding about half its detections) and an **evaluation part** (the other repositories). The
  team labels pool detections in batches up to the cumulative budgets ``--budgets`` (25 50 100 200), chosen
  by **uncertainty** (the latest model's score closest to the threshold, in rounds across files:
  ``order_items`` of ``iacsieve.labelling.items``, the order ``iacsieve label`` asks in, applied to the
  records) or **at random** (``--random-repeats`` seeded orders per split, 2). After each batch the learner
  retrains on rest + labelled and is scored (F1 of the TP class) on the evaluation part: detections never
  labelled, of other repositories than the labelled ones. A budget larger than the pool is capped at the
  pool (all of it labelled: both strategies then train on the same records); tables give the labels
  actually spent.
- **The learner is the cheap path**: the project's TF-IDF + logistic regression (``LexicalModel.fit`` with
  ``baselines.tfidf_c`` and ``baselines.seed``), the lexical half of the published hybrid champion, **not**
  the MiniLM encoder: it retrains in 1-2 s on one core, and the default settings retrain it about 330
  times, which takes about 5 minutes on 2 cores; the encoder (minutes per fit) would not fit in the
  15-minute budget.
- Labels saved at equal F1: for each budget, the labels random needs to reach uncertainty's mean F1
  (linear between budgets) minus uncertainty's; spread: 10th-90th percentile over a bootstrap of the groups.

Never used, for anything: the repositories in ``EXCLUDED_REPOS`` (reserved for independent evaluation;
matched case-insensitively; none of them is in the corpus at the time of writing; any record of theirs is
dropped on loading and counted in ``summary.json``).

Writes ``--out`` (default ``bench/results/active_learning/``, replaced whole, atomically): ``runs.csv`` (one
row per group x split x strategy x repeat x budget), ``summary.json`` (settings, groups and their splits,
per kind of group the F1 table per strategy x budget with mean, sd, 10th-90th percentile and n, the paired
difference and the labels saved, per-group means, wall time), ``table.md`` (the README's table) and
``f1_by_labels.json`` (the plot: ``.dvc/plots/band.json`` draws the mean and the 10th-90th band):

    python bench/active_learning.py [--corpus DIR] [--out DIR] [--workers 2] [--quick]
    dvc plots show bench/results/active_learning/f1_by_labels.json --template band -x labels -y f1  # dvc_plots/
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from iacsieve.atomic import atomic_dir
from iacsieve.cli_support import OneLineParser, run_guarded
from iacsieve.data.corpus import DETECTIONS_FILE, is_labelled_corpus, records_from_labelled_corpus
from iacsieve.data.glitch import Detection
from iacsieve.data.split import repository_groups
from iacsieve.errors import IacsieveError
from iacsieve.evaluation.metrics import apply_threshold, filter_metrics
from iacsieve.evaluation.threshold import sweep_thresholds
from iacsieve.labelling.items import LabelItem, order_items
from iacsieve.models.inputs import repo_path
from iacsieve.params import Params, load_params

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / "results" / "active_learning"
DEFAULT_PARAMS = ROOT / "real" / "params.yaml"
BUDGETS = (25, 50, 100, 200)
STRATEGIES = ("uncertainty", "random")
#: Reserved for independent evaluation: dropped on loading, never trained on, labelled or scored here.
EXCLUDED_REPOS = (
    "geerlingguy/ansible-role-mysql", "geerlingguy/ansible-role-jenkins", "openstack/openstack-ansible-os_keystone",
    "sous-chefs/mysql", "sous-chefs/apache2", "sous-chefs/jenkins",
    "puppetlabs/puppetlabs-apache", "puppetlabs/puppetlabs-mysql", "voxpupuli/puppet-jenkins",
)
_EXCLUDED = frozenset(repo.lower() for repo in EXCLUDED_REPOS)
#: Percentiles of the spread over repeats.
LOW, HIGH = 10, 90
BOOTSTRAP_RESAMPLES = 2000

#: An internal record (``records_from_labelled_corpus``), read-only here.
Record = Mapping


@dataclass(frozen=True)
class Settings:
    """What the learner and the simulation use (the learner's from ``real/params.yaml``)."""

    c: float  # baselines.tfidf_c
    fit_seed: int  # baselines.seed
    cv_folds: int  # cv.folds: out-of-fold scores of the rest, for its threshold
    cv_seed: int
    grid: tuple[float, float, float]  # threshold min, max, step
    same_split: tuple[tuple[str, ...], ...]
    budgets: tuple[int, ...] = BUDGETS
    splits: int = 3
    random_repeats: int = 2
    pool_fraction: float = 0.5
    seed: int = 0


@dataclass(frozen=True)
class Group:
    """A held-out group of repositories: ``units`` are split units (repositories merged by shared content)."""

    name: str
    kind: str  # "owner" or "random"
    units: tuple[str, ...]
    repos: tuple[str, ...]
    detections: int


@dataclass
class RunResult:
    """One strategy run on one split of a group: a row per budget (budget 0 = no labels) and the ids
    labelled by each budget (cumulative: each list extends the previous one)."""

    rows: list[dict]
    labelled: list[list[str]] = field(default_factory=list)


def default_corpus() -> Path:
    """``$IACSIEVE_REAL_CORPUS``, else ``../shared/real-corpus`` beside the project (as ``make repro-real``)."""
    return Path(os.environ.get("IACSIEVE_REAL_CORPUS") or ROOT.parent / "shared" / "real-corpus")


def is_excluded(repo: str) -> bool:
    """True for a repository of ``EXCLUDED_REPOS`` (``owner/name``, any case)."""
    return repo.strip().lower() in _EXCLUDED


def settings_from_params(params: Params, **overrides) -> Settings:
    """The learner's settings from a params file (``baselines``, ``cv``, ``threshold``, ``split.same_split``)."""
    return Settings(
        c=params.baselines.tfidf_c, fit_seed=params.baselines.seed, cv_folds=params.cv.folds, cv_seed=params.cv.seed,
        grid=(params.threshold.min, params.threshold.max, params.threshold.step),
        same_split=tuple(tuple(g) for g in params.split.same_split), **overrides,
    )


def load_records(corpus: Path, params: Params) -> tuple[list[dict], int]:
    """The corpus's records as the real pipeline builds them, less those of ``EXCLUDED_REPOS``; returns
    (records, how many were dropped). A folder that is not a labelled corpus raises ``IacsieveError``."""
    if not is_labelled_corpus(corpus):
        raise IacsieveError(f"{corpus}: no labelled corpus there (detections.jsonl + sources.tsv); "
                            "give --corpus or set IACSIEVE_REAL_CORPUS")
    pre = params.preprocess
    records = records_from_labelled_corpus(corpus, pre.context_lines, pre.max_line_chars, pre.neighbour_chars).records
    kept = [r for r in records if not is_excluded(r["repo"])]
    return kept, len(records) - len(kept)


def split_units(records: Sequence[Record], same_split: Sequence[Sequence[str]] = ()) -> dict[str, str]:
    """Repository -> its split unit: repositories that share a window's content or are listed together in
    ``same_split`` form one unit (``iacsieve.data.split.repository_groups``), so units share no content."""
    units = repository_groups(list(records), [list(g) for g in same_split])
    return {r["repo"]: unit for r, unit in zip(records, units)}


def pick_groups(records: Sequence[Record], unit_of: Mapping[str, str], owner_min_repos: int,
                owner_min_detections: int, random_groups: int, random_group_detections: int,
                seed: int) -> list[Group]:
    """The held-out groups, disjoint: first every owner (``owner/`` prefix) with at least ``owner_min_repos``
    repositories and ``owner_min_detections`` detections whose repositories span two units or more (the
    group is all units touching the owner); then ``random_groups`` groups of whole units drawn in a seeded
    random order from the units left, each closed once it holds ``random_group_detections`` detections.
    Too few units left raises ``IacsieveError``."""
    per_repo: dict[str, int] = defaultdict(int)
    for record in records:
        per_repo[record["repo"]] += 1
    repos_of_unit: dict[str, list[str]] = defaultdict(list)
    for repo in sorted(per_repo):
        repos_of_unit[unit_of[repo]].append(repo)
    owners: dict[str, list[str]] = defaultdict(list)
    for repo in sorted(per_repo):
        owners[repo.split("/")[0]].append(repo)

    def group(name: str, kind: str, units: set[str]) -> Group:
        repos = tuple(sorted(repo for unit in units for repo in repos_of_unit[unit]))
        return Group(name, kind, tuple(sorted(units)), repos, sum(per_repo[r] for r in repos))

    groups: list[Group] = []
    taken: set[str] = set()
    for owner, repos in sorted(owners.items()):
        units = {unit_of[r] for r in repos}
        if (len(repos) >= owner_min_repos and sum(per_repo[r] for r in repos) >= owner_min_detections
                and len(units) >= 2 and not units & taken):
            groups.append(group(owner, "owner", units))
            taken |= units
    free = sorted(set(repos_of_unit) - taken)
    random.Random(f"{seed}:groups").shuffle(free)
    for index in range(random_groups):
        units: set[str] = set()
        while sum(per_repo[r] for u in units for r in repos_of_unit[u]) < random_group_detections:
            if not free:
                raise IacsieveError(f"the corpus has too few repositories left for {random_groups} random groups "
                                    f"of {random_group_detections} detections; lower --random-groups or "
                                    "--random-group-detections")
            units.add(free.pop())
        if len(units) < 2:
            raise IacsieveError(f"random group {index + 1} is a single repository; raise --random-group-detections")
        groups.append(group(f"random-{index + 1}", "random", units))
    if not groups:
        raise IacsieveError("no group to hold out: no owner qualifies and --random-groups is 0")
    return groups


def split_group(records: Sequence[Record], unit_of: Mapping[str, str], fraction: float,
                seed: str) -> tuple[list[Record], list[Record]]:
    """(labelling pool, evaluation part) of a group's records: whole units in a seeded random order, the
    pool the prefix whose share of the detections is closest to ``fraction`` (at least one unit on each
    side). Orders whose evaluation part lacks a TP or an FP are passed over (F1 needs both); a group where
    every order does raises ``IacsieveError``."""
    units = sorted({unit_of[r["repo"]] for r in records})
    if len(units) < 2:
        raise IacsieveError("a group needs two repositories or more (a labelling pool and an evaluation part)")
    size = defaultdict(int)
    for record in records:
        size[unit_of[record["repo"]]] += 1
    rng = random.Random(seed)
    for _ in range(100):
        rng.shuffle(units)
        sums = np.cumsum([size[u] for u in units[:-1]])
        cut = int(np.argmin(np.abs(sums - fraction * len(records)))) + 1
        pool_units = set(units[:cut])
        pool = [r for r in records if unit_of[r["repo"]] in pool_units]
        held = [r for r in records if unit_of[r["repo"]] not in pool_units]
        if {int(r["label"]) for r in held} == {0, 1}:
            return pool, held
    raise IacsieveError("no split of the group leaves both TP and FP detections for evaluation")


def label_items(records: Sequence[Record], scores: Sequence[float]) -> list[LabelItem]:
    """The labeller's items for corpus records (path = ``repo/path``, so files of two repositories differ)."""
    return [
        LabelItem(
            detection=Detection(path=repo_path(r), line=int(r["line"]), code=r["glitch_code"], description="",
                                snippet=r["content"], source=DETECTIONS_FILE, row=0),
            id=r["id"], path=r["file"], tech=r["tech"], smell=r["smell"], lines=(), score=float(s),
        )
        for r, s in zip(records, scores)
    ]


def uncertainty_order(records: Sequence[Record], scores: Sequence[float], threshold: float) -> list[Record]:
    """``records`` in the order ``iacsieve label`` asks (``order_items``, ``uncertainty``): in rounds, each
    file's remaining detection with the score closest to ``threshold``, the round itself closest first."""
    by_id = {r["id"]: r for r in records}
    return [by_id[item.id] for item in order_items(label_items(records, scores), threshold, "uncertainty")]


def random_order(records: Sequence[Record], seed: str) -> list[Record]:
    """``records`` shuffled with a seeded generator (independent of their input order)."""
    ordered = sorted(records, key=lambda r: r["id"])
    random.Random(seed).shuffle(ordered)
    return ordered


def scored(labels: Sequence[int], scores: Sequence[float], threshold: float) -> dict:
    """F1, precision, recall and confusion counts of the TP class at ``threshold``."""
    metrics = filter_metrics(list(labels), apply_threshold(scores, threshold))
    return {k: metrics[k] for k in ("f1", "precision", "recall", "tp", "fp", "tn", "fn")}


def fit_lexical(records: Sequence[Record], settings: Settings):
    """The learner: ``LexicalModel.fit`` (TF-IDF + logistic regression) with the params' ``c`` and seed."""
    from iacsieve.models.lexical import LexicalModel

    return LexicalModel.fit(list(records), settings.c, settings.fit_seed)


def group_threshold(rest: Sequence[Record], settings: Settings) -> float:
    """The threshold that maximises F1 on out-of-fold scores of ``rest`` (repository-grouped folds of the
    training part, as the pipeline's CV): chosen without a look at the group."""
    from iacsieve.training.cv import cv_folds, lexical_out_of_fold

    with warnings.catch_warnings():  # a tech x smell x label stratum smaller than the folds: fine here
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        folds = cv_folds(rest, settings.cv_folds, settings.cv_seed, settings.same_split)
    oof = lexical_out_of_fold(rest, folds, settings.c, settings.fit_seed)
    threshold, _ = sweep_thresholds([int(r["label"]) for r in rest], oof, *settings.grid)
    return threshold


def run_strategy(rest: Sequence[Record], pool: Sequence[Record], held: Sequence[Record], strategy: str,
                 threshold: float, base_scores: Mapping[str, float], settings: Settings,
                 order_seed: str = "") -> RunResult:
    """Label ``pool`` in batches up to each cumulative budget (capped at the pool), chosen by ``strategy``;
    after each batch retrain on ``rest`` + labelled and score ``held``. ``base_scores`` (id -> P(TP)) are
    the rest-only model's scores of pool and held records: budget 0, and uncertainty's first batch.
    Uncertainty re-scores the unlabelled pool with the latest model before each batch; random takes
    prefixes of one seeded order. Labelled records are never scored (``IacsieveError`` if ``held`` and
    ``pool`` overlap)."""
    if strategy not in STRATEGIES:
        raise IacsieveError(f"strategy must be one of {', '.join(STRATEGIES)}, got {strategy!r}")
    if {r["id"] for r in pool} & {r["id"] for r in held}:
        raise IacsieveError("the labelling pool and the evaluation part overlap")
    held_labels = [int(r["label"]) for r in held]
    order = random_order(pool, order_seed) if strategy == "random" else None
    labelled: list[Record] = []
    scores = dict(base_scores)
    metrics = scored(held_labels, [scores[r["id"]] for r in held], threshold)
    result = RunResult(rows=[{"budget": 0, "labels": 0, **metrics}])
    for budget in settings.budgets:
        target = min(budget, len(pool))
        if target > len(labelled):
            if order is not None:
                batch = order[len(labelled):target]
            else:
                done = {r["id"] for r in labelled}
                remaining = [r for r in pool if r["id"] not in done]
                ranked = uncertainty_order(remaining, [scores[r["id"]] for r in remaining], threshold)
                batch = ranked[:target - len(labelled)]
            labelled = labelled + list(batch)
            model = fit_lexical(list(rest) + labelled, settings)
            done = {r["id"] for r in labelled}
            unscored = [r for r in pool if r["id"] not in done]
            scores = dict(zip([r["id"] for r in unscored], model.predict_proba(unscored))) if unscored else {}
            metrics = scored(held_labels, model.predict_proba(list(held)), threshold)
        result.rows.append({"budget": budget, "labels": len(labelled), **metrics})
        result.labelled.append([r["id"] for r in labelled])
    return result


# --- running it: groups prepared and runs spread over worker processes ---------------------------------

_RECORDS: list[dict] = []


def _init_worker(records: list[dict]) -> None:
    """Give a worker the records once, and one BLAS thread (two workers share the two cores)."""
    from threadpoolctl import threadpool_limits

    global _RECORDS
    _RECORDS = records
    threadpool_limits(limits=1)


def _split_records(group_repos: Sequence[str]) -> tuple[list[dict], list[dict]]:
    """(rest, group) of the worker's records."""
    members = set(group_repos)
    return ([r for r in _RECORDS if r["repo"] not in members], [r for r in _RECORDS if r["repo"] in members])


def _prepare(group: Group, settings: Settings) -> dict:
    """The group's threshold (from the rest) and the rest-only model's scores of the group's records."""
    rest, members = _split_records(group.repos)
    threshold = group_threshold(rest, settings)
    base = fit_lexical(rest, settings).predict_proba(members)
    return {"threshold": threshold, "base_scores": dict(zip([r["id"] for r in members], base.tolist()))}


def _run(task: dict, settings: Settings) -> list[dict]:
    """One strategy run of the simulation (a task of ``simulate``): its rows, tagged with the task."""
    rest, members = _split_records(task["repos"])
    by_id = {r["id"]: r for r in members}
    pool, held = [by_id[i] for i in task["pool"]], [by_id[i] for i in task["held"]]
    result = run_strategy(rest, pool, held, task["strategy"], task["threshold"], task["base_scores"], settings,
                          task["order_seed"])
    tag = {k: task[k] for k in ("group", "kind", "split", "strategy", "repeat")}
    return [{**tag, "pool": len(pool), "eval": len(held), **row} for row in result.rows]


def _map(function, items: list, settings: Settings, records: list[dict], workers: int) -> list:
    """``function(item, settings)`` for every item, in order, in ``workers`` processes (1: in this one)."""
    if workers <= 1:
        from threadpoolctl import threadpool_limits

        global _RECORDS
        _RECORDS = records
        with threadpool_limits(limits=1):  # as in a worker; restored after
            return [function(item, settings) for item in items]
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(records,)) as executor:
        return list(executor.map(function, items, [settings] * len(items)))


def simulate(records: list[dict], groups: Sequence[Group], settings: Settings, workers: int,
             progress=lambda message: None) -> tuple[list[dict], dict[str, dict]]:
    """Every run of every group: (rows of ``runs.csv``, per group its threshold and pool / eval sizes)."""
    unit_of = split_units(records, settings.same_split)
    prepared = _map(_prepare, list(groups), settings, records, workers)
    progress(f"thresholds and rest-only models of {len(groups)} groups ready")
    tasks, info = [], {}
    for group, prep in zip(groups, prepared):
        repos = set(group.repos)
        members = [r for r in records if r["repo"] in repos]
        sizes = []
        for split in range(settings.splits):
            seed = f"{settings.seed}:split:{group.name}:{split}"
            pool, held = split_group(members, unit_of, settings.pool_fraction, seed)
            sizes.append({"pool": len(pool), "eval": len(held), "pool_repos": sorted({r["repo"] for r in pool}),
                          "eval_repos": sorted({r["repo"] for r in held})})
            runs = [("uncertainty", 0)] + [("random", k) for k in range(settings.random_repeats)]
            for strategy, repeat in runs:
                tasks.append({
                    "group": group.name, "kind": group.kind, "repos": group.repos, "split": split,
                    "strategy": strategy, "repeat": repeat, "threshold": prep["threshold"],
                    "pool": [r["id"] for r in pool], "held": [r["id"] for r in held],
                    "base_scores": prep["base_scores"],
                    "order_seed": f"{settings.seed}:order:{group.name}:{split}:{repeat}",
                })
        info[group.name] = {"threshold": prep["threshold"], "splits": sizes}
    progress(f"{len(tasks)} runs ({len(groups)} groups x {settings.splits} splits x "
             f"(1 uncertainty + {settings.random_repeats} random))")
    rows = [row for run in _map(_run, tasks, settings, records, workers) for row in run]
    return rows, info


# --- summaries --------------------------------------------------------------------------------------------

#: The kinds of group the tables and the plot report on, and which groups each covers.
KINDS = {"organisations": ("owner",), "random groups": ("random",), "all groups": ("owner", "random")}


def spread(values: Sequence[float]) -> dict:
    """Mean, sd, 10th and 90th percentile and n of ``values``."""
    array = np.asarray(values, dtype=float)
    return {"mean": float(array.mean()), "sd": float(array.std(ddof=1)) if len(array) > 1 else 0.0,
            "p10": float(np.percentile(array, LOW)), "p90": float(np.percentile(array, HIGH)), "n": len(array)}


def f1_table(rows: Sequence[Mapping]) -> list[dict]:
    """Per strategy x budget over all runs in ``rows``: F1 spread and the mean labels actually spent."""
    cells: dict[tuple[str, int], list[Mapping]] = defaultdict(list)
    for row in rows:
        cells[(row["strategy"], row["budget"])].append(row)
    order = sorted(cells, key=lambda key: (STRATEGIES.index(key[0]), key[1]))
    return [{"strategy": strategy, "budget": budget, "labels": float(np.mean([r["labels"] for r in cells[key]])),
             "f1": spread([r["f1"] for r in cells[key]])}
            for key in order for strategy, budget in [key]]


def paired_cells(rows: Sequence[Mapping]) -> tuple[list[int], list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Per (group, split) cell: the labels spent, the uncertainty run's F1 and the mean F1 of its random
    runs at each budget. Returns (budgets, group of each cell, labels[cell, budget], uncertainty[...], random[...])."""
    budgets = sorted({r["budget"] for r in rows})
    values: dict[tuple[str, int], dict[str, dict[int, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list)))
    labels: dict[tuple[str, int], dict[int, int]] = defaultdict(dict)
    for row in rows:
        cell = (row["group"], row["split"])
        values[cell][row["strategy"]][row["budget"]].append(row["f1"])
        labels[cell][row["budget"]] = row["labels"]
    cells = sorted(values)
    spent = np.array([[labels[c][b] for b in budgets] for c in cells], dtype=float)
    unc = np.array([[np.mean(values[c]["uncertainty"][b]) for b in budgets] for c in cells])
    rand = np.array([[np.mean(values[c]["random"][b]) for b in budgets] for c in cells])
    return budgets, [group for group, _ in cells], spent, unc, rand


def labels_to_reach(xs: Sequence[float], ys: Sequence[float], target: float) -> float | None:
    """The fewest labels at which the piecewise-linear curve (``xs`` ascending, ``ys``) first reaches
    ``target``; None when it never does within ``xs``."""
    if ys[0] >= target:
        return float(xs[0])
    for x0, y0, x1, y1 in zip(xs, ys, xs[1:], ys[1:]):
        if y0 < target <= y1:
            return float(x0 + (target - y0) / (y1 - y0) * (x1 - x0))
    return None


def labels_saved(spent: np.ndarray, unc: np.ndarray, rand: np.ndarray) -> list[float | None]:
    """For each budget after the first (budget 0): the labels random needs to reach uncertainty's mean F1
    (mean curves over cells, linear between budgets) minus the labels uncertainty spent; None when
    random never reaches it within the budgets. Negative: uncertainty needs more labels than random."""
    xs, u, r = spent.mean(axis=0), unc.mean(axis=0), rand.mean(axis=0)
    saved: list[float | None] = []
    for k in range(1, len(xs)):
        reach = labels_to_reach(xs, r, u[k])
        saved.append(None if reach is None else reach - xs[k])
    return saved


def saved_table(rows: Sequence[Mapping], seed: int, resamples: int = BOOTSTRAP_RESAMPLES) -> list[dict]:
    """Per budget: mean F1 of both strategies, their paired difference over (group, split) cells, and the
    labels saved at equal F1 with its 10th-90th percentile over a bootstrap of the groups (a resampled group
    brings all its splits: splits of one group are not independent repeats)."""
    budgets, cell_groups, spent, unc, rand = paired_cells(rows)
    point = labels_saved(spent, unc, rand)
    names = sorted(set(cell_groups))
    members = [np.flatnonzero(np.array(cell_groups) == name) for name in names]
    rng = np.random.default_rng(seed)
    draws: list[list[float | None]] = []
    for _ in range(resamples):
        pick = np.concatenate([members[g] for g in rng.integers(0, len(names), len(names))])
        draws.append(labels_saved(spent[pick], unc[pick], rand[pick]))
    table = []
    for k, budget in enumerate(budgets[1:]):
        # A resample where random never reaches uncertainty's F1 counts as infinitely many labels saved.
        values = np.array([np.inf if d[k] is None else d[k] for d in draws])
        low, high = (float(np.percentile(values, q, method="nearest")) for q in (LOW, HIGH))
        table.append({
            "budget": budget, "labels": float(spent[:, k + 1].mean()),
            "f1_uncertainty": float(unc[:, k + 1].mean()), "f1_random": float(rand[:, k + 1].mean()),
            "difference": spread(unc[:, k + 1] - rand[:, k + 1]),
            "uncertainty_better_share": float(np.mean(unc[:, k + 1] > rand[:, k + 1])),
            "labels_saved": point[k],  # None: random never reaches it within the budgets
            "labels_saved_at_least": (None if point[k] is not None
                                      else float(spent.mean(axis=0)[-1] - spent[:, k + 1].mean())),
            "labels_saved_p10": None if np.isinf(low) else low,  # None: not reached in that resample
            "labels_saved_p90": None if np.isinf(high) else high,
            "random_never_reaches_share": float(np.mean(np.isinf(values))),
        })
    return table


def by_kind(rows: Sequence[Mapping], seed: int) -> dict[str, dict]:
    """``f1_table`` and ``saved_table`` of the runs of each entry of ``KINDS`` that has runs."""
    result = {}
    for name, kinds in KINDS.items():
        subset = [row for row in rows if row["kind"] in kinds]
        if subset:
            result[name] = {"groups": len({row["group"] for row in subset}), "f1": f1_table(subset),
                            "labels_saved": saved_table(subset, seed)}
    return result


def plot_rows(kinds: Mapping[str, Mapping]) -> list[dict]:
    """Rows of ``f1_by_labels.json``: groups, strategy, labels spent (mean), mean F1 and its 10th-90th band."""
    return [{"groups": name, "strategy": row["strategy"], "labels": round(row["labels"], 1),
             "f1": round(row["f1"]["mean"], 4), "low": round(row["f1"]["p10"], 4), "high": round(row["f1"]["p90"], 4),
             "n": row["f1"]["n"]}
            for name, tables in kinds.items() for row in tables["f1"]]


def markdown_table(kinds: Mapping[str, Mapping]) -> str:
    """The README's table: per kind of group and budget, F1 of both strategies (mean [p10, p90], n), their
    paired difference (mean [p10, p90]) and the labels saved at equal F1 (bootstrap [p10, p90]). ``> N``:
    random never reaches uncertainty's F1 within the budgets (N = the labels left to the last budget);
    ``never``: not within the budgets in that percentile's resample."""
    lines = ["| groups | budget (labels spent) | uncertainty F1 | random F1 | uncertainty − random (paired) "
             "| labels saved at equal F1 |", "|---|---|---|---|---|---|"]

    def f1(row: Mapping) -> str:
        s = row["f1"]
        return f"{s['mean']:.3f} [{s['p10']:.3f}, {s['p90']:.3f}] n={s['n']}"

    for name, tables in kinds.items():
        by = {(row["strategy"], row["budget"]): row for row in tables["f1"]}
        saved = {row["budget"]: row for row in tables["labels_saved"]}
        label = f"{name} ({tables['groups']})"
        for budget in sorted({b for _, b in by}):
            u, r = by[("uncertainty", budget)], by[("random", budget)]
            if budget == 0:
                lines.append(f"| {label} | 0 (rest only) | {f1(u)} | {f1(r)} | | |")
                continue
            s, d = saved[budget], saved[budget]["difference"]
            point = (f"> {s['labels_saved_at_least']:.0f}" if s["labels_saved"] is None
                     else f"{s['labels_saved']:+.0f}")
            ends = ["never" if v is None else f"{v:+.0f}" for v in (s["labels_saved_p10"], s["labels_saved_p90"])]
            saved_text = f"{point} [{ends[0]}, {ends[1]}]"
            lines.append(f"| {label} | {budget} ({u['labels']:.0f}) | {f1(u)} | {f1(r)} | {d['mean']:+.3f} "
                         f"[{d['p10']:+.3f}, {d['p90']:+.3f}] | {saved_text} |")
    return "\n".join(lines) + "\n"


def count_fits(rows: Sequence[Mapping], groups: int, settings: Settings) -> int:
    """Learner fits of a simulation: per group the threshold's folds and the rest-only model, per run one
    fit per budget that labelled more than the one before."""
    runs: dict[tuple, set[int]] = defaultdict(set)
    for row in rows:
        runs[(row["group"], row["split"], row["strategy"], row["repeat"])].add(row["labels"])
    return groups * (settings.cv_folds + 1) + sum(len(labels - {0}) for labels in runs.values())


def runs_csv(rows: Sequence[Mapping]) -> str:
    """``rows`` as CSV text (F1, precision and recall rounded to 4 digits)."""
    columns = ["group", "kind", "split", "strategy", "repeat", "budget", "labels", "pool", "eval",
               "f1", "precision", "recall", "tp", "fp", "tn", "fn"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: round(row[k], 4) if isinstance(row[k], float) else row[k] for k in columns})
    return out.getvalue()


def per_group(rows: Sequence[Mapping]) -> dict[str, dict[str, dict[int, float]]]:
    """Mean F1 per group, strategy and budget."""
    values: dict[str, dict[str, dict[int, list[float]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for row in rows:
        values[row["group"]][row["strategy"]][row["budget"]].append(row["f1"])
    return {g: {s: {b: round(float(np.mean(v)), 4) for b, v in sorted(per_b.items())} for s, per_b in per_s.items()}
            for g, per_s in sorted(values.items())}


def write_results(out: Path, rows: list[dict], groups: Sequence[Group], info: Mapping, settings: Settings,
                  meta: Mapping) -> str:
    """Write runs.csv, summary.json, table.md and f1_by_labels.json into ``out`` (replaced whole, atomically);
    return the markdown table."""
    kinds = by_kind(rows, settings.seed)
    markdown = markdown_table(kinds)
    summary = {
        **meta,
        "learner": "TF-IDF + logistic regression (iacsieve.models.lexical.LexicalModel), not the neural encoder",
        "settings": asdict(settings),
        "excluded_repos": list(EXCLUDED_REPOS),
        "groups": [{**asdict(g), **info[g.name]} for g in groups],
        "by_kind": kinds,
        "per_group_f1": per_group(rows),
    }
    with atomic_dir(out) as staging:
        (staging / "runs.csv").write_text(runs_csv(rows), encoding="utf-8")
        (staging / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        (staging / "table.md").write_text(markdown, encoding="utf-8")
        (staging / "f1_by_labels.json").write_text(json.dumps(plot_rows(kinds), indent=2) + "\n", encoding="utf-8")
    return markdown


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog="active_learning.py", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None, help="labelled corpus folder (default: see above)")
    parser.add_argument("--params", type=Path, default=DEFAULT_PARAMS, help="the learner's params (real/params.yaml)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--budgets", type=int, nargs="+", default=list(BUDGETS), help="cumulative label budgets")
    parser.add_argument("--splits", type=int, default=3, help="pool/eval splits per group")
    parser.add_argument("--random-repeats", type=int, default=2, help="random orders per split")
    parser.add_argument("--owner-min-repos", type=int, default=3)
    parser.add_argument("--owner-min-detections", type=int, default=60)
    parser.add_argument("--random-groups", type=int, default=3)
    parser.add_argument("--random-group-detections", type=int, default=440)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: two random groups, one split, one random order, budgets 25 50")
    return parser.parse_args(argv)


def check_args(args: argparse.Namespace) -> None:
    """One-line errors for settings that cannot run."""
    budgets = args.budgets
    if any(b <= 0 for b in budgets) or budgets != sorted(set(budgets)):
        raise IacsieveError(f"--budgets must be positive and increasing, got {' '.join(map(str, budgets))}")
    for name in ("splits", "random_repeats", "workers"):
        if getattr(args, name) < 1:
            raise IacsieveError(f"--{name.replace('_', '-')} must be at least 1")
    if args.random_groups < 0 or args.random_group_detections < 1:
        raise IacsieveError("--random-groups must be >= 0 and --random-group-detections >= 1")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.quick:
        args.budgets, args.splits, args.random_repeats = [25, 50], 1, 1
        args.owner_min_repos, args.random_groups, args.random_group_detections = 10**6, 2, 200
    check_args(args)
    start = time.perf_counter()
    corpus = args.corpus or default_corpus()
    params = load_params(args.params)
    settings = settings_from_params(params, budgets=tuple(args.budgets), splits=args.splits,
                                    random_repeats=args.random_repeats, seed=args.seed)
    records, dropped = load_records(corpus, params)
    unit_of = split_units(records, settings.same_split)
    groups = pick_groups(records, unit_of, args.owner_min_repos, args.owner_min_detections, args.random_groups,
                         args.random_group_detections, args.seed)
    for group in groups:
        print(f"{group.name:12} {group.kind:6} {len(group.repos):3} repositories {group.detections:4} detections",
              file=sys.stderr)

    def progress(message: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f} s] {message}", file=sys.stderr)

    rows, info = simulate(records, groups, settings, args.workers, progress)
    wall = time.perf_counter() - start
    fits = count_fits(rows, len(groups), settings)
    meta = {"corpus": corpus.name, "records": len(records), "excluded_records": dropped, "fits": fits,
            "wall_seconds": round(wall, 1), "workers": args.workers, "cpus": os.cpu_count()}
    markdown = write_results(args.out, rows, groups, info, settings, meta)
    print(markdown, end="")
    print(f"wall time {wall:.1f} s ({fits} fits, {args.workers} workers, {os.cpu_count()} CPUs); "
          f"results in {args.out}")


if __name__ == "__main__":
    sys.exit(run_guarded(lambda: main(), "active_learning.py"))
