"""The statement a timestamp covers: one event's evidence as canonical JSON bytes.

A token covers SHA-256 of these bytes. So that anyone can rebuild them from
the evidence and check the token, the serialisation is fixed
(``series-archiver-evidence/1``, docs/evidence.md):

* a JSON object whose values are strings, integers, null, lists and objects;
* keys sorted by code point, no whitespace between tokens (``,`` and ``:``),
  strings UTF-8 with no escape but the ones JSON requires (``"``, ``\\``,
  control characters); integers in decimal. For these values it is the JSON
  Canonicalization Scheme (RFC 8785);
* times as stored (ISO 8601 with offset, seconds); hashes as lower-case hex.

Fields: ``format``, ``event`` (new_article, new_version, restored, gone,
back), ``article``, ``url`` (the URL the event was seen at), ``seen_at``,
``version`` (the version it shows, or the one current at a removal or return),
``text_sha256`` (SHA-256 of the version's title, a newline and its text,
UTF-8; null for a removal), ``captures`` (each page it rests on: ``id``,
``url``, ``fetched_at``, ``status``, ``sha256`` of the payload as stored, and
``screenshot_sha256`` of its PNG or null) and ``removal`` (for a removal: the
fetch-log row that saw it, ``url``, ``at``, ``status``; else null).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from series_archiver.archive import Archive
from series_archiver.archive.evidence_rows import EvidenceRow
from series_archiver.models import document_text

__all__ = ["FORMAT", "canonical", "build_statement", "text_sha256"]

FORMAT = "series-archiver-evidence/1"


def canonical(value: dict[str, Any]) -> bytes:
    """The canonical bytes of a statement (sorted keys, no spaces, UTF-8).

    >>> canonical({"b": 1, "a": ["é", None]})
    b'{"a":["\\xc3\\xa9",null],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def text_sha256(title: str, text: str) -> str:
    """SHA-256 of a version as ``document_text`` gives it: the title, a newline, the text."""
    return hashlib.sha256(document_text(title, text).encode("utf-8")).hexdigest()


def build_statement(archive: Archive, row: EvidenceRow) -> dict[str, Any]:
    """The statement of one evidence row, read from the archive as it is now (screenshots taken so far included)."""
    version_number = text = None
    if row.version_id is not None:
        found = archive.conn.execute("SELECT version, title, text FROM versions WHERE id = ?", (row.version_id,)).fetchone()
        if found:
            version_number = int(found[0])
            if row.kind != "gone":
                text = text_sha256(found[1], found[2])
    captures = []
    for capture_id in row.capture_ids:
        c = archive.conn.execute(
            "SELECT id, coalesce(final_url, url), fetched_at, status, sha256 FROM captures WHERE id = ?", (capture_id,)
        ).fetchone()
        if c is None:
            continue
        shot = archive.screenshot_of(capture_id)
        captures.append(
            {"id": int(c[0]), "url": c[1], "fetched_at": c[2], "status": int(c[3]), "sha256": c[4], "screenshot_sha256": shot.sha256 if shot else None}
        )
    removal = None
    if row.fetch_log_id is not None:
        f = archive.fetch_log_row(row.fetch_log_id)
        if f:
            removal = {"url": f.url, "at": f.requested_at, "status": f.status}
    return {
        "format": FORMAT,
        "event": row.kind,
        "article": row.article_id,
        "url": row.url,
        "seen_at": row.seen_at,
        "version": version_number,
        "text_sha256": text,
        "captures": captures,
        "removal": removal,
    }
