"""``stop=`` of fetch, import and backfill: set mid-way, the job ends between two URLs or records, its run ``interrupted``.

The event is set after the first URL or record is recorded (from the progress
callback, or for a pass, whose progress comes once a batch is committed, from
the recording itself), so the stop lands at a known place. Ctrl-C through a real terminal is
tests/test_cli_interrupt.py.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.wayback_replica import WaybackReplica
from series_archiver.errors import PassInterrupted
from series_archiver.export import export_warc
from series_archiver.jobs import core
from series_archiver.jobs.backfill import run_backfill
from series_archiver.jobs.importer import run_import
from series_archiver.jobs.verify import verify_archive
from series_archiver.record import Recorder
from series_archiver.settings import Settings
from tests.support.crawl import Crawler
from tests.support.wayback import pointed


def _stop_after_first() -> tuple[threading.Event, Callable[..., None]]:
    stop = threading.Event()

    def progress(*_where: object) -> None:  # (done, total, url) of a pass, or an import's ImportStep
        stop.set()

    return stop, progress


def _last_run(db: Path) -> tuple[str, str]:
    with sqlite3.connect(db) as conn:
        kind, status = conn.execute("SELECT kind, status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    return kind, status


def _articles(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])


def test_fetch_stops_between_two_urls(replica: ReplicaSite, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    urls = [i["url"] for i in replica.manifest["installments"]]
    stop = threading.Event()
    real = Recorder.record

    def record_then_stop(self: Recorder, *args: Any, **kwargs: Any) -> None:
        # A pass reports its progress once a batch of recordings is committed: the stop is set
        # right after the first URL is recorded instead, as a signal would land mid-batch.
        real(self, *args, **kwargs)
        stop.set()

    monkeypatch.setattr(Recorder, "record", record_then_stop)
    with pytest.raises(PassInterrupted):
        core.fetch(settings, urls, transport=LoopbackTransport(replica.origins), stop=stop)
    assert _last_run(settings.archive.db) == ("fetch", "interrupted")
    assert _articles(settings.archive.db) == 1
    assert verify_archive(settings).ok


def test_fetch_without_a_stop_is_unchanged(replica: ReplicaSite, settings: Settings) -> None:
    urls = [i["url"] for i in replica.manifest["installments"]]
    result = core.fetch(settings, urls, transport=LoopbackTransport(replica.origins), stop=threading.Event())
    assert result.ok and result.counts.new_articles == len(urls)
    assert _last_run(settings.archive.db) == ("fetch", "ok")


def test_import_stops_between_two_records_and_importing_again_reads_the_rest(crawler: Crawler, tmp_path: Path) -> None:
    crawler.crawl()
    warc = tmp_path / "export.warc.gz"
    export_warc(crawler.settings, warc)
    target = crawler.settings.replace(archive__db=tmp_path / "imported.db")
    stop, progress = _stop_after_first()
    with pytest.raises(PassInterrupted):
        run_import(target, [warc], progress=progress, stop=stop)
    assert _last_run(target.archive.db) == ("import", "interrupted")
    assert verify_archive(target).ok
    before = _articles(target.archive.db)
    again = run_import(target, [warc])
    assert again.ok and _articles(target.archive.db) == before + again.new_articles == _articles(crawler.settings.archive.db)


def test_backfill_stops_between_two_captures(crawler: Crawler) -> None:
    with WaybackReplica() as wayback:
        settings = pointed(crawler.settings, wayback)
        stop, progress = _stop_after_first()
        with pytest.raises(PassInterrupted):
            run_backfill(settings, progress=progress, stop=stop)
    assert _last_run(settings.archive.db) == ("backfill", "interrupted")
    assert verify_archive(settings).ok


def test_backfill_stopped_before_it_starts_reads_nothing(crawler: Crawler) -> None:
    with WaybackReplica() as wayback:
        settings = pointed(crawler.settings, wayback)
        stop = threading.Event()
        stop.set()
        with pytest.raises(PassInterrupted):
            run_backfill(settings, stop=stop)
    assert _last_run(settings.archive.db) == ("backfill", "interrupted")
    assert _articles(settings.archive.db) == 0
