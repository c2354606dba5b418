"""Score new GLITCH output with a frozen champion and keep the likely true positives."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from iacsieve.data.glitch import Detection, read_glitch_csvs
from iacsieve.data.preprocess import detection_record, repository_of
from iacsieve.data.scripts import ScriptFolder
from iacsieve.smells import (
    GLITCH_CODES,
    HARD_CODED_SECRET,
    HTTP_WITHOUT_TLS,
    SUSPICIOUS_COMMENT,
    WEAK_CRYPTO,
    trained_smell,
)

KEEP, FILTER, UNSCORED = "keep", "filter", "unscored"
PROGRESS_MIN_ITEMS = 2000
CHUNK = 512


#: Short names of the trained smells for ``--fail-on``.
SMELL_ALIASES = {"secret": HARD_CODED_SECRET, "comment": SUSPICIOUS_COMMENT, "crypto": WEAK_CRYPTO,
                 "http": HTTP_WITHOUT_TLS}


def fail_codes(spec: list[str] | None) -> set[str] | None:
    """GLITCH codes named by ``--fail-on`` values (each comma-separated): ``trained`` (the four trained
    smells, the default), ``all`` (every GLITCH code, passed-through ones included), a short smell name
    (secret, comment, crypto, http), a trained smell's name, or a GLITCH code (sec_hard_pass, sec_def_admin,
    ...). None for no spec (the default). Raises ``IacsieveError`` for an unknown name."""
    from iacsieve.errors import IacsieveError

    if not spec:
        return None
    by_smell: dict[str, set[str]] = {}
    for code, (_, _, smell) in GLITCH_CODES.items():
        if smell:
            by_smell.setdefault(smell.lower(), set()).add(code)
    codes: set[str] = set()
    for value in spec:
        for name in filter(None, (part.strip() for part in value.split(","))):
            key = name.lower()
            if key == "trained":
                codes |= {c for c, entry in GLITCH_CODES.items() if entry[2]}
            elif key == "all":
                codes |= set(GLITCH_CODES)
            elif key in SMELL_ALIASES:
                codes |= by_smell[SMELL_ALIASES[key].lower()]
            elif key in by_smell:
                codes |= by_smell[key]
            elif key in GLITCH_CODES:
                codes.add(key)
            else:
                raise IacsieveError(f"--fail-on: unknown smell {name!r}; use trained, all, "
                                    f"{', '.join(SMELL_ALIASES)}, a smell name or a GLITCH code (e.g. sec_hard_pass)")
    if not codes:
        raise IacsieveError("--fail-on: no smell given")
    return codes


@dataclass(frozen=True)
class ScoredDetection:
    """A GLITCH detection with the champion's verdict: keep / filter, or unscored for other smells."""

    detection: Detection
    file: str  # path relative to the scripts folder
    smell: str | None
    score: float | None
    verdict: str


@dataclass
class FilterResult:
    """Every detection read, with verdicts, and the counts the summary line reports."""

    detections: list[ScoredDetection] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    threshold: float = 0.5

    def count(self, verdict: str) -> int:
        return sum(d.verdict == verdict for d in self.detections)

    def findings(self, fail_codes: set[str] | None = None) -> list[ScoredDetection]:
        """Detections that fail a CI run: kept ones (scored at or above the threshold) whose GLITCH code
        is in ``fail_codes`` (default: every code of a trained smell), and unscored ones whose code
        ``fail_codes`` names explicitly."""
        if fail_codes is None:
            return [d for d in self.detections if d.verdict == KEEP]
        return [d for d in self.detections if d.verdict in (KEEP, UNSCORED) and d.detection.code in fail_codes]

    def summary(self) -> str:
        skipped = sum(self.skipped.values())
        detail = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items()))
        return (
            f"{len(self.detections) + skipped} detections read: {self.count(KEEP)} kept, "
            f"{self.count(FILTER)} filtered (score < {self.threshold:.2f}), "
            f"{self.count(UNSCORED)} passed through unscored (smells not trained on), "
            f"{skipped} skipped" + (f" ({detail})" if detail else "")
        )


BACKENDS = ("auto", "onnx", "torch")
TORCH_BATCH_SIZE = 64


class Filter:
    """A frozen champion ready to score GLITCH detections.

    >>> f = Filter.from_pretrained("models/champion")        # verifies SHA256SUMS, safetensors only
    >>> result = f.filter_glitch(["glitch.csv"], "path/to/scripts")

    ``backend``: ``"onnx"`` scores with the champion's ``model.onnx`` through ONNX Runtime and the
    ``tokenizers`` library, without importing torch or transformers; ``"torch"`` with the PyTorch
    weights; ``"auto"`` (the default) with ONNX when the folder has ``model.onnx``. ``threads``: CPU
    threads for scoring (default: ``$IACSIEVE_THREADS``, else the champion's ``threads``, else 2).
    """

    def __init__(self, folder: str | Path, batch_size: int | None = None, backend: str = "auto",
                 threads: int | None = None):
        """Verify the champion folder's checksums and read its metadata; weights load on first use."""
        from iacsieve.champion import WEIGHTS_FILE, read_champion_meta
        from iacsieve.errors import IacsieveError
        from iacsieve.filtering.onnx_scorer import BATCH_SIZE as ONNX_BATCH_SIZE
        from iacsieve.filtering.onnx_scorer import ONNX_FILE, TOKENIZER_CONFIG, TOKENIZER_FILE, resolve_threads
        from iacsieve.models.lexical import LEXICAL_FILE

        if backend not in BACKENDS:
            raise IacsieveError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        if threads is not None and threads < 1:
            raise IacsieveError(f"threads must be at least 1, got {threads}")
        self.folder = Path(folder)
        has_onnx = (self.folder / ONNX_FILE).is_file()
        if backend == "onnx" and not has_onnx and self.folder.is_dir():
            raise IacsieveError(f"{self.folder}: no {ONNX_FILE} in the champion folder (freeze with filter.onnx: true, "
                                "or use the torch backend)")
        self.backend = "onnx" if backend == "onnx" or (backend == "auto" and has_onnx) else "torch"
        # The ONNX path hashes each file it reads as it reads it (read_verified) and the PyTorch weights only
        # before it loads them; at open these are only checked to be listed and present.
        self._deferred = (frozenset({ONNX_FILE, TOKENIZER_FILE, TOKENIZER_CONFIG, LEXICAL_FILE, WEIGHTS_FILE})
                          if self.backend == "onnx" else frozenset())
        self.meta = read_champion_meta(self.folder, self._deferred)
        # None: the backend's own (ONNX: onnx_scorer.BATCH_SIZE, what the int8 check used; PyTorch: 64).
        self.batch_size = batch_size or (ONNX_BATCH_SIZE if self.backend == "onnx" else TORCH_BATCH_SIZE)
        self.threads = resolve_threads(threads, self.meta)
        self._model = self._tokenizer = self._onnx = self._lexical = None

    @classmethod
    def from_pretrained(cls, folder: str | Path, batch_size: int | None = None, backend: str = "auto",
                        threads: int | None = None) -> "Filter":
        """A filter over a champion folder (``models/champion``), checked against its SHA256SUMS."""
        return cls(folder, batch_size, backend, threads)

    @property
    def model(self):
        """The PyTorch classifier (loaded on first use, whatever the backend)."""
        return self._classifier()[0]

    @property
    def tokenizer(self):
        """The transformers tokenizer (loaded on first use, whatever the backend)."""
        return self._classifier()[1]

    def _classifier(self):
        if self._model is None:
            from iacsieve.champion import verify_checksums
            from iacsieve.models.predict import load_classifier

            if self._deferred:
                verify_checksums(self.folder)  # the PyTorch files were not hashed when the filter opened
            self._model, self._tokenizer = load_classifier(self.folder)
        return self._model, self._tokenizer

    def _onnx_scorer(self):
        if self._onnx is None:
            from iacsieve.filtering.onnx_scorer import OnnxScorer

            self._onnx = OnnxScorer(self.folder, max_length=self.meta["max_length"], threads=self.threads)
        return self._onnx

    def load(self) -> "Filter":
        """Load the scoring backend now rather than on the first detection (e.g. before timing)."""
        if self.backend == "onnx":
            self._onnx_scorer()
        else:
            self._classifier()
        return self

    def predict_proba(self, texts: list[str]):
        """Positive-class probabilities of model input texts, in order (float64 array)."""
        if self.backend == "onnx":
            return self._onnx_scorer().predict_proba(texts, batch_size=self.batch_size)
        import torch

        from iacsieve.models.predict import predict_proba

        torch.set_num_threads(self.threads)
        model, tokenizer = self._classifier()
        return predict_proba(model, tokenizer, texts, batch_size=self.batch_size, max_length=self.meta["max_length"])

    @property
    def threshold(self) -> float:
        return float(self.meta["threshold"])

    def score_records(self, records: list[dict], progress: bool | None = None) -> list[float]:
        """Positive-class probabilities of records (with ``content``/``context``/``smell``), in order."""
        from iacsieve.models.inputs import model_text

        texts = [model_text(r) for r in records]
        if progress is None:
            progress = sys.stderr.isatty() and len(texts) >= PROGRESS_MIN_ITEMS
        scores: list[float] = []
        bar = None
        if progress:
            from tqdm import tqdm  # only for long runs: its import is a cost the filter pays on every call

            bar = tqdm(total=len(texts), unit="det", file=sys.stderr)
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start:start + CHUNK]
            scores.extend(float(p) for p in self.predict_proba(chunk))
            if bar is not None:
                bar.update(len(chunk))
        if bar is not None:
            bar.close()
        stacker = self.meta.get("stacker")
        if stacker is None or not records:
            return scores
        from iacsieve.models.lexical import stack

        return [float(p) for p in stack(stacker, scores, self._lexical_model().predict_proba(records))]

    def _lexical_model(self):
        """A hybrid champion's TF-IDF + LR part, from its plain-JSON file, checked against SHA256SUMS."""
        if self._lexical is None:
            import json

            from iacsieve.champion import read_verified
            from iacsieve.models.lexical import LEXICAL_FILE, LexicalModel

            self._lexical = LexicalModel.from_json(json.loads(read_verified(self.folder, LEXICAL_FILE)))
        return self._lexical

    def filter_glitch(self, glitch_csvs: list[str | Path], scripts_root: str | Path,
                      progress: bool | None = None, repo_depth: int = 0) -> FilterResult:
        """Read GLITCH CSVs, build each trained-smell detection's context as ``preprocess`` does,
        score them and apply the frozen threshold. Other smells pass through unscored.

        The model reads each file's path inside its repository. ``repo_depth`` 0 (the default): the
        scripts folder is one repository; N: it holds several, each its first N folders (as
        ``data.repo_depth`` in training, e.g. 2 for the embedded sample's ``<tech>/<project>``).
        Bad input raises ``IacsieveError`` before anything is scored."""
        report = read_glitch_csvs(glitch_csvs)
        scripts = ScriptFolder(scripts_root)
        scored, untrained = [], []
        for detection in report.detections:
            if trained_smell(detection.code) is None:
                untrained.append((detection, scripts.relpath(detection.path, detection.where())))
            else:
                record = detection_record(
                    detection, scripts, self.meta["context_lines"], self.meta["max_line_chars"],
                    neighbour_chars=self.meta.get("neighbour_chars"),
                )
                if repo_depth:
                    record["repo"] = repository_of(record["file"], repo_depth)
                scored.append((detection, record))
        scores = self.score_records([record for _, record in scored], progress)
        result = FilterResult(skipped=Counter(report.skipped), threshold=self.threshold)
        for (detection, record), score in zip(scored, scores):
            verdict = KEEP if score >= self.threshold else FILTER
            result.detections.append(ScoredDetection(detection, record["file"], record["smell"], score, verdict))
        for detection, relpath in untrained:
            result.detections.append(ScoredDetection(detection, relpath, None, None, UNSCORED))
        result.detections.sort(key=lambda d: (d.file, d.detection.line, d.detection.code))
        return result
