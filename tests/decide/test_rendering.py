"""Diffs that show only the edit, whatever rendering the page had when the edit was captured.

The replica serves ② with a real edit and, in the same pass, some paragraphs in
another rendering: simplified script, full-width digits and letters, spaces
inside and between paragraphs, another quote style. The new version must hold
the edit and nothing of the rendering; the next pass, with the first rendering
back, must change nothing.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from series_archiver.archive import Archive
from series_archiver.archive.layout import decode_layout, encode_layout
from series_archiver.archive.search import register_functions
from series_archiver.decide.diff import diff_texts
from series_archiver.demo.replica import ReplicaSite
from series_archiver.history import read_diff
from series_archiver.jobs.rederive import realign_archive
from series_archiver.settings import Settings
from series_archiver.textfold import fold, to_simplified
from tests.support.crawl import Crawler

A2 = "https://www.takungpao.com/news/232108/2025/1216/1050318.html"
P1 = ("凌晨四點", "閒下來」。")  # first and last words of three paragraphs of ②, as served
P2 = ("外部關稅一輪", "超過兩成。")
P3 = ("示例港集團副總經理", "別的港口。」")

FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F) if chr(c).isalnum() or chr(c) in ".%"})


def body_start(html: str) -> int:
    return html.index('class="tkp_content"')


def rerender(site: ReplicaSite, url: str, span: tuple[str, str], how: Callable[[str], str]) -> None:
    """Serve the text from ``span[0]`` to ``span[1]`` of the article body rendered by ``how``."""
    html = site.text(url)
    start = html.index(span[0], body_start(html))
    end = html.index(span[1], start) + len(span[1])
    site.set_page(url, html[:start] + how(html[start:end]) + html[end:])


def edit_in_body(site: ReplicaSite, url: str, old: str, new: str) -> None:
    html = site.text(url)
    at = html.index(old, body_start(html))
    site.set_page(url, html[:at] + new + html[at + len(old):])


def quotes_and_spaces(text: str) -> str:
    return re.sub(r"(?<=[，。])", "  ", text.replace("「", "“").replace("」", "”"))


def with_other_renderings(site: ReplicaSite) -> None:
    rerender(site, A2, P2, lambda t: t.translate(FULL_WIDTH))
    rerender(site, A2, P3, quotes_and_spaces)
    html = site.text(A2)
    site.set_page(A2, html.replace("</p>\n<p>", "</p>\n\n   \n<p>"))  # spaces between paragraphs


@pytest.fixture
def crawled(replica: ReplicaSite, settings: Settings) -> Crawler:
    crawler = Crawler(replica, settings)
    assert crawler.crawl().counts.new_articles == 4
    return crawler


def latest(settings: Settings) -> tuple[int, str, dict[str, object]]:
    with sqlite3.connect(settings.archive.db) as conn:
        article_id, text = conn.execute(
            "SELECT a.id, v.text FROM articles a JOIN versions v ON v.article_id = a.id AND v.version = a.current_version "
            "WHERE a.installment = 2"
        ).fetchone()
        row = conn.execute(
            "SELECT chars_added, chars_removed, summary FROM changes WHERE article_id = ? AND kind = 'edit' ORDER BY id DESC LIMIT 1",
            (article_id,),
        ).fetchone()
    return article_id, text, dict(zip(("chars_added", "chars_removed", "summary"), row or (None, None, None), strict=True))


def edited_ops(settings: Settings, article_id: int) -> list[tuple[str, str]]:
    with Archive(settings.archive.db, readonly=True) as archive:
        diff = read_diff(archive, article_id)
    return [(op.op, op.text) for op in diff.diff.ops if op.op != "equal"]


def test_an_edit_inside_a_paragraph_served_in_simplified_script_shows_as_the_edit_alone(crawled: Crawler) -> None:
    site = crawled.site
    _, first_text, _ = latest(crawled.settings)
    rerender(site, A2, P1, to_simplified)  # the paragraph the edit lands in changes script too
    edit_in_body(site, A2, "凌晨四点", "凌晨五点")
    with_other_renderings(site)
    result = crawled.crawl()
    assert result.counts.new_versions == 1 and [e.kind for e in result.events] == ["new_version"]
    article_id, text, change = latest(crawled.settings)
    assert (change["chars_added"], change["chars_removed"]) == (1, 1), change
    assert "四→五" in str(change["summary"]), change["summary"]
    assert edited_ops(crawled.settings, article_id) == [("delete", "四"), ("insert", "五")]
    assert text == first_text.replace("凌晨四點", "凌晨五點"), "the stored text keeps the first rendering around the edit"
    # The first rendering back: nothing changes, and the text stays as it was.
    site.restore(A2)
    edit_in_body(site, A2, "凌晨四點", "凌晨五點")
    again = crawled.crawl()
    assert again.counts.new_versions == 0 and again.events == []
    assert latest(crawled.settings)[1] == text


@pytest.mark.slow
def test_an_edit_in_one_paragraph_while_others_change_rendering_counts_only_the_edit(crawled: Crawler) -> None:
    site = crawled.site
    _, first_text, _ = latest(crawled.settings)
    edit_in_body(site, A2, "2860萬", "2680萬")  # in the paragraph then served with full-width digits
    rerender(site, A2, P1, to_simplified)
    with_other_renderings(site)
    result = crawled.crawl()
    assert result.counts.new_versions == 1
    article_id, text, change = latest(crawled.settings)
    # The size of the same edit on the page as first served, as the diff measures it.
    alone = diff_texts("吞吐量達到2860萬標準箱", "吞吐量達到2680萬標準箱")
    assert (change["chars_added"], change["chars_removed"]) == (alone.chars_added, alone.chars_removed), change
    ops = edited_ops(crawled.settings, article_id)
    assert [op for op, _ in ops] == ["delete", "insert"] and ops[0][1] == "2860萬"
    # The edited characters are stored as the page now has them (here one full-width digit);
    # everything around them keeps the first rendering.
    assert fold(ops[1][1]) == fold("2680萬")
    assert fold(text) == fold(first_text.replace("2860萬", "2680萬"))
    assert text.replace(ops[1][1], "2680萬") == first_text.replace("2860萬", "2680萬")


@pytest.mark.slow
def test_a_rendering_change_alone_is_no_version_and_changes_no_stored_text(crawled: Crawler) -> None:
    site = crawled.site
    _, first_text, _ = latest(crawled.settings)
    rerender(site, A2, P1, to_simplified)
    with_other_renderings(site)
    result = crawled.crawl()
    assert result.counts.new_versions == 0 and result.events == []
    assert latest(crawled.settings)[1] == first_text


@pytest.mark.slow
def test_rederive_realign_fixes_an_archive_whose_versions_kept_each_renderings(crawled: Crawler) -> None:
    """What 0.1 stored: a version in the rendering its capture had, and a diff counting that rendering."""
    settings = crawled.settings
    article_id = latest(settings)[0]
    crawled.site.edit(A2, "凌晨四點", "凌晨五點")
    assert crawled.crawl().counts.new_versions == 1
    _, edited, _ = latest(settings)
    with sqlite3.connect(settings.archive.db) as conn:
        register_functions(conn)  # the search index's triggers fold the text
        v2_id, stored_text, layout = conn.execute(
            "SELECT id, text, layout FROM versions WHERE article_id = ? AND version = 2", (article_id,)
        ).fetchone()
        blocks = [(kind, to_simplified(text) if i < 8 else text) for i, (kind, text) in enumerate(decode_layout(stored_text, layout))]
        text = "\n".join(t for _, t in blocks)
        conn.execute("UPDATE versions SET text = ?, layout = ? WHERE id = ?", (text, encode_layout(text, blocks), v2_id))
        conn.execute("UPDATE changes SET chars_added = 241, chars_removed = 241 WHERE article_id = ? AND to_version = 2", (article_id,))
    dry = realign_archive(settings, dry_run=True)
    assert dry.versions_realigned == 1 and latest(settings)[1] == text, "a dry run changes nothing"
    done = realign_archive(settings)
    assert (done.versions_realigned, done.changes_recomputed) == (1, 1)
    _, realigned, change = latest(settings)
    assert realigned == edited
    assert (change["chars_added"], change["chars_removed"]) == (1, 1)
    with sqlite3.connect(settings.archive.db) as conn:
        assert conn.execute("SELECT count(*) FROM versions WHERE article_id = ?", (article_id,)).fetchone()[0] == 2
    again = realign_archive(settings)
    assert (again.versions_realigned, again.changes_recomputed) == (0, 0)
    assert crawled.crawl().counts.new_versions == 0


def test_rederive_realign_leaves_the_0_1_0_fixture_as_it_is(tmp_path: Path) -> None:
    import shutil

    from series_archiver.demo import demo_settings
    from tests.support.paths import FIXTURE

    db = tmp_path / "series.db"
    shutil.copy(FIXTURE, db)
    done = realign_archive(demo_settings(db))
    assert (done.versions_checked, done.versions_realigned, done.changes_recomputed) == (2, 0, 0)
