"""The lexical model (TF-IDF + logistic regression on the model text) and the stacker that combines it
with an encoder: the baseline to beat, and the lexical half of a hybrid candidate.

Both are stored as plain JSON (vocabulary, idf and coefficients; stacker weights), never pickled. Fitting
uses scikit-learn; scoring re-implements its TF-IDF transform in plain Python (checked against it in the
tests), so a champion that ships them stays torch-free, pickle-free and scikit-learn-free.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from iacsieve.models.inputs import model_text

#: The file a hybrid champion holds its lexical model in.
LEXICAL_FILE = "lexical.json"
#: Word 1-2-grams (identifiers and single symbols) and char_wb 2-5-grams, sublinear tf, min_df 2.
VECTORIZERS: tuple[dict[str, Any], ...] = (
    {"ngram_range": (1, 2), "token_pattern": r"[A-Za-z_][A-Za-z0-9_]*|\S", "min_df": 2, "sublinear_tf": True},
    {"analyzer": "char_wb", "ngram_range": (2, 5), "min_df": 2, "sublinear_tf": True},
)
_EPSILON = 1e-6
#: scikit-learn's whitespace normalisation before char_wb n-grams.
_WHITE_SPACES = re.compile(r"\s\s+")


def _analyzer(settings: Mapping[str, Any]) -> Callable[[str], list[str]]:
    """The terms scikit-learn's ``TfidfVectorizer(**settings)`` extracts from a text (lowercased; word
    n-grams of ``token_pattern`` tokens joined by a space, or ``char_wb`` n-grams inside space-padded
    words), re-implemented in plain Python so that scoring needs no scikit-learn (importing it costs the
    filter about a second). ``tests/test_pretrained_cv.py`` checks it against scikit-learn's analyzer."""
    low, high = settings["ngram_range"]
    if settings.get("analyzer", "word") == "char_wb":
        def char_wb(text: str) -> list[str]:
            grams = []
            for word in _WHITE_SPACES.sub(" ", text.lower()).split():
                word = f" {word} "
                for n in range(low, high + 1):
                    if len(word) <= n:  # a short word counts once, whole
                        grams.append(word)
                        break
                    grams.extend(word[i:i + n] for i in range(len(word) - n + 1))
            return grams
        return char_wb

    pattern = re.compile(settings.get("token_pattern", r"(?u)\b\w\w+\b"))

    def words(text: str) -> list[str]:
        tokens = pattern.findall(text.lower())
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), min(high, len(tokens)) + 1):
            grams.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
        return grams
    return words


class LexicalModel:
    """TF-IDF features of ``model_text`` (``VECTORIZERS``, each l2-normalised, concatenated) + logistic
    regression. Fitting uses scikit-learn; scoring is plain Python + numpy on the fitted terms."""

    def __init__(self, terms: Sequence[Sequence[str]], idf: Sequence[Sequence[float]], coef: Sequence[float],
                 intercept: float) -> None:
        """``terms[k]``/``idf[k]``: vectorizer k's vocabulary in column order and its idf; ``coef``: the
        regression's weights over all columns (vectorizer 0's first)."""
        if len(terms) != len(VECTORIZERS) or len(idf) != len(VECTORIZERS):
            raise ValueError(f"expected {len(VECTORIZERS)} vectorizers, got {len(terms)} term lists and {len(idf)} idf")
        self.terms = [list(t) for t in terms]
        self.idf = [np.asarray(values, dtype=np.float64) for values in idf]
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)
        if any(len(t) != len(i) for t, i in zip(self.terms, self.idf)) or len(self.coef) != sum(map(len, self.terms)):
            raise ValueError("terms, idf and coef lengths disagree")
        offsets = np.cumsum([0] + [len(t) for t in self.terms])
        self._parts = [
            (_analyzer(settings), {term: column for column, term in enumerate(terms)}, idf_k,
             self.coef[offsets[k]:offsets[k + 1]])
            for k, (settings, terms, idf_k) in enumerate(zip(VECTORIZERS, self.terms, self.idf))
        ]

    @classmethod
    def fit(cls, records: Sequence[Mapping[str, Any]], c: float, seed: int) -> LexicalModel:
        """Fit on ``records`` (their model text and 0/1 ``label``) with inverse regularisation ``c``."""
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        texts = [model_text(r) for r in records]
        vectorizers = [TfidfVectorizer(**settings) for settings in VECTORIZERS]
        features = hstack([v.fit_transform(texts) for v in vectorizers]).tocsr()
        regression = LogisticRegression(C=c, max_iter=2000, random_state=seed)
        regression.fit(features, [int(r["label"]) for r in records])
        terms = [sorted(v.vocabulary_, key=v.vocabulary_.__getitem__) for v in vectorizers]
        return cls(terms, [v.idf_ for v in vectorizers], regression.coef_[0], regression.intercept_[0])

    def decision(self, text: str) -> float:
        """The regression's logit for one model text: sum over vectorizers of coef . tfidf / ||tfidf||."""
        z = self.intercept
        for analyze, vocabulary, idf, coef in self._parts:
            counts: dict[int, int] = {}
            for term in analyze(text):
                column = vocabulary.get(term)
                if column is not None:
                    counts[column] = counts.get(column, 0) + 1
            if not counts:
                continue
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
            weights = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[columns]
            z += float(weights @ coef[columns]) / float(np.sqrt(weights @ weights))
        return z

    def predict_proba(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """P(TP) of each record."""
        z = np.fromiter((self.decision(model_text(r)) for r in records), dtype=np.float64, count=len(records))
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        """Plain data: each vectorizer's terms (in column order) and idf, the coefficients, the intercept."""
        parts = [{"terms": terms, "idf": [float(f"{x:.6g}") for x in idf]} for terms, idf in zip(self.terms, self.idf)]
        return {"vectorizers": parts, "coef": [float(f"{x:.6g}") for x in self.coef], "intercept": self.intercept}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LexicalModel:
        """Rebuild a model written by ``to_json`` (no pickle, no scikit-learn involved)."""
        parts = data["vectorizers"]
        return cls([p["terms"] for p in parts], [p["idf"] for p in parts], data["coef"], data["intercept"])

    def save(self, path: Path) -> None:
        """Write ``to_json`` to ``path``."""
        path.write_text(json.dumps(self.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> LexicalModel:
        """Read a model saved with ``save``."""
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPSILON, 1 - _EPSILON)
    return np.log(p / (1 - p))


def fit_stacker(encoder: Sequence[float], lexical: Sequence[float], labels: Sequence[int], seed: int) -> dict:
    """A logistic regression on the logits of the two scores (out-of-fold scores: calibrated, not overfit).

    Returns its weights as plain data: ``{"encoder": w1, "lexical": w2, "intercept": b}``.
    """
    from sklearn.linear_model import LogisticRegression

    features = np.column_stack([_logit(encoder), _logit(lexical)])
    regression = LogisticRegression(C=1.0, random_state=seed).fit(features, list(labels))
    w1, w2 = regression.coef_[0]
    return {"encoder": float(w1), "lexical": float(w2), "intercept": float(regression.intercept_[0])}


def stack(weights: Mapping[str, float], encoder: Sequence[float], lexical: Sequence[float]) -> np.ndarray:
    """P(TP) of the hybrid: the stacker's ``weights`` applied to the two scores."""
    z = weights["encoder"] * _logit(encoder) + weights["lexical"] * _logit(lexical) + weights["intercept"]
    return 1.0 / (1.0 + np.exp(-z))
