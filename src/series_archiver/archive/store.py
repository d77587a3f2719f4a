"""Storage: the SQLite archive.

Tables (documented for Datasette visitors in the README and in the bundled
Datasette metadata)::

    articles       one row per installment, however many URLs reach it
    article_urls   every URL an article was seen at, with its HTTP validators
    versions       one row per distinct text or title of an article
    captures       raw responses as received (zlib), with headers and SHA-256
    fetch_log      one row per HTTP attempt, whatever came of it
    changes        one row per pair of consecutive versions, with the diff
    runs           one row per crawl pass

Why raw SQL for writes: sqlite-utils wraps each insert in ``with conn:``,
which commits, and a version must be written together with its capture, its
URL state and its log rows or not at all (a ``kill -9`` may land anywhere).
So writes go through ``transaction()`` (BEGIN IMMEDIATE … COMMIT) and plain
INSERT/UPDATE statements; sqlite-utils builds the schema and serves reads.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import sqlite3
import sys
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlite_utils
from filelock import FileLock, Timeout

from ..errors import LockTimeout, StoreError
from ..models import Article, Attempt, FetchedPage, StoredVersion
from .search import ensure_search_schema

__all__ = ["Archive", "UrlState", "ArticleRow", "utcnow", "iso", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1

log = logging.getLogger("series_archiver")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(when: datetime | None) -> str | None:
    """ISO 8601 with offset, seconds precision: sortable and readable in Datasette."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
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


_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY,
    series TEXT NOT NULL,
    installment INTEGER,
    label TEXT,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'live',
    published TEXT,
    byline TEXT,
    versions INTEGER NOT NULL DEFAULT 0,
    current_version INTEGER,
    first_seen TEXT NOT NULL,
    last_checked TEXT,
    last_changed TEXT,
    gone_at TEXT
);
CREATE TABLE IF NOT EXISTS article_urls (
    url TEXT PRIMARY KEY,
    article_id INTEGER REFERENCES articles(id),
    role TEXT,
    is_primary INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'live',
    first_seen TEXT NOT NULL,
    last_seen TEXT,
    last_status INTEGER,
    gone_at TEXT,
    etag TEXT,
    last_modified TEXT,
    content_hash TEXT,
    last_capture_id INTEGER REFERENCES captures(id)
);
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    final_url TEXT,
    article_id INTEGER REFERENCES articles(id),
    fetched_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    http_version TEXT,
    content_type TEXT,
    encoding TEXT,
    request_headers TEXT,
    response_headers TEXT,
    redirects TEXT,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    suspect_reason TEXT,
    raw_zlib BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    version INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    captured_at TEXT NOT NULL,
    title TEXT NOT NULL,
    published TEXT,
    byline TEXT,
    text TEXT NOT NULL,
    paragraphs TEXT NOT NULL,
    headings TEXT NOT NULL,
    captions TEXT NOT NULL,
    blocks TEXT NOT NULL,
    chars INTEGER NOT NULL,
    url TEXT NOT NULL,
    capture_id INTEGER REFERENCES captures(id),
    capture_ids TEXT NOT NULL,
    restores INTEGER,
    UNIQUE (article_id, version)
);
CREATE TABLE IF NOT EXISTS fetch_log (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    url TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status INTEGER,
    outcome TEXT NOT NULL,
    error TEXT,
    elapsed_ms REAL,
    bytes INTEGER,
    article_id INTEGER REFERENCES articles(id),
    capture_id INTEGER REFERENCES captures(id)
);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    from_version INTEGER,
    to_version INTEGER NOT NULL,
    changed_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    chars_added INTEGER NOT NULL DEFAULT 0,
    chars_removed INTEGER NOT NULL DEFAULT 0,
    summary TEXT,
    diff_html TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    heartbeat_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    pid INTEGER,
    host TEXT,
    found INTEGER,
    fetched INTEGER,
    new_articles INTEGER,
    new_versions INTEGER,
    unchanged INTEGER,
    failed INTEGER,
    gone INTEGER,
    suspect INTEGER,
    skipped INTEGER,
    failures TEXT
);
CREATE INDEX IF NOT EXISTS idx_article_urls_article ON article_urls(article_id);
CREATE INDEX IF NOT EXISTS idx_versions_article ON versions(article_id, version);
CREATE INDEX IF NOT EXISTS idx_captures_url ON captures(url, id);
CREATE INDEX IF NOT EXISTS idx_fetch_log_url ON fetch_log(url, id);
CREATE INDEX IF NOT EXISTS idx_fetch_log_run ON fetch_log(run_id);
CREATE INDEX IF NOT EXISTS idx_changes_article ON changes(article_id, to_version);
"""

class Archive:
    """The archive database. One writer at a time (see ``writer_lock``)."""

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.holds_writer_lock = False
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
        self.db = sqlite_utils.Database(conn)
        if not readonly:
            self._ensure_schema()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema and transactions ---------------------------------------------

    def _ensure_schema(self) -> None:
        """Create what is missing; on an archive that has it all, only read.

        Opening happens before the writer lock is taken (and by a writer that
        will wait for it), so it must not write: a write here would queue
        behind another process's transaction. Creating is one transaction, so
        a kill -9 during the first run leaves no half-made schema.
        """
        try:
            # WAL: readers (Datasette, list, show) never block the writer, nor it them.
            if str(self.conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            if self._schema_is_current():
                ensure_search_schema(self.conn)  # search.py: search tables, triggers on versions
                return
            try:
                self.conn.executescript(f"BEGIN IMMEDIATE;\n{_SCHEMA}\nPRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            ensure_search_schema(self.conn)
        except sqlite3.DatabaseError as exc:
            raise StoreError(str(self.path), f"is not a series-archiver database or is damaged ({exc})") from exc

    def _schema_is_current(self) -> bool:
        if int(self.conn.execute("PRAGMA user_version").fetchone()[0]) < SCHEMA_VERSION:
            return False
        wanted = set(re.findall(r"CREATE (?:TABLE|INDEX) IF NOT EXISTS (\w+)", _SCHEMA))
        present = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        return wanted <= present

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All-or-nothing: a crash inside leaves the archive as it was before."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back already (disk full, I/O error): a second
            # ROLLBACK would raise and hide the error that matters.
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
        return [dict(zip(names, r)) for r in cur.fetchall()]

    def _update(self, table: str, key: str, value: Any, row: dict[str, Any]) -> None:
        sets = ", ".join(f"{c} = ?" for c in row)
        self.conn.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", (*row.values(), value))

    # --- writer lock ------------------------------------------------------------

    @contextmanager
    def writer_lock(self, timeout: float, *, command: str = "") -> Iterator[None]:
        """Hold the one-writer lock shared by crawl, fetch and the daemon.

        The lock is a file beside the database; who holds it is written next
        to it so a waiting process can name the holder.
        """
        lock_path = self.path.with_name(self.path.name + ".lock")
        holder_path = self.path.with_name(self.path.name + ".holder")
        lock = FileLock(str(lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            # Say so at once: a command that sits silent for a minute looks hung.
            log.warning("%s is busy: %s; waiting up to %gs (archive.lock_timeout_seconds)", self.path, read_holder(self.path), timeout)
            try:
                lock.acquire(timeout=timeout)
            except Timeout:
                raise LockTimeout(str(self.path), read_holder(self.path), timeout) from None
        try:
            holder = {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "command": command or " ".join(sys.argv[:2]),
                "since": iso(utcnow()),
            }
            # Written whole then renamed: a waiting process never reads half a holder.
            partial = holder_path.with_name(f"{holder_path.name}.{os.getpid()}")
            partial.write_text(json.dumps(holder), encoding="utf-8")
            os.replace(partial, holder_path)
            self.holds_writer_lock = True
            yield
        finally:
            self.holds_writer_lock = False
            try:
                holder_path.unlink()
            except FileNotFoundError:
                pass
            lock.release()

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
            if (self.holds_writer_lock and kind != "daemon") or (host == here and pid and not _process_alive(int(pid))):
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
        sha = hashlib.sha256(page.content).hexdigest()
        row = self.conn.execute(
            "SELECT id FROM captures WHERE url = ? AND sha256 = ? AND suspect_reason IS ? ORDER BY id DESC LIMIT 1",
            (page.url, sha, suspect_reason),
        ).fetchone()
        if row is not None:
            return int(row[0]), False
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
                "request_headers": json.dumps(page.request_headers, ensure_ascii=False),
                "response_headers": json.dumps(page.response_headers, ensure_ascii=False),
                "redirects": json.dumps(page.redirects),
                "size": len(page.content),
                "sha256": sha,
                "suspect_reason": suspect_reason,
                "raw_zlib": zlib.compress(page.content, 6),
            },
        )
        return capture_id, True

    def capture_bytes(self, capture_id: int) -> bytes:
        row = self.conn.execute("SELECT raw_zlib FROM captures WHERE id = ?", (capture_id,)).fetchone()
        if row is None:
            raise StoreError(str(self.path), f"capture {capture_id} does not exist")
        return zlib.decompress(row[0])

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
            "ORDER BY series, installment IS NULL, installment, published, id"
        ).fetchall()
        return [ArticleRow(*r) for r in rows]

    def version_row(self, article_id: int, version: int | None = None) -> dict[str, Any] | None:
        """A version as a dict of its columns; the current one when ``version`` is None."""
        if version is None:
            cur = self.conn.execute("SELECT * FROM versions WHERE article_id = ? ORDER BY version DESC LIMIT 1", (article_id,))
        else:
            cur = self.conn.execute("SELECT * FROM versions WHERE article_id = ? AND version = ?", (article_id, version))
        row = cur.fetchone()
        if row is None:
            return None
        return dict(zip([d[0] for d in cur.description], row))

    def current_version(self, article_id: int) -> StoredVersion | None:
        row = self.version_row(article_id)
        if row is None:
            return None
        return StoredVersion(
            article_id=article_id,
            version=row["version"],
            content_hash=row["content_hash"],
            captured_at=datetime.fromisoformat(row["captured_at"]),
            title=row["title"],
            text=row["text"],
            url=row["url"],
            restores=row["restores"],
        )

    def versions(self, article_id: int) -> list[dict[str, Any]]:
        return self._dicts(
            "SELECT version, content_hash, captured_at, title, chars, url, restores FROM versions WHERE article_id = ? ORDER BY version",
            (article_id,),
        )

    def version_with_hash(self, article_id: int, content_hash: str) -> int | None:
        row = self.conn.execute(
            "SELECT version FROM versions WHERE article_id = ? AND content_hash = ? AND restores IS NULL ORDER BY version LIMIT 1",
            (article_id, content_hash),
        ).fetchone()
        return int(row[0]) if row else None

    def add_version(
        self,
        article_id: int,
        article: Article,
        *,
        content_hash: str,
        captured_at: datetime,
        url: str,
        capture_ids: Sequence[int],
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
                "paragraphs": json.dumps(list(article.paragraphs), ensure_ascii=False),
                "headings": json.dumps(list(article.headings), ensure_ascii=False),
                "captions": json.dumps(list(article.captions), ensure_ascii=False),
                "blocks": json.dumps([[b.kind, b.text] for b in article.blocks], ensure_ascii=False),
                "chars": len(article.text),
                "url": url,
                "capture_id": capture_ids[0] if capture_ids else None,
                "capture_ids": json.dumps(list(capture_ids)),
                "restores": restores,
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
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is someone else's
    return True


def holder_info(db_path: Path) -> dict[str, Any] | None:
    """The ``.holder`` file beside the archive (pid, host, command, since); None when there is none."""
    holder_path = db_path.with_name(db_path.name + ".holder")
    try:
        data = json.loads(holder_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_holder(db_path: Path) -> str:
    """Who holds the writer lock, as a readable phrase (or 'unknown')."""
    data = holder_info(db_path)
    if not data:
        return "unknown process"
    return f"pid {data.get('pid')} on {data.get('host')}, running {data.get('command')!r} since {data.get('since')}"

