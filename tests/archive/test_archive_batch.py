"""``Archive.batch``: many units in one SQLite transaction, each unit still all or nothing (import's batches)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from series_archiver.archive import Archive


def runs(db: Path) -> list[str]:
    """The runs another connection sees: what is committed."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT kind FROM runs ORDER BY id")]
    finally:
        conn.close()


def add_run(archive: Archive, kind: str) -> None:
    archive.start_run(kind)  # one transaction() of its own


def test_a_failed_unit_in_a_batch_is_undone_alone_and_nothing_is_visible_before_the_batch_commits(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    with Archive(db) as archive:
        with archive.batch():
            add_run(archive, "first")
            with pytest.raises(RuntimeError), archive.transaction():
                add_run(archive, "broken")
                raise RuntimeError("a bug half-way through a record")
            add_run(archive, "third")
            assert runs(db) == []  # one transaction: other readers see none of it yet
        assert runs(db) == ["first", "third"]


def test_leaving_a_batch_by_an_exception_keeps_the_units_that_completed(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    with Archive(db) as archive:
        with pytest.raises(KeyboardInterrupt), archive.batch():
            add_run(archive, "done")
            with archive.transaction():
                add_run(archive, "interrupted")
                raise KeyboardInterrupt
        assert runs(db) == ["done"]
        add_run(archive, "after")  # the connection is usable again, with transactions of its own
    assert runs(db) == ["done", "after"]
