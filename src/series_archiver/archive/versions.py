"""Versions, what they were read with, and the changes between them: ``versions``, ``derivations``, ``rederivations``, ``changes``."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from series_archiver.archive.base import ArchiveBase, iso
from series_archiver.archive.layout import decode_layout, encode_layout, headings, paragraphs
from series_archiver.archive.prepared import document_fields
from series_archiver.archive.search import fold_document
from series_archiver.models import Article, StoredVersion

__all__ = ["VersionTables"]


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


class VersionTables(ArchiveBase):
    """Each distinct text of an article, the code that read it, and the diff that made it."""

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
                "captions": document_fields(article)[3],  # as prepared.prepare reads it
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

    def derivation_id(self, digest: str, components: str, now: datetime) -> int:
        """The id of a derivation (derivation.py), recorded the first time it is used."""
        known = self.find_derivation(digest)
        if known is not None:
            return known
        return self._insert("derivations", {"digest": digest, "components": components, "first_used": iso(now)})

    def find_derivation(self, digest: str) -> int | None:
        row = self.conn.execute("SELECT id FROM derivations WHERE digest = ?", (digest,)).fetchone()
        return int(row[0]) if row else None

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
