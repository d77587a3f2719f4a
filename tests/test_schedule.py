"""The schedule: cron trigger, scheduler policy, tiers, status, notification, log lines.

The scheduler tests run APScheduler for real, on short schedules (a six-field
cron line with seconds) or with a run time set in the past, as after a
machine slept; nothing waits for a minute. The tiering test crafts the
archive's timestamps and runs a real pass against the replica.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.triggers.cron import CronTrigger

from series_archiver.errors import ConfigError
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.logs import LineFormatter
from series_archiver.models import PassCounts
from series_archiver.notify import notify
from series_archiver.models import Event, PassResult
from series_archiver.demo.replica import ReplicaSite
from series_archiver.daemon.service import (
    JOB_ID,
    PASS_KIND,
    Daemon,
    Tiers,
    build_scheduler,
    build_trigger,
    plan_rechecks,
    status,
    status_lines,
)
from series_archiver.settings import NotifySettings, ScheduleSettings, Settings, load_settings
from series_archiver.archive.store import Archive, iso

from .conftest import Crawler

HK = ZoneInfo("Asia/Hong_Kong")
UTC = timezone.utc


def with_schedule(settings: Settings, **changes: Any) -> Settings:
    return settings.replace(schedule=dataclasses.replace(settings.schedule, **changes))


def wait_for(condition: Any, timeout: float = 5.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition never held")
        time.sleep(0.01)


# --- the cron trigger --------------------------------------------------------------------------


def test_the_default_cron_line_runs_at_17_past_every_second_hour_in_hong_kong() -> None:
    trigger = build_trigger(ScheduleSettings())
    assert trigger.timezone == HK
    after = datetime(2025, 12, 15, 10, 20, tzinfo=HK)
    assert trigger.get_next_fire_time(None, after) == datetime(2025, 12, 15, 12, 17, tzinfo=HK)
    # The same instant asked in UTC: the hours are still Hong Kong's.
    assert trigger.get_next_fire_time(None, after.astimezone(UTC)) == datetime(2025, 12, 15, 12, 17, tzinfo=HK)
    utc = build_trigger(ScheduleSettings(timezone="UTC"))
    assert utc.get_next_fire_time(None, after) == datetime(2025, 12, 15, 4, 17, tzinfo=UTC)


# 2025-12-15 is a Monday.
@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        ("0 9 * * 1-5", datetime(2025, 12, 20, 10, 0), datetime(2025, 12, 22, 9, 0)),  # Sat -> Mon
        ("0 9 * * 0", datetime(2025, 12, 15, 10, 0), datetime(2025, 12, 21, 9, 0)),  # 0 is Sunday, as in crontab
        ("0 9 * * 7", datetime(2025, 12, 15, 10, 0), datetime(2025, 12, 21, 9, 0)),  # so is 7
        ("0 9 * * sun", datetime(2025, 12, 15, 10, 0), datetime(2025, 12, 21, 9, 0)),
        ("0 9 * * 0-2", datetime(2025, 12, 17, 10, 0), datetime(2025, 12, 21, 9, 0)),  # Wed -> Sun
        ("0 9 * * */2", datetime(2025, 12, 15, 10, 0), datetime(2025, 12, 16, 9, 0)),  # Sun, Tue, Thu, Sat
        ("0 9 * * 5-7", datetime(2025, 12, 15, 10, 0), datetime(2025, 12, 19, 9, 0)),  # Fri to Sun
        ("@daily", datetime(2025, 12, 15, 10, 0), datetime(2025, 12, 16, 0, 0)),
        ("*/5 * * * * *", datetime(2025, 12, 15, 10, 0, 1), datetime(2025, 12, 15, 10, 0, 5)),  # seconds first
        ("30 17 */2 * * *", datetime(2025, 12, 15, 10, 20), datetime(2025, 12, 15, 12, 17, 30)),
    ],
)
def test_cron_lines_read_as_crontab_reads_them(cron: str, after: datetime, expected: datetime) -> None:
    trigger = build_trigger(ScheduleSettings(cron=cron))
    assert trigger.get_next_fire_time(None, after.replace(tzinfo=HK)) == expected.replace(tzinfo=HK)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"cron": "17 */2 * *"}, "schedule.cron"),
        ({"cron": "61 * * * *"}, "schedule.cron"),
        ({"cron": "0 9 * * 8"}, "schedule.cron"),
        ({"cron": "0 9 * * 5-1"}, "schedule.cron"),
        ({"timezone": "Mars/Olympus_Mons"}, "schedule.timezone"),
        ({"misfire_grace_seconds": 0}, "schedule.misfire_grace_seconds"),
        ({"tiers": ()}, "schedule.tiers"),
        ({"tiers": ((14, 12), (2, 0))}, "schedule.tiers"),
        ({"tiers": ((2, -1),)}, "schedule.tiers"),
    ],
)
def test_a_bad_schedule_is_a_config_error_naming_the_key_before_anything_runs(
    settings: Settings, changes: dict[str, Any], key: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Daemon(with_schedule(settings, **changes))
    assert caught.value.key == key
    assert not settings.archive.db.exists()


def test_a_bad_notify_url_is_a_config_error(settings: Settings) -> None:
    with pytest.raises(ConfigError) as caught:
        Daemon(settings.replace(notify=NotifySettings(url="hooks.example/x")))
    assert caught.value.key == "notify.url"


# --- the scheduler's policy --------------------------------------------------------------------


def test_the_scheduler_coalesces_runs_one_pass_at_a_time_with_a_grace_time(tmp_path: Path) -> None:
    scheduler = build_scheduler(load_settings(db=tmp_path / "series.db"), lambda: None)
    job = scheduler.get_job(JOB_ID)
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 600)
    assert isinstance(job.trigger, CronTrigger)
    assert job.trigger.timezone == HK
    assert scheduler.timezone == HK
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert fields == {
        "year": "*", "month": "*", "day": "*", "week": "*", "day_of_week": "*", "hour": "*/2", "minute": "17", "second": "0",
    }


def test_a_pass_still_running_when_the_next_is_due_makes_that_run_skip_never_overlap(settings: Settings) -> None:
    settings = with_schedule(settings, cron="* * * * * *")  # every second
    lock = threading.Lock()
    running, peak, runs = 0, 0, 0
    skipped: list[JobSubmissionEvent] = []

    def slow_pass() -> None:
        nonlocal running, peak, runs
        with lock:
            running += 1
            runs += 1
            peak = max(peak, running)
        time.sleep(1.6)
        with lock:
            running -= 1

    scheduler = build_scheduler(settings, slow_pass)
    scheduler.add_listener(skipped.append, EVENT_JOB_MAX_INSTANCES)
    scheduler.start()
    try:
        wait_for(lambda: skipped and runs >= 1, timeout=6)
    finally:
        scheduler.shutdown(wait=True)
    assert peak == 1
    assert len(skipped) >= 1


def test_after_a_sleep_the_missed_runs_are_coalesced_into_one_pass(settings: Settings) -> None:
    settings = with_schedule(settings, cron="0 * * * *", misfire_grace_seconds=7200)
    calls: list[float] = []
    scheduler = build_scheduler(settings, lambda: calls.append(time.monotonic()))
    scheduler.start(paused=True)
    # The machine slept through five hourly runs.
    scheduler.modify_job(JOB_ID, next_run_time=datetime.now(HK) - timedelta(hours=5, minutes=30))
    scheduler.resume()
    try:
        wait_for(lambda: calls)
        time.sleep(0.3)  # time for any replayed run to show up
    finally:
        scheduler.shutdown(wait=True)
    assert len(calls) == 1


def test_a_run_missed_by_more_than_the_grace_time_is_skipped_and_said(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    settings = with_schedule(settings, cron="0 0 1 1 *", misfire_grace_seconds=600)
    daemon = Daemon(settings)
    calls: list[int] = []
    scheduler = daemon.make_scheduler(job=lambda: calls.append(1))
    scheduler.start(paused=True)
    scheduler.modify_job(JOB_ID, next_run_time=datetime.now(HK) - timedelta(minutes=20))
    with caplog.at_level(logging.INFO, logger="series_archiver.events"):
        scheduler.resume()
        try:
            wait_for(lambda: any(getattr(r, "event", "") == "pass_skipped" for r in caplog.records))
        finally:
            scheduler.shutdown(wait=True)
    assert calls == []
    [record] = [r for r in caplog.records if getattr(r, "event", "") == "pass_skipped"]
    assert record.levelno == logging.WARNING
    assert "was missed by 20 min" in record.getMessage()
    assert "schedule.misfire_grace_seconds=600" in record.getMessage()


def test_run_now_runs_a_pass_at_start_then_follows_the_cron_line(settings: Settings) -> None:
    settings = with_schedule(settings, cron="0 0 1 1 *")
    calls: list[int] = []
    scheduler = build_scheduler(settings, lambda: calls.append(1), run_now=True)
    scheduler.start()
    try:
        wait_for(lambda: calls)
        job = scheduler.get_job(JOB_ID)
        assert (job.next_run_time.month, job.next_run_time.day, job.next_run_time.hour) == (1, 1, 0)
    finally:
        scheduler.shutdown(wait=True)
    assert calls == [1]


# --- tiers -------------------------------------------------------------------------------------


def test_tiers_recheck_recent_articles_every_pass_and_old_ones_rarely() -> None:
    tiers = Tiers.from_settings(ScheduleSettings())  # [[2, 0], [14, 12], [60, 24], [36500, 168]]
    now = datetime(2025, 12, 20, 10, 0, tzinfo=UTC)

    def due(unchanged_days: float, checked_hours_ago: float) -> bool:
        return tiers.due(
            last_change=now - timedelta(days=unchanged_days), last_checked=now - timedelta(hours=checked_hours_ago), now=now
        )

    assert due(1, 0.01)  # new or edited in the last 2 days: every pass
    assert not due(5, 10.7) and due(5, 10.9)  # up to 14 days: every 12 hours, less a tenth
    assert not due(40, 21.5) and due(40, 21.7)  # up to 60 days: daily
    assert not due(400, 151) and due(400, 152)  # beyond the last bound: the last tier, weekly
    assert tiers.due(last_change=now - timedelta(days=400), last_checked=None, now=now)


def _urls(archive: sqlite3.Connection, article_id: int) -> set[str]:
    return {r[0] for r in archive.execute("SELECT url FROM article_urls WHERE article_id = ?", (article_id,))}


def test_a_pass_rechecks_archived_articles_by_tier_and_still_reads_every_list_page(
    replica: ReplicaSite, settings: Settings, crawler: Crawler, manifest: dict[str, Any]
) -> None:
    assert crawler.crawl().counts.new_articles == 4
    db = settings.archive.db
    now = datetime.now(UTC)
    ago = {"d": lambda n: iso(now - timedelta(days=n)), "h": lambda n: iso(now - timedelta(hours=n))}
    with sqlite3.connect(db) as conn:
        ids = dict(conn.execute("SELECT installment, id FROM articles").fetchall())
        crafted = {
            1: (ago["d"](40), ago["h"](2)),  # unchanged 40 days, checked 2 h ago: daily tier, not due
            2: (ago["d"](40), ago["h"](23)),  # unchanged 40 days, checked 23 h ago: due
            3: (ago["d"](10), ago["h"](11)),  # unchanged 10 days, checked 11 h ago: 12-hour tier, due
            4: (ago["h"](30), ago["h"](0.1)),  # new yesterday: every pass
        }
        for installment, (changed, checked) in crafted.items():
            conn.execute(
                "UPDATE articles SET first_seen = ?, last_changed = ?, last_checked = ? WHERE id = ?",
                (changed, changed, checked, ids[installment]),
            )
        urls = {n: _urls(conn, ids[n]) for n in crafted}

    daemon = Daemon(settings, transport=lambda: LoopbackTransport(replica.origins), clock=lambda: now)
    result = daemon.run_pass()
    assert result is not None and result.ok, result and result.counts.failures

    with sqlite3.connect(db) as conn:
        fetched = {r[0] for r in conn.execute("SELECT url FROM fetch_log WHERE run_id = ?", (result.run_id,))}
        kind, run_status = conn.execute("SELECT kind, status FROM runs WHERE id = ?", (result.run_id,)).fetchone()
        checked_1 = conn.execute("SELECT last_checked FROM articles WHERE id = ?", (ids[1],)).fetchone()[0]
    assert (kind, run_status) == (PASS_KIND, "ok")
    # Discovery runs every pass (a folder's index.html is asked for as the folder).
    assert all(page in fetched or page.removesuffix("index.html") in fetched for page in manifest["list_pages"])
    assert not urls[1] & fetched, "an article in the daily tier checked 2 h ago is not due"
    assert urls[2] | urls[3] | urls[4] <= fetched
    assert checked_1 == crafted[1][1]
    assert daemon.last_plan is not None
    assert sorted(daemon.last_plan.later) == sorted(urls[1])

    # A removal (a changes row) an hour ago is a change: the article is watched every pass again.
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO changes (article_id, from_version, to_version, changed_at, kind) VALUES (?, 1, 1, ?, 'gone')",
            (ids[1], ago["h"](1)),
        )
    plan = plan_rechecks(db, daemon.tiers, now)
    assert all(plan(url, None) for url in urls[1])


# --- status ------------------------------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_status_after_a_plain_crawl_no_daemon(settings: Settings, crawler: Crawler) -> None:
    result = crawler.crawl()
    now = datetime(2025, 12, 15, 10, 20, tzinfo=HK)
    info = status(settings, now=now)
    assert info["daemon"] == {"state": "never"}
    last = info["last_pass"]
    assert (last["id"], last["kind"], last["status"], last["new_articles"], last["failed"]) == (result.run_id, "crawl", "ok", 4, 0)
    assert last["failures"] == []
    assert info["running_pass"] is None
    assert info["next_pass_at"] is None
    assert info["schedule"]["next_at"] == "2025-12-15T12:17:00+08:00"
    assert info["lock"] == {"held": False}
    lines = status_lines(info)
    assert lines[1].startswith("daemon     never started")
    assert lines[2].startswith(f"last pass  #{result.run_id} (crawl) ") and ": OK; " in lines[2]
    assert lines[-2].startswith("next pass  none: no daemon is running") and "2025-12-15 12:17:00+08:00" in lines[-2]
    assert lines[-1] == "lock       free"


def test_status_names_a_dead_daemon_a_dead_pass_and_a_stale_lock_holder(settings: Settings, crawler: Crawler) -> None:
    crawler.crawl()
    db = settings.archive.db
    dead = _dead_pid()
    with Archive(db) as archive:
        daemon_id = archive.start_run("daemon")
        pass_id = archive.start_run(PASS_KIND)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET pid = ? WHERE id IN (?, ?)", (dead, daemon_id, pass_id))
    holder = db.with_name(db.name + ".holder")
    holder.write_text(json.dumps({"pid": dead, "host": socket.gethostname(), "command": PASS_KIND, "since": iso(datetime.now(UTC))}))
    info = status(settings)
    assert info["daemon"]["state"] == "died" and info["daemon"]["pid"] == dead
    assert info["running_pass"] is None
    assert (info["last_pass"]["id"], info["last_pass"]["status"]) == (pass_id, "died")
    assert info["lock"]["held"] is False and info["lock"]["alive"] is False
    lines = status_lines(info)
    assert any(line.startswith(f"daemon     DIED: pid {dead}") for line in lines)
    assert lines[-1] == f"lock       free (a stale .holder file names pid {dead}, which is gone)"

    # The same rows for a live process: a running daemon, a pass under way, the lock held.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET pid = ? WHERE id IN (?, ?)", (os.getpid(), daemon_id, pass_id))
    holder.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "command": PASS_KIND, "since": iso(datetime.now(UTC))}))
    info = status(settings)
    assert info["daemon"]["state"] == "running"
    assert info["running_pass"]["id"] == pass_id
    assert info["lock"] == {
        "held": True, "pid": os.getpid(), "host": socket.gethostname(), "command": PASS_KIND,
        "since": info["lock"]["since"], "alive": True,
    }
    assert any(line.startswith(f"lock       held by pid {os.getpid()} ") and PASS_KIND in line for line in status_lines(info))


# --- notification ------------------------------------------------------------------------------


def _result() -> PassResult:
    return PassResult(
        run_id=7,
        counts=PassCounts(),
        events=[
            Event("new_article", 5, "https://www.takungpao.com/news/232108/2025/1219/1051111.html", "某系列⑤ 試驗篇", 1),
            Event("new_version", 2, "https://www.takungpao.com/news/232108/2025/1216/1050318.html", "某系列② 底氣篇", 2, "+4 −2 chars"),
            Event("gone", 3, "https://www.takungpao.com/news/232108/2025/1217/1050642.html", "某系列③", None, "HTTP 404 Not Found"),
        ],
    )


def test_notify_command_gets_the_events_as_json_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "got.json"
    sent = notify(NotifySettings(command=f'cat > "{out}"; echo "$SERIES_ARCHIVER_EVENTS" > "{out}.env"'), _result(), archive=tmp_path / "series.db")
    assert sent == ["command"]
    body = json.loads(out.read_text(encoding="utf-8"))
    assert [e["event"] for e in body["events"]] == ["new_article", "new_version", "gone"]
    assert body["events"][1] == {
        "event": "new_version", "article_id": 2, "title": "某系列② 底氣篇",
        "url": "https://www.takungpao.com/news/232108/2025/1216/1050318.html", "version": 2, "summary": "+4 −2 chars",
    }
    assert body["run_id"] == 7 and body["archive"] == str(tmp_path / "series.db")
    assert body["text"].startswith("series-archiver: new installment: 某系列⑤ 試驗篇 https://")
    assert "edited (version 2): 某系列② 底氣篇" in body["text"] and "removed: 某系列③" in body["text"]
    assert (tmp_path / "got.json.env").read_text().strip() == "gone new_article new_version"


def test_a_failing_notify_command_is_a_warning_never_an_exception(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="series_archiver.events"):
        assert notify(NotifySettings(command="echo no mail server >&2; exit 3"), _result(), archive=tmp_path / "s.db") == []
    [record] = caplog.records
    assert (record.levelno, record.event) == (logging.WARNING, "notify_failed")  # type: ignore[attr-defined]
    assert "exited with status 3: no mail server" in record.getMessage()


def test_nothing_is_sent_for_a_pass_without_news(tmp_path: Path) -> None:
    out = tmp_path / "got"
    assert notify(NotifySettings(command=f"touch {out}"), PassResult(1, PassCounts()), archive=tmp_path / "s.db") == []
    assert not out.exists()


@pytest.fixture
def hook() -> Iterator[tuple[str, list[dict[str, Any]], list[int]]]:
    """A webhook on 127.0.0.1: (url, bodies received, statuses to answer)."""
    bodies: list[dict[str, Any]] = []
    answers: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers["Content-Length"])
            bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(answers.pop(0) if answers else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies, answers
    server.shutdown()
    server.server_close()


def test_notify_url_gets_the_events_as_a_json_post(tmp_path: Path, hook: tuple[str, list[dict[str, Any]], list[int]], caplog: pytest.LogCaptureFixture) -> None:
    url, bodies, answers = hook
    assert notify(NotifySettings(url=url), _result(), archive=tmp_path / "s.db") == ["url"]
    assert [e["event"] for e in bodies[0]["events"]] == ["new_article", "new_version", "gone"]
    answers.append(500)
    with caplog.at_level(logging.INFO, logger="series_archiver.events"):
        assert notify(NotifySettings(url=url), _result(), archive=tmp_path / "s.db") == []
    assert "notify.url answered HTTP 500" in caplog.records[-1].getMessage()


def test_an_unreachable_notify_url_is_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with caplog.at_level(logging.INFO, logger="series_archiver.events"):
        assert notify(NotifySettings(url=f"http://127.0.0.1:{port}/hook"), _result(), archive=tmp_path / "s.db") == []
    assert caplog.records[-1].levelno == logging.WARNING
    assert "notify.url could not be reached (ConnectError" in caplog.records[-1].getMessage()


# --- log lines ---------------------------------------------------------------------------------


def test_a_log_line_is_time_level_event_url_outcome_on_one_line() -> None:
    record = logging.LogRecord("series_archiver.events", logging.INFO, __file__, 1, "%s", ("version 2:\nmore",), None)
    record.event = "new_version"
    record.url = "https://www.takungpao.com/x.html"
    record.created = datetime(2025, 12, 15, 2, 17, 4, tzinfo=UTC).timestamp()
    line = LineFormatter(HK).format(record)
    assert line == "2025-12-15T10:17:04+08:00 INFO new_version https://www.takungpao.com/x.html version 2: more"
    other = logging.LogRecord("series_archiver", logging.WARNING, __file__, 1, "fetch failed", (), None)
    other.created = record.created
    assert LineFormatter(HK).format(other) == "2025-12-15T10:17:04+08:00 WARNING series_archiver - fetch failed"
