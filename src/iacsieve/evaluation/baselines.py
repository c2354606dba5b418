"""The ``baselines`` stage: what the champion must beat, scored with the same metric code.

(a) GLITCH as-is keeps every detection; (b) a keyword rule per smell drops the detections a careful
reader would drop at a glance (values from vaults/variables, localhost URLs, checksums, harmless
comments); (c) TF-IDF + logistic regression on the same text the model reads, with its threshold
tuned on validation F1 like the champion's.
"""

from __future__ import annotations

import re

from iacsieve import paths
from iacsieve.atomic import atomic_write_json
from iacsieve.data.records import read_jsonl
from iacsieve.evaluation.held_out import scored_groups
from iacsieve.evaluation.metrics import apply_threshold, headline
from iacsieve.evaluation.threshold import sweep_thresholds
from iacsieve.params import Params
from iacsieve.smells import HARD_CODED_SECRET, HTTP_WITHOUT_TLS, SUSPICIOUS_COMMENT, WEAK_CRYPTO


_INDIRECT_VALUE = re.compile(r"\{\{|#\{|\$\{|\$[a-z_:]|vault|lookup|hiera|data_bag|node\[|undef|changeme|ENV\[", re.I)
_NOT_A_SECRET_NAME = re.compile(r"key_(buffer|size|file|path)|_cert|_path|ssl_key|keyserver|keyring|user_agent", re.I)
_LOCAL_OR_DOC_URL = re.compile(r"https?://(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])|xmlns|schema|w3\.org|/docs?/|wiki", re.I)
_CHECKSUM_CONTEXT = re.compile(r"checksum|!md5|!sha1|digest|etag|verify", re.I)
_SECURITY_WORDS = re.compile(r"passw|secret|token|key|cert|tls|ssl|auth|credential|permission|0777|root|"
                             r"insecure|verify|security|crypt|hack|workaround|bug", re.I)


def keyword_rule(record: dict) -> int:
    """1 (keep) unless a quick look at the flagged line says it is a typical GLITCH false positive."""
    line = record["content"]
    if record["smell"] == HARD_CODED_SECRET:
        return int(not (_INDIRECT_VALUE.search(line) or _NOT_A_SECRET_NAME.search(line)))
    if record["smell"] == HTTP_WITHOUT_TLS:
        return int(not _LOCAL_OR_DOC_URL.search(line) and not line.lstrip().startswith(("#", "//")))
    if record["smell"] == WEAK_CRYPTO:
        return int(not _CHECKSUM_CONTEXT.search(line))
    if record["smell"] == SUSPICIOUS_COMMENT:
        return int(bool(_SECURITY_WORDS.search(line)))
    return 1


def tfidf_model(train: list[dict], c: float, seed: int):
    """TF-IDF (word 1-2 and char 2-5 n-grams) + logistic regression on the model's input text: a function
    from records to P(TP) (``iacsieve.models.lexical``, the same model a hybrid candidate stacks)."""
    from iacsieve.models.lexical import LexicalModel

    return LexicalModel.fit(train, c, seed).predict_proba


def run_baselines(params: Params) -> dict:
    """Score the three baselines on val and test; write details/baselines.json (every group, confusion counts)
    and metrics/baselines.json (the test F1 of the strongest baseline, TF-IDF + logistic regression)."""
    train, val, test = (read_jsonl(paths.split_file(s)) for s in ("train", "val", "test"))
    grid = params.threshold
    score = tfidf_model(train, params.baselines.tfidf_c, params.baselines.seed)
    val_proba = score(val)
    threshold, _ = sweep_thresholds([r["label"] for r in val], val_proba, grid.min, grid.max, grid.step)
    verdicts = {
        "glitch_as_is": (lambda records: [1] * len(records)),
        "keyword_rule": (lambda records: [keyword_rule(r) for r in records]),
        "tfidf_logreg": (lambda records: apply_threshold(score(records), threshold).tolist()),
    }
    result = {}
    for name, decide in verdicts.items():
        result[name] = {
            "val": scored_groups(val, decide(val), params.evaluate)["all"],
            "test": scored_groups(test, decide(test), params.evaluate),
        }
    result["tfidf_logreg"]["threshold"] = threshold
    atomic_write_json(paths.BASELINE_DETAILS, result)
    tfidf_f1 = result["tfidf_logreg"]["test"]["all"]["f1"]
    atomic_write_json(paths.BASELINE_METRICS, headline({"tfidf_test_f1": tfidf_f1}, params.metrics.prefix))
    return {name: round(r["test"]["all"]["f1"], 4) for name, r in result.items()}
