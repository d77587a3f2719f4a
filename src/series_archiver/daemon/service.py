"""Unattended archiving: the cron schedule, re-check tiers, the daemon and its status.

The daemon is APScheduler's ``BackgroundScheduler`` with one job, a pass,
on a ``CronTrigger`` built from ``[schedule]``:

* ``coalesce=True`` and ``misfire_grace_time``: after the machine slept, the
  runs it missed are not replayed; the latest one runs if it is less than
  ``misfire_grace_seconds`` late, otherwise the next scheduled run does.
* ``max_instances=1`` (and one executor thread): a pass still running when
  the next is due makes that run be skipped, never overlapped.

Tiers (``schedule.tiers``) decide which archived URLs a pass re-checks. They
are time based, not "every N passes": an article's last change (first seen,
new version, removal or return) and last check are read from the archive, so
a restart, a changed cron line or passes run by hand change nothing. A URL is
due when its article was last checked at least the tier's hours ago, less a
tenth: a pass started on the hour must not miss a check made a few seconds
after the hour the day before. Discovery runs every pass: list pages are
read and new URLs fetched whatever the tiers say.

Stopping: SIGTERM or SIGINT sets a flag; the main thread then sets the stop
event that a pass checks between two URLs and in its politeness waits
(``core.crawl(stop=...)``), so the pass ends with ``PassInterrupted``: the
URL in flight is recorded whole or not at all, the run is marked
``interrupted``, the writer lock released, and the daemon exits 0. A second
signal ends the process at once (SQLite transactions keep the archive whole).

The daemon's own life is a ``runs`` row of kind ``daemon`` (heartbeat every
30 s); its passes are runs of kind ``daemon-pass``. When the next pass is due
is written to a small JSON file beside the archive (``series.db.daemon``),
removed when the daemon stops. ``status()`` reads all of it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from .. import core
from ..errors import ArchiverError, ConfigError, LockTimeout, PassInterrupted, StoreError
from ..logs import event
from ..notify import notify
from ..models import PassResult
from ..settings import ScheduleSettings, Settings
from ..archive.store import Archive, holder_info, iso, utcnow

__all__ = [
    "DAEMON_KIND",
    "PASS_KIND",
    "Daemon",
    "RecheckPlan",
    "Tiers",
    "build_scheduler",
    "build_trigger",
    "plan_rechecks",
    "pid_alive",
    "status",
    "status_lines",
    "zone",
]

DAEMON_KIND = "daemon"
PASS_KIND = "daemon-pass"
JOB_ID = "archive-pass"
HEARTBEAT_SECONDS = 30.0
# A heartbeat older than this many intervals means the daemon is gone (when its pid cannot be checked).
_STALE_AFTER_BEATS = 3

TransportFactory = Callable[[], httpx.BaseTransport]

# --- the trigger ---------------------------------------------------------------------------

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_CRON_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def zone(schedule: ScheduleSettings) -> ZoneInfo:
    """The timezone the cron line is read in."""
    try:
        return ZoneInfo(schedule.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "schedule.timezone", f"{schedule.timezone!r} is not a known timezone; use an IANA name such as Asia/Hong_Kong"
        ) from None


def build_trigger(schedule: ScheduleSettings) -> CronTrigger:
    """A ``CronTrigger`` from ``schedule.cron``, read as crontab reads it.

    Five fields (minute hour day month weekday) or six with seconds first;
    weekdays 0 and 7 are Sunday as in crontab (APScheduler 3 alone would read 0
    as Monday), names (mon, sun) work too, and so do @hourly, @daily, @weekly.
    """
    expr = _MACROS.get(schedule.cron.strip().lower(), schedule.cron)
    fields = expr.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ConfigError(
            "schedule.cron",
            f"{schedule.cron!r} has {len(fields)} fields; write five as in crontab (minute hour day month weekday), "
            "or six with seconds first",
        )
    second, minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            second=second,
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_crontab_weekdays(weekday),
            timezone=zone(schedule),
        )
    except ValueError as exc:
        raise ConfigError("schedule.cron", f"{schedule.cron!r} is not a valid cron expression ({exc})") from None


def _crontab_weekdays(spec: str) -> str:
    """Crontab's weekday field (0-7, Sunday = 0 or 7, lists, ranges, steps) as APScheduler day names."""
    if spec in ("*", "?"):
        return "*"
    days: set[int] = set()
    for item in spec.split(","):
        span, slash, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if slash and step is None:
            raise ValueError(f"weekday step {item!r} must be a whole number above 0")
        if span == "*":
            low, high = 0, 6
        elif "-" in span:
            first, last = span.split("-", 1)
            low, high = _weekday(first), _weekday(last)
        else:
            low = _weekday(span)
            high = 6 if slash else low
        if low > high:
            raise ValueError(f"weekday range {item!r} runs backwards")
        days.update(d % 7 for d in range(low, high + 1, step or 1))
    if len(days) == 7:
        return "*"
    return ",".join(_CRON_DAYS[d] for d in sorted(days))


def _weekday(token: str) -> int:
    token = token.strip().lower()
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token)
    if token[:3] in _CRON_DAYS and len(token) >= 3:
        return _CRON_DAYS.index(token[:3])
    raise ValueError(f"weekday {token!r} must be 0-7 (0 and 7 are Sunday) or a name such as mon")


def _grace(schedule: ScheduleSettings) -> int:
    if schedule.misfire_grace_seconds < 1:
        raise ConfigError("schedule.misfire_grace_seconds", "must be 1 or more (seconds a pass may start late)")
    return int(schedule.misfire_grace_seconds)


def build_scheduler(settings: Settings, job: Callable[[], object], *, run_now: bool = False) -> BackgroundScheduler:
    """A scheduler (not started) running ``job`` on ``schedule.cron``: coalesced, one at a time, with a grace time."""
    schedule = settings.schedule
    tz = zone(schedule)
    trigger = build_trigger(schedule)
    grace = _grace(schedule)
    policy = {"coalesce": True, "max_instances": 1, "misfire_grace_time": grace}
    scheduler = BackgroundScheduler(
        timezone=tz, executors={"default": ThreadPoolExecutor(max_workers=1)}, job_defaults=policy
    )
    # next_run_time=None would pause the job: pass it only to run at once.
    start = {"next_run_time": datetime.now(tz)} if run_now else {}
    scheduler.add_job(job, trigger, id=JOB_ID, name="archive pass", replace_existing=True, **policy, **start)
    return scheduler


# --- tiers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tiers:
    """``[(unchanged for up to D days, re-check after H hours), ...]``, in order."""

    steps: tuple[tuple[float, float], ...]
    tolerance: float = 0.1

    @classmethod
    def from_settings(cls, schedule: ScheduleSettings) -> Tiers:
        steps = tuple((float(d), float(h)) for d, h in schedule.tiers)
        if not steps:
            raise ConfigError("schedule.tiers", "needs at least one [days, hours] pair, e.g. [[36500, 0]] to re-check everything every pass")
        for (d1, _), (d2, _) in zip(steps, steps[1:]):
            if d2 <= d1:
                raise ConfigError("schedule.tiers", f"the days must grow from tier to tier ({d1:g} then {d2:g})")
        for d, h in steps:
            if d < 0 or h < 0:
                raise ConfigError("schedule.tiers", f"[{d:g}, {h:g}]: days and hours must be 0 or more")
        return cls(steps)

    def interval(self, unchanged: timedelta) -> timedelta:
        """How long an article unchanged for ``unchanged`` may go unchecked."""
        days = unchanged.total_seconds() / 86400
        for up_to, hours in self.steps:
            if days <= up_to:
                return timedelta(hours=hours)
        return timedelta(hours=self.steps[-1][1])

    def due(self, *, last_change: datetime, last_checked: datetime | None, now: datetime) -> bool:
        """Whether an article is re-checked in a pass starting at ``now``."""
        if last_checked is None:
            return True
        interval = self.interval(now - last_change)
        return interval <= timedelta(0) or now - last_checked >= interval * (1 - self.tolerance)


@dataclass(frozen=True)
class KnownUrl:
    url: str
    article_id: int
    last_change: datetime
    last_checked: datetime | None


@dataclass
class RecheckPlan:
    """The ``recheck`` callable a pass gets: which known URLs are due, judged at ``now``."""

    tiers: Tiers
    now: datetime
    known: dict[str, KnownUrl]
    due: list[str] = field(default_factory=list)
    later: list[str] = field(default_factory=list)

    def __call__(self, url: str, last_changed: str | None) -> bool:
        known = self.known.get(url)
        if known is None:  # archived after the plan was made (a crawl ran meanwhile): check it
            ok = True
        else:
            ok = self.tiers.due(last_change=known.last_change, last_checked=known.last_checked, now=self.now)
        (self.due if ok else self.later).append(url)
        return ok


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def plan_rechecks(db: Path, tiers: Tiers, now: datetime) -> RecheckPlan:
    """Read every archived URL's last change and last check; an empty plan when there is no archive yet."""
    known: dict[str, KnownUrl] = {}
    if db.exists():
        with Archive(db, readonly=True) as archive:
            rows = archive.conn.execute(
                "SELECT u.url, a.id, a.first_seen, a.last_changed, a.gone_at, a.last_checked, "
                "(SELECT max(c.changed_at) FROM changes c WHERE c.article_id = a.id) "
                "FROM article_urls u JOIN articles a ON a.id = u.article_id"
            ).fetchall()
        for url, article_id, first_seen, last_changed, gone_at, last_checked, last_change_row in rows:
            moments = [m for m in map(_when, (first_seen, last_changed, gone_at, last_change_row)) if m is not None]
            known[url] = KnownUrl(url, article_id, max(moments) if moments else now, _when(last_checked))
    return RecheckPlan(tiers, now, known)


# --- the daemon ----------------------------------------------------------------------------


def pid_alive(pid: int) -> bool:
    """True while a process with this id exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def state_path(db: Path) -> Path:
    """The daemon's small state file beside the archive: when its next pass is due."""
    return db.with_name(db.name + ".daemon")


def _counts_text(counts: dict[str, int]) -> str:
    parts = [f"{counts.get(k) or 0} {k.replace('_', ' ')}" for k in ("found", "fetched", "new_articles", "new_versions", "unchanged", "failed")]
    parts += [f"{counts[k]} {k}" for k in ("gone", "suspect", "skipped") if counts.get(k)]
    return ", ".join(parts)


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
    ``core`` uses the network, or the replica named in SERIES_ARCHIVER_REPLICA_ORIGINS.
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
        _grace(settings.schedule)
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
        counts = result.counts.as_dict()
        text = (
            f"run {result.run_id}: {_counts_text(counts)}; "
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
        archive = Archive(self.db)
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
                    f"({self.settings.schedule.timezone}); next pass {_show(next_at, self.tz)}",
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
                try:
                    state_path(self.db).unlink()
                except FileNotFoundError:
                    pass
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
            archive.heartbeat(self.run_id)
            for (pass_id,) in archive.conn.execute(
                "SELECT id FROM runs WHERE kind = ? AND status = 'running' AND pid = ? AND host = ?",
                (PASS_KIND, os.getpid(), socket.gethostname()),
            ).fetchall():
                archive.heartbeat(pass_id)
            self._write_state(self._next_run_time())
        except sqlite3.Error as exc:  # busy beyond the timeout, disk full: say so, keep running
            event(logging.WARNING, "heartbeat_failed", None, f"could not write the heartbeat to {self.db} ({exc})")

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
        path = state_path(self.db)
        partial = path.with_name(f"{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(state), encoding="utf-8")
        os.replace(partial, path)
        self._wrote_state = True

    def _refuse_second_daemon(self, archive: Archive) -> None:
        cur = archive.conn.execute("SELECT * FROM runs WHERE kind = ? AND status = 'running' ORDER BY id DESC", (DAEMON_KIND,))
        names = [d[0] for d in cur.description]
        for row in (dict(zip(names, r)) for r in cur.fetchall()):
            if _alive(row):  # a row left 'running' by a killed daemon is no reason to refuse
                raise StoreError(
                    str(self.db),
                    f"a daemon is already archiving here (pid {row['pid']} on {row['host']}, since {row['started_at']}); "
                    "stop it first, or check it with `series-archiver status`",
                )

    def _on_not_run(self, ev: JobSubmissionEvent) -> None:
        nxt = _show(self._next_run_time(), self.tz)
        if ev.code == EVENT_JOB_MAX_INSTANCES:
            text = f"the previous pass is still running, so the {_show(ev.scheduled_run_times[-1], self.tz)} run is skipped; next pass {nxt}"
        else:
            late = datetime.now(self.tz) - ev.scheduled_run_time
            text = (
                f"the {_show(ev.scheduled_run_time, self.tz)} run was missed by {_duration(late)} (machine asleep or busy), "
                f"more than schedule.misfire_grace_seconds={self.settings.schedule.misfire_grace_seconds}; next pass {nxt}"
            )
        event(logging.WARNING, "pass_skipped", None, text)

    def _install_signals(self) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None  # embedded (tests): the caller stops us with request_stop()
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

        def handler(signum: int, _frame: object) -> None:
            name = signal.Signals(signum).name
            if self.stop_reason:
                # A second signal: stop now. SQLite rolls back the transaction in flight, if any.
                os._exit(128 + signum)
            self.request_stop(name)

        for sig in previous:
            signal.signal(sig, handler)

        def restore() -> None:
            for sig, old in previous.items():
                signal.signal(sig, old)

        return restore


def _fresh(heartbeat_at: str | None) -> bool:
    when = _when(heartbeat_at)
    return when is not None and utcnow() - when < timedelta(seconds=HEARTBEAT_SECONDS * _STALE_AFTER_BEATS)


def _show(when: datetime | None, tz: tzinfo) -> str:
    if when is None:
        return "none"
    return when.astimezone(tz).isoformat(sep=" ", timespec="seconds")


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


# --- status --------------------------------------------------------------------------------

_RUN_FIELDS = (
    "id", "kind", "started_at", "finished_at", "heartbeat_at", "status", "pid", "host",
    "found", "fetched", "new_articles", "new_versions", "unchanged", "failed", "gone", "suspect", "skipped", "failures",
)


def _alive(row: dict[str, Any]) -> bool | None:
    """Whether the run's process lives: by pid on this host, by heartbeat elsewhere."""
    if row.get("host") == socket.gethostname() and row.get("pid"):
        return pid_alive(int(row["pid"]))
    return _fresh(row.get("heartbeat_at"))


def _run_dict(row: tuple[Any, ...], names: list[str]) -> dict[str, Any]:
    data = dict(zip(names, row))
    out = {k: data.get(k) for k in _RUN_FIELDS}
    try:
        out["failures"] = json.loads(out["failures"]) if out["failures"] else []
    except ValueError:
        out["failures"] = []
    return out


def _latest(archive: Archive, where: str, args: tuple[Any, ...] = ()) -> dict[str, Any] | None:
    cur = archive.conn.execute(f"SELECT * FROM runs WHERE {where} ORDER BY id DESC LIMIT 1", args)
    row = cur.fetchone()
    return _run_dict(row, [d[0] for d in cur.description]) if row else None


def status(settings: Settings, *, now: datetime | None = None) -> dict[str, Any]:
    """The truth about the archive's passes, as ``status --json`` prints it.

    ``daemon.state``: ``running``, ``stopped``, ``died`` (its process is gone
    without stopping) or ``never``. ``last_pass``: the latest finished pass
    (crawl or daemon-pass; ``fetch`` runs are not passes). ``running_pass``:
    one under way. ``next_pass_at``: from the running daemon; ``schedule.next_at``:
    what ``[schedule]`` gives from now, daemon or not. ``lock``: the writer
    lock's holder, and whether that process still lives.
    """
    now = now or utcnow()
    tz = zone(settings.schedule)
    db = settings.archive.db
    with Archive(db, readonly=True) as archive:
        daemon_row = _latest(archive, "kind = ?", (DAEMON_KIND,))
        passes = "kind NOT IN (?, ?)"
        last_pass = _latest(archive, f"{passes} AND status != 'running'", (DAEMON_KIND, "fetch"))
        running = _latest(archive, f"{passes} AND status = 'running'", (DAEMON_KIND, "fetch"))
    if running is not None and not _alive(running):
        # Its process is gone: it is the last pass, and it died.
        if last_pass is None or running["id"] > last_pass["id"]:
            last_pass = {**running, "status": "died"}
        running = None

    daemon: dict[str, Any] = {"state": "never"}
    next_pass_at: str | None = None
    if daemon_row is not None:
        state = daemon_row["status"]
        if (state == "running" and not _alive(daemon_row)) or state == "interrupted":
            state = "died"  # killed, or its machine went down: it never said it stopped
        daemon = {
            "state": state,
            "pid": daemon_row["pid"],
            "host": daemon_row["host"],
            "started_at": daemon_row["started_at"],
            "heartbeat_at": daemon_row["heartbeat_at"],
            "stopped_at": daemon_row["finished_at"],
            "run_id": daemon_row["id"],
        }
        if state == "running":
            info = _read_state(db)
            if info.get("pid") == daemon_row["pid"]:
                next_pass_at = info.get("next_run_at")
                daemon["cron"] = info.get("cron")
                daemon["timezone"] = info.get("timezone")
                daemon["config"] = info.get("config")

    trigger = build_trigger(settings.schedule)
    scheduled = trigger.get_next_fire_time(None, now.astimezone(tz))

    holder = holder_info(db)
    lock: dict[str, Any] = {"held": False}
    if holder is not None:
        alive: bool | None = None
        if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
            alive = pid_alive(holder["pid"])
        lock = {
            "held": alive is not False,
            "pid": holder.get("pid"),
            "host": holder.get("host"),
            "command": holder.get("command"),
            "since": holder.get("since"),
            "alive": alive,
        }
    return {
        "archive": str(db),
        "checked_at": iso(now),
        "timezone": settings.schedule.timezone,
        "daemon": daemon,
        "last_pass": last_pass,
        "running_pass": running,
        "next_pass_at": next_pass_at,
        "schedule": {"cron": settings.schedule.cron, "timezone": settings.schedule.timezone, "next_at": iso(scheduled)},
        "lock": lock,
    }


def _read_state(db: Path) -> dict[str, Any]:
    try:
        data = json.loads(state_path(db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def status_lines(info: dict[str, Any]) -> list[str]:
    """``status`` for people: one line per question (daemon, last pass, now, next pass, lock)."""
    tz = ZoneInfo(info["timezone"])
    now = _when(info["checked_at"]) or utcnow()

    def at(text: str | None) -> str:
        when = _when(text)
        return _show(when, tz) if when else "unknown"

    def ago(text: str | None) -> str:
        when = _when(text)
        return f"{_duration(now - when)} ago" if when else "never"

    lines = [f"archive    {info['archive']}"]
    d = info["daemon"]
    if d["state"] == "running":
        lines.append(f"daemon     running: pid {d['pid']} on {d['host']} since {at(d['started_at'])}, heartbeat {ago(d['heartbeat_at'])}")
    elif d["state"] == "stopped":
        lines.append(f"daemon     stopped at {at(d['stopped_at'])} (pid {d['pid']}, started {at(d['started_at'])})")
    elif d["state"] == "died":
        lines.append(
            f"daemon     DIED: pid {d['pid']} on {d['host']} is gone without stopping; last heartbeat {at(d['heartbeat_at'])} "
            f"({ago(d['heartbeat_at'])}). Check its log, then start it again"
        )
    else:
        lines.append("daemon     never started on this archive (`series-archiver daemon`)")

    p = info["last_pass"]
    if p is None:
        lines.append("last pass  none yet")
    else:
        ended = at(p["finished_at"]) if p["finished_at"] else "unknown"
        if ended[:10] == at(p["started_at"])[:10]:
            ended = ended[11:]  # same day: the time is enough
        counts = _counts_text({k: p.get(k) or 0 for k in ("found", "fetched", "new_articles", "new_versions", "unchanged", "failed", "gone", "suspect", "skipped")})
        lines.append(f"last pass  #{p['id']} ({p['kind']}) {at(p['started_at'])} to {ended}, {ago(p['finished_at'] or p['started_at'])}: {p['status'].upper()}; {counts}")
        for url, why in p["failures"][:5]:
            lines.append(f"           failed: {why}")
        if len(p["failures"]) > 5:
            lines.append(f"           … and {len(p['failures']) - 5} more (see the fetch_log table)")
    r = info["running_pass"]
    if r is not None:
        lines.append(f"now        pass #{r['id']} ({r['kind']}) running since {at(r['started_at'])}, pid {r['pid']}, heartbeat {ago(r['heartbeat_at'])}")
    s = info["schedule"]
    if info["next_pass_at"]:
        lines.append(f"next pass  {at(info['next_pass_at'])} (daemon's schedule {d.get('cron')!r}, {d.get('timezone')})")
    else:
        lines.append(f"next pass  none: no daemon is running (schedule.cron {s['cron']!r} would run one at {at(s['next_at'])})")
    lock = info["lock"]
    if not lock["held"] and lock.get("pid") is None:
        lines.append("lock       free")
    elif not lock["held"]:
        lines.append(f"lock       free (a stale .holder file names pid {lock['pid']}, which is gone)")
    else:
        lines.append(
            f"lock       held by pid {lock['pid']} on {lock['host']}, running {lock['command']!r} since {at(lock['since'])}"
            + ("" if lock["alive"] else " (another host: cannot check that it lives)")
        )
    return lines
