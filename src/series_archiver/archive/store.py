"""Storage: the SQLite archive.

Tables (documented for Datasette visitors in docs/archive.md and in the bundled
Datasette metadata)::

    articles       one row per installment, however many URLs reach it
    article_urls   every URL an article was seen at, with its HTTP validators
    versions       one row per distinct text or title of an article
    captures       raw responses as received (zstd, deltas: captures.py), with headers and SHA-256
    fetch_log      one row per HTTP attempt, whatever came of it
    changes        one row per pair of consecutive versions, with the diff
    runs           one row per crawl pass
    witnesses      one row per capture asked of Save Page Now for a version or change

Why raw SQL for writes: sqlite-utils wraps each insert in ``with conn:``,
which commits, and a version must be written together with its capture, its
URL state and its log rows or not at all (a ``kill -9`` may land anywhere).
So writes go through ``transaction()`` (BEGIN IMMEDIATE … COMMIT) and plain
INSERT/UPDATE statements; sqlite-utils builds the schema and serves reads.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from series_archiver.archive.captures import CaptureChains, Rebuilt, UnreadableCapture, encode, headers_json
from series_archiver.archive.layout import decode_layout, encode_layout, headings, paragraphs
from series_archiver.archive.lock import holder_info, read_holder, writer_lock
from series_archiver.archive.migrations import backup, migrate, pending_steps, schema_version
from series_archiver.archive.schema import SCHEMA_VERSION
from series_archiver.archive.search import ensure_search_index, fold_document, register_functions, search_ready
from series_archiver.archive.views import installment_order
from series_archiver.errors import StoreError
from series_archiver.models import Article, Attempt, FetchedPage, StoredPage, StoredVersion, WitnessRequest
from series_archiver.osutil import pid_alive

__all__ = ["Archive", "UrlState", "ArticleRow", "WitnessRow", "utcnow", "iso", "SCHEMA_VERSION", "holder_info", "read_holder"]

log = logging.getLogger("series_archiver")

# An upgrade from below this schema step rewrote every capture (step 6: zstd
# deltas) or version (step 7: the text stored once) and VACUUMs after it.
RECLAIMING_STEP = 7


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(when: datetime | None) -> str | None:
    """ISO 8601 with offset, seconds precision: sortable and readable in Datasette."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.isoformat(timespec="seconds")


@dataclass(frozen=True)
class UrlState:
    url: str
    article_id: int | None
    is_primary: bool
    status: str
    etag: str | None
    last_modified: str | None
    content_hash: str | None
    last_capture_id: int | None


@dataclass(frozen=True)
class ArticleRow:
    id: int
    series: str
    installment: int | None
    label: str | None
    title: str
    url: str
    status: str
    published: str | None
    byline: str | None
    versions: int
    current_version: int | None
    first_seen: str
    last_checked: str | None
    last_changed: str | None
    gone_at: str | None



@dataclass(frozen=True)
class WitnessRow:
    """A capture asked (or to ask) of Save Page Now, as the witness pass reads it."""

    id: int
    article_id: int
    kind: str
    url: str
    capture_all: bool
    requested_at: datetime
    status: str
    attempts: int
    submitted_at: datetime | None
    job_id: str | None
    status_ext: str | None = None


# Columns the witness pass may set (witness/worker.py); nothing else is written to a witness.
_WITNESS_COLUMNS = frozenset(
    {"status", "attempts", "next_try_at", "submitted_at", "job_id", "status_ext", "error", "archived_url", "archived_at", "finished_at"}
)


class Archive:
    """The archive database. One writer at a time (see ``writer_lock``).

    A writable open of an archive written by an earlier release upgrades it
    first, under the writer lock (``migrations.py``); a read-only open never
    writes, and refuses an archive whose schema it does not read with one line
    naming the command that upgrades it.
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
        self._batched = False  # inside batch(): transaction() is a savepoint
        if readonly:
            if not self.path.exists():
                raise StoreError(str(self.path), "no archive here yet; run `series-archiver crawl` (or `demo`) first")
            uri = f"file:{self.path.resolve()}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(str(self.path), f"cannot open the archive ({exc}); check the path in archive.db or --db") from exc
        conn.execute("PRAGMA busy_timeout = 30000")
        self.conn = conn
        # Rebuilds captures through their delta chains; the last whole capture
        # per URL is kept, so the next capture of a URL is encoded against it
        # without reading it back.
        self.chains = CaptureChains(conn)
        try:
            if readonly:
                self._check_readable(accept_older)
            else:
                self._open_for_writing(lock_timeout, backup_before_upgrade, auto_upgrade)
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema ----------------------------------------------------------------------

    def _check_readable(self, accept_older: bool) -> None:
        try:
            version = schema_version(self.conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(str(self.path), f"is not a series-archiver database or is damaged ({exc})") from exc
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
                        with self.transaction():
                            ensure_search_index(self.conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(str(self.path), f"is not a series-archiver database or is damaged ({exc})") from exc

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
        if before and before < RECLAIMING_STEP:
            self._reclaim_space()
        if before:
            kept = f"; the archive as it was is in {backup_to}" if backup_to is not None else ""
            log.warning("%s: upgraded from schema %s to %s (%s)%s", self.path, before, SCHEMA_VERSION, ", ".join(applied), kept)
        return applied

    def _reclaim_space(self) -> None:
        """VACUUM once after the steps that rewrite every capture and version (6, 7).

        They leave the old zlib blobs and JSON columns as free pages: the file
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
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing: a crash inside leaves the archive as it was before.

        Inside ``batch()`` it is a savepoint: a failure undoes this part alone,
        and the batch's one COMMIT makes it durable.
        """
        if self._batched and self.conn.in_transaction:
            with self._savepoint():
                yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            # A capture remembered in the rolled-back transaction is gone, and
            # its row id may be given to other bytes next.
            self.chains.forget()
            # SQLite may have rolled back already (disk full, I/O error): a second
            # ROLLBACK would raise and hide the error that matters.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self.conn.execute("SAVEPOINT sa_unit")
        try:
            yield
            self.conn.execute("RELEASE sa_unit")
        except BaseException:
            if self.conn.in_transaction:  # not when SQLite rolled the whole batch back itself (disk full)
                self.conn.execute("ROLLBACK TO sa_unit")
                self.conn.execute("RELEASE sa_unit")
            raise

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many ``transaction()`` units in one SQLite transaction, for ``import``.

        A commit writes the search index's pending segment and the WAL's frames
        for the pages changed; one per batch instead of one per record shares
        that cost (an import's wall time, mostly). A unit that fails is
        rolled back to its savepoint, as on its own; leaving the batch by an
        exception commits the units that completed. Only a crash (kill -9,
        power) in the batch loses its completed units, and those are what the
        caller must be able to redo: ``import`` again reads the records whose
        captures are missing.
        """
        if self._batched:
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._batched = True
        try:
            yield
        finally:
            self._batched = False
            if self.conn.in_transaction:
                try:
                    self.conn.execute("COMMIT")
                except BaseException:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                    raise

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

    def _update(self, table: str, key: str, value: Any, row: dict[str, Any]) -> None:
        sets = ", ".join(f"{c} = ?" for c in row)
        self.conn.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", (*row.values(), value))

    # --- runs -------------------------------------------------------------------------

    def start_run(self, kind: str) -> int:
        with self.transaction():
            self._close_interrupted_runs()
            now = iso(utcnow())
            return self._insert(
                "runs",
                {"kind": kind, "started_at": now, "heartbeat_at": now, "status": "running", "pid": os.getpid(), "host": socket.gethostname()},
            )

    def _close_interrupted_runs(self) -> None:
        """Mark ``interrupted`` the runs still ``running`` that no process is running.

        Under the writer lock every such run is dead (killed, or its machine
        went down): only a lock holder runs passes. Without the lock, only
        runs of this host whose process is gone are closed. The daemon's own
        row (kind ``daemon``) is no pass: it runs without the lock between
        passes, so only a dead process closes it.
        """
        rows = self.conn.execute("SELECT id, pid, host, kind FROM runs WHERE status = 'running'").fetchall()
        here = socket.gethostname()
        for run_id, pid, host, kind in rows:
            if (self.holds_writer_lock and kind != "daemon") or (host == here and pid and not pid_alive(int(pid))):
                self._update("runs", "id", run_id, {"status": "interrupted"})
                log.warning("run %s (pid %s on %s) was interrupted before it finished; marked interrupted", run_id, pid, host)

    def heartbeat(self, run_id: int) -> None:
        with self.transaction():
            self._update("runs", "id", run_id, {"heartbeat_at": iso(utcnow())})

    def finish_run(self, run_id: int, counts: dict[str, int], failures: Sequence[tuple[str, str]], status: str) -> None:
        with self.transaction():
            self._update(
                "runs",
                "id",
                run_id,
                {**counts, "finished_at": iso(utcnow()), "status": status, "failures": json.dumps(list(failures), ensure_ascii=False)},
            )

    # --- fetch log and captures ----------------------------------------------------

    def log_attempts(
        self,
        attempts: Sequence[Attempt],
        *,
        run_id: int | None,
        final_outcome: str | None = None,
        article_id: int | None = None,
        capture_id: int | None = None,
    ) -> None:
        """One fetch_log row per attempt; the last carries what came of the fetch."""
        for i, a in enumerate(attempts):
            last = i == len(attempts) - 1
            self._insert(
                "fetch_log",
                {
                    "run_id": run_id,
                    "url": a.url,
                    "requested_at": iso(a.started_at),
                    "attempt": a.attempt,
                    "status": a.status,
                    "outcome": (final_outcome or a.outcome) if last else a.outcome,
                    "error": a.error,
                    "elapsed_ms": round(a.elapsed_ms, 1),
                    "bytes": a.bytes,
                    "article_id": article_id if last else None,
                    "capture_id": capture_id if last else None,
                },
            )

    def add_capture(self, page: FetchedPage, *, article_id: int | None, suspect_reason: str | None = None) -> tuple[int, bool]:
        """Store the raw response unless the URL already has a capture of the same bytes, judged the same.

        A page judged suspect is one row however many passes see it; the same
        bytes once suspect and once good (thresholds changed) are two rows, so a
        version never points at a capture marked suspect.
        Returns (capture id, True when a new row was written).
        """
        sha = page.sha256
        origin = page.provenance
        if origin is None:
            # Only live captures stand for a live re-fetch of the same bytes: a
            # memento or an imported record is evidence of another fetch.
            row = self.conn.execute(
                "SELECT id FROM captures WHERE url = ? AND sha256 = ? AND suspect_reason IS ? AND source = 'live' ORDER BY id DESC LIMIT 1",
                (page.url, sha, suspect_reason),
            ).fetchone()
        elif origin.memento_url is not None:
            row = self.conn.execute(
                "SELECT id FROM captures WHERE memento_url = ? AND sha256 = ? ORDER BY id DESC LIMIT 1", (origin.memento_url, sha)
            ).fetchone()
        elif origin.warc_record_id is not None:
            row = self.conn.execute(
                "SELECT id FROM captures WHERE warc_record_id = ? AND sha256 = ? AND source = ? ORDER BY id DESC LIMIT 1",
                (origin.warc_record_id, sha, origin.source),
            ).fetchone()
        else:
            row = None
        if row is not None:
            return int(row[0]), False
        headers = headers_json(page.request_headers, page.response_headers)
        base, base_chain, base_size = self._delta_base(page.url)
        stored = encode(page.content, headers, base, base_chain, base_size)
        capture_id = self._insert(
            "captures",
            {
                "url": page.url,
                "final_url": page.final_url,
                "article_id": article_id,
                "fetched_at": iso(page.fetched_at),
                "status": page.status,
                "http_version": page.http_version,
                "content_type": page.content_type,
                "encoding": page.encoding,
                "replaced_bytes": page.replaced_bytes,
                "redirects": json.dumps(page.redirects),
                "size": len(page.content),
                "sha256": sha,
                "suspect_reason": suspect_reason,
                "codec": stored.codec,
                "base_capture_id": stored.base_capture_id,
                "chain": stored.chain,
                "raw": stored.raw,
                "headers": stored.headers,
                "source": origin.source if origin else "live",
                "memento_url": origin.memento_url if origin else None,
                "archive_src": origin.archive_src if origin else None,
                "warc_file": origin.warc_file if origin else None,
                "warc_record_id": origin.warc_record_id if origin else None,
                "warc_offset": origin.warc_offset if origin else None,
            },
        )
        if stored.codec != "zstd-delta":
            self.chains.remember(Rebuilt(capture_id, page.url, sha, page.content, headers))
        return capture_id, True

    def _delta_base(self, url: str) -> tuple[Rebuilt | None, int, int]:
        """What the URL's next capture is a delta against: its last whole capture, rebuilt, with the
        latest capture's ``chain`` and the whole one's stored length (captures.py).

        (None, 0, 0) when the URL has no capture yet, or its whole capture cannot
        be rebuilt (``verify`` reports it): the new capture is then stored whole.
        """
        row = self.conn.execute(
            "SELECT c.chain, b.id, length(b.raw) FROM captures c "
            "JOIN captures b ON b.id = CASE WHEN c.codec = 'zstd-delta' THEN c.base_capture_id ELSE c.id END "
            "WHERE c.url = ? ORDER BY c.id DESC LIMIT 1",
            (url,),
        ).fetchone()
        if row is None:
            return None, 0, 0
        try:
            return self.chains.rebuild(int(row[1])), int(row[0]), int(row[2] or 0)
        except UnreadableCapture as exc:
            log.warning("%s: %s; the next capture of %s is stored whole", self.path, exc, url)
            return None, 0, 0

    def memento_seen(self, memento_url: str) -> bool:
        """Whether a memento was already read (stored as a capture, or answered for good: a removal)."""
        if self.conn.execute("SELECT 1 FROM captures WHERE memento_url = ? LIMIT 1", (memento_url,)).fetchone():
            return True
        row = self.conn.execute(
            "SELECT 1 FROM fetch_log WHERE url = ? AND outcome NOT IN ('error', 'retry', 'truncated', 'too_large') LIMIT 1", (memento_url,)
        ).fetchone()
        return row is not None

    def capture_provenance(self, article_id: int, capture_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """Where each capture of the article came from, oldest first (or of ``capture_ids`` only, in that order)."""
        columns = "id, source, fetched_at, coalesce(final_url, url) AS url, memento_url, archive_src, warc_file, warc_record_id, warc_offset"
        if capture_ids is not None:
            rows = [self._dicts(f"SELECT {columns} FROM captures WHERE id = ?", (cid,)) for cid in capture_ids]
            return [r[0] for r in rows if r]
        return self._dicts(
            f"SELECT {columns} FROM captures WHERE article_id = ?1 "
            "OR url IN (SELECT url FROM article_urls WHERE article_id = ?1) "
            "OR id IN (SELECT j.value FROM versions v, json_each(v.capture_ids) j WHERE v.article_id = ?1) "
            "ORDER BY fetched_at, id",
            (article_id,),
        )

    def series_urls(self, series: str) -> list[str]:
        """Every URL an article of ``series`` was seen at."""
        rows = self.conn.execute(
            "SELECT u.url FROM article_urls u JOIN articles a ON a.id = u.article_id WHERE a.series = ? ORDER BY a.id, u.url", (series,)
        ).fetchall()
        return [str(r[0]) for r in rows]

    def warc_record_seen(self, record_id: str, warc_file: str) -> bool:
        """Whether a record of that file was imported before."""
        row = self.conn.execute("SELECT 1 FROM captures WHERE warc_record_id = ? AND warc_file = ? LIMIT 1", (record_id, warc_file)).fetchone()
        return row is not None

    def has_capture(self, url: str, sha256: str) -> bool:
        """Whether the archive holds these bytes of that URL, from any source."""
        return self.conn.execute("SELECT 1 FROM captures WHERE url = ? AND sha256 = ? LIMIT 1", (url, sha256)).fetchone() is not None

    def last_checked(self, article_id: int) -> datetime | None:
        """When the article was last checked (fetched live, or read from a web archive)."""
        row = self.conn.execute("SELECT coalesce(last_checked, first_seen) FROM articles WHERE id = ?", (article_id,)).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def capture_bytes(self, capture_id: int) -> bytes:
        """A capture's raw bytes, rebuilt through its delta chain (not checked against its SHA-256: ``verify`` does)."""
        return self.rebuilt_capture(capture_id).body

    def rebuilt_capture(self, capture_id: int) -> Rebuilt:
        """A capture's bytes and headers, rebuilt through its delta chain."""
        try:
            return self.chains.rebuild(capture_id)
        except UnreadableCapture as exc:
            raise StoreError(str(self.path), f"{exc}; run `series-archiver verify`") from None

    # --- URLs ---------------------------------------------------------------------------

    def url_state(self, url: str) -> UrlState | None:
        row = self.conn.execute(
            "SELECT url, article_id, is_primary, status, etag, last_modified, content_hash, last_capture_id "
            "FROM article_urls WHERE url = ?",
            (url,),
        ).fetchone()
        if row is None:
            return None
        return UrlState(row[0], row[1], bool(row[2]), row[3], row[4], row[5], row[6], row[7])

    def upsert_url(self, url: str, *, role: str, **fields: Any) -> None:
        """Update the URL's row, or add it with ``role`` (the site decides it: sites.url_role)."""
        if self.conn.execute("SELECT 1 FROM article_urls WHERE url = ?", (url,)).fetchone():
            if fields:
                self._update("article_urls", "url", url, fields)
        else:
            self._insert("article_urls", {"url": url, "first_seen": iso(utcnow()), "role": role, **fields})

    def article_urls(self, article_id: int) -> list[str]:
        rows = self.conn.execute(
            "SELECT url FROM article_urls WHERE article_id = ? ORDER BY is_primary DESC, first_seen, url", (article_id,)
        ).fetchall()
        return [r[0] for r in rows]

    def tracked_urls(self) -> list[tuple[str, int, str | None]]:
        """(url, article_id, last_changed of its article) for every URL of an article."""
        return [
            (r[0], r[1], r[2])
            for r in self.conn.execute(
                "SELECT u.url, u.article_id, coalesce(a.last_changed, a.first_seen) FROM article_urls u "
                "JOIN articles a ON a.id = u.article_id ORDER BY u.article_id, u.url"
            )
        ]

    # --- articles and versions ------------------------------------------------------

    def create_article(self, *, series: str, installment: int | None, label: str | None, article: Article, url: str, now: datetime) -> int:
        article_id = self._insert(
            "articles",
            {
                "series": series,
                "installment": installment,
                "label": label,
                "title": article.title,
                "url": url,
                "status": "live",
                "published": iso(article.published),
                "byline": article.byline,
                "versions": 0,
                "first_seen": iso(now),
                "last_checked": iso(now),
            },
        )
        return article_id

    def set_primary(self, article_id: int, url: str, *, title: str, label: str | None) -> None:
        """Make ``url`` the one the article's versions are read from."""
        self.conn.execute("UPDATE article_urls SET is_primary = (url = ?) WHERE article_id = ?", (url, article_id))
        self._update("articles", "id", article_id, {"url": url, "title": title, "label": label})

    def installment_label(self, series: str, installment: int) -> str | None:
        """The label an article of the installment already carries (志氣篇), if one does."""
        row = self.conn.execute(
            "SELECT label FROM articles WHERE series = ? AND installment = ? AND label IS NOT NULL ORDER BY id LIMIT 1",
            (series, installment),
        ).fetchone()
        return row[0] if row else None

    def label_installment(self, series: str, installment: int, label: str) -> None:
        """Give the installment's label to its articles that have none (its 專家解讀 sidebar)."""
        self.conn.execute(
            "UPDATE articles SET label = ? WHERE series = ? AND installment = ? AND label IS NULL", (label, series, installment)
        )

    def fill_series(self, article_id: int, installment: int | None, label: str | None) -> bool:
        """Give the article the installment number and label another reading of it printed, where it has none."""
        cursor = self.conn.execute(
            "UPDATE articles SET installment = COALESCE(installment, ?), label = COALESCE(label, ?) "
            "WHERE id = ? AND ((installment IS NULL AND ? IS NOT NULL) OR (label IS NULL AND ? IS NOT NULL))",
            (installment, label, article_id, installment, label),
        )
        return cursor.rowcount > 0

    def article(self, article_id: int) -> ArticleRow | None:
        row = self.conn.execute(
            "SELECT id, series, installment, label, title, url, status, published, byline, versions, current_version, "
            "first_seen, last_checked, last_changed, gone_at FROM articles WHERE id = ?",
            (article_id,),
        ).fetchone()
        return ArticleRow(*row) if row else None

    def articles(self) -> list[ArticleRow]:
        rows = self.conn.execute(
            "SELECT id, series, installment, label, title, url, status, published, byline, versions, current_version, "
            "first_seen, last_checked, last_changed, gone_at FROM articles "
            f"ORDER BY {installment_order(None)}"
        ).fetchall()
        return [ArticleRow(*r) for r in rows]

    def version_row(self, article_id: int, version: int | None = None) -> dict[str, Any] | None:
        """A version as a dict of its columns; the current one when ``version`` is None.

        With its ``blocks`` ((kind, text) pairs), ``paragraphs`` and ``headings``
        (lists) read from ``layout`` over ``text`` (layout.py).
        """
        if version is None:
            cur = self.conn.execute("SELECT * FROM versions WHERE article_id = ? ORDER BY version DESC LIMIT 1", (article_id,))
        else:
            cur = self.conn.execute("SELECT * FROM versions WHERE article_id = ? AND version = ?", (article_id, version))
        row = cur.fetchone()
        if row is None:
            return None
        fields = dict(zip([d[0] for d in cur.description], row, strict=True))
        blocks = decode_layout(fields["text"], fields["layout"])
        fields.update(blocks=blocks, paragraphs=paragraphs(blocks), headings=headings(blocks))
        return fields

    def current_version(self, article_id: int) -> StoredVersion | None:
        row = self.version_row(article_id)
        return None if row is None else _stored_version(row)

    def versions(self, article_id: int) -> list[dict[str, Any]]:
        return self._dicts(
            "SELECT version, content_hash, captured_at, title, chars, url, restores FROM versions WHERE article_id = ? ORDER BY version",
            (article_id,),
        )

    def add_version(
        self,
        article_id: int,
        article: Article,
        *,
        content_hash: str,
        captured_at: datetime,
        url: str,
        capture_ids: Sequence[int],
        derivation_id: int,
        restores: int | None = None,
    ) -> int:
        current = self.conn.execute("SELECT coalesce(max(version), 0) FROM versions WHERE article_id = ?", (article_id,)).fetchone()[0]
        number = int(current) + 1
        self._insert(
            "versions",
            {
                "article_id": article_id,
                "version": number,
                "content_hash": content_hash,
                "captured_at": iso(captured_at),
                "title": article.title,
                "published": iso(article.published),
                "byline": article.byline,
                "text": article.text,
                "captions": json.dumps(list(article.captions), ensure_ascii=False),
                "layout": encode_layout(article.text, [(b.kind, b.text) for b in article.blocks]),
                "chars": len(article.text),
                "url": url,
                "capture_id": capture_ids[0] if capture_ids else None,
                "capture_ids": json.dumps(list(capture_ids)),
                "restores": restores,
                "derivation_id": derivation_id,
            },
        )
        fields: dict[str, Any] = {
            "versions": number,
            "current_version": number,
            "title": article.title,
            "last_changed": iso(captured_at),
            "last_checked": iso(captured_at),
            "status": "live",
            "gone_at": None,
        }
        if article.published is not None:
            fields["published"] = iso(article.published)
        if article.byline:
            fields["byline"] = article.byline
        self._update("articles", "id", article_id, fields)
        return number

    # --- derivations: which code read a version's text ------------------------------

    def derivation_id(self, digest: str, components: str, now: datetime) -> int:
        """The id of a derivation (derivation.py), recorded the first time it is used."""
        known = self.find_derivation(digest)
        if known is not None:
            return known
        return self._insert("derivations", {"digest": digest, "components": components, "first_used": iso(now)})

    def find_derivation(self, digest: str) -> int | None:
        row = self.conn.execute("SELECT id FROM derivations WHERE digest = ?", (digest,)).fetchone()
        return int(row[0]) if row else None

    def stored_pages(self, capture_ids: Sequence[int]) -> list[StoredPage]:
        """The raw pages a version was read from, in the order given."""
        pages = []
        for capture_id in capture_ids:
            row = self.conn.execute("SELECT url, encoding FROM captures WHERE id = ?", (capture_id,)).fetchone()
            if row is None:
                raise StoreError(str(self.path), f"capture {capture_id} does not exist; run `series-archiver verify`")
            pages.append(StoredPage(row[0], self.capture_bytes(capture_id), row[1] or "utf-8"))
        return pages

    def rederivation(self, version_id: int, derivation_id: int) -> tuple[str, str] | None:
        """(title, text) of a version as a later derivation read it from the same pages, if recorded."""
        row = self.conn.execute(
            "SELECT title, text FROM rederivations WHERE version_id = ? AND derivation_id = ?", (version_id, derivation_id)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def add_rederivation(self, version_id: int, derivation_id: int, *, title: str, text: str, content_hash: str, now: datetime) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO rederivations (version_id, derivation_id, content_hash, title, text, derived_at) VALUES (?, ?, ?, ?, ?, ?)",
            (version_id, derivation_id, content_hash, title, text, iso(now)),
        )

    def original_versions(self, article_id: int, derivation_id: int) -> list[tuple[int, str, str]]:
        """(version, title, text) of the versions that restore nothing, read by ``derivation_id`` where recorded."""
        rows = self.conn.execute(
            "SELECT v.version, coalesce(r.title, v.title), coalesce(r.text, v.text) FROM versions v "
            "LEFT JOIN rederivations r ON r.version_id = v.id AND r.derivation_id = ? "
            "WHERE v.article_id = ? AND v.restores IS NULL ORDER BY v.version",
            (derivation_id, article_id),
        ).fetchall()
        return [(int(r[0]), r[1], r[2]) for r in rows]

    def all_versions(self) -> Iterator[StoredVersion]:
        """Every version of every article, for ``rederive``."""
        cur = self.conn.execute("SELECT * FROM versions ORDER BY article_id, version")
        names = [d[0] for d in cur.description]
        for values in cur.fetchall():
            yield _stored_version(dict(zip(names, values, strict=True)))

    def refold_search_index(self) -> int:
        """Fold every version's search text again with the running code's folding; the rows changed.

        Folded here, once per version, a batch at a time (memory stays flat),
        and written only where the folding changed it.
        """
        changed, after = 0, -1
        while True:
            batch = self.conn.execute(
                "SELECT s.version_id, s.folded, v.title, v.byline, v.text, v.captions FROM search_text s "
                "JOIN versions v ON v.id = s.version_id WHERE s.version_id > ? ORDER BY s.version_id LIMIT 500",
                (after,),
            ).fetchall()
            if not batch:
                return changed
            for version_id, folded, title, byline, text, captions in batch:
                now_folded = fold_document(title, byline, text, captions)
                if now_folded != folded:
                    self.conn.execute("UPDATE search_text SET folded = ? WHERE version_id = ?", (now_folded, version_id))
                    changed += 1
            after = batch[-1][0]

    def version_blocks(self, version_id: int) -> list[tuple[str, str]]:
        """(kind, text) of each block of a version, in order."""
        row = self.conn.execute("SELECT text, layout FROM versions WHERE id = ?", (version_id,)).fetchone()
        return decode_layout(row[0], row[1]) if row else []

    def replace_version_text(self, version: StoredVersion, title: str, blocks: Sequence[tuple[str, str]]) -> None:
        """Store another rendering of the same content for a version (``rederive --realign``); its hash stays."""
        text = "\n".join(t for _, t in blocks)
        self._update(
            "versions",
            "id",
            version.id,
            {
                "title": title,
                "text": text,
                "layout": encode_layout(text, blocks),
                "chars": len(text),
            },
        )
        self.conn.execute(
            "UPDATE articles SET title = ? WHERE id = ? AND current_version = ?", (title, version.article_id, version.version)
        )

    def replace_change_diff(self, article_id: int, to_version: int, *, chars_added: int, chars_removed: int, summary: str, diff_html: str) -> bool:
        """Rewrite the diff of the edit or restore that made ``to_version``; True when it changed."""
        cur = self.conn.execute(
            "UPDATE changes SET chars_added = ?, chars_removed = ?, summary = ?, diff_html = ? "
            "WHERE article_id = ? AND to_version = ? AND kind IN ('edit', 'restore') "
            "AND (chars_added IS NOT ? OR chars_removed IS NOT ? OR summary IS NOT ? OR diff_html IS NOT ?)",
            (chars_added, chars_removed, summary, diff_html, article_id, to_version, chars_added, chars_removed, summary, diff_html),
        )
        return cur.rowcount > 0

    def add_change(self, row: dict[str, Any]) -> None:
        self._insert("changes", row)

    def changes(self, article_id: int) -> list[dict[str, Any]]:
        """The article's ``changes`` rows (edits, restores, removals, returns), oldest first."""
        return self._dicts(
            "SELECT id, from_version, to_version, changed_at, kind, chars_added, chars_removed, summary "
            "FROM changes WHERE article_id = ? ORDER BY id",
            (article_id,),
        )

    def suspect_captures(self, article_id: int) -> list[dict[str, Any]]:
        """Captures of the article kept as evidence only (soft 404, near-empty, truncated, unreadable)."""
        return self._dicts(
            "SELECT id, url, fetched_at, status, size, suspect_reason FROM captures "
            "WHERE article_id = ? AND suspect_reason IS NOT NULL ORDER BY id",
            (article_id,),
        )

    def url_rows(self, article_id: int) -> list[dict[str, Any]]:
        """Every URL of the article with its role and state, primary first."""
        return self._dicts(
            "SELECT url, role, is_primary, status, first_seen, last_seen, last_status, gone_at FROM article_urls "
            "WHERE article_id = ? ORDER BY is_primary DESC, first_seen, url",
            (article_id,),
        )

    def current_pages(self, url: str) -> int:
        """How many pages the current version was read from, when ``url`` is its article's primary URL; else 0."""
        row = self.conn.execute(
            "SELECT v.capture_ids FROM article_urls u JOIN articles a ON a.id = u.article_id "
            "JOIN versions v ON v.article_id = a.id AND v.version = a.current_version "
            "WHERE u.url = ? AND u.is_primary = 1",
            (url,),
        ).fetchone()
        return len(json.loads(row[0])) if row else 0

    def touch_article(self, article_id: int, now: datetime, *, revive: bool = False) -> bool:
        """Record a check; returns True when a gone article came back."""
        row = self.conn.execute("SELECT status FROM articles WHERE id = ?", (article_id,)).fetchone()
        came_back = bool(revive and row and row[0] == "gone")
        fields: dict[str, Any] = {"last_checked": iso(now)}
        if came_back:
            fields.update(status="live", gone_at=None)
        self._update("articles", "id", article_id, fields)
        return came_back

    def mark_gone(self, article_id: int, now: datetime) -> bool:
        """Mark an article gone; returns True when it was live until now."""
        row = self.conn.execute("SELECT status FROM articles WHERE id = ?", (article_id,)).fetchone()
        was_live = bool(row and row[0] != "gone")
        fields: dict[str, Any] = {"last_checked": iso(now)}
        if was_live:
            fields.update(status="gone", gone_at=iso(now))
        self._update("articles", "id", article_id, fields)
        return was_live

    def fingerprint_rows(self) -> Iterable[tuple[int, str, int | None, str, str]]:
        """(id, series, installment, title, text of the current version) for dedupe."""
        return self.conn.execute(
            "SELECT a.id, a.series, a.installment, v.title, v.text FROM articles a "
            "JOIN versions v ON v.article_id = a.id AND v.version = a.current_version"
        ).fetchall()

    def counts(self) -> dict[str, int]:
        out = {}
        for table in ("articles", "article_urls", "versions", "captures", "fetch_log", "changes", "runs"):
            out[table] = int(self.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        return out

    def integrity_ok(self) -> bool:
        return bool(self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")

    # --- witnesses: captures asked of Save Page Now (witness/) ------------------------------

    def queue_witnesses(self, requests: Iterable[WitnessRequest], now: datetime) -> list[int]:
        """Queue a capture per ``models.WitnessRequest``, in the caller's transaction (the event's own).

        Each row names the version it witnesses (new article, new version,
        restore: that version; a removal or return: the version current then)
        and the ``changes`` row of an edit, restore, removal or return, read
        here, where they were just written.
        """
        ids = []
        change_kind = {"new_version": "edit", "restored": "restore", "gone": "gone", "back": "back"}
        for r in requests:
            version = r.version
            if version is None:
                row = self.conn.execute("SELECT current_version FROM articles WHERE id = ?", (r.article_id,)).fetchone()
                version = row[0] if row else None
            found = self.conn.execute("SELECT id FROM versions WHERE article_id = ? AND version = ?", (r.article_id, version)).fetchone()
            change = None
            if r.kind in change_kind:
                change = self.conn.execute(
                    "SELECT max(id) FROM changes WHERE article_id = ? AND kind = ?", (r.article_id, change_kind[r.kind])
                ).fetchone()
            ids.append(
                self._insert(
                    "witnesses",
                    {
                        "article_id": r.article_id,
                        "version_id": found[0] if found else None,
                        "change_id": change[0] if change else None,
                        "kind": r.kind,
                        "url": r.url,
                        "capture_all": int(r.capture_all),
                        "requested_at": iso(now),
                        "status": "queued",
                        "next_try_at": iso(now),
                    },
                )
            )
        return ids

    def due_witnesses(self, now: datetime, limit: int = 100) -> list[WitnessRow]:
        """Witnesses queued and due, oldest first."""
        return self._witness_rows("WHERE status = 'queued' AND (next_try_at IS NULL OR next_try_at <= ?) ORDER BY id LIMIT ?", (iso(now), limit))

    def pending_witnesses(self) -> list[WitnessRow]:
        """Witnesses submitted whose job has not finished, oldest first."""
        return self._witness_rows("WHERE status = 'pending' ORDER BY id", ())

    def witness_submissions_since(self, endpoint: str, since: datetime) -> list[datetime]:
        """When captures were asked of ``endpoint`` since ``since`` (the rate limit's minute), from the fetch log.

        Every submission is a fetch-log row at ``<endpoint>/save/<url>`` (status
        requests are ``<endpoint>/save/status/…``): the log, not the witnesses'
        own columns, since a capture asked again would overwrite its time.
        The URL range keeps to the index on ``fetch_log(url)``.
        """
        prefix = endpoint.rstrip("/") + "/save/"
        rows = self.conn.execute(
            "SELECT requested_at FROM fetch_log WHERE url >= ? AND url < ? AND substr(url, ?, 7) != 'status/' AND requested_at >= ?",
            (prefix, prefix[:-1] + "0", len(prefix) + 1, iso(since)),
        ).fetchall()
        return [datetime.fromisoformat(r[0]) for r in rows]

    def update_witness(self, witness_id: int, **fields: Any) -> None:
        unknown = set(fields) - _WITNESS_COLUMNS
        if unknown:
            raise ValueError(f"not a witness column the pass sets: {sorted(unknown)}")
        self._update("witnesses", "id", witness_id, {k: iso(v) if isinstance(v, datetime) else v for k, v in fields.items()})

    def witness_counts(self) -> dict[str, int]:
        """How many witnesses are in each status."""
        return {str(k): int(n) for k, n in self.conn.execute("SELECT status, count(*) FROM witnesses GROUP BY status").fetchall()}

    def _witness_rows(self, where: str, params: tuple[Any, ...]) -> list[WitnessRow]:
        rows = self.conn.execute(
            "SELECT id, article_id, kind, url, capture_all, requested_at, status, attempts, submitted_at, job_id, status_ext FROM witnesses " + where,
            params,
        ).fetchall()
        return [
            WitnessRow(r[0], r[1], r[2], r[3], bool(r[4]), datetime.fromisoformat(r[5]), r[6], r[7],
                       datetime.fromisoformat(r[8]) if r[8] else None, r[9], r[10])
            for r in rows
        ]

    # --- time order: an article's history rewritten for an older capture (timeline.py, ingest.py) ---

    def timeline_versions(self, article_id: int, derivation_id: int | None) -> list[dict[str, Any]]:
        """The article's versions by number: id, version, captured_at, restores, the stored title and text, capture_ids
        (JSON), and (``rederived_title``, ``rederived_text``) as ``derivation_id`` read them, where recorded."""
        return self._dicts(
            "SELECT v.id, v.version, v.captured_at, v.restores, v.title, v.text, v.capture_ids, "
            "r.title AS rederived_title, r.text AS rederived_text "
            "FROM versions v LEFT JOIN rederivations r ON r.version_id = v.id AND r.derivation_id = ? "
            "WHERE v.article_id = ? ORDER BY v.version",
            (derivation_id, article_id),
        )

    def timeline_changes(self, article_id: int) -> list[dict[str, Any]]:
        """Every ``changes`` row of the article with its diff counts: id, kind, from_version, to_version, changed_at, summary."""
        return self._dicts(
            "SELECT id, kind, from_version, to_version, changed_at, summary, chars_added, chars_removed FROM changes "
            "WHERE article_id = ? ORDER BY id",
            (article_id,),
        )

    def primary_reads(self, article_id: int, outcomes: Sequence[str]) -> list[tuple[datetime, int | None, str]]:
        """(when, capture_id, outcome) of each read of the article's primary URL (or a further page of it) with one of ``outcomes``.

        A page read from a web archive is dated by its capture, not by the
        request to the web archive; mirrors and e-paper copies are left out
        (versions follow the primary URL). Oldest first.
        """
        marks = ", ".join("?" for _ in outcomes)
        rows = self.conn.execute(
            "SELECT CASE WHEN c.source IS NOT NULL AND c.source != 'live' THEN c.fetched_at ELSE f.requested_at END, f.capture_id, f.outcome "
            "FROM fetch_log f LEFT JOIN captures c ON c.id = f.capture_id "
            f"WHERE f.article_id = ? AND f.outcome IN ({marks}) "
            "AND f.url NOT IN (SELECT url FROM article_urls WHERE article_id = ? AND is_primary = 0)",
            (article_id, *outcomes, article_id),
        ).fetchall()
        return sorted((datetime.fromisoformat(r[0]), r[1], r[2]) for r in rows if r[0])

    def rewrite_history(
        self,
        article_id: int,
        versions: Sequence[tuple[int, int, datetime, int | None]],
        changes: Sequence[dict[str, Any]],
        article: dict[str, Any],
    ) -> None:
        """Give the article's versions their numbers in time order, and rewrite what refers to them.

        ``versions``: (versions.id, number, captured_at, restores) for every
        version of the article, none left out; ``changes``: rows to update (with
        their ``id``) or to add (without); ``article``: the fields of
        ``articles`` to set. Rows keep their ids, nothing is deleted; to be
        called inside ``transaction()``, so a crash leaves the old history whole.
        """
        if not self.conn.in_transaction:
            raise StoreError(str(self.path), "rewrite_history must run inside Archive.transaction() (a bug, please report it)")
        stored = {int(r[0]): int(r[1]) for r in self.conn.execute("SELECT id, version FROM versions WHERE article_id = ?", (article_id,))}
        if set(stored) != {v[0] for v in versions} or len({v[1] for v in versions}) != len(versions):
            raise StoreError(str(self.path), f"the new numbering of article {article_id}'s versions does not cover each of them once (a bug, please report it)")
        moving = [(vid,) for vid, number, _at, _r in versions if stored[vid] != number]
        # Two steps, so no two rows hold one (article_id, version) meanwhile: negative numbers first.
        self.conn.executemany("UPDATE versions SET version = -id WHERE id = ?", moving)
        self.conn.executemany(
            "UPDATE versions SET version = ?, captured_at = ?, restores = ? WHERE id = ? "
            "AND (version IS NOT ? OR captured_at IS NOT ? OR restores IS NOT ?)",
            [(number, iso(at), restores, vid, number, iso(at), restores) for vid, number, at, restores in versions],
        )
        for row in changes:
            fields = {k: v for k, v in row.items() if k != "id"}
            if "id" in row:
                self._update("changes", "id", row["id"], fields)
            else:
                self._insert("changes", {"article_id": article_id, **fields})
        if article:
            self._update("articles", "id", article_id, article)


def _stored_version(row: dict[str, Any]) -> StoredVersion:
    return StoredVersion(
        article_id=row["article_id"],
        version=row["version"],
        content_hash=row["content_hash"],
        captured_at=datetime.fromisoformat(row["captured_at"]),
        title=row["title"],
        text=row["text"],
        url=row["url"],
        restores=row["restores"],
        id=row["id"],
        derivation_id=row.get("derivation_id"),  # absent from an archive of schema 1 (rederive --dry-run reads those)
        capture_ids=tuple(json.loads(row["capture_ids"])),
    )
