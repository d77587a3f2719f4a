"""The daemon's traces and ``status``: what ran, what runs, what is next, who holds the lock.

The daemon's own life is a ``runs`` row of kind ``daemon`` (heartbeat every
30 s); its passes are runs of kind ``daemon-pass``. When the next pass is due
is written to a small JSON file beside the archive (``series.db.daemon``),
removed when the daemon stops. ``status()`` reads all of it, the writer
lock's ``.holder`` file and the sites that answered the last pass with block
pages; ``status_lines`` says it in one line per question.

Whether a run's process still lives is decided here, for ``status`` and for
the daemon refusing to start beside another: by pid on this host, by the age
of its heartbeat elsewhere.
"""

from __future__ import annotations

import dataclasses
import json
import socket
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from series_archiver.archive import Archive, holder_info, iso, utcnow
from series_archiver.archive.runs import RunRow, blocked_sites, latest_run, parse_time
from series_archiver.daemon.cron import build_trigger, zone
from series_archiver.display import counts_text
from series_archiver.models import BlockedSite
from series_archiver.osutil import pid_alive
from series_archiver.settings import Settings

__all__ = [
    "DAEMON_KIND",
    "HEARTBEAT_SECONDS",
    "PASS_KIND",
    "counts_text",
    "duration_text",
    "read_state",
    "run_alive",
    "show_time",
    "state_path",
    "status",
    "status_lines",
]

DAEMON_KIND = "daemon"
PASS_KIND = "daemon-pass"
HEARTBEAT_SECONDS = 30.0
# A heartbeat older than this many intervals means the daemon is gone (when its pid cannot be checked).
_STALE_AFTER_BEATS = 3
# Runs that are not passes: the daemon's own life, and `fetch` of single URLs.
_NOT_PASSES = (DAEMON_KIND, "fetch")


def state_path(db: Path) -> Path:
    """The daemon's small state file beside the archive: when its next pass is due."""
    return db.with_name(db.name + ".daemon")


def read_state(db: Path) -> dict[str, Any]:
    """The running daemon's state file; empty when there is none or it cannot be read."""
    try:
        data = json.loads(state_path(db).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _fresh(heartbeat_at: str | None, now: datetime) -> bool:
    when = parse_time(heartbeat_at)
    return when is not None and now - when < timedelta(seconds=HEARTBEAT_SECONDS * _STALE_AFTER_BEATS)


def run_alive(run: RunRow) -> bool:
    """Whether the run's process lives: by pid on this host, by heartbeat elsewhere."""
    if run.host == socket.gethostname() and run.pid:
        return pid_alive(int(run.pid))
    return _fresh(run.heartbeat_at, utcnow())


def show_time(when: datetime | None, tz: tzinfo) -> str:
    """A moment for people, in the schedule's timezone, to the second."""
    if when is None:
        return "none"
    return when.astimezone(tz).isoformat(sep=" ", timespec="seconds")


def duration_text(delta: timedelta) -> str:
    """A duration for people: seconds, minutes, hours or days.

    >>> duration_text(timedelta(minutes=20)), duration_text(timedelta(days=3))
    ('20 min', '3.0 days')
    """
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def status(settings: Settings, *, now: datetime | None = None) -> dict[str, Any]:
    """The truth about the archive's passes, as ``status --json`` prints it.

    ``daemon.state``: ``running``, ``stopped``, ``died`` (its process is gone
    without stopping) or ``never``. ``last_pass``: the latest finished pass
    (crawl or daemon-pass; ``fetch`` runs are not passes). ``running_pass``:
    one under way. ``next_pass_at``: from the running daemon; ``schedule.next_at``:
    what ``[schedule]`` gives from now, daemon or not. ``lock``: the writer
    lock's holder, and whether that process still lives. ``blocked``: the sites
    that answered the last pass with block pages, and for how many passes in a row.
    """
    now = now or utcnow()
    tz = zone(settings.schedule)
    db = settings.archive.db
    with Archive(db, readonly=True) as archive:
        daemon_run = latest_run(archive, kinds=(DAEMON_KIND,))
        last_pass = latest_run(archive, not_kinds=_NOT_PASSES, running=False)
        running = latest_run(archive, not_kinds=_NOT_PASSES, running=True)
        blocked = blocked_sites(archive, last_pass.id) if last_pass else []
    if running is not None and not run_alive(running):
        # Its process is gone: it is the last pass, and it died.
        if last_pass is None or running.id > last_pass.id:
            last_pass = dataclasses.replace(running, status="died")
        running = None

    daemon: dict[str, Any] = {"state": "never"}
    next_pass_at: str | None = None
    if daemon_run is not None:
        state = daemon_run.status
        if (state == "running" and not run_alive(daemon_run)) or state == "interrupted":
            state = "died"  # killed, or its machine went down: it never said it stopped
        daemon = {
            "state": state,
            "pid": daemon_run.pid,
            "host": daemon_run.host,
            "started_at": daemon_run.started_at,
            "heartbeat_at": daemon_run.heartbeat_at,
            "stopped_at": daemon_run.finished_at,
            "run_id": daemon_run.id,
        }
        if state == "running":
            info = read_state(db)
            if info.get("pid") == daemon_run.pid:
                next_pass_at = info.get("next_run_at")
                daemon["cron"] = info.get("cron")
                daemon["timezone"] = info.get("timezone")
                daemon["config"] = info.get("config")

    trigger = build_trigger(settings.schedule)
    scheduled = trigger.get_next_fire_time(None, now.astimezone(tz))
    return {
        "archive": str(db),
        "checked_at": iso(now),
        "timezone": settings.schedule.timezone,
        "daemon": daemon,
        "last_pass": last_pass.as_dict() if last_pass else None,
        "running_pass": running.as_dict() if running else None,
        "next_pass_at": next_pass_at,
        "schedule": {"cron": settings.schedule.cron, "timezone": settings.schedule.timezone, "next_at": iso(scheduled)},
        "lock": _lock(db),
        "blocked": [b.as_json() for b in blocked],
    }


def _lock(db: Path) -> dict[str, Any]:
    """The writer lock's holder; ``alive`` is None when it runs on another host and cannot be checked."""
    holder = holder_info(db)
    if holder is None:
        return {"held": False}
    alive: bool | None = None
    if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int):
        alive = pid_alive(holder["pid"])
    return {
        "held": alive is not False,
        "pid": holder.get("pid"),
        "host": holder.get("host"),
        "command": holder.get("command"),
        "since": holder.get("since"),
        "alive": alive,
    }


def status_lines(info: dict[str, Any], *, tz: tzinfo | None = None) -> list[str]:
    """``status`` for people: one line per question (daemon, last pass, now, next pass, lock).

    Times are in ``tz`` (the CLI's: ``archive.display_timezone``), else the schedule's zone, each with its offset.
    """
    tz = tz or ZoneInfo(info["timezone"])
    now = parse_time(info["checked_at"]) or utcnow()

    def at(text: str | None) -> str:
        when = parse_time(text)
        return show_time(when, tz) if when else "unknown"

    def ago(text: str | None) -> str:
        when = parse_time(text)
        return f"{duration_text(now - when)} ago" if when else "never"

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
        counts = counts_text({k: p.get(k) or 0 for k in ("found", "fetched", "new_articles", "new_versions", "unchanged", "failed", "gone", "suspect", "skipped")})
        lines.append(f"last pass  #{p['id']} ({p['kind']}) {at(p['started_at'])} to {ended}, {ago(p['finished_at'] or p['started_at'])}: {p['status'].upper()}; {counts}")
        for _url, why in p["failures"][:5]:
            lines.append(f"           failed: {why}")
        if len(p["failures"]) > 5:
            lines.append(f"           … and {len(p['failures']) - 5} more (see the fetch_log table)")
    for b in info.get("blocked", []):
        site = BlockedSite(**b)
        keeps = "; it keeps blocking: open one of its pages in a browser from this machine" if site.keeps_blocking else ""
        lines.append(f"blocked    {site.describe()}{keeps}")
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
