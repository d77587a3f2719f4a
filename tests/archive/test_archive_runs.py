"""The daemon's read queries (archive.runs): runs rows and each archived URL's check times, on real SQLite files."""

from __future__ import annotations

import os
import socket
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from series_archiver.archive.runs import check_times, latest_run, parse_time, running_runs
from series_archiver.archive.store import Archive
from tests.support.crawl import Crawler


def test_latest_run_filters_by_kind_and_by_running(tmp_path: Path) -> None:
    with Archive(tmp_path / "series.db") as archive:
        crawl = archive.start_run("crawl")
        archive.finish_run(crawl, {"found": 3, "failed": 1}, [("https://x/a", "https://x/a: timed out")], "partial")
        daemon = archive.start_run("daemon")
        fetch = archive.start_run("fetch")
        archive.finish_run(fetch, {}, [], "ok")
        running = archive.start_run("daemon-pass")

        assert latest_run(archive).id == running  # type: ignore[union-attr]
        assert latest_run(archive, kinds=("daemon",)).id == daemon  # type: ignore[union-attr]
        last = latest_run(archive, not_kinds=("daemon", "fetch"), running=False)
        assert last is not None and (last.id, last.kind, last.status, last.found, last.failed) == (crawl, "crawl", "partial", 3, 1)
        assert last.failures == (("https://x/a", "https://x/a: timed out"),)
        now = latest_run(archive, not_kinds=("daemon", "fetch"), running=True)
        assert now is not None and now.id == running and now.finished_at is None
        assert latest_run(archive, kinds=("nothing-of-this-kind",)) is None


def test_running_runs_of_one_process(tmp_path: Path) -> None:
    with Archive(tmp_path / "series.db") as archive:
        first, second = archive.start_run("daemon-pass"), archive.start_run("daemon-pass")
        archive.conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (os.getpid() + 1, second))
        assert [r.id for r in running_runs(archive, "daemon-pass")] == [second, first]  # newest first
        mine = running_runs(archive, "daemon-pass", pid=os.getpid(), host=socket.gethostname())
        assert [r.id for r in mine] == [first]
        assert running_runs(archive, "daemon-pass", host="another-host") == []


def test_a_run_reads_as_status_json_prints_it_even_with_damaged_failures(tmp_path: Path) -> None:
    with Archive(tmp_path / "series.db") as archive:
        run = archive.start_run("crawl")
        archive.finish_run(run, {"fetched": 2}, [("https://x/a", "gone")], "ok")
        row = latest_run(archive)
        assert row is not None
        out = row.as_dict()
        assert list(out) == [
            "id", "kind", "started_at", "finished_at", "heartbeat_at", "status", "pid", "host",
            "found", "fetched", "new_articles", "new_versions", "unchanged", "failed", "gone", "suspect", "skipped", "failures",
        ]
        assert out["failures"] == [["https://x/a", "gone"]] and out["fetched"] == 2 and out["found"] is None
        archive.conn.execute("UPDATE runs SET failures = 'not json' WHERE id = ?", (run,))
        assert latest_run(archive).failures == ()  # type: ignore[union-attr]


def test_check_times_give_every_url_its_articles_moments(crawler: Crawler) -> None:
    crawler.crawl()
    db = crawler.settings.archive.db
    with sqlite3.connect(db) as conn:
        article_id, url = conn.execute("SELECT article_id, url FROM article_urls ORDER BY url LIMIT 1").fetchone()
        conn.execute(
            "UPDATE articles SET first_seen = ?, last_changed = NULL, gone_at = NULL, last_checked = ? WHERE id = ?",
            ("2025-12-01T10:00:00+08:00", "2025-12-02T10:00:00+08:00", article_id),
        )
        conn.execute(
            "INSERT INTO changes (article_id, from_version, to_version, changed_at, kind) VALUES (?, 1, 1, ?, 'gone')",
            (article_id, "2025-12-03T02:00:00+00:00"),
        )
        n_urls = conn.execute("SELECT count(*) FROM article_urls").fetchone()[0]
    with Archive(db, readonly=True) as archive:
        times = {t.url: t for t in check_times(archive)}
    assert len(times) == n_urls
    t = times[url]
    assert (t.article_id, t.last_changed, t.gone_at) == (article_id, None, None)
    assert t.first_seen == datetime(2025, 12, 1, 2, tzinfo=UTC)
    assert t.last_checked == datetime(2025, 12, 2, 2, tzinfo=UTC)
    assert t.latest_change == datetime(2025, 12, 3, 2, tzinfo=UTC)


def test_parse_time_reads_stored_text_as_aware_datetimes() -> None:
    assert parse_time(None) is None and parse_time("") is None
    assert parse_time("2025-12-15T02:17:04") == datetime(2025, 12, 15, 2, 17, 4, tzinfo=UTC)
