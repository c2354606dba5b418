"""The ``iacsieve`` command: ``filter`` new GLITCH output with the champion, ``sweep`` a stage grid."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from iacsieve import paths
from iacsieve.atomic import atomic_write_text
from iacsieve.cli_support import OneLineParser, run_guarded


#: Default champion folder for `iacsieve filter --model` (pre-commit hooks, CI).
MODEL_ENV = "IACSIEVE_MODEL"


def default_model() -> Path:
    """The champion `iacsieve filter` uses without ``--model``: ``$IACSIEVE_MODEL``, else the published
    real-data champion (``dvc pull real/models/champion``) where present, else the sample's."""
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV])
    return paths.PUBLISHED_CHAMPION if paths.PUBLISHED_CHAMPION.is_dir() else paths.CHAMPION


#: `iacsieve filter` exit status when at least one detection is kept (0: none kept, 2: error).
EXIT_FINDINGS = 1


def build_parser() -> argparse.ArgumentParser:
    from iacsieve.filtering.filter import BACKENDS
    from iacsieve.filtering.formats import FORMATS
    from iacsieve.filtering.onnx_scorer import THREADS_ENV

    parser = OneLineParser(prog="iacsieve", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    filter_cmd = commands.add_parser(
        "filter", help="score GLITCH detections and keep the likely true positives",
        description="Score GLITCH detections with the champion and keep the likely true positives. Exit status: "
                    "0 no detection kept, 1 at least one kept (of the --fail-on smells), 2 error.")
    filter_cmd.add_argument("csvs", nargs="*", type=Path, metavar="CSV",
                            help="GLITCH --csv output files (the same as --glitch; for pre-commit)")
    filter_cmd.add_argument("--glitch", action="append", default=[], type=Path, metavar="CSV",
                            help="GLITCH --csv output (repeat for several)")
    filter_cmd.add_argument("--scripts", required=True, type=Path, metavar="DIR",
                            help="the folder GLITCH was run from: PATHs in the CSV are relative to it")
    filter_cmd.add_argument("--model", type=Path, default=default_model(),
                            help=f"champion folder (default: ${MODEL_ENV}, else the published {paths.PUBLISHED_CHAMPION} "
                                 f"where it is present, else {paths.CHAMPION})")
    filter_cmd.add_argument("--format", choices=FORMATS, default="sarif",
                            help="output format; table is for people (default: %(default)s)")
    filter_cmd.add_argument("-o", "--output", type=Path, help="output file (default: standard output)")
    filter_cmd.add_argument("--keep-all", action="store_true",
                            help="write every detection with its score and verdict, not only the kept ones")
    filter_cmd.add_argument("--fail-on", action="append", metavar="SMELLS",
                            help="comma-separated smells whose kept detections make the exit status 1: trained "
                                 "(default), all, secret, comment, crypto, http, a smell name or a GLITCH code")
    filter_cmd.add_argument("--exit-zero", action="store_true", help="exit 0 even when detections are kept")
    filter_cmd.add_argument("--backend", choices=BACKENDS, default="auto",
                            help="onnx: ONNX Runtime, no torch; torch: PyTorch; auto: onnx when the champion "
                                 "has model.onnx (default: %(default)s)")
    filter_cmd.add_argument("--threads", type=int, help=f"CPU threads (default: ${THREADS_ENV}, else the champion's)")
    filter_cmd.add_argument("--batch-size", type=int, default=None,
                            help="detections per batch (default: 16 with ONNX, 64 with PyTorch)")
    filter_cmd.add_argument("--repo-depth", type=int, default=0, metavar="N",
                            help="--scripts holds several repositories, each its first N folders (default 0: it is "
                                 "one repository); the model reads paths inside their repository")
    filter_cmd.add_argument("--force", action="store_true", help="overwrite an existing output file")

    label_cmd = commands.add_parser(
        "label", help="label GLITCH detections TP/FP in the terminal, into a corpus pipelines can train on",
        description="Show GLITCH detections one at a time (most uncertain for the champion first) and write your "
                    "TP/FP answers to a labelled corpus (real-corpus format). Rerun to resume.")
    label_cmd.add_argument("csvs", nargs="*", type=Path, metavar="CSV", help="GLITCH --csv output files")
    label_cmd.add_argument("--glitch", action="append", default=[], type=Path, metavar="CSV",
                           help="GLITCH --csv output (repeat for several)")
    label_cmd.add_argument("--scripts", required=True, type=Path, metavar="DIR",
                           help="the folder GLITCH was run from: PATHs in the CSV are relative to it")
    label_cmd.add_argument("-o", "--output", required=True, type=Path, metavar="DIR",
                           help="the corpus folder to write (new, empty, or a corpus to add to / resume)")
    label_cmd.add_argument("--model", type=Path,
                           help="champion folder for the scores (default: as for filter; without one, file order)")
    label_cmd.add_argument("--order", choices=("uncertainty", "file"), default="uncertainty",
                           help="uncertainty: scores closest to the threshold first, spread across files; "
                                "file: by path and line (default: %(default)s)")
    label_cmd.add_argument("--repo", help="repository name for the records (default: owner/name of the git "
                                          "remote origin, else the checkout's folder name)")
    label_cmd.add_argument("--license", default="NOASSERTION", help="SPDX license id recorded (default: %(default)s)")
    label_cmd.add_argument("--labeller", help="who labels (default: human:<login name>)")
    label_cmd.add_argument("--backend", choices=BACKENDS, default="auto", help="champion backend (as for filter)")

    sweep_cmd = commands.add_parser("sweep", help="one DVC experiment per grid point of sweeps.<stage> in params.yaml")
    sweep_cmd.add_argument("stage", help="a key of sweeps: in params.yaml, e.g. stage2")
    sweep_cmd.add_argument("--grid", default="default", help="grid name under sweeps.<stage>.grids (default: %(default)s)")
    sweep_cmd.add_argument("--params", type=Path, default=Path("params.yaml"))
    sweep_cmd.add_argument("--dry-run", action="store_true", help="print the points, queue nothing")
    sweep_cmd.add_argument("--slurm", action="store_true", help="submit an sbatch array job instead of DVC's local queue")
    sweep_cmd.add_argument("--kind", choices=("cpu", "gpu"), default="cpu", help="SLURM resources from slurm.<kind>")
    sweep_cmd.add_argument("--after", metavar="JOBID", help="SLURM: start only after JOBID succeeded (afterok)")
    sweep_cmd.add_argument("--wait", action="store_true", help="SLURM: wait for every task, print their states")

    task_cmd = commands.add_parser("sweep-task", help="(run by SLURM) run one grid point as a DVC experiment")
    task_cmd.add_argument("--points", type=Path, required=True)
    task_cmd.add_argument("--index", type=int, required=True)
    task_cmd.add_argument("--threads", type=int, default=1)
    return parser


def run_filter(args: argparse.Namespace) -> int:
    """Write the filtered detections; return 1 when a detection of the --fail-on smells is kept, else 0."""
    from iacsieve.errors import IacsieveError
    from iacsieve.filtering.filter import Filter, fail_codes
    from iacsieve.filtering.formats import WRITERS

    glitch = [*args.glitch, *args.csvs]
    if not glitch:
        raise IacsieveError("no GLITCH CSV given (--glitch CSV or CSV arguments)")
    if args.output is not None and args.output.exists() and not args.force:
        raise IacsieveError(f"{args.output}: already exists (use --force to overwrite)")
    if args.batch_size is not None and args.batch_size < 1:
        raise IacsieveError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.threads is not None and args.threads < 1:
        raise IacsieveError(f"--threads must be at least 1, got {args.threads}")
    if args.repo_depth < 0:
        raise IacsieveError(f"--repo-depth must be at least 0, got {args.repo_depth}")
    codes = fail_codes(args.fail_on)
    result = Filter.from_pretrained(args.model, batch_size=args.batch_size, backend=args.backend,
                                    threads=args.threads).filter_glitch(glitch, args.scripts, repo_depth=args.repo_depth)
    text = WRITERS[args.format](result, args.keep_all)
    if args.output is None:
        sys.stdout.write(text)
    else:
        atomic_write_text(args.output, text)
    findings = result.findings(codes)
    print(f"iacsieve filter: {result.summary()}", file=sys.stderr)
    return EXIT_FINDINGS if findings and not args.exit_zero else 0


def run_label(args: argparse.Namespace) -> None:
    """Label detections interactively into the corpus at ``args.output``; print a closing summary line."""
    import getpass

    from iacsieve.errors import IacsieveError
    from iacsieve.labelling.items import order_items, read_label_input
    from iacsieve.labelling.session import LabelSession
    from iacsieve.labelling.store import LabelStore
    from iacsieve.labelling.terminal import run_terminal

    glitch = [*args.glitch, *args.csvs]
    if not glitch:
        raise IacsieveError("no GLITCH CSV given (--glitch CSV or CSV arguments)")
    notes = []
    model = args.model
    if model is None:
        model = default_model()
        if not model.is_dir():
            notes.append(f"no champion at {model}: scores shown as -, detections in file order")
            model = None
    elif not model.is_dir():
        raise IacsieveError(f"--model {model}: no champion folder there")
    data = read_label_input(glitch, args.scripts, model, repo=args.repo, backend=args.backend)
    if not data.items:
        raise IacsieveError(f"{glitch[0]}: no detections of the four trained smells to label")
    labeller = args.labeller or f"human:{getpass.getuser()}"
    store = LabelStore(args.output, data.checkout, args.license, labeller)
    skipped = sum(data.skipped.values())
    if skipped:
        notes.append(f"{skipped} GLITCH rows not asked (" +
                     ", ".join(f"{n} {why}" for why, n in sorted(data.skipped.items())) + ")")
    session = LabelSession(order_items(data.items, data.threshold, args.order), store)
    print(f"iacsieve label: {run_terminal(session, data.threshold, notes)}")


def run_sweep(args: argparse.Namespace) -> None:
    from iacsieve.errors import IacsieveError
    from iacsieve.params import load_params, read_params_file
    from iacsieve.sweeps import enqueue, grid_points

    params = load_params(args.params)
    raw = read_params_file(args.params)
    points = grid_points(params, raw, args.stage, args.grid)
    for point in points:
        print(f"{point.name}: dvc exp run {' '.join(point.exp_run_args())}")
    if args.dry_run:
        return
    if not args.slurm:
        enqueue(points)
        print(f"queued {len(points)} experiments. Run them: dvc queue start -j 2  (or dvc exp run --run-all -j 2)")
        print("watch: dvc queue status   compare: dvc exp show")
        return
    from iacsieve import slurm

    job_id, run_dir = slurm.submit(points, args.stage, params.slurm, args.kind, args.after)
    print(f"submitted array job {job_id} ({len(points)} tasks, scripts in {run_dir}, logs in {params.slurm.log_dir}/)")
    print(f"chain the next stage: iacsieve sweep <stage> --slurm --after {job_id}")
    if args.wait:
        slurm.wait(job_id)
        states = slurm.task_states(job_id, slurm.read_points(run_dir / "points.jsonl"))
        for task in states:
            print(f"  task {task.index} {task.name}: {task.state} exit {task.exit_code}")
        failed = [t.name for t in states if not t.ok]
        print(f"{len(states) - len(failed)}/{len(states)} tasks succeeded; compare: dvc exp show")
        if failed:
            raise IacsieveError(f"SLURM job {job_id}: {len(failed)} task(s) failed: {', '.join(failed)}")


def run_sweep_task(args: argparse.Namespace) -> None:
    from iacsieve import slurm

    code = slurm.run_task(args.points, args.index, args.threads)
    if code:
        raise SystemExit(code)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # keep stderr to our one-line messages
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    args = build_parser().parse_args(argv)
    handlers = {"filter": run_filter, "label": run_label, "sweep": run_sweep, "sweep-task": run_sweep_task}
    status: list[int] = []

    def handle() -> None:
        try:
            status.append(handlers[args.command](args) or 0)
        except Exception as error:
            from iacsieve.errors import IacsieveError

            if isinstance(error, IacsieveError) or args.command != "filter":
                raise
            # CI reads 1 as "detections kept": any other failure of the filter must exit 2.
            import traceback

            traceback.print_exc()
            raise IacsieveError(f"unexpected {type(error).__name__}: {error}") from error

    code = run_guarded(handle, f"iacsieve {args.command}")
    return code or (status[0] if status else 0)


if __name__ == "__main__":
    raise SystemExit(main())
