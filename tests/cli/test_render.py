"""The terminal's rendering (cli/render.py): the diff's styles and folding, as ``diff`` prints them."""

from __future__ import annotations

from rich.console import Console

from series_archiver.cli.render import diff_text, print_version_diff
from series_archiver.decide.diff import diff_texts, render_html
from series_archiver.history import VersionDiff


def test_diff_text_styles_and_collapses() -> None:
    old = "\n".join(["一段。", "二段。", "三段。", "四段。", "五段。", "六段。", "七段。"])
    new = old.replace("四段。", "四段有改。").replace("七段。", "七段。\n新段。")
    text = diff_text(diff_texts(old, new))
    assert text.plain == "\n".join(
        ["… 2 unchanged paragraphs", "三段。", "四段有改。", "五段。", "六段。", "七段。", "新段。"]
    )
    styled = {(text.plain[s.start : s.end], str(s.style)) for s in text.spans}
    assert ("有改", "green underline") in styled
    assert ("新段。", "green underline") in styled
    assert ("… 2 unchanged paragraphs", "dim") in styled


def test_diff_text_deletion() -> None:
    text = diff_text(diff_texts("議員提出動議。此舉引發爭論。", "議員提出動議。"))
    assert text.plain == "議員提出動議。此舉引發爭論。"
    assert [(text.plain[s.start : s.end], str(s.style)) for s in text.spans] == [("此舉引發爭論。", "red strike")]


def test_diff_text_full_context() -> None:
    d = diff_texts("一\n二\n三\n四", "一\n二\n三\n四改")
    assert diff_text(d, context=None).plain == "一\n二\n三\n四改"
    assert diff_text(d).plain == "… 2 unchanged paragraphs\n三\n四改"


def test_terminal_and_html_fold_the_same_paragraphs() -> None:
    d = diff_texts("\n".join(f"第{i}段。" for i in range(9)), "\n".join(f"第{i}段。" for i in range(8)) + "\n第8段有改。")
    assert "… 7 unchanged paragraphs" in diff_text(d).plain
    assert "… 7 unchanged paragraphs" in render_html(d)


def _version_diff(old: str, new: str) -> VersionDiff:
    return VersionDiff(7, 1, 2, "2025-12-15T08:00:00+00:00", "2025-12-16T08:00:00+00:00", diff_texts(old, new))


def test_print_version_diff_heads_the_diff_with_its_counts() -> None:
    console = Console(record=True, width=200, force_terminal=True, highlight=False)
    print_version_diff(_version_diff("議員提出動議。此舉引發爭論。", "議員提出動議。"), console)
    out = console.export_text()
    assert out.startswith("#7 version 1 (2025-12-15T08:00:00+00:00) -> version 2 (2025-12-16T08:00:00+00:00): +0 -7 characters")
    assert "議員提出動議。此舉引發爭論。" in out


def test_print_version_diff_of_the_same_text_says_so() -> None:
    console = Console(record=True, width=200, force_terminal=True, highlight=False)
    print_version_diff(_version_diff("一。", "一。"), console)
    assert console.export_text().strip().endswith("no change")
