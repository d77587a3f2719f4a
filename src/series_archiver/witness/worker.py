"""One witness pass: work the queue of Save Page Now captures within a small time budget.

A pass (after each crawl, fetch and daemon pass, or ``series-archiver
witness``) first asks after the jobs still pending from earlier passes, then
asks for the captures due (at most ``captures_per_minute``, counted over the
submissions stored in the archive, so the limit holds across passes and
processes; none while ``/save/status/user`` says no session is available),
then asks after its own jobs until the budget is spent. Whatever does not fit
stays queued or pending for the next pass: a pass never waits on the service
beyond ``budget_seconds``, and each request's timeout is what is left of it.

Each answer is written with its fetch-log rows in one transaction. A
transient refusal is asked again after a backoff (``witness.policy``); a
permanent one is recorded with its ``status_ext`` and message; a 429 holds
off every submission for its ``Retry-After``; a job the service no longer
knows is asked for again once ``resubmit_after_seconds`` have passed since
it was submitted, accepting any capture made since the change was seen (so
the capture the lost job made, if any, is what the service answers).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from series_archiver.archive import Archive
from series_archiver.archive.store import WitnessRow
from series_archiver.decide.witness import archived_url, is_transient, next_submit_at, not_archived_within, parse_timestamp
from series_archiver.models import Attempt
from series_archiver.settings import Settings
from series_archiver.sources.http import backoff_seconds
from series_archiver.witness.client import JobState, Refused, SpnClient, Submitted

__all__ = ["WitnessReport", "WitnessWorker", "POLL_INTERVAL_SECONDS"]

log = logging.getLogger("series_archiver")

# How long between two questions about the same jobs inside a pass.
POLL_INTERVAL_SECONDS = 1.0
# status_ext of a witness asked again because the service no longer knew its job.
JOB_NOT_FOUND = "job-not-found"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class WitnessReport:
    """What one pass did, and what it left for the next."""

    submitted: int = 0
    succeeded: int = 0
    failed: int = 0
    retried: int = 0
    requested_again: int = 0
    polled: int = 0
    queued: int = 0
    pending: int = 0
    stopped: str = "done"  # done, budget, rate_limit, session_limit, held_off, auth, disabled
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "submitted": self.submitted,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "retried": self.retried,
            "requested_again": self.requested_again,
            "polled": self.polled,
            "queued": self.queued,
            "pending": self.pending,
            "stopped": self.stopped,
            "errors": list(self.errors),
        }


class WitnessWorker:
    """Works one archive's witness queue; ``clock``, ``sleep`` and ``transport`` are injectable (tests)."""

    def __init__(
        self,
        settings: Settings,
        archive: Archive,
        *,
        run_id: int | None = None,
        budget_seconds: float | None = None,
        clock: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.w = settings.witness
        self.archive = archive
        self.run_id = run_id
        self.budget = self.w.budget_seconds if budget_seconds is None else budget_seconds
        self._clock = clock
        # The daemon's SIGTERM ends the pass's waits at once, and with them the pass.
        self._stop_event = stop
        self._sleep = sleep if stop is None else stop.wait
        self._transport = transport
        self._deadline = clock()

    def run(self) -> WitnessReport:
        report = WitnessReport()
        self._deadline = self._clock() + timedelta(seconds=self.budget)
        with SpnClient(self.w, self.settings.fetch, clock=self._clock, transport=self._transport) as client:
            for row in self.archive.pending_witnesses():
                if self._left() <= 0:
                    break
                self._poll(client, row, report)
            if report.stopped == "done":
                self._submit_due(client, report)
            while report.stopped in ("done", "rate_limit", "session_limit", "held_off") and self._left() > POLL_INTERVAL_SECONDS:
                pending = self.archive.pending_witnesses()
                if not pending:
                    break
                self._sleep(POLL_INTERVAL_SECONDS)
                for row in pending:
                    if self._left() <= 0:
                        break
                    self._poll(client, row, report)
        counts = self.archive.witness_counts()
        report.queued, report.pending = counts.get("queued", 0), counts.get("pending", 0)
        if report.stopped == "done" and ((report.queued and self.archive.due_witnesses(self._clock(), 1)) or report.pending):
            report.stopped = "budget"
        return report

    # --- submitting -------------------------------------------------------------------

    def _submit_due(self, client: SpnClient, report: WitnessReport) -> None:
        due = self.archive.due_witnesses(self._clock())
        if not due or self._left() <= 0:
            return
        available = self._available(client, report)
        if report.stopped != "done":
            return
        for row in due:
            if self._left() <= 0:
                report.stopped = "budget"
                return
            now = self._clock()
            at = next_submit_at(self.archive.witness_submissions_since(self.w.endpoint, now - timedelta(seconds=61)), now, self.w.per_minute)
            wait = (at - now).total_seconds()
            if wait > 0:
                if wait >= self._left():
                    report.stopped = "rate_limit"
                    return
                self._sleep(wait)
            if not self._submit(client, row, report):
                return
            if available is not None:
                available -= 1
                if available <= 0:  # as counted here; the service may have finished some meanwhile
                    available = self._available(client, report)
                    if report.stopped != "done":
                        return

    def _available(self, client: SpnClient, report: WitnessReport) -> int | None:
        """Capture sessions free (``/save/status/user``), None when not said; sets ``report.stopped`` when none."""
        answer, attempt = client.user_status(timeout=self._timeout())
        self._log([attempt])
        if isinstance(answer, Refused):
            if answer.status_ext == "auth":
                self._stop(report, "auth", answer.message)
            elif answer.status_ext == "rate-limited":
                self._stop(report, "held_off", answer.message)
            return None
        if answer.available is not None and answer.available <= 0:
            report.stopped = "session_limit"
        return answer.available

    def _submit(self, client: SpnClient, row: WitnessRow, report: WitnessReport) -> bool:
        """Ask for one capture; False when no further one should be asked this pass."""
        now = self._clock()
        cap = self.w.not_archived_within_seconds
        if row.status_ext == JOB_NOT_FOUND:
            # Asked again because the job's status was lost: the capture it made, if any, is made
            # after the change was seen, so it stands, however long ago that was.
            cap = max(cap, int((now - row.requested_at).total_seconds()))
        within = not_archived_within(row.requested_at, now, cap)
        answer, attempt = client.submit(row.url, capture_all=row.capture_all, within_seconds=within, timeout=self._timeout())
        if isinstance(answer, Submitted):
            with self.archive.transaction():
                self._log([attempt], row)
                self.archive.update_witness(
                    row.id, status="pending", job_id=answer.job_id, submitted_at=now, attempts=row.attempts + 1, error=None, status_ext=None
                )
            report.submitted += 1
            log.info("witness asked for: %s (job %s)", row.url, answer.job_id)
            return True
        if answer.status_ext == "auth":
            self._log([attempt], row)
            self._stop(report, "auth", answer.message)
            return False
        if answer.status_ext == "rate-limited":
            hold = answer.retry_after if answer.retry_after is not None else 60.0
            with self.archive.transaction():
                self._log([attempt], row)
                # Not the page's fault: no attempt is counted, the capture is asked again after the wait.
                self.archive.update_witness(row.id, next_try_at=now + timedelta(seconds=hold), error=answer.message, status_ext="rate-limited")
            report.stopped = "held_off"
            return False
        # A refusal of this capture (the account's session limit, the page blocked, …): a fact of the witness.
        self._failed(row, now, answer.status_ext, answer.message, [attempt], report)
        if answer.status_ext == "error:user-session-limit":
            report.stopped = "session_limit"  # every further capture would be refused the same way
            return False
        return True

    # --- asking after a job -----------------------------------------------------------------

    def _poll(self, client: SpnClient, row: WitnessRow, report: WitnessReport) -> None:
        assert row.job_id is not None
        state, attempt = client.status(row.job_id, timeout=self._timeout())
        report.polled += 1
        now = self._clock()
        if state.status == "success":
            self._succeeded(row, state, now, attempt, report)
        elif state.status == "error":
            self._failed(row, now, state.status_ext or "error:unknown", state.message or "the capture failed", [attempt], report)
        elif state.status == "not_found" and row.submitted_at is not None and now - row.submitted_at >= timedelta(seconds=self.w.resubmit_after_seconds):
            with self.archive.transaction():
                self._log([attempt], row)
                self.archive.update_witness(
                    row.id, status="queued", job_id=None, next_try_at=now, status_ext=JOB_NOT_FOUND,
                    error=f"job {row.job_id} was not found {self._ago(now, row.submitted_at)} after it was asked for; asked again",
                )
            report.requested_again += 1
            log.info("witness job %s of %s not found; asked again", row.job_id, row.url)
        else:  # pending, not found yet (within the hour), or no answer: asked again later
            self._log([attempt], row)

    def _succeeded(self, row: WitnessRow, state: JobState, now: datetime, attempt: Attempt, report: WitnessReport) -> None:
        original = state.original_url or row.url
        when = parse_timestamp(state.timestamp or "")
        if state.timestamp is None or when is None:
            self._failed(row, now, "error:unknown", f"the service said success without a timestamp ({state.timestamp!r})", [attempt], report)
            return
        with self.archive.transaction():
            self._log([attempt], row)
            self.archive.update_witness(
                row.id, status="success", archived_url=archived_url(self.w.endpoint, state.timestamp, original), archived_at=when,
                finished_at=now, error=None, status_ext=None,
            )
        report.succeeded += 1
        log.info("witnessed: %s at %s", row.url, archived_url(self.w.endpoint, state.timestamp, original))

    def _failed(self, row: WitnessRow, now: datetime, status_ext: str, message: str, attempts: list[Attempt], report: WitnessReport) -> None:
        tries = row.attempts + (0 if row.status == "pending" else 1)  # a submission already counted its attempt
        with self.archive.transaction():
            self._log(attempts, row)
            if is_transient(status_ext) and tries < self.w.max_attempts:
                wait = backoff_seconds(tries - 1, None, base=self.w.backoff_base_seconds, cap=self.w.backoff_max_seconds)
                self.archive.update_witness(
                    row.id, status="queued", job_id=None, attempts=tries, next_try_at=now + timedelta(seconds=wait),
                    status_ext=status_ext, error=f"{message} (attempt {tries}; asked again in {wait:.0f}s)",
                )
                report.retried += 1
                log.info("witness of %s refused for now (%s); asked again in %.0fs", row.url, status_ext, wait)
                return
            gave_up = f" (gave up after {tries} attempts)" if is_transient(status_ext) else ""
            self.archive.update_witness(
                row.id, status="error", job_id=None if row.status != "pending" else row.job_id, attempts=tries, finished_at=now,
                status_ext=status_ext, error=message + gave_up,
            )
        report.failed += 1
        log.warning("witness of %s failed: %s %s%s", row.url, status_ext, message, gave_up)

    # --- helpers -----------------------------------------------------------------------------

    def _log(self, attempts: list[Attempt], row: WitnessRow | None = None) -> None:
        article_id = row.article_id if row is not None else None
        if self.archive.conn.in_transaction:
            self.archive.log_attempts(attempts, run_id=self.run_id, article_id=article_id)
            return
        with self.archive.transaction():
            self.archive.log_attempts(attempts, run_id=self.run_id, article_id=article_id)

    def _stop(self, report: WitnessReport, why: str, message: str) -> None:
        report.stopped = why
        report.errors.append(message)
        log.warning("witness pass stopped: %s", message)

    def _left(self) -> float:
        if self._stop_event is not None and self._stop_event.is_set():
            return 0.0
        return (self._deadline - self._clock()).total_seconds()

    def _timeout(self) -> float:
        """A request waits at most what is left of the budget (and never more than fetch.timeout_seconds)."""
        return max(0.05, min(self.settings.fetch.timeout_seconds, self._left()))

    @staticmethod
    def _ago(now: datetime, then: datetime) -> str:
        minutes = int((now - then).total_seconds() // 60)
        return f"{minutes} min"
