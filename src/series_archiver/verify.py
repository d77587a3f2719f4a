"""Verify: every stored capture still holds the bytes it was stored with.

Each capture keeps the SHA-256 and the length of its raw bytes (the payload as
received, content-encoding undone) beside the bytes themselves, zlib-compressed.
``verify_archive`` decompresses every capture and recomputes both; a capture
whose bytes cannot be decompressed or no longer match is a problem. Captures
are read one at a time, in one snapshot of the archive, so memory stays flat
and a crawl may keep writing meanwhile.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .settings import Settings
from .archive.store import Archive

__all__ = ["verify_archive", "VerifyReport", "CaptureProblem"]


@dataclass(frozen=True)
class CaptureProblem:
    """One capture whose stored bytes cannot be trusted."""

    capture_id: int
    url: str
    fetched_at: str
    kind: str  # "undecompressable" or "mismatch"
    detail: str
    stored_sha256: str
    actual_sha256: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "capture_id": self.capture_id,
            "url": self.url,
            "fetched_at": self.fetched_at,
            "kind": self.kind,
            "detail": self.detail,
            "stored_sha256": self.stored_sha256,
            "actual_sha256": self.actual_sha256,
        }


@dataclass(frozen=True)
class VerifyReport:
    db: Path
    checked: int
    problems: tuple[CaptureProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "db": str(self.db),
            "checked": self.checked,
            "ok": self.ok,
            "problems": [p.as_json() for p in self.problems],
        }


def verify_archive(settings: Settings) -> VerifyReport:
    """Recompute every capture's SHA-256 from its stored bytes; report the ones that fail."""
    archive = Archive(settings.archive.db, readonly=True)
    problems: list[CaptureProblem] = []
    checked = 0
    try:
        archive.conn.execute("BEGIN")
        try:
            rows = archive.conn.execute("SELECT id, url, fetched_at, sha256, size, raw_zlib FROM captures ORDER BY id")
            for capture_id, url, fetched_at, sha256, size, raw in rows:
                checked += 1
                problem = _check(capture_id, url, fetched_at, sha256, size, raw)
                if problem is not None:
                    problems.append(problem)
        finally:
            archive.conn.execute("COMMIT")
    finally:
        archive.close()
    return VerifyReport(Path(settings.archive.db), checked, tuple(problems))


def _check(capture_id: int, url: str, fetched_at: str, sha256: str, size: int, raw: bytes | None) -> CaptureProblem | None:
    try:
        body = zlib.decompress(raw if raw is not None else b"")
    except zlib.error as exc:
        return CaptureProblem(capture_id, url, fetched_at, "undecompressable", f"zlib: {exc}", sha256)
    actual = hashlib.sha256(body).hexdigest()
    if actual != sha256:
        detail = f"SHA-256 of the {len(body):,} stored bytes differs from the one recorded ({size:,} bytes)"
        return CaptureProblem(capture_id, url, fetched_at, "mismatch", detail, sha256, actual)
    if len(body) != size:
        detail = f"the bytes match their SHA-256 but number {len(body):,}, not the {size:,} recorded"
        return CaptureProblem(capture_id, url, fetched_at, "mismatch", detail, sha256, actual)
    return None
