"""The README's results tables, rendered from the committed pipeline outputs so that they cannot drift.

Each table sits between ``<!-- results:<name> -->`` and ``<!-- /results:<name> -->`` in README.md.
``python -m iacsieve.readme_results`` rewrites them from ``details/`` (the default pipeline) and
``real/details/`` (the real-data pipeline); ``--check`` exits 1 where the README differs, and a test runs it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from iacsieve import paths
from iacsieve.evaluation.tables import ablation_table, per_group_f1_table, test_results_table

README = Path("README.md")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def rendered_tables(project: Path = Path(".")) -> dict[str, str]:
    """Every results table, by marker name: ``<pipeline>-test``, ``<pipeline>-per-group`` and
    ``<pipeline>-ablation`` for the default pipeline (``sample``) and the real-data one (``real``)."""
    tables = {}
    for pipeline, folder in (("sample", project), ("real", project / paths.REAL)):
        test, baselines = _load(folder / paths.TEST_DETAILS), _load(folder / paths.BASELINE_DETAILS)
        tables[f"{pipeline}-test"] = test_results_table(test, baselines)
        tables[f"{pipeline}-per-group"] = per_group_f1_table(test, baselines)
        if (folder / paths.ABLATION_DETAILS).is_file():
            tables[f"{pipeline}-ablation"] = ablation_table(_load(folder / paths.ABLATION_DETAILS),
                                                            _load(folder / paths.ABLATION_EFFICIENCY))
    return tables


def _block(name: str) -> re.Pattern:
    return re.compile(rf"<!-- results:{re.escape(name)} -->\n(?:.*?\n)?<!-- /results:{re.escape(name)} -->", re.S)


def update_readme(text: str, tables: dict[str, str]) -> str:
    """``text`` with each marked results block replaced by its rendered table; blocks without markers are skipped."""
    for name, table in tables.items():
        block = f"<!-- results:{name} -->\n{table}\n<!-- /results:{name} -->"
        text = _block(name).sub(lambda _: block, text)
    return text


def marked_blocks(text: str) -> list[str]:
    """The names of the results blocks marked in ``text``."""
    return re.findall(r"<!-- results:([\w-]+) -->", text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or with ``--check`` verify) the README's results tables from the committed outputs."""
    parser = argparse.ArgumentParser(prog="python -m iacsieve.readme_results", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only report tables that differ; exit 1 if any")
    check = parser.parse_args(argv).check
    text = README.read_text(encoding="utf-8")
    tables = rendered_tables()
    unknown = sorted(set(marked_blocks(text)) - set(tables))
    if unknown:
        print(f"{README}: unknown results block(s): {', '.join(unknown)}", file=sys.stderr)
        return 1
    updated = update_readme(text, tables)
    if check:
        stale = [name for name in marked_blocks(text) if update_readme(text, {name: tables[name]}) != text]
        for name in stale:
            print(f"{README}: results block {name} differs from the outputs; run `make readme`", file=sys.stderr)
        return 1 if stale else 0
    README.write_text(updated, encoding="utf-8")
    print(f"{README}: {len(marked_blocks(text))} results block(s) written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
