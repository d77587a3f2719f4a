"""Time order: an article's history read, and rewritten for an older capture (decide/timeline.py, record/older.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from series_archiver.archive.base import ArchiveBase, iso
from series_archiver.archive.compact import FETCH_COLUMNS, unfold
from series_archiver.errors import StoreError

__all__ = ["TimeOrderTables"]


class TimeOrderTables(ArchiveBase):
    """An article's versions, changes and reads in time order, and their renumbering in one transaction."""

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
            f"SELECT {FETCH_COLUMNS}, c.source, c.fetched_at FROM fetches f JOIN urls u ON u.id = f.url_id "
            "LEFT JOIN capture_store c ON c.id = f.capture_id "
            f"WHERE f.article_id = ? AND f.outcome IN ({marks}) "
            "AND u.url NOT IN (SELECT url FROM article_urls WHERE article_id = ? AND is_primary = 0)",
            (article_id, *outcomes, article_id),
        ).fetchall()
        out = []
        for row in rows:
            *fetch, source, fetched_at = row
            for read in unfold(tuple(fetch)):
                at = fetched_at if source is not None and source != "live" else read.requested_at
                if at:
                    out.append((datetime.fromisoformat(at), read.capture_id, read.outcome))
        return sorted(out)

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
