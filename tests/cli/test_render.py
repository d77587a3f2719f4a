"""The terminal's rendering (cli/render.py): the diff's styles, markers and folding, times in one zone, titles that fill their column."""

from __future__ import annotations

import contextlib
import io

from rich.console import Console

from series_archiver.cli.render import diff_text, fold_lines, print_article_table, print_version_diff, wants_color
from series_archiver.decide.diff import diff_texts, render_html
from series_archiver.display import clock_for
from series_archiver.history import VersionDiff

HK = clock_for("Asia/Hong_Kong")


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
    print_version_diff(_version_diff("議員提出動議。此舉引發爭論。", "議員提出動議。"), HK, console=console)
    out = console.export_text()
    assert out.startswith("#7 version 1 (2025-12-15 16:00:00+08:00) -> version 2 (2025-12-16 16:00:00+08:00): +0 -7 characters")
    assert "議員提出動議。此舉引發爭論。" in out


def test_print_version_diff_of_the_same_text_says_so() -> None:
    console = Console(record=True, width=200, force_terminal=True, highlight=False)
    print_version_diff(_version_diff("一。", "一。"), HK, console=console)
    assert console.export_text().strip().endswith("no change")


def test_without_colour_the_changes_are_marked_in_the_text() -> None:
    d = diff_texts("示例市去年工業增加值首度站上0.9萬億元台階。", "示例市去年工業增加值首度站上1萬億元台階。")
    text = diff_text(d, markers=True)
    assert text.plain == "示例市去年工業增加值首度站上[-0.9萬億-]{+1萬億+}元台階。"
    assert not text.spans  # nothing left to a terminal's styles


def test_a_diff_without_colour_prints_no_escape_and_marks_the_changes() -> None:
    console = Console(file=io.StringIO(), record=True, width=200, force_terminal=True, highlight=False)
    print_version_diff(_version_diff("一段。\n站上0.9萬億元。", "一段。\n站上1萬億元。"), HK, color=False, console=console)
    out = console.export_text(styles=True)
    assert "\x1b[" not in out
    assert "站上[-0.9萬億-]{+1萬億+}元。" in out and "+3 -5 characters" in out


def test_colour_is_asked_for_or_refused_whatever_the_output() -> None:
    assert wants_color("always") and not wants_color("never")
    assert not wants_color("auto", Console(file=io.StringIO()))


def test_titles_fold_between_chinese_characters_but_not_inside_latin_words() -> None:
    assert fold_lines("貿戰下中國力量① 志氣篇｜門檻擋不住 星河芯挺起腰桿", 32) == ["貿戰下中國力量① 志氣篇｜門檻擋不", "住 星河芯挺起腰桿"]
    assert fold_lines("華為Mate 70發布", 8) == ["華為Mate", "70發布"]
    assert fold_lines("短", 10) == ["短"]


def _row(n: int, title: str, status: str = "live", gone_at: str | None = None) -> dict[str, object]:
    return {"id": n, "installment": n, "label": "銳氣篇", "title": title, "published": "2025-12-18T20:24:25+00:00",
            "versions": 1, "urls": ["u"], "status": status, "gone_at": gone_at}


def test_the_list_at_80_columns_gives_the_title_the_width_and_dates_in_the_reader_zone() -> None:
    console = Console(file=io.StringIO(), width=80, record=True, highlight=False)
    title = "貿戰下中國力量⑤ 銳氣篇｜小作坊闖出新天地 示例鞋業走向世界"
    print_article_table([_row(5, title, "gone", "2025-12-20T04:00:00+00:00")], HK, console=console)
    lines = console.export_text().splitlines()
    assert lines[2].split()[-4:] == ["2025-12-19", "1", "1", "gone"]  # 20:24 UTC on the 18th: the 19th in Hong Kong
    assert lines[3].endswith("2025-12-20") and lines[3].strip().split()[0] in title  # the removal's date under "gone"
    assert len(lines) == 5 and lines[-1] == "Dates in Asia/Hong_Kong (HKT, UTC+08:00)."
    assert all(len(line) == len(line.rstrip()) for line in lines)


def test_an_empty_archive_names_the_command_as_it_was_run() -> None:
    console = Console(file=io.StringIO(), width=80)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_article_table([], HK, program=".venv/bin/series-archiver", console=console)
    assert out.getvalue() == "The archive is empty. Run `.venv/bin/series-archiver crawl` (or `.venv/bin/series-archiver demo`).\n"
