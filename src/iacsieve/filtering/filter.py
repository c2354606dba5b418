"""Score new GLITCH output with a frozen champion and keep the likely true positives."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from iacsieve.data.glitch import Detection, read_glitch_csvs
from iacsieve.data.preprocess import detection_record
from iacsieve.data.scripts import ScriptFolder
from iacsieve.smells import trained_smell

KEEP, FILTER, UNSCORED = "keep", "filter", "unscored"
PROGRESS_MIN_ITEMS = 2000
CHUNK = 512


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

    def summary(self) -> str:
        skipped = sum(self.skipped.values())
        detail = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items()))
        return (
            f"{len(self.detections) + skipped} detections read: {self.count(KEEP)} kept, "
            f"{self.count(FILTER)} filtered (score < {self.threshold:.2f}), "
            f"{self.count(UNSCORED)} passed through unscored (smells not trained on), "
            f"{skipped} skipped" + (f" ({detail})" if detail else "")
        )


class Filter:
    """A frozen champion ready to score GLITCH detections.

    >>> f = Filter.from_pretrained("models/champion")        # verifies SHA256SUMS, safetensors only
    >>> result = f.filter_glitch(["glitch.csv"], "path/to/scripts")
    """

    def __init__(self, folder: str | Path, batch_size: int = 64):
        """Verify the champion folder's checksums and read its metadata; weights load on first use."""
        from iacsieve.champion import read_champion_meta

        self.folder = Path(folder)
        self.meta = read_champion_meta(self.folder)
        self.batch_size = batch_size
        self._model = self._tokenizer = None

    @classmethod
    def from_pretrained(cls, folder: str | Path, batch_size: int = 64) -> "Filter":
        """A filter over a champion folder (``models/champion``), checked against its SHA256SUMS."""
        return cls(folder, batch_size)

    @property
    def model(self):
        return self._classifier()[0]

    @property
    def tokenizer(self):
        return self._classifier()[1]

    def _classifier(self):
        if self._model is None:
            from iacsieve.training.predict import load_classifier

            self._model, self._tokenizer = load_classifier(self.folder)
        return self._model, self._tokenizer

    @property
    def threshold(self) -> float:
        return float(self.meta["threshold"])

    def score_records(self, records: list[dict], progress: bool | None = None) -> list[float]:
        """Positive-class probabilities of records (with ``content``/``context``/``smell``), in order."""
        from tqdm import tqdm

        from iacsieve.models.inputs import model_text
        from iacsieve.training.predict import predict_proba

        texts = [model_text(r) for r in records]
        model, tokenizer = self._classifier() if texts else (None, None)
        if progress is None:
            progress = sys.stderr.isatty() and len(texts) >= PROGRESS_MIN_ITEMS
        scores: list[float] = []
        with tqdm(total=len(texts), unit="det", disable=not progress, file=sys.stderr) as bar:
            for start in range(0, len(texts), CHUNK):
                chunk = texts[start:start + CHUNK]
                scores.extend(float(p) for p in predict_proba(
                    model, tokenizer, chunk, batch_size=self.batch_size, max_length=self.meta["max_length"]
                ))
                bar.update(len(chunk))
        return scores

    def filter_glitch(self, glitch_csvs: list[str | Path], scripts_root: str | Path,
                      progress: bool | None = None) -> FilterResult:
        """Read GLITCH CSVs, build each trained-smell detection's context as ``preprocess`` does,
        score them and apply the frozen threshold. Other smells pass through unscored.
        Bad input raises ``IacsieveError`` before anything is scored."""
        report = read_glitch_csvs(glitch_csvs)
        scripts = ScriptFolder(scripts_root)
        scored, untrained = [], []
        for detection in report.detections:
            if trained_smell(detection.code) is None:
                untrained.append((detection, scripts.relpath(detection.path, detection.where())))
            else:
                record = detection_record(detection, scripts, self.meta["context_lines"], self.meta["max_line_chars"])
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
