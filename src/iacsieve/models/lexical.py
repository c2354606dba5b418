"""The lexical model (TF-IDF + logistic regression on the model text) and the stacker that combines it
with an encoder: the baseline to beat, and the lexical half of a hybrid candidate.

Both are stored as plain JSON (vocabulary, idf and coefficients; stacker weights), never pickled, and
rebuilt with scikit-learn's own classes, so a champion that ships them stays torch-free and pickle-free.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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


class LexicalModel:
    """TF-IDF features of ``model_text`` (``VECTORIZERS``, concatenated) + logistic regression."""

    def __init__(self, vectorizers: list, coef: np.ndarray, intercept: float) -> None:
        self.vectorizers = vectorizers
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = float(intercept)

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
        return cls(vectorizers, regression.coef_[0], regression.intercept_[0])

    def predict_proba(self, records: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """P(TP) of each record."""
        if not records:
            return np.zeros(0)
        from scipy.sparse import hstack

        texts = [model_text(r) for r in records]
        features = hstack([v.transform(texts) for v in self.vectorizers]).tocsr()
        return 1.0 / (1.0 + np.exp(-(features @ self.coef + self.intercept)))

    def to_json(self) -> dict:
        """Plain data: each vectorizer's terms (in column order) and idf, the coefficients, the intercept."""
        parts = []
        for vectorizer in self.vectorizers:
            terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
            parts.append({"terms": terms, "idf": [float(f"{x:.6g}") for x in vectorizer.idf_]})
        return {"vectorizers": parts, "coef": [float(f"{x:.6g}") for x in self.coef], "intercept": self.intercept}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LexicalModel:
        """Rebuild a model written by ``to_json`` (no pickle involved)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizers = []
        for settings, part in zip(VECTORIZERS, data["vectorizers"], strict=True):
            vectorizer = TfidfVectorizer(**settings)
            vectorizer.vocabulary_ = {term: index for index, term in enumerate(part["terms"])}
            vectorizer.idf_ = np.asarray(part["idf"], dtype=np.float64)
            vectorizers.append(vectorizer)
        return cls(vectorizers, np.asarray(data["coef"]), data["intercept"])

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
