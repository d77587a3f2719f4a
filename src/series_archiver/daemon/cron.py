"""The schedule: a ``[schedule]`` crontab line read as crontab reads it, and the scheduler that runs passes on it.

The daemon is APScheduler's ``BackgroundScheduler`` with one job, a pass,
on a ``CronTrigger`` built from ``[schedule]``:

* ``coalesce=True`` and ``misfire_grace_time``: after the machine slept, the
  runs it missed are not replayed; the latest one runs if it is less than
  ``misfire_grace_seconds`` late, otherwise the next scheduled run does.
* ``max_instances=1`` (and one executor thread): a pass still running when
  the next is due makes that run be skipped, never overlapped.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# APScheduler 3 ships no type information; the ignores stay harmless once an override or stubs exist.
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from series_archiver.errors import ConfigError
from series_archiver.settings import ScheduleSettings, Settings

__all__ = ["JOB_ID", "build_scheduler", "build_trigger", "misfire_grace", "zone"]

JOB_ID = "archive-pass"

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
            day_of_week=crontab_weekdays(weekday),
            timezone=zone(schedule),
        )
    except ValueError as exc:
        raise ConfigError("schedule.cron", f"{schedule.cron!r} is not a valid cron expression ({exc})") from None


def crontab_weekdays(spec: str) -> str:
    """Crontab's weekday field (0-7, Sunday = 0 or 7, lists, ranges, steps) as APScheduler day names.

    >>> crontab_weekdays("0,6")
    'sun,sat'
    >>> crontab_weekdays("5-7")
    'sun,fri,sat'
    >>> crontab_weekdays("*/1")
    '*'
    """
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


def misfire_grace(schedule: ScheduleSettings) -> int:
    """``schedule.misfire_grace_seconds``, checked: how late a pass may still start."""
    if schedule.misfire_grace_seconds < 1:
        raise ConfigError("schedule.misfire_grace_seconds", "must be 1 or more (seconds a pass may start late)")
    return int(schedule.misfire_grace_seconds)


def build_scheduler(settings: Settings, job: Callable[[], object], *, run_now: bool = False) -> BackgroundScheduler:
    """A scheduler (not started) running ``job`` on ``schedule.cron``: coalesced, one at a time, with a grace time."""
    schedule = settings.schedule
    tz = zone(schedule)
    trigger = build_trigger(schedule)
    grace = misfire_grace(schedule)
    policy = {"coalesce": True, "max_instances": 1, "misfire_grace_time": grace}
    scheduler = BackgroundScheduler(
        timezone=tz, executors={"default": ThreadPoolExecutor(max_workers=1)}, job_defaults=policy
    )
    # next_run_time=None would pause the job: pass it only to run at once.
    start = {"next_run_time": datetime.now(tz)} if run_now else {}
    scheduler.add_job(job, trigger, id=JOB_ID, name="archive pass", replace_existing=True, **policy, **start)
    return scheduler
