"""Opening the archive file with SQLite: for writing, or for reading.

A writer needs the archive's folder to exist and to be writable (SQLite and
the writer lock make files beside the archive), and the file to be writable;
it says so in one line before it touches anything. A reader opens the file
read-only (``mode=ro``); in a read-only folder, where SQLite cannot make the
``-shm`` file WAL reading needs, it reads the file as it is
(``immutable=1``), which is sound only when no ``-wal`` file holds changes.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from series_archiver.archive.failures import cause_of, problem_and_advice, read_only_error, read_only_reason, store_error
from series_archiver.errors import StoreError
from series_archiver.settings import ArchiveSettings

__all__ = ["DEFAULT_DB", "connect_reader", "connect_writer", "open_error", "reader_uri"]

log = logging.getLogger("series_archiver")

# The packaged default (``archive/series.db``): its folder is made on the first
# crawl. A folder the user named must exist: a typo or an unmounted disk must
# not become a new, empty archive somewhere else.
DEFAULT_DB = ArchiveSettings().db


def connect_writer(path: Path) -> sqlite3.Connection:
    """A read-write connection to the archive at ``path`` (created if missing), or one line saying why not."""
    folder = path.parent
    if not folder.is_dir():
        if folder.exists():
            raise StoreError(str(path), f"{folder} is not a folder; give the archive's path with --db (or archive.db)")
        if path != DEFAULT_DB:
            raise StoreError(
                str(path), f"its folder {folder} does not exist; create it first (mkdir -p {folder}), or correct --db (or archive.db)"
            )
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(str(path), f"cannot create its folder {folder} ({exc.strerror}); create it, or give another --db") from exc
    if read_only_reason(path):
        raise read_only_error(path)
    try:
        return sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    except sqlite3.Error as exc:
        raise store_error(path, exc, doing="open the archive") from exc


def connect_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection to the archive at ``path``, or one line saying why it cannot be read."""
    return sqlite3.connect(reader_uri(path), uri=True, check_same_thread=False, isolation_level=None)


def reader_uri(path: Path) -> str:
    """The SQLite URI that reads the archive at ``path`` (``mode=ro``, or as it is in a read-only folder), or one line saying why none does.

    For any reader that opens the file itself (browse hands it to Datasette:
    ``immutable=1`` in it means open the file as immutable).
    """
    if not path.exists():
        raise StoreError(str(path), "no archive here yet; run `series-archiver crawl` (or `demo`) first")
    try:
        return _probe(path, "mode=ro")
    except sqlite3.Error as exc:
        if cause_of(exc) not in ("cannot-open", "read-only") or read_only_reason(path) is None:
            raise open_error(path, exc, writing=False) from exc
        failure = exc
    # The folder is read-only: SQLite cannot make the -shm file it reads a WAL archive with.
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreError(
            str(path),
            f"cannot read the archive: its folder {path.parent} is read-only, and its last writer left changes in {wal.name} "
            f"that SQLite reads only with a {path.name}-shm file beside it, which it cannot make there; "
            "copy the folder to a writable place (cp -a) and read the copy",
        ) from failure
    try:
        uri = _probe(path, "mode=ro&immutable=1")
    except sqlite3.Error as exc:
        raise open_error(path, exc, writing=False) from exc
    log.info("%s: its folder is read-only; reading the archive file as it is (immutable)", path)
    return uri


def _probe(path: Path, query: str) -> str:
    """The URI with ``query``, once a connection by it has read the header (where SQLite's trouble with the files shows)."""
    uri = f"{path.resolve().as_uri()}?{query}"
    conn = sqlite3.connect(uri, uri=True)
    try:
        conn.execute("PRAGMA user_version").fetchone()
    finally:
        conn.close()
    return uri


def open_error(path: Path, exc: sqlite3.Error, *, writing: bool) -> StoreError:
    """The project's error for ``exc`` raised while opening (and, for a writer, upgrading) the archive."""
    cause = cause_of(exc)
    if cause in ("damaged", "error"):
        return StoreError(str(path), f"is not a series-archiver database or is damaged ({exc})")
    if writing:
        return store_error(path, exc, doing="open the archive")
    if cause == "cannot-open":
        return StoreError(str(path), f"cannot read the archive ({exc}); check that its file and folder can be read by this user")
    problem, advice = problem_and_advice("error" if cause == "read-only" else cause)
    return StoreError(str(path), f"cannot read the archive: {problem} ({exc}); {advice}")
