"""Stage code deps are computed from imports: dvc.yaml must list exactly what each stage's script reaches."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from iacsieve.stage_deps import code_closure, collapse_to_folders, computed_code_deps, is_code_dep, stale_stages

ROOT = Path(__file__).resolve().parents[1]


def _pipeline(relative: str) -> dict:
    return yaml.safe_load((ROOT / relative).read_text(encoding="utf-8"))


@pytest.mark.parametrize("dvc_yaml, prefix", [("dvc.yaml", ""), ("real/dvc.yaml", "../")])
def test_every_stage_lists_exactly_the_code_it_imports(dvc_yaml, prefix):
    stale = stale_stages(_pipeline(dvc_yaml), ROOT, prefix)
    assert not stale, "code deps out of date (run `make pipeline`):\n" + "\n".join(
        f"{name}: missing {sorted(set(want) - set(have))}, extra {sorted(set(have) - set(want))}"
        for name, (have, want) in stale.items()
    )


def test_removing_any_code_dep_of_any_stage_is_caught():
    pipeline = _pipeline("dvc.yaml")
    checked = 0
    for name, stage in pipeline["stages"].items():
        body = stage.get("do", stage)
        for dep in [d for d in body["deps"] if is_code_dep(d)]:
            broken = copy.deepcopy(pipeline)
            broken_body = broken["stages"][name].get("do", broken["stages"][name])
            broken_body["deps"].remove(dep)
            assert name in stale_stages(broken, ROOT), f"removing {dep} from {name} went unnoticed"
            checked += 1
    assert checked >= 2 * len(pipeline["stages"])  # every stage has its script and at least one module


def test_stages_depend_on_the_modules_their_entry_points_use():
    deps = {name: computed_code_deps(stage.get("do", stage)["cmd"], ROOT)
            for name, stage in _pipeline("dvc.yaml")["stages"].items()}
    # The entry point is named as a string ("module:function"): its module and what it imports count.
    assert "src/iacsieve/data" in deps["preprocess"]  # data/pipeline.py imports smells, corpus, glitch...
    assert "src/iacsieve/smells.py" in deps["preprocess"]
    assert "src/iacsieve/models/tokenizer.py" in deps["tokenizer"]  # run_tokenizer lives there
    assert not any(dep.startswith("src/iacsieve/training") for dep in deps["tokenizer"])
    assert any(dep.startswith("src/iacsieve/models") for dep in deps["evaluate_test"])
    assert all(not dep.startswith("src/iacsieve/filtering") for dep in deps["report"])


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_closure_follows_lazy_relative_and_entry_point_imports(tmp_path):
    _write(tmp_path, {
        "stages/go.py": 'from iacsieve.cli import run\nrun("iacsieve.pkg.entry:main")\n',
        "src/iacsieve/__init__.py": "def __getattr__(name):\n    from iacsieve.heavy import Thing\n    return Thing\n",
        "src/iacsieve/cli.py": "def run(target):\n    pass\n",
        "src/iacsieve/heavy.py": "",
        "src/iacsieve/pkg/__init__.py": "",
        "src/iacsieve/pkg/entry.py": "def main():\n    from .helper import x\n    from iacsieve import util\n",
        "src/iacsieve/pkg/helper.py": "x = 1\n",
        "src/iacsieve/pkg/unused.py": "",
        "src/iacsieve/util.py": "import json\n",
    })
    closure = {p.as_posix() for p in code_closure(Path("stages/go.py"), tmp_path)}
    assert closure == {
        "stages/go.py", "src/iacsieve/__init__.py", "src/iacsieve/cli.py", "src/iacsieve/pkg/__init__.py",
        "src/iacsieve/pkg/entry.py", "src/iacsieve/pkg/helper.py", "src/iacsieve/util.py",
    }  # not heavy.py (a lazy package attribute), not pkg/unused.py
    files = code_closure(Path("stages/go.py"), tmp_path)
    assert collapse_to_folders(files, tmp_path)[0] == "stages"  # every script under stages/ is used
    _write(tmp_path, {"src/iacsieve/pkg/unused.py": "from . import helper\n", "stages/other.py": ""})
    assert "src/iacsieve/pkg/entry.py" in collapse_to_folders(files, tmp_path)  # unused.py blocks the folder


def test_the_package_has_no_import_cycles():
    """Modules import one another in one direction only (function-level imports included)."""
    from graphlib import CycleError, TopologicalSorter

    from iacsieve.stage_deps import imported_names, module_file

    modules = sorted((ROOT / "src" / "iacsieve").rglob("*.py"))
    graph = {path: {found for name in imported_names(path, ROOT)
                    if (found := module_file(name, ROOT)) is not None and found != path and found.name != "__init__.py"}
             for path in modules}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        raise AssertionError("import cycle: " + " -> ".join(str(p.relative_to(ROOT / "src")) for p in error.args[1]))
