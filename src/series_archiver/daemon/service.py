"""The daemon: passes on the schedule until a signal, with a heartbeat and a state file, never two at once.

Stopping: SIGTERM or SIGINT sets a flag; the main thread then sets the stop
event that a pass checks between two URLs and in its politeness waits
(``core.crawl(stop=...)``), so the pass ends with ``PassInterrupted``: the
URL in flight is recorded whole or not at all, the run is marked
``interrupted``, the writer lock released, and the daemon exits 0. A second
signal ends the process at once (SQLite transactions keep the archive whole).

What the daemon leaves behind (its runs rows, heartbeat, state file) and how
``status`` reads it are in ``daemon.status``; the schedule in ``daemon.cron``;
which URLs a pass re-checks in ``daemon.tiers``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime

import httpx

# APScheduler 3 ships no type information; the ignores stay harmless once an override or stubs exist.
from apscheduler.events import (
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobSubmissionEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler

from series_archiver.archive import Archive, iso, utcnow
from series_archiver.archive.runs import running_runs
from series_archiver.daemon.cron import JOB_ID, build_scheduler, build_trigger, misfire_grace, zone
from series_archiver.daemon.status import (
    DAEMON_KIND,
    HEARTBEAT_SECONDS,
    PASS_KIND,
    counts_text,
    duration_text,
    run_alive,
    show_time,
    state_path,
    status,
    status_lines,
)
from series_archiver.daemon.tiers import RecheckPlan, Tiers, plan_rechecks
from series_archiver.errors import ArchiverError, ArchiveUnwritable, ConfigError, LockTimeout, PassInterrupted, StoreError, WriteRejected
from series_archiver.jobs import core
from series_archiver.jobs.notify import notify
from series_archiver.logs import event
from series_archiver.models import PassResult
from series_archiver.osutil import write_json_atomic
from series_archiver.settings import Settings
from series_archiver.stopsignals import on_stop_signals, pending_stop

# status, status_lines and Tiers are imported from here by the CLI and the package's __init__.
__all__ = ["DAEMON_KIND", "PASS_KIND", "Daemon", "Tiers", "TransportFactory", "status", "status_lines"]

TransportFactory = Callable[[], httpx.BaseTransport]

_EVENT_TEXT = {
    "new_article": "new article #{id}, version 1: {title}",
    "new_version": "#{id} edited, version {version}: {summary}",
    "restored": "#{id} version {version} restores an earlier text: {summary}",
    "gone": "#{id} removed: {summary} ({title})",
    "back": "#{id} back online: {title}",
}


class Daemon:
    """Runs passes on the schedule until stopped; ``run()`` blocks and returns the exit status.

    ``transport`` makes a transport per pass (the replica in tests); by default
    ``core`` uses the network (the CLI passes the replica of ``--replica``).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: TransportFactory | None = None,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        poll_seconds: float = 0.1,
    ) -> None:
        self.settings = settings
        self.tz = zone(settings.schedule)
        build_trigger(settings.schedule)  # every [schedule] problem is a ConfigError now, not at the first pass
        misfire_grace(settings.schedule)
        self.tiers = Tiers.from_settings(settings.schedule)
        if settings.notify.url and not settings.notify.url.startswith(("http://", "https://")):
            raise ConfigError("notify.url", f"{settings.notify.url!r} must start with http:// or https://")
        self.db = settings.archive.db
        self.transport = transport
        self.heartbeat_seconds = heartbeat_seconds
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.stop_event = threading.Event()
        self.stop_reason: str | None = None
        self.run_id: int | None = None
        self.passes = 0
        self.scheduler: BackgroundScheduler | None = None
        self._last_result: PassResult | None = None
        self._pass_error = False
        self._wrote_state = False
        self.last_plan: RecheckPlan | None = None

    # -- one pass ---------------------------------------------------------------------------

    def run_pass(self) -> PassResult | None:
        """One tiered pass, logged and notified; never raises (a failed pass is a log line)."""
        self.passes += 1
        self._pass_error = False
        try:
            plan = self.last_plan = plan_rechecks(self.db, self.tiers, self.clock())
            result = core.crawl(
                self.settings,
                recheck=plan,
                kind=PASS_KIND,
                transport=self.transport() if self.transport else None,
                stop=self.stop_event,
            )
        except PassInterrupted as exc:
            event(logging.WARNING, "pass_interrupted", None, str(exc))
            return None
        except LockTimeout as exc:
            self._pass_error = True
            event(logging.WARNING, "pass_skipped", None, f"the archive is busy ({exc.holder}); the next scheduled pass tries again")
            return None
        except ArchiverError as exc:
            self._pass_error = True
            event(logging.ERROR, "pass_failed", None, str(exc))
            return None
        except Exception:  # a bug must not kill the daemon: say so, and try again next time
            self._pass_error = True
            logging.getLogger("series_archiver.events").exception(
                "the pass crashed; the next scheduled pass tries again", extra={"event": "pass_failed", "url": "-"}
            )
            return None
        self._last_result = result
        self._report(result, plan)
        notify(self.settings.notify, result, archive=self.db)
        return result

    def _report(self, result: PassResult, plan: RecheckPlan) -> None:
        for e in result.events:
            text = _EVENT_TEXT.get(e.kind, e.kind + " #{id}: {title}").format(
                id=e.article_id, title=e.title, version=e.version, summary=e.summary or "changed"
            )
            event(logging.WARNING if e.kind == "gone" else logging.INFO, e.kind, e.url, text)
        for url, why in result.counts.failures:
            event(logging.WARNING, "failed", url, why.removeprefix(f"{url}: "))  # the URL has its own column
        for site in result.blocked:  # block pages (read.pagekind): the site, once, over its URLs' lines
            event(logging.WARNING, "blocked", site.url, site.describe())
        counts = result.counts.as_dict()
        text = (
            f"run {result.run_id}: {counts_text(counts)}; "
            f"{len(plan.due)} archived URLs due, {len(plan.later)} not due yet (schedule.tiers)"
        )
        level = logging.WARNING if result.counts.failed else logging.INFO if result.events else logging.DEBUG
        event(level, "pass", None, text)

    # -- running ----------------------------------------------------------------------------

    def request_stop(self, reason: str) -> None:
        """Ask the daemon to stop; safe from a signal handler (it only sets a flag)."""
        self.stop_reason = self.stop_reason or reason

    def run(self, *, now: bool = False, once: bool = False) -> int:
        """Run until SIGTERM/SIGINT (or ``request_stop``); ``once``: one pass, then return.

        Returns the exit status: 0 after a clean stop; with ``once``, 1 when
        the pass had failures or could not run, as ``crawl`` does.
        """
        restore = self._install_signals()
        try:
            early = pending_stop()
            if early:
                self.request_stop(early)
            if self.stop_reason:
                # Stopped before the first pass could start: nothing was opened, locked or recorded.
                event(logging.INFO, "daemon_stopping", None, f"{self.stop_reason} before the first pass: nothing to end")
                event(logging.INFO, "daemon_stopped", None, "no pass run; the archive was not opened")
                return 0
            if once:
                return self._run_once()
            return self._run_scheduled(now=now)
        finally:
            restore()

    def _run_once(self) -> int:
        worker = threading.Thread(target=self.run_pass, name="archive-pass")
        worker.start()
        while worker.is_alive():
            if self.stop_reason:
                self.stop_event.set()
            worker.join(self.poll_seconds)
        if self.stop_reason:
            return 0
        result = self._last_result
        return 0 if result is not None and result.ok and not self._pass_error else 1

    def _run_scheduled(self, *, now: bool) -> int:
        archive = core.open_writer(self.settings)
        try:
            self._refuse_second_daemon(archive)
            # start_run also marks interrupted the runs of this host whose process is gone.
            self.run_id = archive.start_run(DAEMON_KIND)
            scheduler = self.make_scheduler(run_now=now)
            scheduler.start()
            try:
                next_at = self._next_run_time()
                self._write_state(next_at)
                event(
                    logging.INFO,
                    "daemon_started",
                    None,
                    f"pid {os.getpid()}, archive {self.db}, schedule {self.settings.schedule.cron!r} "
                    f"({self.settings.schedule.timezone}); next pass {show_time(next_at, self.tz)}",
                )
                self._watch(archive)
                self.stop_event.set()
                event(logging.INFO, "daemon_stopping", None, f"{self.stop_reason}: ending the pass in flight, if any")
            finally:
                self.stop_event.set()
                scheduler.shutdown(wait=True)
            archive.finish_run(self.run_id, {}, [], "stopped")
            event(logging.INFO, "daemon_stopped", None, f"{self.passes} passes run; the archive is closed and unlocked")
            return 0
        finally:
            if self._wrote_state:
                with contextlib.suppress(FileNotFoundError):
                    state_path(self.db).unlink()
            archive.close()

    def make_scheduler(self, *, run_now: bool = False, job: Callable[[], object] | None = None) -> BackgroundScheduler:
        """The scheduler running ``run_pass`` (or ``job``, in tests), with skipped runs reported as log lines."""
        scheduler = self.scheduler = build_scheduler(self.settings, job or self.run_pass, run_now=run_now)
        scheduler.add_listener(self._on_not_run, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        return scheduler

    def _watch(self, archive: Archive) -> None:
        """The main thread: wait for a stop, beat the heart, keep the next-pass time current."""
        written = self._next_run_time()
        beat_at = time.monotonic() + self.heartbeat_seconds
        while not self.stop_reason:
            time.sleep(self.poll_seconds)
            next_at = self._next_run_time()
            if next_at != written:  # a pass has just started: say so, and when the next is due
                written = next_at
                beat_at = 0.0
            if time.monotonic() >= beat_at:
                beat_at = time.monotonic() + self.heartbeat_seconds
                self._heartbeat(archive)

    def _heartbeat(self, archive: Archive) -> None:
        assert self.run_id is not None
        try:
            # One batch: the runs read with the heartbeats, so SQLite's trouble reading them leaves as the archive's errors too.
            with archive.batch(doing="write the heartbeat"):
                archive.heartbeat(self.run_id)
                for run in running_runs(archive, PASS_KIND, pid=os.getpid(), host=socket.gethostname()):
                    archive.heartbeat(run.id)
            self._write_state(self._next_run_time())
        except (ArchiveUnwritable, WriteRejected) as exc:  # busy beyond the timeout, disk full: say so, keep running
            event(logging.WARNING, "heartbeat_failed", None, f"{exc}; the daemon goes on")

    def _next_run_time(self) -> datetime | None:
        job = self.scheduler.get_job(JOB_ID) if self.scheduler else None
        return job.next_run_time if job is not None else None

    def _write_state(self, next_at: datetime | None) -> None:
        state = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "run_id": self.run_id,
            "heartbeat_at": iso(utcnow()),
            "next_run_at": iso(next_at),
            "cron": self.settings.schedule.cron,
            "timezone": self.settings.schedule.timezone,
            "config": self.settings.source,
        }
        write_json_atomic(state_path(self.db), state)  # `status` may read it at any moment
        self._wrote_state = True

    def _refuse_second_daemon(self, archive: Archive) -> None:
        for run in running_runs(archive, DAEMON_KIND):
            if run_alive(run):  # a row left 'running' by a killed daemon is no reason to refuse
                raise StoreError(
                    str(self.db),
                    f"a daemon is already archiving here (pid {run.pid} on {run.host}, since {run.started_at}); "
                    "stop it first, or check it with `series-archiver status`",
                )

    def _on_not_run(self, ev: JobSubmissionEvent) -> None:
        nxt = show_time(self._next_run_time(), self.tz)
        if ev.code == EVENT_JOB_MAX_INSTANCES:
            text = f"the previous pass is still running, so the {show_time(ev.scheduled_run_times[-1], self.tz)} run is skipped; next pass {nxt}"
        else:
            late = datetime.now(self.tz) - ev.scheduled_run_time
            text = (
                f"the {show_time(ev.scheduled_run_time, self.tz)} run was missed by {duration_text(late)} (machine asleep or busy), "
                f"more than schedule.misfire_grace_seconds={self.settings.schedule.misfire_grace_seconds}; next pass {nxt}"
            )
        event(logging.WARNING, "pass_skipped", None, text)

    def _install_signals(self) -> Callable[[], None]:
        # Embedded (tests, not the main thread): nothing installed, the caller stops us with request_stop().
        def handler(signum: int) -> None:
            if self.stop_reason:
                # A second signal: stop now. SQLite rolls back the transaction in flight, if any.
                os._exit(128 + signum)
            self.request_stop(signal.Signals(signum).name)

        return on_stop_signals(handler)
