"""A new release's own changes are never edits: re-crawls of the unchanged replica after a change of
folding, of OpenCC's conversion or of cleaning make no version and no notification.

Each test crawls the replica with today's code, changes the code the way a
later release would (monkeypatched here), forgets the HTTP validators (so
every page comes back 200 and is compared, as on a site without 304s) and
crawls again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from series_archiver import textfold
from series_archiver.archive import Archive
from series_archiver.demo.replica import ReplicaSite
from series_archiver.jobs.rederive import rederive_archive
from series_archiver.models import Article, Block, Extracted, PassResult
from series_archiver.read import article as reading
from series_archiver.read import clean as clean_module
from series_archiver.read import derivation
from series_archiver.read import reading as reading_module
from series_archiver.settings import Settings
from tests.support.crawl import Crawler

A1 = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"


@pytest.fixture
def crawled(replica: ReplicaSite, settings: Settings) -> Iterator[Crawler]:
    crawler = Crawler(replica, settings)
    first = crawler.crawl()
    assert first.ok and first.counts.new_articles == 4
    yield crawler


def forget_validators(settings: Settings) -> None:
    with sqlite3.connect(settings.archive.db) as conn:
        conn.execute("UPDATE article_urls SET etag = NULL, last_modified = NULL")


def table_counts(settings: Settings) -> dict[str, int]:
    with sqlite3.connect(settings.archive.db) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("versions", "changes")}


def recrawl_changes_nothing(crawler: Crawler) -> PassResult:
    before = table_counts(crawler.settings)
    forget_validators(crawler.settings)
    result = crawler.crawl()
    assert result.ok, result.counts.failures
    assert result.counts.new_versions == 0, "the release's own change was taken for an edit"
    assert result.events == [], "a notification was sent for nothing"
    assert table_counts(crawler.settings) == before
    with sqlite3.connect(crawler.settings.archive.db) as conn:
        compared = conn.execute(
            "SELECT count(*) FROM fetch_log WHERE run_id = ? AND outcome IN ('unchanged', 'duplicate', 'changed_secondary')", (result.run_id,)
        ).fetchone()[0]
    assert compared >= 4, "the pages were not compared (all 304?): the test would prove nothing"
    return result


@pytest.mark.slow
def test_an_extra_folding_rule_makes_no_version(crawled: Crawler, monkeypatch: pytest.MonkeyPatch) -> None:
    original = textfold.fold

    def fold_with_a_new_rule(text: str) -> str:  # a later release also folds the ideographic full stop
        return original(text).replace("。", ".")

    monkeypatch.setattr(reading_module, "fold", fold_with_a_new_rule)  # where a Reading folds
    monkeypatch.setattr(textfold, "fold", fold_with_a_new_rule)
    recrawl_changes_nothing(crawled)


@pytest.mark.slow
def test_another_opencc_conversion_makes_no_version(crawled: Crawler, monkeypatch: pytest.MonkeyPatch) -> None:
    original = textfold._converter

    def converter(config: str) -> Any:  # folding to traditional script instead of simplified
        return original("s2t.json" if config == "t2s.json" else config)

    monkeypatch.setattr(textfold, "_converter", converter)
    assert textfold.fold("华为") != "华为", "folding now goes to traditional script"
    recrawl_changes_nothing(crawled)


def _drop_last_paragraph(real: Callable[..., Article]) -> Callable[..., Article]:
    """A cleaning rule that now takes one more caption out of each article: its last paragraph."""

    def clean(pages: list[Extracted]) -> Article:
        article = real(pages)
        paragraphs = [i for i, b in enumerate(article.blocks) if b.kind == "paragraph"]
        blocks: tuple[Block, ...] = tuple(b for i, b in enumerate(article.blocks) if i != paragraphs[-1])
        return Article(
            url=article.url, profile=article.profile, title=article.title, blocks=blocks, published=article.published,
            byline=article.byline, captions=(*article.captions, article.blocks[paragraphs[-1]].text), pages=article.pages,
        )

    return clean


@pytest.mark.slow
def test_a_cleaning_rule_that_removes_one_more_caption_makes_no_version(crawled: Crawler, monkeypatch: pytest.MonkeyPatch) -> None:
    new_clean = _drop_last_paragraph(clean_module.clean)
    monkeypatch.setattr(reading, "clean", new_clean)
    monkeypatch.setattr(derivation, "clean", new_clean)
    recrawl_changes_nothing(crawled)
    with sqlite3.connect(crawled.settings.archive.db) as conn:
        reread = conn.execute("SELECT count(DISTINCT version_id) FROM rederivations").fetchone()[0]
    assert reread == 4, "each current version was read again from its stored pages, once"
    # The next pass compares with those readings: nothing is read again.
    forget_validators(crawled.settings)
    again = crawled.crawl()
    assert again.counts.new_versions == 0 and again.events == []


@pytest.mark.slow
def test_an_edit_under_a_new_cleaning_rule_shows_only_the_edit(crawled: Crawler, monkeypatch: pytest.MonkeyPatch) -> None:
    new_clean = _drop_last_paragraph(clean_module.clean)
    monkeypatch.setattr(reading, "clean", new_clean)
    monkeypatch.setattr(derivation, "clean", new_clean)
    crawled.site.edit(A1, "一座灰白色廠房", "一座灰黑色廠房")
    forget_validators(crawled.settings)
    result = crawled.crawl()
    assert result.counts.new_versions == 1 and [e.kind for e in result.events] == ["new_version"]
    with sqlite3.connect(crawled.settings.archive.db) as conn:
        added, removed, summary = conn.execute("SELECT chars_added, chars_removed, summary FROM changes WHERE kind = 'edit'").fetchone()
    assert (added, removed) == (1, 1), summary
    assert "白→黑" in summary


def test_rederive_reports_what_the_running_code_reads_differently_and_makes_no_version(
    crawled: Crawler, monkeypatch: pytest.MonkeyPatch
) -> None:
    same = rederive_archive(crawled.settings, dry_run=True)
    assert (same.count("same"), same.count("changed"), same.count("unreadable")) == (4, 0, 0)
    new_clean = _drop_last_paragraph(clean_module.clean)
    monkeypatch.setattr(derivation, "clean", new_clean)
    db: Path = crawled.settings.archive.db
    before = db.read_bytes()
    dry = rederive_archive(crawled.settings, dry_run=True)
    assert dry.count("changed") == 4 and all(v.chars_removed > 0 and v.chars_added == 0 for v in dry.versions if v.status == "changed")
    assert db.read_bytes() == before, "a dry run writes nothing"
    done = rederive_archive(crawled.settings)
    assert done.count("changed") == 4
    with Archive(db, readonly=True) as archive:
        assert archive.conn.execute("SELECT count(*) FROM rederivations").fetchone()[0] == 4
        assert archive.conn.execute("SELECT count(*) FROM versions").fetchone()[0] == 4


def test_each_version_records_the_derivation_that_read_it(crawled: Crawler) -> None:
    running = derivation.current()
    with Archive(crawled.settings.archive.db, readonly=True) as archive:
        rows = archive.conn.execute(
            "SELECT d.digest, d.components FROM versions v JOIN derivations d ON d.id = v.derivation_id"
        ).fetchall()
    assert len(rows) == 4 and {r[0] for r in rows} == {running.digest}
    assert '"opencc"' in rows[0][1] and '"code"' in rows[0][1]


@pytest.mark.slow
def test_rederive_folds_the_search_index_again_with_the_running_folding(crawled: Crawler, monkeypatch: pytest.MonkeyPatch) -> None:
    from series_archiver.archive.search import search

    original = textfold._converter

    def converter(config: str) -> Any:  # a later release folds to traditional script
        return original("s2t.json" if config == "t2s.json" else config)

    monkeypatch.setattr(textfold, "_converter", converter)
    # Queries are folded once per process and cached; this process now folds differently.
    from series_archiver.archive import searchtext

    for cached in (searchtext.query_terms, searchtext.fts_query):
        cached.cache_clear()
    with Archive(crawled.settings.archive.db, readonly=True) as archive:
        stale = search(archive.conn, "華為").results
    report = rederive_archive(crawled.settings)
    assert report.search_refolded == 4 and report.count("changed") == 0
    with Archive(crawled.settings.archive.db, readonly=True) as archive:
        assert [r["installment"] for r in search(archive.conn, "華為").results] == [1]
        assert [r["installment"] for r in search(archive.conn, "华为").results] == [1]
    assert stale == () or [r["installment"] for r in stale] == [1]
    for cached in (searchtext.query_terms, searchtext.fts_query):
        cached.cache_clear()  # leave no query folded the patched way to the tests after this one
