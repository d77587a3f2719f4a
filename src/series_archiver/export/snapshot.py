"""What every export (and ``verify``) shares: one read snapshot, its filters, the output file, the payload check.

* ``read_snapshot(db)``: the archive opened read-only, every query in one read
  transaction, so an export is consistent while a crawl keeps writing.
* ``parse_since`` and ``check_series``: the ``--since`` and ``--series`` filters.
* ``output(path)``: written to ``path.part``, renamed to ``path`` once complete.
* ``checked_body`` and ``trusted_payload``: a capture's bytes rebuilt through
  its delta chain (``archive/captures.py``), their SHA-256 and size recomputed. ``verify`` reports a capture that fails
  (``CaptureProblem``); an export refuses it, so a file never carries damaged
  bytes unnoticed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from series_archiver.archive import views
from series_archiver.archive.store import Archive
from series_archiver.errors import ConfigError, ExportError, StoreError
from series_archiver.settings import Settings

__all__ = [
    "CaptureProblem",
    "check_series",
    "checked_body",
    "output",
    "parse_since",
    "read_snapshot",
    "stored_time",
    "trusted_payload",
]


# --- the snapshot and its filters -------------------------------------------------------


@contextmanager
def read_snapshot(db: Path) -> Iterator[Archive]:
    """The archive read-only, every query in one read transaction (a crawl may be writing)."""
    archive = Archive(db, readonly=True)
    try:
        with views.read_transaction(archive.conn):
            yield archive
    finally:
        archive.close()


def parse_since(text: str) -> datetime:
    """``--since``: a date (midnight UTC) or an ISO time; a time without offset is UTC."""
    value = text.strip()
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            "--since", f"{text!r} is not a date; use YYYY-MM-DD (UTC) or an ISO time such as 2025-12-15T08:00:00+08:00"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def check_series(archive: Archive, settings: Settings, series: str | None) -> None:
    """Refuse a ``--series`` that neither the archive nor the config knows (a typo would export nothing)."""
    if series is None:
        return
    known = set(views.series_names(archive.conn))
    known.update(s.name for s in settings.series)
    if series not in known:
        names = ", ".join(sorted(known)) or "none yet"
        raise ConfigError("--series", f"no series named {series!r} in the archive or the config (series: {names})")


def stored_time(stored: str) -> datetime:
    """An archive timestamp as an aware datetime (one stored without offset is UTC)."""
    when = datetime.fromisoformat(stored)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@contextmanager
def output(path: Path) -> Iterator[IO[bytes]]:
    """``path.part``, renamed to ``path`` only once complete; removed on failure."""
    part = path.with_name(path.name + ".part")
    try:
        fh = open(part, "wb")  # noqa: SIM115 - closed by the with below; opened apart to name the error
    except OSError as exc:
        raise ExportError(str(path), f"cannot be written ({exc.strerror or exc}); check that its folder exists and is writable") from exc
    try:
        with fh:
            yield fh
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


# --- the payload check ----------------------------------------------------------------------


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


def checked_body(stored: views.StoredPayload) -> bytes | CaptureProblem:
    """The capture's bytes, decompressed and matching the SHA-256 and size recorded; else what is wrong."""
    def problem(kind: str, detail: str, actual: str | None = None) -> CaptureProblem:
        return CaptureProblem(stored.capture_id, stored.url, stored.fetched_at, kind, detail, stored.sha256, actual)

    body = stored.body
    if body is None:
        return problem("undecompressable", stored.error or "no bytes stored")
    actual = hashlib.sha256(body).hexdigest()
    if actual != stored.sha256:
        return problem(
            "mismatch",
            f"SHA-256 of the {len(body):,} stored bytes differs from the one recorded ({stored.size:,} bytes)",
            actual,
        )
    if len(body) != stored.size:
        return problem(
            "mismatch", f"the bytes match their SHA-256 but number {len(body):,}, not the {stored.size:,} recorded", actual
        )
    return body


def trusted_payload(archive: Archive, capture_id: int) -> bytes:
    """The capture's stored bytes, checked; a capture that fails the check is refused with a StoreError."""
    stored = views.stored_payload(archive.conn, capture_id, archive.chains)
    if stored is None:
        raise StoreError(str(archive.path), f"capture {capture_id} does not exist")
    body = checked_body(stored)
    if isinstance(body, CaptureProblem):
        raise StoreError(str(archive.path), _refusal(body))
    return body


def _refusal(problem: CaptureProblem) -> str:
    if problem.kind == "undecompressable":
        what = f"cannot be decompressed ({problem.detail})"
    elif problem.actual_sha256 != problem.stored_sha256:
        what = "no longer matches its SHA-256"
    else:
        what = "no longer has the size recorded"
    return f"capture {problem.capture_id} ({problem.url}) {what}; run `series-archiver verify`"
