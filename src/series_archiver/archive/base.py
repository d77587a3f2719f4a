"""What every table group of ``Archive`` stands on: the connection, transactions, the writer lock, row helpers.

``Archive`` (store.py) is one object made of table groups (articles.py,
versions.py, capture_rows.py, fetchlog.py, witnesses.py, timeorder.py), each
a mixin on ``ArchiveBase``. SQLite's errors raised inside ``transaction()``
and ``batch()`` leave as the project's (failures.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from series_archiver.archive.captures import CaptureChains
from series_archiver.archive.failures import sqlite_errors
from series_archiver.archive.lock import writer_lock
from series_archiver.archive.searchwrite import has_pending_list, index_pending

__all__ = ["ArchiveBase", "iso", "utcnow"]

# URL ids kept in memory: a pass names each URL a few times in a row (its fetch, its capture).
_URL_IDS = 4096


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(when: datetime | None) -> str | None:
    """ISO 8601 with offset, seconds precision: sortable and readable in Datasette."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.isoformat(timespec="seconds")


class ArchiveBase:
    """The connection and how writes are made; ``Archive.__init__`` opens it."""

    path: Path
    readonly: bool
    conn: sqlite3.Connection
    # Rebuilds captures through their delta chains; the last whole capture per
    # URL is kept, so the next capture of a URL is encoded against it without
    # reading it back.
    chains: CaptureChains
    holds_writer_lock: bool
    _batched: bool  # inside batch(): transaction() is a savepoint
    # URL -> urls.id, for the URLs written lately (schema step 11: captures and
    # the fetch log name URLs by id). Cleared on a rollback, which may undo an id.
    _url_ids: dict[str, int]
    # Whether the archive lists new search rows to index at commit (schema step 12); looked up until it does.
    _lists_pending: bool = False

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def writer_lock(self, timeout: float, *, command: str = "") -> Iterator[None]:
        """Hold the one-writer lock shared by crawl, fetch, the daemon and upgrades (lock.py)."""
        with writer_lock(self.path, timeout, command=command):
            self.holds_writer_lock = True
            try:
                yield
            finally:
                self.holds_writer_lock = False

    @contextmanager
    def transaction(self, doing: str = "") -> Iterator[sqlite3.Connection]:
        """All-or-nothing: a crash inside leaves the archive as it was before.

        Inside ``batch()`` it is a savepoint: a failure undoes this part alone,
        and the batch's one COMMIT makes it durable. SQLite's errors leave as
        ``WriteRejected`` (this unit's rows were refused: a bug, rolled back)
        or ``ArchiveUnwritable`` (stop); ``doing`` (``record https://…``)
        names the unit in their message.
        """
        with sqlite_errors(self.path, doing=doing):
            if self._batched and self.conn.in_transaction:
                with self._savepoint():
                    yield self.conn
                return
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
                self._commit()
            except BaseException:
                self._roll_back("ROLLBACK")
                raise

    def _commit(self) -> None:
        """COMMIT, the versions' search index written first, in the same transaction (searchwrite.index_pending)."""
        if self._lists_pending or has_pending_list(self.conn):
            self._lists_pending = True
            index_pending(self.conn)
        self.conn.execute("COMMIT")

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self.conn.execute("SAVEPOINT sa_unit")
        try:
            yield
            self.conn.execute("RELEASE sa_unit")
        except BaseException:
            self._roll_back("ROLLBACK TO sa_unit")
            raise

    def _roll_back(self, statement: str) -> None:
        # A capture remembered in the rolled-back part is gone, and its row id
        # may be given to other bytes next; so may a URL's id.
        self.chains.forget()
        self._url_ids.clear()
        # SQLite may have rolled back already (disk full, I/O error): a second
        # ROLLBACK would raise and hide the error that matters.
        if self.conn.in_transaction:
            self.conn.execute(statement)

    @contextmanager
    def batch(self, doing: str = "") -> Iterator[None]:
        """Many ``transaction()`` units in one SQLite transaction, for ``import``.

        A commit writes the search index's pending segment and the WAL's frames
        for the pages changed; one per batch instead of one per record shares
        that cost (an import's wall time, mostly). A unit that fails is
        rolled back to its savepoint, as on its own; leaving the batch by an
        exception commits the units that completed. Only a crash (kill -9,
        power) in the batch loses its completed units, and those are what the
        caller must be able to redo: ``import`` again reads the records whose
        captures are missing. SQLite's errors leave as in ``transaction()``.
        """
        if self._batched:
            yield
            return
        with sqlite_errors(self.path, doing=doing):
            self.conn.execute("BEGIN IMMEDIATE")
            self._batched = True
            try:
                yield
            finally:
                self._batched = False
                if self.conn.in_transaction:
                    try:
                        self._commit()
                    except BaseException:
                        self._roll_back("ROLLBACK")
                        raise

    def url_id(self, url: str) -> int:
        """The id of ``url`` in ``urls``, added if new (inside the caller's transaction)."""
        found = self._url_ids.get(url)
        if found is not None:
            return found
        row = self.conn.execute("SELECT id FROM urls WHERE url = ?", (url,)).fetchone()
        found = int(row[0]) if row else self._insert("urls", {"url": url})
        if len(self._url_ids) >= _URL_IDS:
            self._url_ids.clear()
        self._url_ids[url] = found
        return found

    def known_url_id(self, url: str) -> int | None:
        """The id of ``url`` in ``urls``, or None when no capture or fetch has named it (reads only)."""
        found = self._url_ids.get(url)
        if found is not None:
            return found
        row = self.conn.execute("SELECT id FROM urls WHERE url = ?", (url,)).fetchone()
        return int(row[0]) if row else None

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cur = self.conn.execute(f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(row.values()))
        assert cur.lastrowid is not None
        return cur.lastrowid

    def _dicts(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows of a query as dicts keyed by column name."""
        cur = self.conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def _update(self, table: str, key: str, value: Any, row: dict[str, Any]) -> int:
        """Set ``row``'s columns where ``key`` is ``value``; how many rows there were."""
        sets = ", ".join(f"{c} = ?" for c in row)
        return self.conn.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", (*row.values(), value)).rowcount
