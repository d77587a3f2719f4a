"""Storage: the SQLite archive, one ``Archive`` object over its tables.

Tables (documented for Datasette visitors in the README and in the bundled
Datasette metadata), and the module whose methods write them::

    articles       one row per installment, however many URLs reach it        articles.py
    article_urls   every URL an article was seen at, with its HTTP validators  articles.py
    versions       one row per distinct text or title of an article           versions.py
    changes        one row per pair of consecutive versions, with the diff    versions.py
    capture_store  raw responses as received (zstd, deltas: captures.py)      capture_rows.py
    fetches        one row per HTTP attempt, or per run of unchanged re-fetches  fetchlog.py
    urls           each URL the two above name, once                          base.py
    captures, fetch_log  views: the two above in their old columns (compact.py)
    runs           one row per crawl pass                                     fetchlog.py (runs.py reads them)
    witnesses      one row per capture asked of Save Page Now                 witnesses.py
    evidence       one row per event to screenshot and timestamp              evidence_rows.py
    screenshots    one PNG per capture, rendered from the stored bytes        evidence_rows.py
    tsa_chains     each timestamp authority's certificate chain, once         evidence_rows.py

Time-order reads and the renumbering of an article's history are in
timeorder.py; the connection, transactions and the writer lock in base.py;
opening the file in opening.py. This module opens, checks and upgrades.

Why raw SQL for writes: sqlite-utils wraps each insert in ``with conn:``,
which commits, and a version must be written together with its capture, its
URL state and its log rows or not at all (a ``kill -9`` may land anywhere).
So writes go through ``transaction()`` (BEGIN IMMEDIATE … COMMIT) and plain
INSERT/UPDATE statements; sqlite-utils builds the schema and serves reads.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from series_archiver.archive.articles import ArticleRow, ArticleTables, UrlState
from series_archiver.archive.base import iso, utcnow
from series_archiver.archive.capture_rows import CaptureTables
from series_archiver.archive.captures import CaptureChains
from series_archiver.archive.evidence_rows import EvidenceTables
from series_archiver.archive.fetchlog import RunTables
from series_archiver.archive.lock import holder_info, read_holder
from series_archiver.archive.migrations import backup, migrate, pending_steps, schema_version
from series_archiver.archive.opening import connect_reader, connect_writer, open_error
from series_archiver.archive.schema import SCHEMA_VERSION
from series_archiver.archive.search import ensure_search_index, register_functions, search_ready
from series_archiver.archive.timeorder import TimeOrderTables
from series_archiver.archive.versions import VersionTables
from series_archiver.archive.witnesses import WitnessRow, WitnessTables
from series_archiver.errors import StoreError

__all__ = ["Archive", "UrlState", "ArticleRow", "WitnessRow", "utcnow", "iso", "SCHEMA_VERSION", "holder_info", "read_holder"]

log = logging.getLogger("series_archiver")

# An upgrade from below this schema step rewrote every capture (step 6: zstd
# deltas) and version (step 7: the text stored once) and VACUUMs after it.
RECLAIMING_STEP = 7
# One from below this step rewrote the capture and fetch-log rows (step 11: URLs
# by id, runs): it VACUUMs when that left a tenth of the file free.
COMPACTING_STEP = 11


class Archive(ArticleTables, VersionTables, CaptureTables, RunTables, WitnessTables, TimeOrderTables, EvidenceTables):
    """The archive database. One writer at a time (see ``writer_lock``).

    A writable open of an archive written by an earlier release upgrades it
    first, under the writer lock (``migrations.py``); a read-only open never
    writes, and refuses an archive whose schema it does not read with one line
    naming the command that upgrades it. A writable open refuses, in one line,
    a read-only archive or folder, and a folder that does not exist (opening.py).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        readonly: bool = False,
        lock_timeout: float = 60.0,
        backup_before_upgrade: bool = True,
        auto_upgrade: bool = True,
        accept_older: bool = False,
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.holds_writer_lock = False
        self._batched = False
        self._url_ids = {}
        conn = connect_reader(self.path) if readonly else connect_writer(self.path)
        conn.execute("PRAGMA busy_timeout = 30000")
        self.conn = conn
        self.chains = CaptureChains(conn)
        try:
            if readonly:
                self._check_readable(accept_older)
            else:
                self._open_for_writing(lock_timeout, backup_before_upgrade, auto_upgrade)
        except BaseException:
            conn.close()
            raise

    # --- schema ----------------------------------------------------------------------

    def _check_readable(self, accept_older: bool) -> None:
        try:
            version = schema_version(self.conn)
        except sqlite3.Error as exc:
            raise open_error(self.path, exc, writing=False) from exc
        if version < SCHEMA_VERSION and not accept_older:
            raise StoreError(
                str(self.path),
                f"was written by an earlier release (schema {version}, this release reads {SCHEMA_VERSION}); "
                f"upgrade it with `series-archiver upgrade --db {self.path}` (it backs the archive up first)",
            )
        self._refuse_newer(version)
        register_functions(self.conn)

    def _refuse_newer(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(
                str(self.path),
                f"was written by a later release (schema {version}, this release knows {SCHEMA_VERSION}); "
                "install that release of series-archiver (or newer) to use it",
            )

    def _open_for_writing(self, lock_timeout: float, backup_before_upgrade: bool, auto_upgrade: bool) -> None:
        """Upgrade (or create) the schema when it is behind; on a current archive, only read.

        Opening happens before a writer takes the lock for its pass, so an
        upgrade takes the lock itself and looks again once it holds it: two
        processes opening one old archive upgrade it once.
        """
        try:
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            register_functions(self.conn)
            version = schema_version(self.conn)
            self._refuse_newer(version)
            if version < SCHEMA_VERSION and not auto_upgrade:
                return  # the caller upgrades (``series-archiver upgrade``), choosing where the backup goes
            if version < SCHEMA_VERSION or not self._in_wal_mode() or not search_ready(self.conn):
                # Every change of the file itself, the journal mode included (it needs
                # the database to itself), is made under the writer lock.
                with self.writer_lock(lock_timeout, command="upgrade"):
                    self._use_wal()
                    if schema_version(self.conn) < SCHEMA_VERSION:
                        self.upgrade(backup_to=self.backup_path() if backup_before_upgrade else None)
                    elif not search_ready(self.conn):
                        # The search index is derived data: an archive whose index was
                        # dropped (or predates it) is indexed again, in one transaction.
                        with self.transaction(doing="index the archive for search"):
                            ensure_search_index(self.conn)
        except sqlite3.Error as exc:
            raise open_error(self.path, exc, writing=True) from exc

    def _in_wal_mode(self) -> bool:
        return str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"

    def _use_wal(self) -> None:
        """WAL: readers (Datasette, list, show) never block the writer, nor it them."""
        if not self._in_wal_mode():
            self.conn.execute("PRAGMA journal_mode = WAL")

    def upgrade(self, *, backup_to: Path | None = None) -> list[str]:
        """Run the schema steps this archive lacks (the caller holds the writer lock); their names.

        ``backup_to``: first write a consistent copy there (``VACUUM INTO``).
        """
        if not self.holds_writer_lock:
            raise StoreError(str(self.path), "an upgrade needs the writer lock (a bug: please report it)")
        self._use_wal()
        if not pending_steps(self.conn):
            return []  # another process upgraded it while this one waited for the lock
        if backup_to is not None and schema_version(self.conn) > 0:
            try:
                backup(self.conn, backup_to)
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(str(backup_to), f"cannot write the backup ({exc}); choose another --backup file") from exc
        before = schema_version(self.conn)
        try:
            applied = migrate(self.conn)
        except sqlite3.Error as exc:
            raise StoreError(
                str(self.path),
                f"upgrading from schema {before} to {SCHEMA_VERSION} failed at schema {schema_version(self.conn)} ({exc}); "
                "nothing of the failed step was kept; check the disk and run again",
            ) from exc
        if before and (before < RECLAIMING_STEP or (before < COMPACTING_STEP and self._tenth_free())):
            self._reclaim_space()
        if before:
            kept = f"; the archive as it was is in {backup_to}" if backup_to is not None else ""
            log.warning("%s: upgraded from schema %s to %s (%s)%s", self.path, before, SCHEMA_VERSION, ", ".join(applied), kept)
        return applied

    def _tenth_free(self) -> bool:
        """Whether the steps left a tenth of the file free: a VACUUM rewrites the whole file, worth it only then
        (an archive of versions alone, such as a search benchmark's, frees little and may be many gigabytes)."""
        pages = int(self.conn.execute("PRAGMA page_count").fetchone()[0])
        return int(self.conn.execute("PRAGMA freelist_count").fetchone()[0]) * 10 >= pages

    def _reclaim_space(self) -> None:
        """VACUUM once after the steps that rewrite every capture, version or log row (6, 7, 11).

        They leave the old zlib blobs, JSON columns and text URLs as free pages: the file
        would not shrink until a VACUUM, which needs the database to itself
        (the writer lock is held; a reader in the middle of a read makes it
        wait, then give up). One that cannot run is no failed upgrade: the
        space is reused by later writes, and ``sqlite3 series.db VACUUM`` can
        be run by hand.
        """
        try:
            self.conn.execute("VACUUM")
        except sqlite3.OperationalError as exc:
            log.warning("%s: upgraded, but the space it freed is not reclaimed yet (VACUUM: %s); run `sqlite3 %s VACUUM` when no reader is open", self.path, exc, self.path)

    def backup_path(self) -> Path:
        """Where an upgrade copies the archive first: ``series.db.schema-1.backup`` (a number added if taken)."""
        base = self.path.with_name(f"{self.path.name}.schema-{schema_version(self.conn)}.backup")
        candidate, n = base, 1
        while candidate.exists():
            n += 1
            candidate = base.with_name(f"{base.name}.{n}")
        return candidate

    @property
    def schema_version(self) -> int:
        return schema_version(self.conn)

    def counts(self) -> dict[str, int]:
        out = {}
        for table in ("articles", "article_urls", "versions", "captures", "fetch_log", "changes", "runs"):
            out[table] = int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        return out

    def integrity_ok(self) -> bool:
        return bool(self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
