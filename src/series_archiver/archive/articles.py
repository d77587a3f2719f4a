"""Articles and the URLs they are seen at: the ``articles`` and ``article_urls`` tables."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from series_archiver.archive.base import ArchiveBase, iso, utcnow
from series_archiver.archive.views import installment_order
from series_archiver.models import Article

__all__ = ["ArticleRow", "ArticleTables", "UrlState"]


@dataclass(frozen=True)
class UrlState:
    """A URL's ``article_urls`` row as a pass reads it: its article, whether versions follow it, its validators."""

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
    """An ``articles`` row."""

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


class ArticleTables(ArchiveBase):
    """An article's row and its URLs' rows: what is known of an installment, and where it is read."""

    def url_state(self, url: str) -> UrlState | None:
        row = self.conn.execute(
            "SELECT url, article_id, is_primary, status, etag, last_modified, content_hash, last_capture_id "
            "FROM article_urls WHERE url = ?",
            (url,),
        ).fetchone()
        if row is None:
            return None
        return UrlState(row[0], row[1], bool(row[2]), row[3], row[4], row[5], row[6], row[7])

    def first_known(self, forms: Sequence[str]) -> str | None:
        """The first of ``forms`` that has a row here: one query for all of them (an import asks for every page)."""
        marks = ", ".join("?" for _ in forms)
        found = {row[0] for row in self.conn.execute(f"SELECT url FROM article_urls WHERE url IN ({marks})", tuple(forms))}
        return next((form for form in forms if form in found), None)

    def upsert_url(self, url: str, *, role: str, **fields: Any) -> None:
        """Update the URL's row, or add it with ``role`` (the site decides it: sites.url_role)."""
        # The update first: nearly every call is for a known URL (a re-check pass makes one for
        # each), and then one statement does, where a SELECT before it made two.
        if fields:
            if self._update("article_urls", "url", url, fields):
                return
        elif self.conn.execute("SELECT 1 FROM article_urls WHERE url = ?", (url,)).fetchone():
            return
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

    def url_rows(self, article_id: int) -> list[dict[str, Any]]:
        """Every URL of the article with its role and state, primary first."""
        return self._dicts(
            "SELECT url, role, is_primary, status, first_seen, last_seen, last_status, gone_at FROM article_urls "
            "WHERE article_id = ? ORDER BY is_primary DESC, first_seen, url",
            (article_id,),
        )

    def series_urls(self, series: str) -> list[str]:
        """Every URL an article of ``series`` was seen at."""
        rows = self.conn.execute(
            "SELECT u.url FROM article_urls u JOIN articles a ON a.id = u.article_id WHERE a.series = ? ORDER BY a.id, u.url", (series,)
        ).fetchall()
        return [str(r[0]) for r in rows]

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

    def touch_article(self, article_id: int, now: datetime, *, revive: bool = False) -> bool:
        """Record a check; returns True when a gone article came back."""
        checked = iso(now)
        if not revive:
            self._update("articles", "id", article_id, {"last_checked": checked})
            return False
        # An article that is not gone (every one, in a pass that finds nothing): one statement.
        if self.conn.execute("UPDATE articles SET last_checked = ? WHERE id = ? AND status IS NOT 'gone'", (checked, article_id)).rowcount:
            return False
        came_back = self.conn.execute("SELECT 1 FROM articles WHERE id = ? AND status = 'gone'", (article_id,)).fetchone() is not None
        fields: dict[str, Any] = {"last_checked": checked}
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

    def last_checked(self, article_id: int) -> datetime | None:
        """When the article was last checked (fetched live, or read from a web archive)."""
        row = self.conn.execute("SELECT coalesce(last_checked, first_seen) FROM articles WHERE id = ?", (article_id,)).fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def dedupe_rows(self) -> Iterable[tuple[int, str, int | None]]:
        """(id, series, installment) of every article with a current version, in id order, for dedupe."""
        return self.conn.execute(
            "SELECT a.id, a.series, a.installment FROM articles a "
            "JOIN versions v ON v.article_id = a.id AND v.version = a.current_version ORDER BY a.id"
        ).fetchall()

    def current_text(self, article_id: int) -> str:
        """The text of the article's current version ("" if it has none): what dedupe compares."""
        row = self.conn.execute(
            "SELECT v.text FROM articles a JOIN versions v ON v.article_id = a.id AND v.version = a.current_version WHERE a.id = ?",
            (article_id,),
        ).fetchone()
        return str(row[0] or "") if row else ""

    def validators(self, url: str) -> tuple[str | None, str | None, int] | None:
        """The URL's ETag and Last-Modified, and how many pages its article's current version was read
        from when it is the article's primary URL (else 0); None for a URL no article has.

        One query: a re-check pass asks it of every URL before fetching it.
        """
        row = self.conn.execute(
            "SELECT u.etag, u.last_modified, CASE WHEN u.is_primary = 1 THEN coalesce(("
            "SELECT json_array_length(v.capture_ids) FROM articles a "
            "JOIN versions v ON v.article_id = a.id AND v.version = a.current_version WHERE a.id = u.article_id"
            "), 0) ELSE 0 END FROM article_urls u WHERE u.url = ?",
            (url,),
        ).fetchone()
        return None if row is None else (row[0], row[1], int(row[2]))
