"""Run a command so that user errors print one line and exit non-zero, never a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from iacsieve.errors import IacsieveError

EXIT_USER_ERROR = 2


class OneLineParser(argparse.ArgumentParser):
    """Argument errors print one line (not the usage block) and exit 2."""

    def error(self, message: str):
        self.exit(EXIT_USER_ERROR, f"{self.prog}: error: {message}\n")


def run_guarded(main: Callable[[], object], prog: str) -> int:
    """Call ``main``; an ``IacsieveError`` prints ``<prog>: error: <message>`` and returns 2."""
    try:
        main()
    except IacsieveError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    return 0


def run_stage(stage: str, target: str, argv: list[str] | None = None, **arguments: type) -> None:
    """Entry point of a DVC stage script: validate params.yaml, then call ``target``.

    ``target`` is ``"module:function"``; it is imported only after the params validated, so a typo
    fails in well under a second instead of after loading torch. ``arguments`` name extra
    command-line options (``--name value``) and their types, passed to the function as keywords.
    Exits with the code of ``run_guarded``.
    """
    import importlib
    import os

    from iacsieve.params import load_params

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

    parser = OneLineParser(prog=stage, description=f"DVC stage {stage}")
    parser.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")
    for name, kind in arguments.items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, required=True)
    options = vars(parser.parse_args(argv))

    def main() -> None:
        params = load_params(options.pop("params"))
        module, function = target.split(":")
        result = getattr(importlib.import_module(module), function)(params, **options)
        if result is not None:
            print(f"{stage}: {_one_line(result)}")

    raise SystemExit(run_guarded(main, stage))


def _one_line(result: object) -> str:
    import json

    text = json.dumps(result, default=str)
    return text if len(text) <= 300 else text[:297] + "..."
