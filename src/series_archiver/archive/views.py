"""What the readers ask of the archive: every SQL statement of export, verify and browse.

The readers (``export``, ``verify``, ``browse``) hold no SQL of their own:
they call the query functions here, which take a ``sqlite3.Connection``
(``Archive.conn``), or serve the SQL texts of Datasette's canned queries.
Nothing here writes; ``read_transaction`` holds one snapshot of the archive
while a crawl may be writing, and ``make_query_only`` keeps a connection that
way. ``INSTALLMENT_ORDER`` is the one order of installments that every list of
articles uses.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from series_archiver.archive.captures import CaptureChains, StoredPayload, UnreadableCapture
from series_archiver.archive.compact import unfold
from series_archiver.archive.layout import decode_layout, headings, paragraphs

__all__ = [
    "ARTICLE_HISTORY_SQL",
    "INSTALLMENTS_SQL",
    "INSTALLMENT_ORDER",
    "ARCHIVE_TABLES",
    "is_archive",
    "FEED_SQL",
    "FeedEvent",
    "feed_events",
    "article_exists",
    "RECENT_EDITS_SQL",
    "REMOVED_ARTICLES_SQL",
    "CaptureRef",
    "ExportedVersion",
    "Refetch",
    "StoredPayload",
    "WarcCapture",
    "capture_refs",
    "captures_with_refetches",
    "exported_versions",
    "installment_order",
    "make_query_only",
    "read_transaction",
    "series_names",
    "stored_payload",
    "stored_payloads",
    "table_names",
    "WITNESSES_SQL",
    "witness_rows",
]


def installment_order(alias: str | None = "a") -> str:
    """The ORDER BY terms of installment order on ``articles`` (as ``alias``; None: unqualified).

    Numbered installments first, by number; then unnumbered articles by
    publication time; the id settles ties, so the order never varies.

    >>> installment_order(None)
    'series, installment IS NULL, installment, published, id'
    """
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + term for term in ("series", "installment IS NULL", "installment", "published", "id"))


INSTALLMENT_ORDER = installment_order("a")
"""Installment order on ``articles AS a``: ``ORDER BY {INSTALLMENT_ORDER}``."""


# --- connections ------------------------------------------------------------------


@contextmanager
def read_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Every query inside reads one snapshot of the archive, whatever a crawl commits meanwhile.

    The connection must be in autocommit mode (``isolation_level=None``, as
    ``Archive`` opens it), so that BEGIN here is the only transaction.
    """
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def make_query_only(conn: sqlite3.Connection) -> None:
    """From now on the connection refuses to write, whatever it is asked."""
    conn.execute("PRAGMA query_only = 1")


def table_names(conn: sqlite3.Connection) -> set[str]:
    """The tables and views the database holds (an archive made before search lacks some).

    Views count: ``captures`` and ``fetch_log`` are views over compact tables since schema step 11.
    """
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


# The tables that make a database a series-archiver archive, for Datasette and browse alike.
ARCHIVE_TABLES = frozenset({"articles", "versions"})


def is_archive(tables: set[str]) -> bool:
    return tables >= ARCHIVE_TABLES


def series_names(conn: sqlite3.Connection) -> list[str]:
    """The series that have articles in the archive, sorted."""
    return [r[0] for r in conn.execute("SELECT DISTINCT series FROM articles ORDER BY series")]


# --- stored payloads (verify, and export before it writes one) ----------------------
# Captures are stored as zstd deltas (captures.py): these rebuild them through
# their chains. Pass the connection's ``CaptureChains`` (``Archive.chains``) so
# captures read one after another share what was rebuilt.


def stored_payload(conn: sqlite3.Connection, capture_id: int, chains: CaptureChains | None = None) -> StoredPayload | None:
    """One capture's payload, rebuilt (or why it cannot be); None when there is no such capture."""
    return (chains or CaptureChains(conn)).payload(capture_id)


def stored_payloads(conn: sqlite3.Connection, chains: CaptureChains | None = None) -> Iterator[StoredPayload]:
    """Every capture's payload, chain by chain (URL, then id), so each stored frame is decompressed once."""
    yield from (chains or CaptureChains(conn)).payloads()


# --- captures and re-fetches (WARC) --------------------------------------------------


@dataclass(frozen=True)
class WarcCapture:
    """A stored capture as a WARC response needs it (the payload is read separately)."""

    id: int
    url: str
    final_url: str
    fetched_at: str
    status: int
    http_version: str | None
    request_headers: str | None  # JSON [[name, value], ...], as sent
    response_headers: str | None  # JSON [[name, value], ...], as received
    sha256: str
    source: str = "live"  # live, wayback or warc: where the capture came from
    memento_url: str | None = None
    archive_src: str | None = None
    warc_file: str | None = None
    warc_record_id: str | None = None
    warc_offset: int | None = None

    @property
    def target(self) -> str:
        return self.final_url or self.url


@dataclass(frozen=True)
class Refetch:
    """A fetch-log row naming a capture."""

    id: int
    url: str
    requested_at: str
    status: int | None
    outcome: str


# The capture's article, for --series: the capture's own, its URL's, the version
# that read it, or the fetch that stored it (page 2 of an article has no URL row).
_ARTICLE_OF_CAPTURE = """coalesce(
    c.article_id,
    (SELECT u.article_id FROM article_urls u WHERE u.url = c.url),
    (SELECT v.article_id FROM versions v, json_each(v.capture_ids) j WHERE j.value = c.id LIMIT 1),
    (SELECT g.article_id FROM fetches g WHERE g.capture_id = c.id AND g.article_id IS NOT NULL ORDER BY g.id LIMIT 1))"""


def captures_with_refetches(
    conn: sqlite3.Connection, series: str | None = None, chains: CaptureChains | None = None, *, article: int | None = None
) -> Iterator[tuple[WarcCapture, Refetch | None]]:
    """Every capture (of ``series``, or all) with each fetch-log row naming it, capture by capture, rows in order.

    A capture no row names comes once, with None. Its headers are rebuilt with
    its bytes (``captures.headers``, a delta like them); a capture that cannot
    be rebuilt comes without headers, and reading its payload says why.
    """
    chains = chains or CaptureChains(conn)
    where = ""
    params: tuple[str | int, ...] = ()
    if series is not None:
        # Resolved once per capture (SQLite builds the IN list once), not per log row.
        where = (
            f"WHERE c.id IN (SELECT c.id FROM captures c WHERE {_ARTICLE_OF_CAPTURE} "
            "IN (SELECT id FROM articles WHERE series = ?))"
        )
        params = (series,)
    if article is not None:  # one article's captures (an evidence bundle's article.wacz)
        where = f"WHERE c.id IN (SELECT c.id FROM captures c WHERE {_ARTICLE_OF_CAPTURE} = ?)"
        params = (article,)
    # The log's rows naming each capture: the compact rows, each run of
    # unchanged re-fetches unfolded into the rows the ``fetch_log`` view shows.
    cursor = conn.execute(
        "SELECT c.id, c.url, c.final_url, c.fetched_at, c.status, c.http_version, NULL, "
        "NULL, c.sha256, c.source, c.memento_url, c.archive_src, c.warc_file, c.warc_record_id, c.warc_offset, "
        "f.id, f.run_id, u.url, f.requested_at, f.attempt, f.status, f.outcome, f.error, f.elapsed_ms, f.bytes, "
        "f.article_id, f.capture_id, f.repeated "
        f"FROM captures c LEFT JOIN fetches f ON f.capture_id = c.id LEFT JOIN urls u ON u.id = f.url_id {where} ORDER BY c.id, f.id",
        params,
    )
    current: WarcCapture | None = None
    refetches: list[Refetch] = []
    for row in cursor:
        if current is None or current.id != row[0]:
            if current is not None:
                yield from _with_refetches(current, refetches)
            current, refetches = WarcCapture(*row[:15]), []
            try:
                rebuilt = chains.rebuild(current.id)
            except UnreadableCapture:
                pass
            else:
                current = replace(current, request_headers=rebuilt.request_headers(), response_headers=rebuilt.response_headers())
        if row[15] is not None:
            refetches += [Refetch(r.id, r.url, r.requested_at, r.status, r.outcome) for r in unfold(row[15:])]
    if current is not None:
        yield from _with_refetches(current, refetches)


def _with_refetches(capture: WarcCapture, refetches: list[Refetch]) -> Iterator[tuple[WarcCapture, Refetch | None]]:
    if not refetches:
        yield capture, None
    for refetch in sorted(refetches, key=lambda r: r.id):
        yield capture, refetch


# --- versions (JSON Lines) ------------------------------------------------------------


@dataclass(frozen=True)
class ExportedVersion:
    """One version with its article's fields, JSON columns decoded."""

    article_id: int
    series: str
    installment: int | None
    label: str | None
    article_title: str | None
    article_url: str
    status: str
    first_seen: str
    last_checked: str | None
    last_changed: str | None
    gone_at: str | None
    versions: int
    version: int
    captured_at: str
    title: str | None
    published: str | None
    byline: str | None
    url: str
    restores: int | None
    content_hash: str
    chars: int
    text: str
    paragraphs: list[str]
    headings: list[str]
    captions: list[str]
    blocks: list[tuple[str, str]]  # (kind, text) in reading order
    capture_ids: list[int]


# Every column named as its ExportedVersion field.
_EXPORTED_VERSIONS = f"""
SELECT a.id AS article_id, a.series, a.installment, a.label, a.title AS article_title, a.url AS article_url,
       a.status, a.first_seen, a.last_checked, a.last_changed, a.gone_at, a.versions,
       v.version, v.captured_at, v.title, v.published, v.byline, v.url, v.restores, v.content_hash, v.chars,
       v.text, v.layout, v.captions, v.capture_ids
FROM versions v JOIN articles a ON a.id = v.article_id
WHERE (?1 IS NULL OR a.series = ?1) AND (?2 IS NULL OR julianday(v.captured_at) >= julianday(?2)) AND (?3 IS NULL OR a.id = ?3)
ORDER BY {INSTALLMENT_ORDER}, v.version
"""


def exported_versions(
    conn: sqlite3.Connection, series: str | None = None, since: str | None = None, *, article: int | None = None
) -> Iterator[ExportedVersion]:
    """Every version (of ``series`` or of one ``article``; captured at or after the ISO time ``since``) in installment order."""
    cursor = conn.execute(_EXPORTED_VERSIONS, (series, since, article))
    names = [d[0] for d in cursor.description]
    for row in cursor:
        fields = dict(zip(names, row, strict=True))
        blocks = decode_layout(fields["text"], fields.pop("layout"))
        fields.update(blocks=blocks, paragraphs=paragraphs(blocks), headings=headings(blocks))
        fields["captions"] = json.loads(fields["captions"])
        fields["capture_ids"] = [int(i) for i in json.loads(fields["capture_ids"] or "[]")]
        yield ExportedVersion(**fields)


@dataclass(frozen=True)
class CaptureRef:
    """Enough of a capture to name it: where it was fetched, when, and its SHA-256."""

    id: int
    url: str  # the final URL, after redirects
    fetched_at: str
    sha256: str
    source: str = "live"  # live, wayback or warc
    memento_url: str | None = None
    warc_file: str | None = None
    warc_record_id: str | None = None


def capture_refs(conn: sqlite3.Connection, capture_ids: list[int]) -> list[CaptureRef]:
    """The captures with these ids, in the order given; an id with no capture is left out."""
    out = []
    for capture_id in capture_ids:
        found: tuple[Any, ...] | None = conn.execute(
            "SELECT id, url, final_url, fetched_at, sha256, source, memento_url, warc_file, warc_record_id FROM captures WHERE id = ?",
            (capture_id,),
        ).fetchone()
        if found is not None:
            cid, url, final_url, fetched_at, sha256, source, memento_url, warc_file, warc_record_id = found
            out.append(CaptureRef(cid, final_url or url, fetched_at, sha256, source, memento_url, warc_file, warc_record_id))
    return out


# --- Datasette's canned queries -------------------------------------------------------
# The texts only; browse/server.py gives them titles and descriptions. The search
# query is archive/search.py's SEARCH_SQL.

INSTALLMENTS_SQL = f"""SELECT
    a.series,
    a.installment,
    a.label,
    a.title,
    substr(a.published, 1, 10) AS published,
    a.versions,
    a.status,
    substr(a.last_changed, 1, 10) AS last_changed,
    a.id AS article_id,
    a.id AS history
FROM articles AS a
ORDER BY {INSTALLMENT_ORDER}"""

RECENT_EDITS_SQL = """SELECT
    c.id AS change_id,
    c.changed_at,
    c.kind,
    a.installment,
    a.label,
    a.title,
    c.from_version,
    c.to_version,
    c.chars_added,
    c.chars_removed,
    c.summary,
    c.article_id,
    c.diff_html
FROM changes AS c
JOIN articles AS a ON a.id = c.article_id
WHERE c.kind IN ('edit', 'restore') AND c.from_version IS NOT NULL
ORDER BY c.changed_at DESC, c.id DESC
LIMIT 200"""

REMOVED_ARTICLES_SQL = f"""SELECT
    a.id AS article_id,
    a.series,
    a.installment,
    a.label,
    a.title,
    a.gone_at,
    a.versions,
    a.url,
    (SELECT c.summary FROM changes AS c WHERE c.article_id = a.id AND c.kind = 'gone'
     ORDER BY c.changed_at DESC, c.id DESC LIMIT 1) AS why,
    a.id AS history
FROM articles AS a
WHERE a.status = 'gone'
ORDER BY a.gone_at DESC, {INSTALLMENT_ORDER}"""

ARTICLE_HISTORY_SQL = """SELECT * FROM (
    SELECT
        v.captured_at AS at,
        coalesce(c.kind, 'first version') AS event,
        v.version,
        v.title,
        v.chars,
        c.chars_added,
        c.chars_removed,
        c.summary,
        v.url,
        c.id AS change_id,
        c.diff_html
    FROM versions AS v
    LEFT JOIN changes AS c
        ON c.article_id = v.article_id AND c.to_version = v.version AND c.kind IN ('edit', 'restore')
    WHERE v.article_id = :id
    UNION ALL
    SELECT c.changed_at, c.kind, c.to_version, NULL, NULL, NULL, NULL, c.summary, NULL, c.id, NULL
    FROM changes AS c
    WHERE c.article_id = :id AND c.kind IN ('gone', 'back')
)
ORDER BY at, version"""


# --- the Atom feed ---------------------------------------------------------------------

# Newest first: each first version (a new installment) and each change (edit,
# restore, removal, return). ``:article`` NULL: the whole archive.
FEED_SQL = """SELECT * FROM (
    SELECT 'version' AS source, v.id AS row_id, v.captured_at AS at, 'new' AS kind, v.article_id,
           a.series, a.installment, a.label, v.title, v.url, NULL AS summary, NULL AS diff_html, 1 AS version
    FROM versions AS v JOIN articles AS a ON a.id = v.article_id
    WHERE v.version = 1 AND (:article IS NULL OR v.article_id = :article)
    UNION ALL
    SELECT 'change', c.id, c.changed_at, c.kind, c.article_id,
           a.series, a.installment, a.label, a.title, a.url, c.summary, c.diff_html, c.to_version
    FROM changes AS c JOIN articles AS a ON a.id = c.article_id
    WHERE (:article IS NULL OR c.article_id = :article)
)
ORDER BY at DESC, source, row_id DESC
LIMIT :limit"""


@dataclass(frozen=True)
class FeedEvent:
    """One entry of the Atom feed: a new installment, an edit, a restore, a removal or a return."""

    source: str  # "version" (a first version) or "change"
    row_id: int
    at: str
    kind: str  # new, edit, restore, gone, back
    article_id: int
    series: str
    installment: int | None
    label: str | None
    title: str
    url: str
    summary: str | None
    diff_html: str | None
    version: int


def feed_events(conn: sqlite3.Connection, *, article_id: int | None = None, limit: int = 100) -> list[FeedEvent]:
    rows = conn.execute(FEED_SQL, {"article": article_id, "limit": limit}).fetchall()
    return [FeedEvent(*row) for row in rows]


def article_exists(conn: sqlite3.Connection, article_id: int) -> bool:
    return conn.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None


# --- witnesses: captures asked of Save Page Now ----------------------------------------

WITNESSES_SQL = """SELECT
    w.requested_at,
    w.kind,
    a.installment,
    a.title,
    v.version,
    w.status,
    w.archived_url,
    w.archived_at,
    w.status_ext,
    w.error,
    w.url,
    w.article_id,
    w.change_id
FROM witnesses AS w
JOIN articles AS a ON a.id = w.article_id
LEFT JOIN versions AS v ON v.id = w.version_id
ORDER BY w.requested_at DESC, w.id DESC
LIMIT 500"""

_WITNESS_COLUMNS = (
    "w.id, w.kind, w.service, w.url, w.requested_at, w.archived_at, w.archived_url, w.status, w.status_ext, w.error, "
    "w.attempts, w.capture_all, w.change_id, v.version"
)


def witness_rows(conn: sqlite3.Connection, article_id: int, *, version_id: int | None = None) -> list[dict[str, Any]]:
    """The article's witnesses, oldest first; with ``version_id``, those of that version and of the article's removals.

    An archive of an earlier schema has none (its readers may open it as it is).
    """
    if "witnesses" not in table_names(conn):
        return []
    where = "w.article_id = ?"
    params: tuple[Any, ...] = (article_id,)
    if version_id is not None:
        where += " AND (w.version_id = ? AND w.kind IN ('new_article', 'new_version', 'restored') OR w.kind = 'gone')"
        params += (version_id,)
    cur = conn.execute(
        f"SELECT {_WITNESS_COLUMNS} FROM witnesses AS w LEFT JOIN versions AS v ON v.id = w.version_id WHERE {where} ORDER BY w.id",
        params,
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
