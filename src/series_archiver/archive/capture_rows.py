"""Captures as rows: the raw responses stored, found again and rebuilt (captures.py holds their encoding).

Written to ``capture_store`` (URLs by id, SHA-256 as bytes: compact.py); read
through the ``captures`` view where the old columns serve.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from series_archiver.archive.base import ArchiveBase, iso
from series_archiver.archive.captures import Rebuilt, UnreadableCapture, encode, headers_json
from series_archiver.archive.compact import sha256_bytes
from series_archiver.errors import StoreError
from series_archiver.models import FetchedPage, StoredPage

__all__ = ["CaptureTables"]

log = logging.getLogger("series_archiver")


# The reason a removal page (the page a site answers a removal with: a 404's body) is kept under:
# evidence of the takedown, shown with the removal, never a suspect capture of the article's text.
REMOVAL_PAGE = "the removal page"


class CaptureTables(ArchiveBase):
    """Captures (``capture_store``): a response is stored once, as a delta against its URL's last whole capture."""

    def add_capture(self, page: FetchedPage, *, article_id: int | None, suspect_reason: str | None = None) -> tuple[int, bool]:
        """Store the raw response unless the URL already has a capture of the same bytes, judged the same.

        A page judged suspect is one row however many passes see it; the same
        bytes once suspect and once good (thresholds changed) are two rows, so a
        version never points at a capture marked suspect.
        Returns (capture id, True when a new row was written).
        """
        sha = page.sha256
        digest = sha256_bytes(sha)
        origin = page.provenance
        url_id = self.url_id(page.url)
        if origin is None:
            # Only live captures stand for a live re-fetch of the same bytes: a
            # memento or an imported record is evidence of another fetch.
            row = self.conn.execute(
                "SELECT id FROM capture_store WHERE url_id = ? AND sha256 = ? AND suspect_reason IS ? AND source = 'live' ORDER BY id DESC LIMIT 1",
                (url_id, digest, suspect_reason),
            ).fetchone()
        elif origin.memento_url is not None:
            row = self.conn.execute(
                "SELECT id FROM capture_store WHERE memento_url = ? AND sha256 = ? ORDER BY id DESC LIMIT 1", (origin.memento_url, digest)
            ).fetchone()
        elif origin.warc_record_id is not None:
            row = self.conn.execute(
                "SELECT id FROM capture_store WHERE warc_record_id = ? AND sha256 = ? AND source = ? ORDER BY id DESC LIMIT 1",
                (origin.warc_record_id, digest, origin.source),
            ).fetchone()
        else:
            row = None
        if row is not None:
            return int(row[0]), False
        headers = headers_json(page.request_headers, page.response_headers)
        base, base_chain, base_size = self._delta_base(url_id, page.url)
        stored = encode(page.content, headers, base, base_chain, base_size, whole=self.chains.whole_for(page.content, headers))
        capture_id = self._insert(
            "capture_store",
            {
                "url_id": url_id,
                "final_url_id": None if page.final_url is None else self.url_id(page.final_url),
                "article_id": article_id,
                "fetched_at": iso(page.fetched_at),
                "status": page.status,
                "http_version": page.http_version,
                "content_type": page.content_type,
                "encoding": page.encoding,
                "replaced_bytes": page.replaced_bytes,
                "redirects": json.dumps(page.redirects),
                "size": len(page.content),
                "sha256": digest,
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

    def _delta_base(self, url_id: int, url: str) -> tuple[Rebuilt | None, int, int]:
        """What the URL's next capture is a delta against: its last whole capture, rebuilt, with the
        latest capture's ``chain`` and the whole one's stored length (captures.py).

        (None, 0, 0) when the URL has no capture yet, or its whole capture cannot
        be rebuilt (``verify`` reports it): the new capture is then stored whole.
        """
        row = self.conn.execute(
            "SELECT c.chain, b.id, length(b.raw) FROM capture_store c "
            "JOIN capture_store b ON b.id = CASE WHEN c.codec = 'zstd-delta' THEN c.base_capture_id ELSE c.id END "
            "WHERE c.url_id = ? ORDER BY c.id DESC LIMIT 1",
            (url_id,),
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
        if self.conn.execute("SELECT 1 FROM capture_store WHERE memento_url = ? LIMIT 1", (memento_url,)).fetchone():
            return True
        url_id = self.known_url_id(memento_url)
        if url_id is None:
            return False
        row = self.conn.execute(
            "SELECT 1 FROM fetches WHERE url_id = ? AND outcome NOT IN ('error', 'retry', 'truncated', 'too_large') LIMIT 1", (url_id,)
        ).fetchone()
        return row is not None

    def warc_record_seen(self, record_id: str, warc_file: str) -> bool:
        """Whether a record of that file was imported before."""
        row = self.conn.execute("SELECT 1 FROM capture_store WHERE warc_record_id = ? AND warc_file = ? LIMIT 1", (record_id, warc_file)).fetchone()
        return row is not None

    def has_capture(self, url: str, sha256: str) -> bool:
        """Whether the archive holds these bytes of that URL, from any source."""
        url_id = self.known_url_id(url)
        if url_id is None:
            return False
        found = self.conn.execute("SELECT 1 FROM capture_store WHERE url_id = ? AND sha256 = ? LIMIT 1", (url_id, sha256_bytes(sha256))).fetchone()
        return found is not None

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

    def suspect_captures(self, article_id: int) -> list[dict[str, Any]]:
        """Captures of the article kept as evidence only (soft 404, near-empty, truncated, unreadable); not removal pages."""
        return self._dicts(
            "SELECT id, url, fetched_at, status, size, suspect_reason FROM captures "
            "WHERE article_id = ? AND suspect_reason IS NOT NULL AND suspect_reason NOT LIKE ? ORDER BY id",
            (article_id, REMOVAL_PAGE + "%"),
        )

    def capture_bytes(self, capture_id: int) -> bytes:
        """A capture's raw bytes, rebuilt through its delta chain (not checked against its SHA-256: ``verify`` does)."""
        return self.rebuilt_capture(capture_id).body

    def rebuilt_capture(self, capture_id: int) -> Rebuilt:
        """A capture's bytes and headers, rebuilt through its delta chain."""
        try:
            return self.chains.rebuild(capture_id)
        except UnreadableCapture as exc:
            raise StoreError(str(self.path), f"{exc}; run `series-archiver verify`") from None

    def stored_pages(self, capture_ids: Sequence[int]) -> list[StoredPage]:
        """The raw pages a version was read from, in the order given."""
        pages = []
        for capture_id in capture_ids:
            row = self.conn.execute("SELECT url, encoding FROM captures WHERE id = ?", (capture_id,)).fetchone()
            if row is None:
                raise StoreError(str(self.path), f"capture {capture_id} does not exist; run `series-archiver verify`")
            pages.append(StoredPage(row[0], self.capture_bytes(capture_id), row[1] or "utf-8"))
        return pages
