"""One evidence pass: screenshot and timestamp the events queued, within a time budget.

Each new version, removal and return is queued (``evidence`` rows) in the
transaction that records it (record/writer.py). After the pass (jobs/core.py,
under the pass's writer lock) this worker takes, oldest first and until
``evidence.budget_seconds`` is spent:

1. a screenshot of each capture the event rests on that has none yet
   (``evidence.screenshots``), rendered from the stored bytes (screenshot.py);
2. the event's statement (statement.py) and, when ``evidence.tsa_url`` is
   set, an RFC 3161 token over it (tsa.py).

Each screenshot and each token is written in its own transaction. A TSA that
does not answer leaves the event queued for the next pass, up to
``evidence.max_attempts``; a screenshot that cannot be taken (no browser, a
page that does not load) is logged and the event is timestamped without it,
since a token's worth is how soon after the event it was made.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from series_archiver.archive import Archive
from series_archiver.archive.evidence_rows import EvidenceRow
from series_archiver.errors import EvidenceError
from series_archiver.evidence.screenshot import Renderer, Resources, Stored
from series_archiver.evidence.statement import build_statement, canonical
from series_archiver.evidence.tsa import load_roots, request_token
from series_archiver.settings import Settings
from series_archiver.sources.http import user_agent

__all__ = ["EvidenceReport", "EvidenceWorker", "archive_resources"]

log = logging.getLogger("series_archiver")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class EvidenceReport:
    """What one pass did, and what it left for the next."""

    screenshots: int = 0
    stamped: int = 0
    done: int = 0
    failed: int = 0
    queued: int = 0
    problems: list[str] = field(default_factory=list)


def _content_type(headers_json: str) -> str:
    for name, value in json.loads(headers_json or "[]"):
        if str(name).lower() == "content-type":
            return str(value)
    return "text/html"


def archive_resources(archive: Archive, capture_id: int) -> Resources:
    """What a page rendered from capture ``capture_id`` is given: that capture for its own URL, else the latest capture
    of the URL asked made no later than it (an image, a stylesheet the archive holds), else nothing."""
    row = archive.conn.execute("SELECT url, final_url, status, fetched_at FROM captures WHERE id = ?", (capture_id,)).fetchone()
    if row is None:
        raise EvidenceError(f"capture {capture_id}", "does not exist; run `series-archiver verify`")
    own = {row[0], row[1] or row[0]}
    fetched_at = row[3]

    def lookup(url: str) -> Stored | None:
        found: int | None
        status = 200
        if url in own:
            found, status = capture_id, int(row[2])
        else:
            hit = archive.conn.execute(
                "SELECT id, status FROM captures WHERE (url = ?1 OR final_url = ?1) AND fetched_at <= ?2 ORDER BY fetched_at DESC, id DESC LIMIT 1",
                (url, fetched_at),
            ).fetchone()
            if hit is None:
                return None
            found, status = int(hit[0]), int(hit[1])
        rebuilt = archive.rebuilt_capture(found)
        return Stored(status, _content_type(rebuilt.response_headers()), rebuilt.body)

    return lookup


class EvidenceWorker:
    """Works the evidence queue of one archive (the caller holds the writer lock)."""

    def __init__(
        self,
        settings: Settings,
        archive: Archive,
        *,
        budget_seconds: float | None = None,
        transport: httpx.BaseTransport | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.evidence = settings.evidence
        self.archive = archive
        self.budget = self.evidence.budget_seconds if budget_seconds is None else budget_seconds
        self.transport = transport
        self.stop = stop
        self._renderer: Renderer | None = None
        self._no_renderer: str | None = None

    def run(self) -> EvidenceReport:
        """One pass over the queue; returns what it did."""
        report = EvidenceReport()
        deadline = time.monotonic() + self.budget
        with contextlib.ExitStack() as stack:
            self._stack = stack
            for row in self.archive.due_evidence(limit=10_000):
                if self._out_of_time(deadline):
                    break
                if self.evidence.screenshots and not self._screenshots(row.capture_ids, report, deadline):
                    break
                self._settle(row, report)
        report.queued = self.archive.evidence_counts().get("queued", 0)
        return report

    def fill_screenshots(self, capture_ids: Iterable[int]) -> EvidenceReport:
        """Screenshots of these captures, where missing, within the budget (``series-archiver screenshot``)."""
        report = EvidenceReport()
        deadline = time.monotonic() + self.budget
        with contextlib.ExitStack() as stack:
            self._stack = stack
            ids = list(capture_ids)
            self._screenshots(ids, report, deadline)
            if self._no_renderer is not None:
                raise EvidenceError("screenshot", self._no_renderer)
        report.queued = sum(1 for c in ids if self.archive.screenshot_of(c) is None)
        return report

    def _out_of_time(self, deadline: float) -> bool:
        return time.monotonic() >= deadline or (self.stop is not None and self.stop.is_set())

    def _renderer_or_none(self, report: EvidenceReport) -> Renderer | None:
        if self._renderer is None and self._no_renderer is None:
            try:
                self._renderer = self._stack.enter_context(Renderer(self.evidence.chromium))
            except EvidenceError as exc:
                self._no_renderer = str(exc)
                report.problems.append(f"no screenshots this pass: {exc}")
                log.error("evidence: no screenshots this pass: %s", exc)
        return self._renderer

    def _screenshots(self, capture_ids: Iterable[int], report: EvidenceReport, deadline: float) -> bool:
        """Take the missing screenshots; False when the budget ran out before they were all taken."""
        for capture_id in capture_ids:
            if self.archive.screenshot_of(capture_id) is not None:
                continue
            if self._out_of_time(deadline):
                return False
            renderer = self._renderer_or_none(report)
            if renderer is None:
                return True
            url = self.archive.conn.execute("SELECT url FROM captures WHERE id = ?", (capture_id,)).fetchone()[0]
            try:
                shot = renderer.screenshot(url, archive_resources(self.archive, capture_id))
            except EvidenceError as exc:
                report.problems.append(str(exc))
                log.warning("evidence: no screenshot of capture %s: %s", capture_id, exc)
                continue
            with self.archive.transaction(doing=f"screenshot of capture {capture_id}"):
                self.archive.add_screenshot(capture_id, shot.png, width=shot.width, height=shot.height, renderer=renderer.name, now=_utcnow())
            report.screenshots += 1
        return True

    def _settle(self, row: EvidenceRow, report: EvidenceReport) -> None:
        """The row's statement, and its token when a TSA is configured."""
        statement = canonical(build_statement(self.archive, row))
        digest = hashlib.sha256(statement).hexdigest()
        tsa_url = self.evidence.tsa_url
        if not tsa_url:
            with self.archive.transaction(doing=f"evidence {row.id}"):
                self.archive.update_evidence(row.id, status="done", statement=statement, digest=digest, finished_at=_utcnow())
            report.done += 1
            return
        try:
            token = request_token(
                tsa_url, statement, timeout=self.evidence.tsa_timeout_seconds, user_agent=user_agent(self.settings.fetch),
                roots=load_roots(self.evidence.tsa_ca_file), transport=self.transport,
            )
        except EvidenceError as exc:
            attempts = row.attempts + 1
            failed = attempts >= self.evidence.max_attempts
            with self.archive.transaction(doing=f"evidence {row.id}"):
                self.archive.update_evidence(
                    row.id, status="failed" if failed else "queued", attempts=attempts, error=str(exc), finished_at=_utcnow() if failed else None
                )
            report.failed += int(failed)
            report.problems.append(str(exc))
            log.warning("evidence: no timestamp for %s %s: %s", row.kind, row.url, exc)
            return
        with self.archive.transaction(doing=f"evidence {row.id}"):
            chain_id = self.archive.tsa_chain_id(token.chain_pem, _utcnow())
            self.archive.update_evidence(
                row.id, status="stamped", attempts=row.attempts + 1, error=None, statement=statement, digest=digest, tsa_url=tsa_url,
                tsa_chain_id=chain_id, token=token.response, stamped_at=token.gen_time, finished_at=_utcnow(),
            )
        report.stamped += 1
