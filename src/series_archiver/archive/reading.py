"""What the reading room asks of the archive: articles, their versions and changes, as values.

The browse pages (``browse/pages.py``) show an article as a document and the
archive's front page as lists; they hold no SQL of their own and call these
functions on a read-only ``sqlite3.Connection``. Times come back as stored
(ISO 8601 in UTC); the pages put them in the reader's zone. (``views.py``
keeps the SQL of Datasette's canned queries and of the other readers.)
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from series_archiver.archive.articles import ArticleRow
from series_archiver.archive.layout import decode_layout
from series_archiver.archive.views import INSTALLMENT_ORDER

__all__ = [
    "ArticleRecord",
    "ChangeRecord",
    "VersionRecord",
    "article_of_change",
    "article_record",
    "article_records",
    "changes_of",
    "recent_changes",
    "versions_of",
]

# An edit or restore with no version before it is the first text, not a change a reader can read.
_READABLE = "NOT (c.kind IN ('edit', 'restore') AND c.from_version IS NULL)"


@dataclass(frozen=True)
class ArticleRecord(ArticleRow):
    """An ``articles`` row, with how often it was edited and what last happened to it."""

    edits: int  # edits and returns to an earlier text
    last_event: str  # new, edit, restore, gone or back
    last_event_at: str


_ARTICLES = f"""
SELECT a.id, a.series, a.installment, a.label, a.title, a.url, a.status, a.published, a.byline,
       a.versions, a.current_version, a.first_seen, a.last_checked, a.last_changed, a.gone_at,
       (SELECT count(*) FROM changes AS c WHERE c.article_id = a.id AND c.kind IN ('edit', 'restore') AND {_READABLE}),
       coalesce(l.kind, 'new'), coalesce(l.changed_at, a.first_seen)
FROM articles AS a
LEFT JOIN changes AS l ON l.id = (
    SELECT c.id FROM changes AS c WHERE c.article_id = a.id AND {_READABLE}
    ORDER BY julianday(c.changed_at) DESC, c.id DESC LIMIT 1)
WHERE (:id IS NULL OR a.id = :id)
ORDER BY {INSTALLMENT_ORDER}"""


def article_records(conn: sqlite3.Connection) -> list[ArticleRecord]:
    """Every article, in installment order."""
    return [ArticleRecord(*row) for row in conn.execute(_ARTICLES, {"id": None})]


def article_record(conn: sqlite3.Connection, article_id: int) -> ArticleRecord | None:
    row = conn.execute(_ARTICLES, {"id": article_id}).fetchone()
    return ArticleRecord(*row) if row else None


@dataclass(frozen=True)
class VersionRecord:
    """One version of an article, its blocks and captions decoded."""

    id: int
    version: int
    captured_at: str
    title: str
    published: str | None
    byline: str | None
    url: str
    restores: int | None
    content_hash: str
    chars: int
    text: str
    blocks: tuple[tuple[str, str], ...]  # (kind, text): heading or paragraph, in reading order
    captions: tuple[str, ...]
    capture_ids: tuple[int, ...]


def versions_of(conn: sqlite3.Connection, article_id: int) -> list[VersionRecord]:
    """The article's versions, oldest first."""
    cur = conn.execute(
        "SELECT id, version, captured_at, title, published, byline, url, restores, content_hash, chars, text, layout, captions, "
        "capture_ids FROM versions WHERE article_id = ? ORDER BY version",
        (article_id,),
    )
    out = []
    for vid, version, captured_at, title, published, byline, url, restores, content_hash, chars, text, layout, captions, captures in cur:
        blocks = decode_layout(text, layout) if layout else [("paragraph", line) for line in text.split("\n")]
        out.append(
            VersionRecord(
                vid, version, captured_at, title, published, byline, url, restores, content_hash, chars, text, tuple(blocks),
                captions=tuple(json.loads(captions or "[]")),
                capture_ids=tuple(int(i) for i in json.loads(captures or "[]")),
            )
        )
    return out


@dataclass(frozen=True)
class ChangeRecord:
    """One change (edit, restore, removal, return) with the article it happened to."""

    id: int
    article_id: int
    kind: str  # edit, restore, gone or back
    from_version: int | None
    to_version: int
    changed_at: str
    chars_added: int
    chars_removed: int
    summary: str | None
    diff_html: str | None
    series: str
    installment: int | None
    label: str | None
    title: str


_CHANGES = f"""
SELECT c.id, c.article_id, c.kind, c.from_version, c.to_version, c.changed_at, c.chars_added, c.chars_removed,
       c.summary, c.diff_html, a.series, a.installment, a.label, a.title
FROM changes AS c JOIN articles AS a ON a.id = c.article_id
WHERE {_READABLE} AND (:article IS NULL OR c.article_id = :article)"""


def changes_of(conn: sqlite3.Connection, article_id: int) -> list[ChangeRecord]:
    """The article's changes, oldest first."""
    cur = conn.execute(_CHANGES + " ORDER BY julianday(c.changed_at), c.id", {"article": article_id})
    return [ChangeRecord(*row) for row in cur]


def recent_changes(conn: sqlite3.Connection, *, limit: int, offset: int = 0) -> list[ChangeRecord]:
    """Edits, restores, removals and returns of every article, newest first."""
    params: dict[str, Any] = {"article": None, "limit": limit, "offset": offset}
    cur = conn.execute(_CHANGES + " ORDER BY julianday(c.changed_at) DESC, c.id DESC LIMIT :limit OFFSET :offset", params)
    return [ChangeRecord(*row) for row in cur]


def article_of_change(conn: sqlite3.Connection, change_id: int) -> int | None:
    row = conn.execute("SELECT article_id FROM changes WHERE id = ?", (change_id,)).fetchone()
    return int(row[0]) if row else None
