"""Versions, character-level diffs, removals: real crawls of the replica into real SQLite files.

Each test starts from one archive of the untouched replica (crawled once per
module and copied), changes the replica the way a newspaper would (a silent
edit, a takedown, a broken page, a rearranged sidebar), crawls again and
asserts the exact versions, changes and diff ops.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from series_archiver.archive.store import Archive
from series_archiver.decide.diff import DiffOp
from series_archiver.demo.replica import NOT_FOUND_PAGE, ReplicaSite
from series_archiver.errors import NotArchived
from series_archiver.history import read_diff, read_history
from series_archiver.jobs import core
from series_archiver.models import PassResult, document_text
from series_archiver.settings import Settings
from tests.support.crawl import Crawler

pytestmark = pytest.mark.slow

A1 = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"  # ①, with a .com.hk mirror
A1_MIRROR = "https://www.takungpao.com.hk/news/232108/2025/1215/1050001.html"
A3 = "https://www.takungpao.com/news/232108/2025/1217/1050642.html"  # ③, two pages
A3_PAGE_2 = "https://www.takungpao.com/news/232108/2025/1217/1050642_2.html"
A1_TITLE = "貿戰下中國力量① 志氣篇｜門檻擋不住 星河芯挺起腰桿"
UNTOUCHED = {1: [(1, None)], 2: [(1, None)], 3: [(1, None)], 4: [(1, None)]}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One crawl of the untouched replica; each test gets a copy."""
    from series_archiver.demo import demo_settings

    db = tmp_path_factory.mktemp("baseline") / "series.db"
    with ReplicaSite() as site:
        result = Crawler(site, demo_settings(db)).crawl()
    assert result.counts.new_articles == 4 and result.ok
    return db


@pytest.fixture
def crawler(replica: ReplicaSite, settings: Settings, baseline: Path) -> Iterator[Crawler]:
    source, target = sqlite3.connect(baseline), sqlite3.connect(settings.archive.db)
    with target:
        source.backup(target)
    source.close()
    target.close()
    yield Crawler(replica, settings)


# --- reading the archive ---------------------------------------------------------------


def versions(settings: Settings) -> dict[int, list[tuple[int, int | None]]]:
    """installment -> [(version, restores), ...]."""
    out: dict[int, list[tuple[int, int | None]]] = {}
    with sqlite3.connect(settings.archive.db) as conn:
        for inst, number, restores in conn.execute(
            "SELECT a.installment, v.version, v.restores FROM versions v JOIN articles a ON a.id = v.article_id "
            "ORDER BY a.installment, v.version"
        ):
            out.setdefault(inst, []).append((number, restores))
    return out


def article_id(settings: Settings, installment: int) -> int:
    with sqlite3.connect(settings.archive.db) as conn:
        return conn.execute("SELECT id FROM articles WHERE installment = ?", (installment,)).fetchone()[0]


def document(settings: Settings, installment: int, version: int) -> str:
    with Archive(settings.archive.db, readonly=True) as archive:
        row = archive.version_row(article_id(settings, installment), version)
    assert row is not None
    return document_text(row["title"], row["text"])


def changes(settings: Settings) -> list[tuple]:
    """(installment, kind, from, to, chars added, chars removed, summary), in order."""
    with sqlite3.connect(settings.archive.db) as conn:
        return conn.execute(
            "SELECT a.installment, c.kind, c.from_version, c.to_version, c.chars_added, c.chars_removed, c.summary "
            "FROM changes c JOIN articles a ON a.id = c.article_id ORDER BY c.id"
        ).fetchall()


def outcome(settings: Settings, result: PassResult, url: str) -> tuple[str, int | None]:
    """The fetch-log outcome of ``url`` in the pass, and its capture id."""
    with sqlite3.connect(settings.archive.db) as conn:
        return conn.execute(
            "SELECT outcome, capture_id FROM fetch_log WHERE run_id = ? AND url = ? ORDER BY id DESC LIMIT 1",
            (result.run_id, url),
        ).fetchone()


def diff_ops(settings: Settings, installment: int, old: int | None = None, new: int | None = None) -> list[DiffOp]:
    with Archive(settings.archive.db, readonly=True) as archive:
        return list(read_diff(archive, article_id(settings, installment), old, new).diff.ops)


def replaced(doc: str, old: str, new: str) -> list[DiffOp]:
    """The exact ops of ``old`` (once in ``doc``) replaced by ``new``."""
    assert doc.count(old) == 1
    head, _, tail = doc.partition(old)
    return [DiffOp("equal", head), DiffOp("delete", old), *([DiffOp("insert", new)] if new else []), DiffOp("equal", tail)]


def one_more_version_of_1(settings: Settings, result: PassResult) -> None:
    assert result.ok, result.counts.failures
    assert result.counts.new_versions == 1
    assert versions(settings) == {**UNTOUCHED, 1: [(1, None), (2, None)]}


# --- edits: exactly one new version, exactly the changed characters --------------------


def test_a_recrawl_of_an_unchanged_site_adds_no_version(crawler: Crawler) -> None:
    result = crawler.crawl()
    assert result.ok and result.counts.new_versions == 0 and result.counts.suspect == 0
    assert versions(crawler.settings) == UNTOUCHED
    assert changes(crawler.settings) == []


def test_one_character_edit(crawler: Crawler) -> None:
    v1 = document(crawler.settings, 1, 1)
    crawler.site.edit(A1, "一座灰白色廠房", "一座灰黑色廠房")
    result = crawler.crawl()
    one_more_version_of_1(crawler.settings, result)
    head, tail = v1.split("灰白色廠房")
    assert diff_ops(crawler.settings, 1) == [
        DiffOp("equal", head + "灰"),
        DiffOp("delete", "白"),
        DiffOp("insert", "黑"),
        DiffOp("equal", "色廠房" + tail),
    ]
    assert changes(crawler.settings) == [(1, "edit", 1, 2, 1, 1, "「…高新區一座灰白→黑色廠房裏，星…」")]
    assert outcome(crawler.settings, result, A1)[0] == "new_version"


def test_a_changed_number_is_one_replacement_and_the_only_new_version(crawler: Crawler, manifest: dict) -> None:
    target = manifest["edit_targets"][0]
    assert (target["installment"], target["text"]) == (1, "1萬億元")
    v1 = document(crawler.settings, 1, 1)
    crawler.site.edit(target["url"], "1萬億元", "1.2萬億元")
    result = crawler.crawl()
    one_more_version_of_1(crawler.settings, result)
    head, tail = v1.split("1萬億元")
    assert diff_ops(crawler.settings, 1) == [
        DiffOp("equal", head),
        DiffOp("delete", "1萬億"),
        DiffOp("insert", "1.2萬億"),
        DiffOp("equal", "元" + tail),
    ]
    assert changes(crawler.settings) == [(1, "edit", 1, 2, 5, 3, "「…加值首度站上1萬億→1.2萬億元台階。」")]
    assert [(e.kind, e.version, e.summary) for e in result.events] == [
        ("new_version", 2, "「…加值首度站上1萬億→1.2萬億元台階。」")
    ]
    assert document(crawler.settings, 1, 2) == v1.replace("1萬億元", "1.2萬億元")


def test_one_deleted_sentence(crawler: Crawler) -> None:
    sentence = "如今，生產線上國產設備的比例已升至85%。"
    v1 = document(crawler.settings, 1, 1)
    crawler.site.edit(A1, sentence, "")
    one_more_version_of_1(crawler.settings, crawler.crawl())
    assert diff_ops(crawler.settings, 1) == replaced(v1, sentence, "")
    assert changes(crawler.settings) == [(1, "edit", 1, 2, 0, len(sentence), f"-「{sentence}」")]


def test_a_changed_title(crawler: Crawler) -> None:
    new_title = A1_TITLE.replace("挺起腰桿", "挺直腰桿")
    v1 = document(crawler.settings, 1, 1)
    crawler.site.edit(A1, f'<h2 class="tkp_con_title">{A1_TITLE}</h2>', f'<h2 class="tkp_con_title">{new_title}</h2>')
    one_more_version_of_1(crawler.settings, crawler.crawl())
    assert v1.startswith(A1_TITLE + "\n")
    assert diff_ops(crawler.settings, 1) == [
        DiffOp("equal", "貿戰下中國力量① 志氣篇｜門檻擋不住 星河芯挺"),
        DiffOp("delete", "起"),
        DiffOp("insert", "直"),
        DiffOp("equal", "腰桿" + v1[len(A1_TITLE):]),
    ]
    row = next(r for r in core.list_articles(crawler.settings) if r["installment"] == 1)
    assert row["title"] == new_title and row["versions"] == 2


def test_a_moved_paragraph_is_one_delete_and_one_insert(crawler: Crawler) -> None:
    moved = "從晶片設計軟件到工業控制器，從精密軸承到醫用影像設備，越來越多曾被認為「離不開進口」的環節，正由本地企業一項項補齊。外來的封鎖沒有讓示例市的工程師停下腳步，反而催生了一場靜悄悄的接力賽。"
    anchor = "展望未來，白虛構預計"
    page = crawler.site.text(A1)
    element = f"<p>{moved}</p>\n      "
    assert page.count(element) == 1
    page = page.replace(element, "")
    at = page.index(f"<p>{anchor}")
    crawler.site.set_page(A1, page[:at] + element + page[at:])
    v1 = document(crawler.settings, 1, 1)
    one_more_version_of_1(crawler.settings, crawler.crawl())
    before, _, rest = v1.partition(moved + "\n")
    between, _, after = rest.partition(anchor)
    assert diff_ops(crawler.settings, 1) == [
        DiffOp("equal", before),
        DiffOp("delete", moved + "\n"),
        DiffOp("equal", between),
        DiffOp("insert", moved + "\n"),
        DiffOp("equal", anchor + after),
    ]
    assert changes(crawler.settings)[0][4:6] == (len(moved), len(moved))


def test_an_edit_on_page_two_is_seen_although_page_one_is_unchanged(crawler: Crawler) -> None:
    # Page 1 would answer 304 to a conditional request; the edit is on page 2.
    # The number's whole is replaced (5億 -> 6億), as diff.py widens numbers.
    sentence = "銷售額已突破5億元"
    assert sentence not in crawler.site.text(A3) and crawler.site.text(A3_PAGE_2).count(sentence) == 1
    v1 = document(crawler.settings, 3, 1)
    crawler.site.edit(A3_PAGE_2, sentence, "銷售額已突破6億元")
    result = crawler.crawl()
    assert result.ok and result.counts.new_versions == 1
    assert versions(crawler.settings) == {**UNTOUCHED, 3: [(1, None), (2, None)]}
    assert diff_ops(crawler.settings, 3) == replaced(v1, "5億", "6億")


def test_a_second_edit_makes_a_third_version_and_diffs_any_pair(crawler: Crawler) -> None:
    v1 = document(crawler.settings, 1, 1)
    crawler.site.edit(A1, "1萬億元", "1.2萬億元")
    crawler.crawl()
    crawler.site.edit(A1, "一座灰白色廠房", "一座灰黑色廠房")
    crawler.crawl()
    assert versions(crawler.settings) == {**UNTOUCHED, 1: [(1, None), (2, None), (3, None)]}
    ops = diff_ops(crawler.settings, 1, 1, 3)
    assert [(o.op, o.text) for o in ops if o.op != "equal"] == [
        ("delete", "1萬億"),
        ("insert", "1.2萬億"),
        ("delete", "白"),
        ("insert", "黑"),
    ]
    assert "".join(o.text for o in ops if o.op != "insert") == v1
    backwards = diff_ops(crawler.settings, 1, 3, 1)
    assert [(o.op, o.text) for o in backwards if o.op != "equal"] == [
        ("delete", "1.2萬億"),
        ("insert", "1萬億"),
        ("delete", "黑"),
        ("insert", "白"),
    ]


# --- noise: the bytes change, the archive's text does not --------------------------------

RANK_ITEM = (
    '<li><a href="https://www.takungpao.com/news/232108/2025/1218/1051003.html" title="示例市地鐵八號線今日試運行" '
    'target="_blank">示例市地鐵八號線今日試運行</a></li>'
)

NOISE: dict[str, Callable[[ReplicaSite], None]] = {
    "view count": lambda s: s.edit(A1, "閱讀量：<span>18,342</span>", "閱讀量：<span>19,007</span>"),
    "ranking list reordered": lambda s: s.edit(A1, RANK_ITEM, "") or s.edit(A1, "</ol>", RANK_ITEM + "</ol>"),
    "related links": lambda s: s.edit(
        A1, "<h3>相關新聞</h3>\n      <ul>", '<h3>相關新聞</h3>\n      <ul><li><a href="https://www.takungpao.com/x.html">示例市新聞一則</a></li>'
    ),
    "comment count": lambda s: s.edit(A1, "暫無評論，快來發表你的看法吧。", "評論（12）"),
    "time in the byline bar": lambda s: s.edit(A1, "<span>2025-12-15 04:24:25</span>", "<span>2025-12-15 09:30:00</span>"),
    "editor line": lambda s: s.edit(A1, "責任編輯：孔示例", "責任編輯：孔範例"),
    "full-width digits": lambda s: s.edit(A1, "升至85%。", "升至８５％。"),
    "simplified script": lambda s: s.edit(A1, "一座灰白色廠房裏", "一座灰白色厂房里"),
    "spaces": lambda s: s.edit(A1, "<p>故事要從2019年說起。", "<p>  故事要從 2019 年說起。 "),
    "script in the body": lambda s: s.edit(A1, "<p>故事要從", "<script>var ad = '廣告輪播第二則';</script><p>故事要從"),
}


@pytest.mark.parametrize("change", list(NOISE))
def test_noise_never_makes_a_version(crawler: Crawler, change: str) -> None:
    before = crawler.site.text(A1)
    NOISE[change](crawler.site)
    assert crawler.site.text(A1) != before
    result = crawler.crawl()
    assert result.ok and result.counts.new_versions == 0 and result.counts.suspect == 0
    assert versions(crawler.settings) == UNTOUCHED
    assert changes(crawler.settings) == []
    # The page was fetched anew (not a 304) and its new bytes kept; only the text decides versions.
    seen, capture_id = outcome(crawler.settings, result, A1)
    assert seen == "unchanged"
    with Archive(crawler.settings.archive.db, readonly=True) as archive:
        assert archive.capture_bytes(capture_id) == crawler.site.text(A1).encode()


# --- broken captures: kept as evidence, never a version ---------------------------------


def suspect_rows(settings: Settings) -> list[tuple[str, str]]:
    with sqlite3.connect(settings.archive.db) as conn:
        return conn.execute("SELECT url, suspect_reason FROM captures WHERE suspect_reason IS NOT NULL ORDER BY id").fetchall()


def assert_kept_as_evidence_only(crawler: Crawler, result: PassResult, url: str, served: str) -> str:
    assert result.ok and result.counts.suspect == 1 and result.counts.new_versions == 0
    assert versions(crawler.settings) == UNTOUCHED
    assert changes(crawler.settings) == []
    seen, capture_id = outcome(crawler.settings, result, url)
    assert seen == "suspect"
    with Archive(crawler.settings.archive.db, readonly=True) as archive:
        assert archive.capture_bytes(capture_id) == served.encode()
        history = read_history(archive, article_id(crawler.settings, 1 if url == A1 else 3))
    assert history.status == "live"
    assert [e.kind for e in history.events] == ["first", "suspect"]
    assert history.events[1].capture_id == capture_id and history.events[1].version == 1
    [(where, reason)] = suspect_rows(crawler.settings)
    assert where == url and history.events[1].summary == reason
    return reason


def test_a_soft_404_is_a_suspect_capture(crawler: Crawler) -> None:
    crawler.site.set_page(A1, NOT_FOUND_PAGE, status=200)
    result = crawler.crawl()
    reason = assert_kept_as_evidence_only(crawler, result, A1, NOT_FOUND_PAGE)
    assert reason == "the page says '頁面不存在' (a soft 404)"
    # Seen again: the same evidence, not a second copy; then the page is back as it was.
    again = crawler.crawl()
    assert again.counts.suspect == 1 and len(suspect_rows(crawler.settings)) == 1
    crawler.site.restore(A1)
    back = crawler.crawl()
    assert back.counts.new_versions == 0 and back.counts.suspect == 0
    assert versions(crawler.settings) == UNTOUCHED and changes(crawler.settings) == []


def test_a_truncated_text_is_a_suspect_capture(crawler: Crawler) -> None:
    page = crawler.site.text(A1)
    cut = page[: page.index("<p>故事要從")]  # the download ends a quarter of the way into the text
    crawler.site.set_page(A1, cut)
    reason = assert_kept_as_evidence_only(crawler, crawler.crawl(), A1, cut)
    assert reason.startswith("the text lost 7") and "(quality.max_shrink_ratio=0.5)" in reason


def test_a_near_empty_body_is_a_suspect_capture(crawler: Crawler) -> None:
    page = crawler.site.text(A1)
    start, end = page.index('<div class="tkp_content">'), page.index('<div class="tkp_con_related">')
    emptied = page[:start] + '<div class="tkp_content"><p>稍後更新。</p></div>\n    ' + page[end:]
    crawler.site.set_page(A1, emptied)
    reason = assert_kept_as_evidence_only(crawler, crawler.crawl(), A1, emptied)
    assert reason == "the body has 5 characters, fewer than quality.min_chars=200"


def test_a_missing_second_page_is_a_suspect_capture_not_a_removal(crawler: Crawler) -> None:
    crawler.site.remove(A3_PAGE_2)
    result = crawler.crawl()
    assert result.ok and result.counts.suspect == 1 and result.counts.gone == 0
    assert versions(crawler.settings) == UNTOUCHED and changes(crawler.settings) == []
    assert outcome(crawler.settings, result, A3_PAGE_2)[0] == "suspect"
    [(url, reason)] = suspect_rows(crawler.settings)
    assert url == A3 and reason.startswith(f"page 2 of the article is gone ({A3_PAGE_2}: HTTP 404")
    assert next(r for r in core.list_articles(crawler.settings) if r["installment"] == 3)["status"] == "live"


# --- removals and returns ---------------------------------------------------------------


def status_of_1(settings: Settings) -> tuple[str, str | None]:
    row = next(r for r in core.list_articles(settings) if r["installment"] == 1)
    return row["status"], row["gone_at"]


@pytest.mark.parametrize(
    ("takedown", "summary"),
    [
        (lambda s: s.remove(A1), "HTTP 404 Not Found"),
        (lambda s: s.remove(A1, 410), "HTTP 410 Gone"),
        (
            lambda s: s.set_page(A1, "", status=302, headers={"Location": "https://www.takungpao.com/"}),
            "HTTP 302 to https://www.takungpao.com/ (a home or list page)",
        ),
    ],
    ids=["404", "410", "redirect-home"],
)
def test_a_removal_marks_the_article_gone_and_keeps_its_versions(crawler: Crawler, takedown, summary: str) -> None:
    takedown(crawler.site)
    result = crawler.crawl()
    assert result.ok and result.counts.gone == 1 and result.counts.new_versions == 0
    assert [(e.kind, e.summary) for e in result.events] == [("gone", summary)]
    status, gone_at = status_of_1(crawler.settings)
    assert status == "gone" and gone_at is not None
    assert versions(crawler.settings) == UNTOUCHED
    assert changes(crawler.settings) == [(1, "gone", 1, 1, 0, 0, summary)]
    assert outcome(crawler.settings, result, A1)[0] == "gone"
    # Still gone on the next pass: nothing new, and the time it went stays.
    again = crawler.crawl()
    assert again.counts.gone == 0 and status_of_1(crawler.settings) == ("gone", gone_at)
    assert len(changes(crawler.settings)) == 1


def test_a_removed_article_that_returns_unchanged_is_live_without_a_new_version(crawler: Crawler) -> None:
    crawler.site.remove(A1)
    crawler.crawl()
    crawler.site.restore(A1)
    result = crawler.crawl()
    assert [e.kind for e in result.events] == ["back"]
    assert status_of_1(crawler.settings) == ("live", None)
    assert versions(crawler.settings) == UNTOUCHED
    assert [c[:4] for c in changes(crawler.settings)] == [(1, "gone", 1, 1), (1, "back", 1, 1)]


def test_a_removed_article_that_returns_changed_is_live_with_a_new_version(crawler: Crawler) -> None:
    original = crawler.site.text(A1)
    crawler.site.remove(A1)
    crawler.crawl()
    crawler.site.set_page(A1, original.replace("1萬億元", "1.2萬億元"))
    result = crawler.crawl()
    assert [e.kind for e in result.events] == ["back", "new_version"]
    assert status_of_1(crawler.settings) == ("live", None)
    assert versions(crawler.settings) == {**UNTOUCHED, 1: [(1, None), (2, None)]}
    assert [c[:4] for c in changes(crawler.settings)] == [(1, "gone", 1, 1), (1, "back", 1, 1), (1, "edit", 1, 2)]
    with Archive(crawler.settings.archive.db, readonly=True) as archive:
        history = read_history(archive, article_id(crawler.settings, 1))
    assert [(e.kind, e.version) for e in history.events] == [("first", 1), ("gone", 1), ("back", 1), ("edit", 2)]


def test_primary_gone_while_the_mirror_stays_is_gone(crawler: Crawler) -> None:
    # Decided: the takedown on the main site is what the archive shows, so the
    # article is gone; the mirror stays live among its URLs and is still captured,
    # but a change there is noted in the fetch log, never made a version.
    crawler.site.remove(A1)
    crawler.crawl()
    assert status_of_1(crawler.settings)[0] == "gone"
    crawler.site.edit(A1_MIRROR, "1萬億元", "1.2萬億元")
    result = crawler.crawl()
    assert outcome(crawler.settings, result, A1_MIRROR)[0] == "changed_secondary"
    assert versions(crawler.settings) == UNTOUCHED
    with Archive(crawler.settings.archive.db, readonly=True) as archive:
        history = read_history(archive, article_id(crawler.settings, 1))
    assert history.status == "gone"
    assert [(u.url, u.is_primary, u.status) for u in history.urls] == [(A1, True, "gone"), (A1_MIRROR, False, "live")]


def test_a_gone_mirror_does_not_make_the_article_gone(crawler: Crawler) -> None:
    crawler.site.remove(A1_MIRROR)
    result = crawler.crawl()
    assert result.counts.gone == 0 and status_of_1(crawler.settings) == ("live", None)
    with Archive(crawler.settings.archive.db, readonly=True) as archive:
        urls = read_history(archive, article_id(crawler.settings, 1)).urls
    assert [(u.url, u.status, u.last_status) for u in urls] == [(A1, "live", 304), (A1_MIRROR, "gone", 404)]


# --- restores ---------------------------------------------------------------------------------


def test_a_text_returning_to_an_earlier_version_records_what_it_restores(crawler: Crawler) -> None:
    v1 = document(crawler.settings, 1, 1)
    crawler.site.edit(A1, "1萬億元", "1.2萬億元")
    crawler.crawl()
    crawler.site.restore(A1)
    result = crawler.crawl()
    assert [(e.kind, e.version) for e in result.events] == [("restored", 3)]
    crawler.site.edit(A1, "1萬億元", "1.2萬億元")
    crawler.crawl()
    assert versions(crawler.settings) == {**UNTOUCHED, 1: [(1, None), (2, None), (3, 1), (4, 2)]}
    assert changes(crawler.settings) == [
        (1, "edit", 1, 2, 5, 3, "「…加值首度站上1萬億→1.2萬億元台階。」"),
        (1, "restore", 2, 3, 3, 5, "restores version 1: 「…加值首度站上1.2萬億→1萬億元台階。」"),
        (1, "restore", 3, 4, 5, 3, "restores version 2: 「…加值首度站上1萬億→1.2萬億元台階。」"),
    ]
    assert document(crawler.settings, 1, 3) == v1
    head, tail = v1.split("1萬億元")
    assert diff_ops(crawler.settings, 1, 2, 3) == [
        DiffOp("equal", head),
        DiffOp("delete", "1.2萬億"),
        DiffOp("insert", "1萬億"),
        DiffOp("equal", "元" + tail),
    ]
    assert diff_ops(crawler.settings, 1, 1, 3) == [DiffOp("equal", v1)]


# --- the history library ---------------------------------------------------------------


def test_read_history_and_read_diff(crawler: Crawler) -> None:
    crawler.site.edit(A1, "1萬億元", "1.2萬億元")
    crawler.crawl()
    crawler.site.remove(A1)
    crawler.crawl()
    aid = article_id(crawler.settings, 1)
    with Archive(crawler.settings.archive.db, readonly=True) as archive:
        history = read_history(archive, aid)
        latest = read_diff(archive, aid)
        with pytest.raises(NotArchived, match=r"article \d+ has no version 5; it has versions 1 to 2"):
            read_diff(archive, aid, 1, 5)
        with pytest.raises(NotArchived, match="has one version so far"):
            read_diff(archive, article_id(crawler.settings, 2))
        with pytest.raises(NotArchived, match="no article 999; `series-archiver list` shows the ids"):
            read_history(archive, 999)
    assert (history.id, history.title, history.url, history.status) == (aid, A1_TITLE, A1, "gone")
    assert [(v.version, v.restores, v.chars_added, v.chars_removed) for v in history.versions] == [(1, None, None, None), (2, None, 5, 3)]
    assert [(e.kind, e.version, e.from_version, e.chars_added, e.chars_removed) for e in history.events] == [
        ("first", 1, None, None, None),
        ("edit", 2, 1, 5, 3),
        ("gone", 2, None, None, None),
    ]
    assert history.versions[1].chars == history.versions[0].chars + 2
    data = latest.as_json()
    assert (data["from"], data["to"], data["chars_added"], data["chars_removed"]) == (1, 2, 5, 3)
    assert [o for o in data["ops"] if o["op"] != "equal"] == [{"op": "delete", "text": "1萬億"}, {"op": "insert", "text": "1.2萬億"}]
