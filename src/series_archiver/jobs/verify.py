"""Verify: every stored capture still holds the bytes it was stored with.

Each capture keeps the SHA-256 and the length of its raw bytes (the payload as
received, content-encoding undone) beside the bytes themselves, zstd-compressed,
most of them as a delta against the capture of their URL before them
(``archive/captures.py``). ``verify_archive`` rebuilds every capture and runs
on it the payload check an export runs before writing one
(``export.snapshot.checked_body``: recompute both); a capture that fails it is
a problem, and so is one whose frames (or its base's) cannot be rebuilt.
Captures are read chain by chain (URL, then id), so each stored frame is
decompressed once and memory holds one URL's frames, in one snapshot of the
archive, so a crawl may keep writing meanwhile. Problems are reported in
capture id order. Then each RFC 3161 token and the statement it covers are
checked (``evidence.check``; docs/evidence.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from series_archiver.archive import views
from series_archiver.evidence.check import check_evidence
from series_archiver.export.snapshot import CaptureProblem, checked_body, read_snapshot
from series_archiver.settings import Settings

__all__ = ["CaptureProblem", "VerifyReport", "verify_archive"]


@dataclass(frozen=True)
class VerifyReport:
    db: Path
    checked: int
    problems: tuple[CaptureProblem, ...]
    tokens: int = 0  # RFC 3161 tokens checked
    evidence_problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and not self.evidence_problems

    def as_json(self) -> dict[str, Any]:
        return {
            "db": str(self.db),
            "checked": self.checked,
            "ok": self.ok,
            "problems": [p.as_json() for p in self.problems],
            "tokens": self.tokens,
            "evidence_problems": list(self.evidence_problems),
        }


def verify_archive(settings: Settings) -> VerifyReport:
    """Recompute every capture's SHA-256 and size from its stored bytes; report the ones that fail."""
    problems: list[CaptureProblem] = []
    checked = 0
    with read_snapshot(settings.archive.db) as archive:
        for stored in views.stored_payloads(archive.conn, archive.chains):
            checked += 1
            body = checked_body(stored)
            if isinstance(body, CaptureProblem):
                problems.append(body)
        evidence = check_evidence(archive, settings.evidence.tsa_ca_file)
    return VerifyReport(
        Path(settings.archive.db), checked, tuple(sorted(problems, key=lambda p: p.capture_id)), evidence.tokens, evidence.problems
    )
