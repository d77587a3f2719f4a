"""Evidence: the queue of events to screenshot and timestamp, their screenshots and tokens (evidence/ works the queue).

Three tables (schema step 10): ``evidence`` (one row per new version, removal
and return, queued in the event's own transaction; its statement and RFC 3161
token once worked), ``screenshots`` (one PNG per capture, rendered from the
stored bytes) and ``tsa_chains`` (each TSA certificate chain once).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from series_archiver.archive.base import ArchiveBase, iso
from series_archiver.models import Event

__all__ = ["EvidenceRow", "EvidenceTables", "ScreenshotRow", "EVIDENCE_KINDS"]

# The events a third party may doubt: a text seen (new article, edit, restore), a removal, a return.
EVIDENCE_KINDS = ("new_article", "new_version", "restored", "gone", "back")
_CHANGE_KIND = {"new_version": "edit", "restored": "restore", "gone": "gone", "back": "back"}
# Columns the evidence pass may set (evidence/worker.py).
_EVIDENCE_COLUMNS = frozenset(
    {"status", "attempts", "error", "statement", "digest", "tsa_url", "tsa_chain_id", "token", "stamped_at", "finished_at"}
)


@dataclass(frozen=True)
class EvidenceRow:
    """One event's evidence, as the evidence pass and the bundle read it."""

    id: int
    article_id: int
    version_id: int | None
    change_id: int | None
    fetch_log_id: int | None
    kind: str
    url: str
    seen_at: str
    capture_ids: tuple[int, ...]
    status: str
    attempts: int
    error: str | None
    statement: bytes | None
    digest: str | None
    tsa_url: str | None
    tsa_chain_id: int | None
    token: bytes | None
    stamped_at: str | None


@dataclass(frozen=True)
class ScreenshotRow:
    """A stored screenshot of one capture (the PNG read only when asked for)."""

    id: int
    capture_id: int
    taken_at: str
    sha256: str
    size: int
    width: int
    height: int
    renderer: str


_EVIDENCE_SELECT = (
    "SELECT id, article_id, version_id, change_id, fetch_log_id, kind, url, seen_at, capture_ids, status, attempts, error, "
    "statement, digest, tsa_url, tsa_chain_id, token, stamped_at FROM evidence "
)
_SCREENSHOT_SELECT = "SELECT id, capture_id, taken_at, sha256, size, width, height, renderer FROM screenshots "


def _evidence_row(r: tuple[Any, ...]) -> EvidenceRow:
    return EvidenceRow(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], tuple(int(i) for i in json.loads(r[8] or "[]")),
        r[9], r[10], r[11], None if r[12] is None else bytes(r[12]), r[13], r[14], r[15], None if r[16] is None else bytes(r[16]), r[17],
    )


class EvidenceTables(ArchiveBase):
    """The evidence queue, screenshots and TSA chains."""

    def queue_evidence(self, events: Iterable[Event], now: datetime) -> list[int]:
        """Queue one evidence row per event of ``EVIDENCE_KINDS``, in the caller's transaction (the event's own).

        A version's event rests on that version's captures; a return on the
        capture its URL answered with; a removal on the fetch-log row that saw
        it, and on the removal page the site sent (a 404's body), when it sent one.
        """
        ids = []
        for event in events:
            if event.kind not in EVIDENCE_KINDS:
                continue
            version = event.version
            if version is None:
                row = self.conn.execute("SELECT current_version FROM articles WHERE id = ?", (event.article_id,)).fetchone()
                version = row[0] if row else None
            found = self.conn.execute(
                "SELECT id, capture_ids FROM versions WHERE article_id = ? AND version = ?", (event.article_id, version)
            ).fetchone()
            change = None
            if event.kind in _CHANGE_KIND:
                change = self.conn.execute(
                    "SELECT max(id) FROM changes WHERE article_id = ? AND kind = ?", (event.article_id, _CHANGE_KIND[event.kind])
                ).fetchone()[0]
            captures: list[int] = []
            log_id = None
            if event.kind in ("new_article", "new_version", "restored") and found:
                captures = [int(i) for i in json.loads(found[1] or "[]")]
            elif event.kind == "back":
                state = self.conn.execute("SELECT last_capture_id FROM article_urls WHERE url = ?", (event.url,)).fetchone()
                captures = [int(state[0])] if state and state[0] is not None else []
            elif event.kind == "gone":
                # A removal is never folded into a run (compact.py): its row is its own.
                row = self.conn.execute(
                    "SELECT f.id, f.capture_id FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.url = ? AND f.outcome = 'gone' "
                    "ORDER BY f.id DESC LIMIT 1",
                    (event.url,),
                ).fetchone()
                log_id = row[0] if row else None
                # The removal page the site answered with, where it sent one (a 404's body): its screenshot shows the takedown.
                captures = [int(row[1])] if row and row[1] is not None else []
            ids.append(
                self._insert(
                    "evidence",
                    {
                        "article_id": event.article_id,
                        "version_id": found[0] if found else None,
                        "change_id": change,
                        "fetch_log_id": log_id,
                        "kind": event.kind,
                        "url": event.url,
                        "seen_at": iso(now),
                        "capture_ids": json.dumps(captures),
                        "status": "queued",
                    },
                )
            )
        return ids

    def due_evidence(self, limit: int = 100) -> list[EvidenceRow]:
        """Evidence rows still queued, oldest first."""
        return [_evidence_row(r) for r in self.conn.execute(_EVIDENCE_SELECT + "WHERE status = 'queued' ORDER BY id LIMIT ?", (limit,))]

    def evidence_rows(self, article_id: int | None = None) -> list[EvidenceRow]:
        """Every evidence row (of an article), oldest first."""
        if article_id is None:
            return [_evidence_row(r) for r in self.conn.execute(_EVIDENCE_SELECT + "ORDER BY id")]
        return [_evidence_row(r) for r in self.conn.execute(_EVIDENCE_SELECT + "WHERE article_id = ? ORDER BY id", (article_id,))]

    def update_evidence(self, evidence_id: int, **fields: Any) -> None:
        unknown = set(fields) - _EVIDENCE_COLUMNS
        if unknown:
            raise ValueError(f"not an evidence column the pass sets: {sorted(unknown)}")
        self._update("evidence", "id", evidence_id, {k: iso(v) if isinstance(v, datetime) else v for k, v in fields.items()})

    def evidence_counts(self) -> dict[str, int]:
        """How many evidence rows are in each status."""
        return {str(k): int(n) for k, n in self.conn.execute("SELECT status, count(*) FROM evidence GROUP BY status").fetchall()}

    # --- screenshots --------------------------------------------------------------------------

    def add_screenshot(self, capture_id: int, png: bytes, *, width: int, height: int, renderer: str, now: datetime) -> int:
        """Store a capture's screenshot with its SHA-256 (one per capture: a second is ignored, the first kept)."""
        digest = hashlib.sha256(png).hexdigest()
        self.conn.execute(
            "INSERT OR IGNORE INTO screenshots (capture_id, taken_at, sha256, size, width, height, renderer, png) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (capture_id, iso(now), digest, len(png), width, height, renderer, png),
        )
        row = self.conn.execute("SELECT id FROM screenshots WHERE capture_id = ?", (capture_id,)).fetchone()
        return int(row[0])

    def screenshot_of(self, capture_id: int) -> ScreenshotRow | None:
        row = self.conn.execute(_SCREENSHOT_SELECT + "WHERE capture_id = ?", (capture_id,)).fetchone()
        return ScreenshotRow(*row) if row else None

    def screenshot_png(self, capture_id: int) -> bytes | None:
        row = self.conn.execute("SELECT png FROM screenshots WHERE capture_id = ?", (capture_id,)).fetchone()
        return bytes(row[0]) if row else None

    def captures_without_screenshot(self, article_ids: Iterable[int] | None = None) -> list[int]:
        """The captures of archived versions (of these articles) that have no screenshot, oldest first."""
        where = ""
        ids = list(article_ids or ())
        params_: tuple[int, ...]
        if ids:
            where = f"WHERE v.article_id IN ({', '.join('?' for _ in ids)})"
        params_ = tuple(ids)
        rows = self.conn.execute(
            f"SELECT DISTINCT j.value FROM versions v, json_each(v.capture_ids) j {where} "
            "EXCEPT SELECT capture_id FROM screenshots ORDER BY 1",
            params_,
        ).fetchall()
        return [int(r[0]) for r in rows]

    # --- TSA chains ---------------------------------------------------------------------------

    def tsa_chain_id(self, pem: str, now: datetime) -> int:
        """The id of this certificate chain (PEM), stored once."""
        digest = hashlib.sha256(pem.encode()).hexdigest()
        self.conn.execute("INSERT OR IGNORE INTO tsa_chains (sha256, pem, first_used) VALUES (?, ?, ?)", (digest, pem, iso(now)))
        return int(self.conn.execute("SELECT id FROM tsa_chains WHERE sha256 = ?", (digest,)).fetchone()[0])

    def tsa_chain(self, chain_id: int) -> str | None:
        row = self.conn.execute("SELECT pem FROM tsa_chains WHERE id = ?", (chain_id,)).fetchone()
        return str(row[0]) if row else None
