"""The schedule: a crontab line read as crontab reads it, and the scheduler's policy (daemon.cron).

The scheduler tests run APScheduler for real, on short schedules (a six-field
cron line with seconds) or with a run time set in the past, as after a
machine slept; nothing waits for a minute.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.triggers.cron import CronTrigger

from series_archiver.daemon.cron import JOB_ID, build_scheduler, build_trigger
from series_archiver.daemon.service import Daemon
from series_archiver.errors import ConfigError
from series_archiver.settings import NotifySettings, ScheduleSettings, Settings, load_settings

HK = ZoneInfo("Asia/Hong_Kong")


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


@pytest.mark.slow
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
