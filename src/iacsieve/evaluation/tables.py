"""Markdown tables of test results, shared by reports/report.md and the README (one rendering of each fact)."""

from __future__ import annotations

from iacsieve.smells import TECHS, TRAINED_SMELLS

BASELINE_LABELS = {"glitch_as_is": "GLITCH as-is (keep all)", "keyword_rule": "keyword rule per smell",
                   "tfidf_logreg": "TF-IDF + logistic regression"}
SHORT_BASELINE_LABELS = {"glitch_as_is": "GLITCH as-is", "keyword_rule": "keyword rule", "tfidf_logreg": "TF-IDF + LR"}
SHORT_SMELL_LABELS = {"Hard-coded secret": "secret", "Suspicious comment": "comment",
                      "Use of weak cryptography algorithms": "weak crypto", "Use of HTTP without SSL/TLS": "HTTP"}


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A Markdown table; floats get 4 decimals (tiny ones scientific), None an empty cell."""
    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.1e}"
        return "" if value is None else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows])


def _ci(interval: list[float], digits: int = 3) -> str:
    return f"[{interval[0]:.{digits}f}, {interval[1]:.{digits}f}]"


def test_results_table(test: dict, baselines: dict) -> str:
    """The champion's test metrics per group (all, technology, smell), then each baseline on all test records."""
    def row(label: str, m: dict, bold_f1: bool = False) -> list[str]:
        f1 = f"**{m['f1']:.3f}**" if bold_f1 else f"{m['f1']:.3f}"
        return [label, str(m["n"]), f"{m['precision']:.3f}", f"{m['recall']:.3f}", f1, _ci(m["f1_ci95"]),
                f"{m['fp_reduction']:.3f}", f"{m['tp_retention']:.3f}"]

    groups = [g for g in ("all", *TECHS, *TRAINED_SMELLS) if g in test]
    rows = [row(g, test[g], bold_f1=g == "all") for g in groups]
    rows += [row(f"*baseline:* {BASELINE_LABELS.get(name, name)}", b["test"]["all"]) for name, b in baselines.items()]
    header = ["test set (held-out repositories)", "n", "precision", "recall", "F1", "F1 95 % CI", "FP reduction",
              "TP retention"]
    return markdown_table(header, rows)


def per_group_f1_table(test: dict, baselines: dict) -> str:
    """Test F1 [95 % CI] of every baseline and the champion per technology and smell."""
    groups = [g for g in (*TECHS, *TRAINED_SMELLS) if g in test]

    def cell(m: dict | None) -> str:
        return "" if m is None else f"{m['f1']:.2f} {_ci(m['f1_ci95'], 2)}"

    rows = [[SHORT_BASELINE_LABELS.get(name, name), *[cell(b["test"].get(g)) for g in groups]]
            for name, b in baselines.items()]
    rows.append(["**champion**", *[cell(test[g]) for g in groups]])
    return markdown_table(["filter", *[SHORT_SMELL_LABELS.get(g, g) for g in groups]], rows)


def ablation_table(ablation: dict, efficiency: dict | None = None) -> str:
    """Each filter of the ablation stage: CV F1 mean ± sd, test F1 [95 % CI] on all records, per technology
    and per smell, and its training seconds from ``efficiency`` (all CV folds; the model scored on test)."""
    rows = ablation["rows"]
    groups = [g for g in ("all", *TECHS, *TRAINED_SMELLS) if any(g in row["test"] for row in rows)]

    def cell(m: dict | None) -> str:
        return "" if m is None else f"{m['f1']:.2f} {_ci(m['f1_ci95'], 2)}"

    def cost(row: dict) -> str:
        seconds = (efficiency or {}).get(row["name"], {})
        return " / ".join(f"{seconds[key]:.0f}" if seconds.get(key) is not None else "–"
                          for key in ("cv_train_seconds", "train_seconds"))

    table = []
    for row in rows:
        name = f"**{row['name']}** (champion)" if row.get("champion") else row["name"]
        cv = f"{row['cv_f1_mean']:.3f} ± {row['cv_f1_sd']:.3f}" if row.get("cv_f1_mean") is not None else ""
        table.append([name, cv, *[cell(row["test"].get(g)) for g in groups], cost(row)])
    header = ["filter", "CV F1 (mean ± sd)", *[SHORT_SMELL_LABELS.get(g, g) for g in groups],
              "train s (CV / final)"]
    return markdown_table(header, table)
