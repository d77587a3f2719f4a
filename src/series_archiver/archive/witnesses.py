"""Witnesses: captures asked of Save Page Now for a version or a change (the ``witnesses`` table; witness/ works the queue)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from series_archiver.archive.base import ArchiveBase, iso
from series_archiver.archive.compact import FETCH_COLUMNS, unfold
from series_archiver.models import WitnessRequest

__all__ = ["WitnessRow", "WitnessTables"]


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


class WitnessTables(ArchiveBase):
    """The witness queue: rows queued with the event that asks for them, then worked by the witness pass."""

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
        The URL range keeps to the index on ``urls(url)``.
        """
        prefix = endpoint.rstrip("/") + "/save/"
        rows = self.conn.execute(
            f"SELECT {FETCH_COLUMNS} FROM urls u JOIN fetches f ON f.url_id = u.id "
            "WHERE u.url >= ? AND u.url < ? AND substr(u.url, ?, 7) != 'status/' AND coalesce(f.last_at, f.requested_at) >= ?",
            (prefix, prefix[:-1] + "0", len(prefix) + 1, iso(since)),
        ).fetchall()
        stamp = iso(since) or ""
        return [datetime.fromisoformat(r.requested_at) for row in rows for r in unfold(row) if r.requested_at >= stamp]

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
