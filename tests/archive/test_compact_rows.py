"""Compact evidence rows (schema step 11): what the writer stores, and that the views give back the log as it was.

The fetch log used to hold one row per attempt. Now a run of unchanged
re-fetches is one ``fetches`` row; the ``fetch_log`` view (and ``unfold``, its
Python twin, which readers use) must give back exactly the rows the old
writer wrote: ids 1, 2, 3, … in order, every field as given.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from series_archiver.archive import Archive
from series_archiver.archive.compact import FETCH_COLUMNS, MAX_REPEATS, unfold
from series_archiver.export.warc import export_warc
from series_archiver.models import Attempt
from tests.support.crawl import Crawler

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
LOG_COLUMNS = "id, run_id, url, requested_at, attempt, status, outcome, error, elapsed_ms, bytes, article_id, capture_id"


def attempt(url: str, at: datetime, *, n: int = 1, status: int | None = 304, outcome: str = "not_modified",
            error: str | None = None, elapsed: float = 12.3, size: int = 0) -> Attempt:
    return Attempt(url, at, n, status, outcome, error, elapsed, size)


def logged(db: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT {LOG_COLUMNS} FROM fetch_log ORDER BY id").fetchall()
    finally:
        conn.close()


def unfolded(db: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(f"SELECT {FETCH_COLUMNS} FROM fetches f JOIN urls u ON u.id = f.url_id").fetchall()
    finally:
        conn.close()
    return sorted(tuple(vars(r).values()) for row in rows for r in unfold(row))


def test_the_view_gives_back_every_attempt_as_the_old_writer_logged_it(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    a, b = "https://example.test/a", "https://example.test/b"
    hk = timezone(timedelta(hours=8))
    expected: list[tuple[Any, ...]] = []
    with Archive(db) as archive:
        runs = [archive.start_run("crawl") for _ in range(4)]
        capture = archive.conn.execute("INSERT INTO urls (url) VALUES (?) RETURNING id", (a,)).fetchone()[0]
        capture = archive.conn.execute(
            "INSERT INTO capture_store (url_id, fetched_at, status, size, sha256, raw, codec) VALUES (?, ?, 200, 3, ?, x'00', 'zstd') RETURNING id",
            (capture, T0.isoformat(), bytes(32)),
        ).fetchone()[0]

        def log(run: int, *attempts: Attempt, outcome: str | None = None, article: int | None = None, capture_id: int | None = None) -> None:
            with archive.transaction():
                archive.log_attempts(list(attempts), run_id=run, final_outcome=outcome, article_id=article, capture_id=capture_id)
            for i, x in enumerate(attempts):
                last = i == len(attempts) - 1
                at = x.started_at if x.started_at.tzinfo else x.started_at.replace(tzinfo=UTC)
                expected.append((len(expected) + 1, run, x.url, at.isoformat(timespec="seconds"), x.attempt, x.status,
                                 (outcome or x.outcome) if last else x.outcome, x.error, round(x.elapsed_ms, 1), x.bytes,
                                 article if last else None, capture_id if last else None))

        log(runs[0], attempt(a, T0, status=200, outcome="ok", size=900), outcome="new_article", capture_id=capture)
        for k in range(1, 6):  # unchanged re-fetches of a, interleaved with b's list page
            log(runs[k % 4], attempt(b, T0 + timedelta(hours=k, seconds=1), status=200, outcome="ok"), outcome="list_page")
            log(runs[k % 4], attempt(a, T0 + timedelta(hours=k), elapsed=k * 1.7), capture_id=capture)
        # A retried fetch, a 200 with the same bytes (another status: a new row), an error: each its own row.
        log(runs[1], attempt(a, T0 + timedelta(hours=7), status=503, outcome="retry"), attempt(a, T0 + timedelta(hours=7, seconds=3), n=2))
        log(runs[1], attempt(a, T0 + timedelta(hours=8), status=200, outcome="ok", size=900), outcome="unchanged", capture_id=capture)
        log(runs[1], attempt(a, T0 + timedelta(hours=9), status=200, outcome="ok", size=900), outcome="unchanged", capture_id=capture)
        log(runs[2], attempt(a, T0 + timedelta(hours=10), status=None, outcome="error", error="timed out"))
        # Times the view could not give back as they are: another zone, a naive time, elapsed in hundredths.
        log(runs[2], attempt(a, T0 + timedelta(hours=11), elapsed=1.0), capture_id=capture)
        log(runs[2], attempt(a, (T0 + timedelta(hours=12)).astimezone(hk)), capture_id=capture)
        log(runs[2], attempt(a, (T0 + timedelta(hours=13)).replace(tzinfo=None)), capture_id=capture)
        log(runs[2], attempt(a, T0 + timedelta(hours=14), elapsed=0.123456), capture_id=capture)
        # A run longer than a row holds, then one that goes back in time (a clock set back).
        for k in range(MAX_REPEATS + 5):
            log(runs[3], attempt(a, T0 + timedelta(days=2, minutes=k)), capture_id=capture)
        log(runs[3], attempt(a, T0 + timedelta(days=1)), capture_id=capture)
        # A unit rolled back leaves nothing, and its ids are given again.
        with pytest.raises(RuntimeError), archive.transaction():
            archive.log_attempts([attempt(a, T0 + timedelta(days=3))], run_id=runs[3], capture_id=capture)
            raise RuntimeError("rolled back")
        log(runs[3], attempt(b, T0 + timedelta(days=3)), outcome="list_page")
        stored = archive.conn.execute("SELECT count(*), sum(repeats), max(repeats) FROM fetches").fetchone()

    assert logged(db) == expected
    assert unfolded(db) == expected, "readers unfolding in Python see what the view shows"
    with Archive(db, readonly=True) as archive:
        for row in expected[::7] + expected[-3:]:
            found = archive.fetch_log_row(row[0])
            assert found is not None and tuple(vars(found).values()) == row
        assert archive.fetch_log_row(len(expected) + 1) is None
    count, repeats, longest = stored
    assert count + repeats == len(expected) and count < len(expected) // 3
    assert longest == MAX_REPEATS


def test_repeated_passes_fold_into_runs_and_the_warc_export_keeps_a_revisit_for_each(crawler: Crawler, tmp_path: Path) -> None:
    results = [crawler.crawl() for _ in range(4)]
    assert all(r.ok for r in results)
    db = crawler.settings.archive.db
    conn = sqlite3.connect(db)
    try:
        runs = conn.execute("SELECT u.url, f.outcome, f.repeats FROM fetches f JOIN urls u ON u.id = f.url_id WHERE f.repeats > 0").fetchall()
        per_pass = [Counter(dict(conn.execute("SELECT outcome, count(*) FROM fetch_log WHERE run_id = ? GROUP BY outcome", (r.run_id,))))
                    for r in results]
        naming = conn.execute("SELECT count(*) FROM fetch_log WHERE capture_id IS NOT NULL").fetchone()[0]
        captures = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
    finally:
        conn.close()
    # Passes 3 and 4 found every archived page unchanged: each folded into pass 2's row of its URL.
    assert runs and {outcome for _, outcome, _ in runs} <= {"not_modified", "unchanged"} and {n for *_, n in runs} == {2}
    assert per_pass[1] == per_pass[2] == per_pass[3], "every pass still has its rows in the log"
    assert per_pass[3]["not_modified"] == results[3].counts.unchanged - per_pass[3]["unchanged"]
    assert logged(db) == unfolded(db)
    export = export_warc(crawler.settings, tmp_path / "all.warc.gz")
    assert export.responses == captures and export.revisits == naming - captures
