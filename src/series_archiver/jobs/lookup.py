"""Reading the archive for the commands that only read it: ``list``, ``show`` and ``search``.

Apart from ``jobs.core`` (which re-exports these) so that a command that only reads
loads no HTTP client, crawler or scheduler: ``series-archiver search`` starts in a
fraction of the time ``crawl`` needs to.
"""

from __future__ import annotations

import json
from typing import Any

from series_archiver.archive import Archive
from series_archiver.archive.search import DEFAULT_LIMIT, search, search_ready, snippet_parts
from series_archiver.errors import StoreError
from series_archiver.history import CaptureInfo, read_witnesses
from series_archiver.settings import Settings

__all__ = ["list_articles", "search_articles", "show_article"]


def _reader(settings: Settings) -> Archive:
    return Archive(settings.archive.db, readonly=True)


def list_articles(settings: Settings) -> list[dict[str, Any]]:
    """Every archived article, installments in order, as ``list --json`` prints them."""
    with _reader(settings) as archive:
        out = []
        for row in archive.articles():
            out.append(
                {
                    "id": row.id,
                    "series": row.series,
                    "installment": row.installment,
                    "label": row.label,
                    "title": row.title,
                    "url": row.url,
                    "urls": archive.article_urls(row.id),
                    "versions": row.versions,
                    "status": row.status,
                    "published": row.published,
                    "first_seen": row.first_seen,
                    "last_checked": row.last_checked,
                    "last_changed": row.last_changed,
                    "gone_at": row.gone_at,
                }
            )
        return out


def search_articles(settings: Settings, query: str, *, limit: int = DEFAULT_LIMIT, offset: int = 0) -> dict[str, Any]:
    """One page of the articles whose text, in any version, holds every word of ``query``, as ``search --json``
    prints it: ``query, total, limit, offset, next_offset`` and the page's ``results``.

    The reading room's search (``archive.search``): the same folding, matching,
    paging and snippet (``snippet`` is ``snippet_html`` as plain text), installments in order.
    """
    with _reader(settings) as archive:
        if not search_ready(archive.conn):
            raise StoreError(str(settings.archive.db), "has no search index yet; the next `crawl` builds it")
        page = search(archive.conn, query, limit=limit, offset=offset)
    results = [
        {
            "id": r["article_id"],
            "series": r["series"],
            "installment": r["installment"],
            "label": r["label"],
            "title": r["title"],
            "published": r["published"],
            "status": r["status"],
            "versions_matching": [int(n) for n in str(r["versions_matching"]).split(", ")],
            "current_version": r["current_version"],
            "snippet": "".join(text for text, _ in snippet_parts(r["snippet_html"])) if r["snippet_html"] else None,
            "snippet_html": r["snippet_html"],
        }
        for r in page.results
    ]
    return {**page.as_json(), "results": results}


def show_article(settings: Settings, article_id: int, version: int | None = None) -> dict[str, Any]:
    """One article as of a version (the latest by default), as ``show --json`` prints it."""
    with _reader(settings) as archive:
        row = archive.article(article_id)
        if row is None:
            raise StoreError(str(settings.archive.db), f"no article {article_id}; `series-archiver list` shows the ids")
        v = archive.version_row(article_id, version)
        if v is None:
            raise StoreError(
                str(settings.archive.db),
                f"article {article_id} has no version {version}; it has versions 1 to {row.versions}",
            )
        return {
            "id": row.id,
            "series": row.series,
            "installment": row.installment,
            "label": row.label,
            "status": row.status,
            "title": v["title"],
            "published": v["published"],
            "byline": v["byline"],
            "paragraphs": v["paragraphs"],
            "headings": v["headings"],
            "captions": json.loads(v["captions"]),
            "blocks": [{"kind": k, "text": t} for k, t in v["blocks"]],
            "text": v["text"],
            "version": v["version"],
            "versions": row.versions,
            "restores": v["restores"],
            "captured_at": v["captured_at"],
            "url": v["url"],
            "urls": archive.article_urls(row.id),
            "captures": [CaptureInfo.of(c).as_json() for c in archive.capture_provenance(row.id, json.loads(v["capture_ids"] or "[]"))],
            "witnesses": [w.as_json() for w in read_witnesses(archive, row.id, version_id=v["id"])],
        }


