"""The README's results tables are the committed outputs, rendered: never copied by hand."""

from __future__ import annotations

from pathlib import Path

from iacsieve.readme_results import marked_blocks, rendered_tables, update_readme

ROOT = Path(__file__).resolve().parents[1]


def test_readme_results_tables_match_the_committed_outputs():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tables = rendered_tables(ROOT)
    assert set(marked_blocks(text)) == {"sample-test", "sample-ablation", "real-test", "real-per-group", "real-ablation"}
    assert update_readme(text, tables) == text, "README results tables differ from details/: run `make readme`"


def test_a_changed_figure_in_the_readme_is_caught():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tables = rendered_tables(ROOT)
    f1 = tables["real-test"].split("**")[1]  # the champion's F1 on all test records, in bold
    tampered = text.replace(f"**{f1}**", f"**{float(f1) + 0.001:.3f}**", 1)
    assert tampered != text and update_readme(tampered, tables) != tampered
