"""The archive pipeline end to end: a real crawl of the replica into a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

import pytest

from series_archiver.archive.store import Archive
from series_archiver.jobs import core
from tests.support.crawl import Crawler


def by_installment(settings) -> dict[int, dict]:
    return {row["installment"]: row for row in core.list_articles(settings)}


def without_scheme(url: str) -> str:
    return url.split("://", 1)[1]


def test_crawl_archives_every_installment_once(crawler: Crawler, manifest: dict) -> None:
    result = crawler.crawl()
    assert result.ok, result.counts.failures
    rows = core.list_articles(crawler.settings)
    expected = {i["number"]: i for i in manifest["installments"]}
    assert sorted(r["installment"] for r in rows) == sorted(expected), "one article per installment, no distractor"
    assert result.counts.new_articles == len(expected)
    for row in rows:
        want = expected[row["installment"]]
        assert row["series"] == "貿戰下中國力量"
        assert row["label"] == want["label"]
        assert row["title"] == want["title"]
        assert row["versions"] == 1
        assert row["status"] == "live"
        # Every rendering is recognised as the same article (scheme aside: a list links ② by http://).
        assert {without_scheme(u) for u in row["urls"]} >= {without_scheme(u) for u in want["urls"]}
        assert datetime.fromisoformat(row["published"]) == datetime.fromisoformat(want["published"])


@pytest.mark.slow
def test_distractors_and_unrelated_articles_are_not_archived(crawler: Crawler, manifest: dict) -> None:
    crawler.crawl()
    archived = {u for r in core.list_articles(crawler.settings) for u in r["urls"]}
    for item in manifest["distractors"] + manifest["unrelated"]:
        url = item["url"] if isinstance(item, dict) else item
        assert url not in archived


def test_cleaned_text_matches_the_manifest(crawler: Crawler, manifest: dict) -> None:
    crawler.crawl()
    rows = by_installment(crawler.settings)
    for want in manifest["installments"]:
        shown = core.show_article(crawler.settings, rows[want["number"]]["id"])
        assert shown["byline"] == want["byline"]
        assert shown["headings"] == want["headings"], want["number"]
        assert shown["paragraphs"] == want["paragraphs"], want["number"]
        assert [[b["kind"], b["text"]] for b in shown["blocks"]] == [list(b) if isinstance(b, list) else [b["kind"], b["text"]] for b in want["blocks"]]
        # Captions and caption fragments leave the body and are kept as captions.
        assert shown["captions"] == [*want["captions"], *want["caption_fragments"]] or sorted(shown["captions"]) == sorted(
            [*want["captions"], *want["caption_fragments"]]
        )
        for fragment in want["caption_fragments"]:
            assert fragment not in shown["text"]
        assert want["byline_line"] not in shown["text"].split("\n")
        assert "\ufeff" not in shown["title"] and "\u200b" not in shown["text"] and "\xa0" not in shown["text"]


@pytest.mark.slow
def test_two_page_article_is_joined_in_order(crawler: Crawler, manifest: dict) -> None:
    crawler.crawl()
    two_page = next(i for i in manifest["installments"] if len(i["pages"]) > 1)
    row = by_installment(crawler.settings)[two_page["number"]]
    shown = core.show_article(crawler.settings, row["id"])
    assert shown["paragraphs"] == two_page["paragraphs"]
    with Archive(crawler.settings.archive.db, readonly=True) as archive:
        capture_ids = json.loads(archive.version_row(row["id"])["capture_ids"])
        urls = [archive.conn.execute("SELECT url FROM captures WHERE id = ?", (c,)).fetchone()[0] for c in capture_ids]
    assert urls == two_page["pages"]


@pytest.mark.slow
def test_recrawl_stores_nothing_new(crawler: Crawler) -> None:
    crawler.crawl()
    with Archive(crawler.settings.archive.db, readonly=True) as archive:
        before = archive.counts()
    second = crawler.crawl()
    assert second.ok
    assert (second.counts.new_articles, second.counts.new_versions) == (0, 0)
    with Archive(crawler.settings.archive.db, readonly=True) as archive:
        after = archive.counts()
        outcomes = dict(
            archive.conn.execute(
                "SELECT outcome, count(*) FROM fetch_log WHERE run_id = ? GROUP BY outcome", (second.run_id,)
            ).fetchall()
        )
    for table in ("articles", "article_urls", "versions", "captures", "changes"):
        assert after[table] == before[table], table
    assert after["fetch_log"] > before["fetch_log"]
    assert after["runs"] == before["runs"] + 1
    # The replica sends validators, so the re-check is conditional and answers 304.
    assert outcomes.get("not_modified", 0) >= 4
    assert "new_version" not in outcomes and "new_article" not in outcomes


def test_an_edit_makes_exactly_one_new_version(crawler: Crawler, manifest: dict) -> None:
    crawler.crawl()
    target = manifest["edit_targets"][0]
    crawler.site.edit(target["url"], target["text"], target["text"].replace("1", "1.2", 1))
    result = crawler.crawl()
    assert result.counts.new_versions == 1
    rows = by_installment(crawler.settings)
    assert {n: r["versions"] for n, r in rows.items()} == {
        i["number"]: (2 if i["number"] == target["installment"] else 1) for i in manifest["installments"]
    }
    edited = core.show_article(crawler.settings, rows[target["installment"]]["id"])
    assert edited["version"] == 2
    assert "1.2萬億元" in edited["text"]
    first = core.show_article(crawler.settings, rows[target["installment"]]["id"], version=1)
    assert "1萬億元" in first["text"] and "1.2萬億元" not in first["text"]


@pytest.mark.slow
def test_fetch_command_archives_given_urls(crawler: Crawler, manifest: dict) -> None:
    one = manifest["installments"][0]
    result = crawler.fetch(one["url"])
    assert result.ok and result.counts.new_articles == 1
    rows = core.list_articles(crawler.settings)
    assert [(r["installment"], r["label"]) for r in rows] == [(one["number"], one["label"])]


@pytest.mark.slow
def test_robots_disallowed_link_is_never_requested(crawler: Crawler, manifest: dict) -> None:
    result = crawler.crawl()
    path = manifest["robots_disallowed"]["path"]
    assert result.counts.skipped >= 1
    assert not [r for r in crawler.site.requests if path in r.real_url]


def test_archive_is_wal_and_readable_by_plain_sqlite(crawler: Crawler) -> None:
    crawler.crawl()
    conn = sqlite3.connect(f"file:{crawler.settings.archive.db}?mode=ro", uri=True)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 4
    conn.close()


@pytest.mark.parametrize("table", ["articles", "article_urls", "versions", "captures", "fetch_log", "changes", "runs"])
def test_every_table_is_documented_in_the_docs(table: str) -> None:
    from tests.support.paths import REPO

    docs = (REPO / "docs" / "archive.md").read_text(encoding="utf-8")
    assert f"`{table}`" in docs
