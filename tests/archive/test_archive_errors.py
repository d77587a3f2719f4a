"""SQLite's errors leave ``Archive.transaction()`` and ``batch()`` as the project's: real SQLite, real failures."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from series_archiver.archive import Archive
from series_archiver.daemon.service import Daemon
from series_archiver.demo import demo_settings
from series_archiver.errors import ArchiveReadOnly, ArchiveUnwritable, StoreError, WriteRejected


def committed_runs(db: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT kind FROM runs ORDER BY id")]
    finally:
        conn.close()


def run_row(kind: str | None) -> dict[str, str | None]:
    return {"kind": kind, "started_at": "2025-12-15T02:00:00+00:00", "status": "running"}


def test_a_broken_constraint_is_write_rejected_rolled_back_whole(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    with Archive(db) as archive:
        with pytest.raises(WriteRejected) as info, archive.transaction(doing="record https://example.test/a.html"):
            archive._insert("runs", run_row("half"))
            archive._insert("articles", {"series": "s"})  # NOT NULL columns left out
        message = str(info.value)
        assert message.startswith(f"{db}: SQLite refused to record https://example.test/a.html (NOT NULL constraint failed: articles.")
        assert message.endswith("nothing of it was stored (a bug, please report it)")
        assert info.value.doing == "record https://example.test/a.html" and info.value.path == str(db)
        assert isinstance(info.value.__cause__, sqlite3.IntegrityError) and not isinstance(info.value, ArchiveUnwritable)
        archive.start_run("after")  # the connection goes on
    assert committed_runs(db) == ["after"]


def test_in_a_batch_a_rejected_unit_is_undone_alone_and_the_batch_goes_on(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    with Archive(db) as archive, archive.batch(doing="import x.warc.gz"):
        archive.start_run("first")
        with pytest.raises(WriteRejected, match="refused to record the second"), archive.transaction(doing="record the second"):
            archive._insert("runs", run_row("second"))
            archive._insert("runs", run_row(None))
        archive.start_run("third")
    assert committed_runs(db) == ["first", "third"]


def test_a_full_disk_is_archive_unwritable_and_says_to_free_space(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    with Archive(db) as archive:
        pages = archive.conn.execute("PRAGMA page_count").fetchone()[0]
        archive.conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own SQLITE_FULL when the file must grow
        with pytest.raises(ArchiveUnwritable) as info, archive.transaction(doing="record https://example.test/b.html"):
            archive._insert("runs", run_row("small"))
            archive._insert("runs", run_row("x" * 200_000))
        assert info.value.cause == "full"
        assert str(info.value).startswith(f"{db}: cannot record https://example.test/b.html: the disk is full (database or disk is full); free some space")
        assert not archive.conn.in_transaction
    assert committed_runs(db) == []


def test_busy_past_the_timeout_is_archive_unwritable(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    with Archive(db) as archive:
        archive.conn.execute("PRAGMA busy_timeout = 50")
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another writer, outside the writer lock (an sqlite3 shell)
        try:
            with pytest.raises(ArchiveUnwritable) as info, archive.batch():
                archive.start_run("waits")
            assert info.value.cause == "busy" and "close whatever else writes to it" in str(info.value)
            with pytest.raises(ArchiveUnwritable, match="cannot write the archive: another process kept the archive busy"):
                archive.start_run("waits")
        finally:
            other.execute("ROLLBACK")
            other.close()
        archive.start_run("after")
    assert committed_runs(db) == ["after"]


def test_sqlite_refusing_a_write_as_read_only_is_archive_read_only(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    with Archive(db) as archive:
        archive.conn.execute("PRAGMA query_only = 1")  # SQLITE_READONLY from SQLite itself
        with pytest.raises(ArchiveReadOnly) as info:
            archive.start_run("refused")
        assert info.value.cause == "read-only"
        assert "SQLite finds the archive read-only (attempt to write a readonly database)" in str(info.value)


def test_errors_that_are_not_sqlite_s_pass_unchanged(tmp_path: Path) -> None:
    with Archive(tmp_path / "series.db") as archive:
        with pytest.raises(KeyError), archive.transaction():
            raise KeyError("a bug of the caller")
        with pytest.raises(StoreError, match="rewrite_history must run inside"):
            archive.rewrite_history(1, [], [], {})


def test_the_daemon_s_heartbeat_outlives_a_busy_archive(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "series.db"
    daemon = Daemon(demo_settings(db))
    with Archive(db) as archive:
        daemon.run_id = archive.start_run("daemon")
        archive.conn.execute("PRAGMA busy_timeout = 50")
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with caplog.at_level(logging.WARNING, logger="series_archiver.events"):
                daemon._heartbeat(archive)  # raises nothing: the daemon goes on
        finally:
            other.execute("ROLLBACK")
            other.close()
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "heartbeat_failed"]
    assert "cannot write the heartbeat: another process kept the archive busy" in record.getMessage()
    assert record.getMessage().endswith("; the daemon goes on")
