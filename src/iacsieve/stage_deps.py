"""The code each DVC stage runs, computed from imports, so that a stage's ``deps`` cannot go stale.

A stage's command is ``python stages/<name>.py``; that script names its entry point as a string
(``"iacsieve.data.pipeline:run_split"``, see ``cli_support.run_stage``). The code a stage runs is that
script plus every module of ``src/iacsieve`` reachable from it through imports — top-level or inside
functions, plus the ``__init__.py`` of every package on the way — and nothing else. ``dvc.yaml`` lists
exactly those files (a folder where every module under it is used); ``rewrite_code_deps`` rewrites the
lists, keeping comments and every data dependency (``python -m iacsieve.pipeline_files``, ``make pipeline``);
``stale_stages`` reports the stale ones, and a test runs the same check.

Ignored on purpose: lazy attributes of a package ``__init__`` (PEP 562 ``__getattr__``), which import
only when that attribute is read; a stage that uses one imports it explicitly.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

PACKAGE = "iacsieve"
SOURCE_ROOT = Path("src")
ENTRY_SCRIPTS = Path("stages")
_ENTRY_POINT = re.compile(rf"^({PACKAGE}(?:\.\w+)*)(?::\w+)?$")
_CMD_SCRIPT = re.compile(r"python\s+(?:\.\./)?(stages/\w+\.py)")


def module_file(module: str, root: Path = Path(".")) -> Path | None:
    """The source file of ``module`` (``iacsieve.x.y``) under ``root/src``, or None if it is no module of ours."""
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    base = root / SOURCE_ROOT / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(path: Path, root: Path) -> str:
    """The dotted package a module file belongs to (for relative imports)."""
    parts = path.relative_to(root / SOURCE_ROOT).with_suffix("").parts
    return ".".join(parts if path.name == "__init__.py" else parts[:-1]).removesuffix(".__init__")


def _lazy_getattr(tree: ast.Module) -> set[ast.AST]:
    """The nodes inside a module-level ``def __getattr__`` (PEP 562 lazy attributes)."""
    return {node for stmt in tree.body
            if isinstance(stmt, ast.FunctionDef) and stmt.name == "__getattr__"
            for node in ast.walk(stmt)}


@lru_cache(maxsize=None)
def imported_names(path: Path, root: Path = Path(".")) -> frozenset[str]:
    """Every dotted name ``path`` imports or names as an entry point (``"iacsieve.m:function"``).

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule); names outside the
    package are returned too and dropped later by ``module_file``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped = _lazy_getattr(tree) if path.name == "__init__.py" else set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = _package_of(path, root).split(".")
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, *([base] if base else [])])
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = _ENTRY_POINT.match(node.value)
            if match:
                names.add(match.group(1))
    return frozenset(names)


def code_closure(script: Path, root: Path = Path(".")) -> set[Path]:
    """``script`` and every module file of the package it reaches through imports, relative to ``root``.

    Importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` first, so those count too.
    """
    seen: set[Path] = set()
    pending = [root / script]
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_names(path, root):
            parts = name.split(".")
            for depth in range(1, len(parts) + 1):
                found = module_file(".".join(parts[:depth]), root)
                if found is not None and found not in seen:
                    pending.append(found)
    return {path.relative_to(root) for path in seen}


def collapse_to_folders(files: set[Path], root: Path = Path(".")) -> list[str]:
    """``files`` as dvc.yaml deps: a folder wherever every ``.py`` file under it is in ``files``.

    Entry scripts come first, then the package's files and folders, each group sorted.
    """
    @lru_cache(maxsize=None)
    def modules_under(folder: Path) -> frozenset[Path]:
        return frozenset(p.relative_to(root) for p in (root / folder).rglob("*.py") if "__pycache__" not in p.parts)

    chosen: set[Path] = set()
    for path in files:
        covering = path
        for folder in path.parents:
            if folder == Path(".") or folder == SOURCE_ROOT:
                break
            if modules_under(folder) <= files:
                covering = folder
        chosen.add(covering)
    return sorted({p.as_posix() for p in chosen}, key=lambda dep: (not dep.startswith(ENTRY_SCRIPTS.as_posix()), dep))


def stage_script(cmd: str) -> str | None:
    """The entry script (``stages/<name>.py``) a stage command runs, or None for other commands."""
    match = _CMD_SCRIPT.search(cmd)
    return match.group(1) if match else None


def is_code_dep(dep: str) -> bool:
    """Whether a dvc.yaml dependency is project code (``stages/``, ``src/``, also seen from ``real/``)."""
    return dep.removeprefix("../").split("/")[0] in (ENTRY_SCRIPTS.as_posix(), SOURCE_ROOT.as_posix())


def computed_code_deps(cmd: str, root: Path = Path(".")) -> list[str] | None:
    """The code deps a stage running ``cmd`` needs, as dvc.yaml entries; None if ``cmd`` runs no stage script."""
    script = stage_script(cmd)
    if script is None:
        return None
    return list(_script_deps(Path(script), root))


@lru_cache(maxsize=None)
def _script_deps(script: Path, root: Path) -> tuple[str, ...]:
    return tuple(collapse_to_folders(code_closure(script, root), root))


def _stage_bodies(dvc_yaml: dict) -> Iterable[tuple[str, dict]]:
    for name, stage in dvc_yaml.get("stages", {}).items():
        yield name, stage["do"] if "do" in stage else stage


def stale_stages(dvc_yaml: dict, root: Path = Path("."), prefix: str = "") -> dict[str, tuple[list[str], list[str]]]:
    """Stages whose code deps differ from the computed ones: name -> (listed, computed).

    ``prefix`` is how code paths are written in that dvc.yaml (``"../"`` in ``real/dvc.yaml``).
    """
    stale = {}
    for name, body in _stage_bodies(dvc_yaml):
        computed = computed_code_deps(body["cmd"], root)
        if computed is None:
            continue
        listed = [d for d in body.get("deps", []) if is_code_dep(d)]
        expected = [prefix + d for d in computed]
        if listed != expected:
            stale[name] = (listed, expected)
    return stale


def rewrite_code_deps(dvc_yaml: dict, root: Path = Path(".")) -> None:
    """Replace each stage's code deps in place by the computed ones, first; data deps follow unchanged."""
    for _, body in _stage_bodies(dvc_yaml):
        computed = computed_code_deps(body["cmd"], root)
        if computed is None:
            continue
        data = [d for d in body.get("deps", []) if not is_code_dep(d)]
        body["deps"][:] = computed + data


def round_trip_yaml():
    """A ruamel.yaml loader/dumper that keeps ``dvc.yaml``'s comments, quotes and layout."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 110
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml
