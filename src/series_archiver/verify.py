"""Verify: every stored capture still holds the bytes it was stored with.

Each capture keeps the SHA-256 and the length of its raw bytes (the payload as
received, content-encoding undone) beside the bytes themselves, zlib-compressed.
``verify_archive`` runs on every capture the payload check an export runs
before writing one (``export.snapshot.checked_body``: decompress, recompute
both); a capture that fails it is a problem. Captures are read one at a time,
in one snapshot of the archive, so memory stays flat and a crawl may keep
writing meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .archive import views
from .export.snapshot import CaptureProblem, checked_body, read_snapshot
from .settings import Settings

__all__ = ["CaptureProblem", "VerifyReport", "verify_archive"]


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
    """Recompute every capture's SHA-256 and size from its stored bytes; report the ones that fail."""
    problems: list[CaptureProblem] = []
    checked = 0
    with read_snapshot(settings.archive.db) as archive:
        for stored in views.stored_payloads(archive.conn):
            checked += 1
            body = checked_body(stored)
            if isinstance(body, CaptureProblem):
                problems.append(body)
    return VerifyReport(Path(settings.archive.db), checked, tuple(problems))
