"""Politeness and fault tolerance seen from the site: whole passes against the replica.

The replica logs every request it answers (``ReplicaSite.requests``), so these
tests assert what the site saw: no robots.txt-disallowed URL, conditional
requests answered 304 on a second pass (which then adds only log rows), a
User-Agent naming the project; and that one failing URL never stops a pass.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from series_archiver.archive.store import Archive
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.errors import ArchiveUnwritable, PassInterrupted
from series_archiver.jobs import core, crawl
from series_archiver.sources.live import Fetcher
from tests.support.cli import run_cli, write_config
from tests.support.crawl import Crawler
from tests.support.db import assert_archive_sound, reader

THIRD = "https://www.takungpao.com/news/232108/2025/1217/1050642.html"  # ③: one URL, two pages
THIRD_2 = THIRD.replace(".html", "_2.html")


def where(url: str) -> str:
    """host + path: the replica logs https:// for what was asked as http:// (one server plays both)."""
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path}"


def table_counts(db: Path) -> dict[str, int]:
    """Rows in every table and view of the archive, whoever added it (``fetch_log`` is a view over ``fetches``)."""
    with reader(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name")]
        return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def rows(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with reader(db) as conn:
        return conn.execute(sql, args).fetchall()


# --- robots.txt ---------------------------------------------------------------------------------


def test_a_robots_disallowed_link_is_never_requested(crawler: Crawler, manifest: dict[str, Any]) -> None:
    private = manifest["robots_disallowed"]
    assert f'href="{private["url"]}"' in crawler.site.text(private["linked_from"])  # the crawl does meet the link

    first = crawler.crawl()
    second = crawler.crawl()
    requested = [r.real_url for r in crawler.site.requests]
    assert not [u for u in requested if urlsplit(u).path.startswith(private["disallow_rule"])]

    # It is recorded as skipped, with why, each pass: with its mirror copy, which robots.txt forbids as well.
    db = crawler.settings.archive.db
    mirror = private["url"].replace("www.takungpao.com", "www.takungpao.com.hk")
    skipped = rows(db, "SELECT run_id, url, status FROM fetch_log WHERE outcome = 'skipped' ORDER BY id")
    assert sorted(skipped) == sorted((run, url, None) for run in (first.run_id, second.run_id) for url in (private["url"], mirror))
    for (error,) in rows(db, "SELECT error FROM fetch_log WHERE outcome = 'skipped'"):
        assert "robots.txt" in error and "disallows" in error
    assert (first.counts.skipped, second.counts.skipped) == (2, 2)
    assert first.ok and second.ok  # skipped by choice is no failure
    assert rows(db, "SELECT count(*) FROM article_urls WHERE url LIKE '%/private/%'") == [(0,)]

    # robots.txt itself is read once per origin per pass, not once per URL. A list links ② by
    # http://www.takungpao.com, a second origin of that host (RFC 9309: robots.txt is per scheme).
    robots = Counter(urlsplit(u).hostname for u in requested if urlsplit(u).path == "/robots.txt")
    assert robots == {"www.takungpao.com": 4, "www.takungpao.com.hk": 2, "epaper.tkww.hk": 2, "www.tkww.hk": 2}


# --- conditional requests ---------------------------------------------------------------------


@pytest.mark.slow
def test_a_second_pass_is_conditional_and_adds_only_log_rows(crawler: Crawler) -> None:
    first = crawler.crawl()
    assert first.ok, first.counts.failures
    db = crawler.settings.archive.db
    before = table_counts(db)
    validators = {where(u): (e, m) for u, e, m in rows(db, "SELECT url, etag, last_modified FROM article_urls")}
    multi_page = {where(u) for (u,) in rows(db, "SELECT url FROM versions WHERE capture_ids LIKE '%,%'")}
    assert multi_page == {where(THIRD)}
    seen = len(crawler.site.requests)

    second = crawler.crawl()
    assert second.ok, second.counts.failures
    c = second.counts
    assert (c.new_articles, c.new_versions, c.gone, c.suspect, c.failed) == (0, 0, 0, 0, 0)

    after = table_counts(db)
    logged = rows(db, "SELECT count(*) FROM fetch_log WHERE run_id = ?", second.run_id)[0][0]
    grown = {t: after[t] - before[t] for t in after if after[t] != before[t]}
    # fetches holds the log's rows, a run of unchanged re-fetches as one (schema step 11): at most one a row.
    assert 0 < grown.pop("fetches") <= logged
    assert grown == {"fetch_log": logged, "runs": 1}

    # What the site saw: every archived page but the two-page ③ asked conditionally, and answered 304.
    asked = {where(r.real_url): r for r in crawler.site.requests[seen:]}
    for url, (etag, last_modified) in validators.items():
        request = asked[url]
        if url in multi_page:
            assert "if-none-match" not in request.headers and request.status == 200  # a 304 would hide an edit on page 2
            continue
        assert request.headers.get("if-none-match") == etag, url
        assert request.headers.get("if-modified-since") == last_modified, url
        assert (request.status, request.bytes_sent) == (304, 0), url
    outcomes = rows(
        db, "SELECT url, outcome FROM fetch_log WHERE run_id = ? AND outcome NOT IN ('list_page', 'gone', 'skipped')", second.run_id
    )
    # ③ is read whole (page 1, then page 2, whose row carries the outcome) and found unchanged.
    # Keyed by full URL: ② is archived under both its http:// link and its https:// twin.
    archived = [u for (u,) in rows(db, "SELECT url FROM article_urls")]
    expected = {u: "not_modified" for u in archived if where(u) not in multi_page} | {THIRD: "ok", THIRD_2: "unchanged"}
    assert dict(outcomes) == expected and len(outcomes) == len(expected)


# --- User-Agent ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_request_names_the_project(crawler: Crawler) -> None:
    crawler.crawl()
    fetch = crawler.settings.fetch
    expected = f"{fetch.user_agent}; {fetch.contact}"
    assert Fetcher(fetch).user_agent == expected
    agents = Counter(r.headers.get("user-agent") for r in crawler.site.requests)
    assert list(agents) == [expected], agents
    assert expected.startswith("series-archiver/") and fetch.contact.startswith("https://")
    assert sum(agents.values()) == len(crawler.site.requests) > 10


# --- a stop -------------------------------------------------------------------------------------------


def test_a_stop_ends_the_pass_during_a_politeness_wait_and_sends_nothing_more(crawler: Crawler) -> None:
    """The CLI's and the daemon's stop reaches the fetcher: a 30 s delay does not hold up Ctrl-C."""
    settings = crawler.settings.replace(fetch__delay_seconds=30.0)
    stop = threading.Event()
    sent: list[int] = []

    def stop_soon() -> None:
        sent.append(len(crawler.site.requests))
        stop.set()

    timer = threading.Timer(0.5, stop_soon)
    timer.start()
    t0 = time.monotonic()
    with pytest.raises(PassInterrupted):
        core.crawl(settings, transport=LoopbackTransport(crawler.site.origins), stop=stop)
    timer.join()
    assert time.monotonic() - t0 < 3.0
    assert len(crawler.site.requests) == sent[0] > 0, "nothing is asked once the stop is set"
    assert rows(settings.archive.db, "SELECT status FROM runs") == [("interrupted",)]


# --- one failing URL ---------------------------------------------------------------------------------


def test_one_failing_url_never_stops_the_pass(crawler: Crawler) -> None:
    crawler.site.set_page(THIRD, "<h1>Internal Server Error</h1>", status=500)
    result = crawler.crawl()
    db = crawler.settings.archive.db

    assert result.counts.failed == 1 and not result.ok
    [(url, why)] = result.counts.failures
    assert url == THIRD and why.startswith(f"{THIRD}: HTTP 500 ") and "after 2 attempts" in why
    assert sorted(r["installment"] for r in core.list_articles(crawler.settings)) == [1, 2, 4]
    # Every attempt is logged: the retry, then the failure; the run says it was partial.
    assert rows(db, "SELECT attempt, status, outcome FROM fetch_log WHERE url = ? ORDER BY id", THIRD) == [
        (1, 500, "retry"),
        (2, 500, "error"),
    ]
    assert rows(db, "SELECT status, failed, failures FROM runs") == [("partial", 1, json.dumps([[THIRD, why]], ensure_ascii=False))]
    assert_archive_sound(db)

    crawler.site.restore(THIRD)
    again = crawler.crawl()
    assert again.ok and again.counts.new_articles == 1
    assert sorted(r["installment"] for r in core.list_articles(crawler.settings)) == [1, 2, 3, 4]


@pytest.mark.slow
def test_crawl_exits_1_naming_the_failed_url_and_finishes_the_pass(crawler: Crawler, tmp_path: Path) -> None:
    crawler.site.set_page(THIRD, "<h1>Service Unavailable</h1>", status=503, headers={"Retry-After": "0"})
    config = write_config(tmp_path, crawler.site)
    proc = run_cli(crawler.site, config, "crawl")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("pass 1: ") and ", 1 failed" in proc.stdout and "4 new articles" not in proc.stdout
    assert f"  failed: {THIRD}: HTTP 503 " in proc.stderr
    db = tmp_path / "series.db"
    assert rows(db, "SELECT installment FROM articles ORDER BY installment") == [(1,), (2,), (4,)]
    assert rows(db, "SELECT status FROM runs") == [("partial",)]

    crawler.site.restore(THIRD)
    proc = run_cli(crawler.site, config, "crawl", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["new_articles"] == 1


@pytest.mark.slow
def test_an_unexpected_error_on_one_url_is_that_urls_failure(crawler: Crawler, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the fetcher for one URL (not a FetchError): recorded for that URL, the pass goes on."""
    real_fetch = Fetcher.fetch

    def buggy_fetch(self: Fetcher, url: str, **kw: Any) -> Any:
        if url == THIRD:
            raise KeyError("simulated bug")
        return real_fetch(self, url, **kw)

    monkeypatch.setattr(Fetcher, "fetch", buggy_fetch)
    result = crawler.crawl()
    [(url, why)] = result.counts.failures
    assert url == THIRD and "unexpected KeyError" in why and "simulated bug" in why
    assert sorted(r["installment"] for r in core.list_articles(crawler.settings)) == [1, 2, 4]
    db = crawler.settings.archive.db
    assert rows(db, "SELECT attempt, status, outcome FROM fetch_log WHERE url = ?", THIRD) == [(1, None, "error")]
    assert rows(db, "SELECT status FROM runs") == [("partial",)]


@pytest.mark.slow
def test_a_discovery_failure_still_rechecks_the_archived_articles(crawler: Crawler, monkeypatch: pytest.MonkeyPatch) -> None:
    """A list page discovery cannot read (a bug on some new markup): known URLs are still checked."""
    assert crawler.crawl().ok
    db = crawler.settings.archive.db
    tracked = {u for (u,) in rows(db, "SELECT url FROM article_urls")}

    def broken_discover(*args: Any, **kw: Any) -> Any:
        raise ValueError("Invalid IPv6 URL")  # what urljoin raises on href="http://[::1/"

    monkeypatch.setattr(crawl, "discover", broken_discover)
    result = crawler.crawl()
    [(where_, why)] = result.counts.failures
    assert crawler.settings.series[0].start_urls[0] in where_
    assert why == "discovery of '貿戰下中國力量' failed (ValueError: Invalid IPv6 URL); a list page may be malformed"
    checked = {u for (u,) in rows(db, "SELECT url FROM fetch_log WHERE run_id = ?", result.run_id)}
    assert checked == tracked | {THIRD_2}
    assert rows(db, "SELECT status FROM runs WHERE id = ?", result.run_id) == [("partial",)]
    assert_archive_sound(db)


@pytest.mark.slow
def test_the_store_failing_stops_the_pass_with_a_clear_error(crawler: Crawler, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unlike one URL's trouble, an archive that cannot be written ends the pass: StoreError, exit 1."""
    real = Archive.add_capture

    def disk_full(self: Archive, *args: Any, **kw: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Archive, "add_capture", disk_full)
    with pytest.raises(ArchiveUnwritable, match=r"cannot record https://.*database or disk is full.*verify"):
        crawler.crawl()
    monkeypatch.setattr(Archive, "add_capture", real)
    db = crawler.settings.archive.db
    assert rows(db, "SELECT status FROM runs") == [("failed",)]
    assert rows(db, "SELECT count(*) FROM versions") == [(0,)]
    assert crawler.crawl().ok
    assert_archive_sound(db)
