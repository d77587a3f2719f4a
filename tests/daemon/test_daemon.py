"""The daemon as a real process: ``series-archiver daemon`` against a replica this test serves.

The process reaches the replica through its ``--replica`` option
(cli.replica_option). Schedules are six-field cron lines with
seconds (``* * * * * *``: every second) or a yearly line with ``--now``, so
nothing waits for a minute. A slow replica keeps a pass going long enough to
signal it, or to meet it with a ``fetch``.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from series_archiver.demo.replica import ReplicaSite
from tests.support.cli import SlowReplica, run_cli, start_cli, wait_until, write_config
from tests.support.daemon import daemon_config, lock_is_free
from tests.support.db import assert_archive_sound, reader, snapshot

pytestmark = pytest.mark.slow

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00 (DEBUG|INFO|WARNING|ERROR) [a-z_]+ (-|https?://\S+) .+$")
EVERY_SECOND = "* * * * * *"
YEARLY = "0 0 1 1 *"


def status_json(site: ReplicaSite, config: Path) -> dict[str, Any]:
    done = run_cli(site, config, "status", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def stop(proc: subprocess.Popen[str], sig: signal.Signals = signal.SIGTERM) -> subprocess.CompletedProcess[str]:
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture
def slow_site() -> Iterator[SlowReplica]:
    # Half a second per request: a pass takes several seconds.
    with SlowReplica(0.5) as site:
        yield site


def test_the_daemon_runs_unattended_on_a_short_schedule_and_status_tells_the_truth(replica: ReplicaSite, tmp_path: Path) -> None:
    config = daemon_config(tmp_path, replica, EVERY_SECOND)
    db, log = tmp_path / "series.db", tmp_path / "logs" / "daemon.log"
    proc = start_cli(replica, config, "daemon", "--log-file", str(log), "-v")
    try:
        assert wait_until(proc, db, "SELECT count(*) >= 2 FROM runs WHERE kind = 'daemon-pass' AND status = 'ok'"), proc.communicate()
        info = status_json(replica, config)
        lines = run_cli(replica, config, "status").stdout.splitlines()
    finally:
        done = stop(proc, signal.SIGINT)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", "with --log-file the lines go to the file"

    assert info["daemon"]["state"] == "running" and info["daemon"]["pid"] == proc.pid
    assert info["daemon"]["cron"] == EVERY_SECOND
    assert info["last_pass"]["kind"] == "daemon-pass" and info["last_pass"]["status"] == "ok"
    # Every second: the next pass is due within a second of the check (both have one-second precision).
    due_in = datetime.fromisoformat(info["next_pass_at"]) - datetime.fromisoformat(info["checked_at"])
    assert -1 <= due_in.total_seconds() <= 2
    assert lines[1].startswith(f"daemon     running: pid {proc.pid} ")
    assert any(line.startswith("next pass  ") and "daemon's schedule '* * * * * *'" in line for line in lines)

    after = status_json(replica, config)
    assert after["daemon"]["state"] == "stopped"
    assert after["next_pass_at"] is None
    assert after["lock"] == {"held": False}
    assert not (tmp_path / "series.db.daemon").exists()
    assert lock_is_free(db)
    assert_archive_sound(db)
    with reader(db) as conn:
        assert [r[0] for r in conn.execute("SELECT installment FROM articles ORDER BY installment")] == [1, 2, 3, 4]

    text = log.read_text(encoding="utf-8").splitlines()
    assert all(LINE.match(line) for line in text), text
    events = [line.split(" ")[2] for line in text]
    assert events.count("new_article") == 4, "each installment is news once, in the first pass only"
    assert events[0] == "daemon_started" and events[-1] == "daemon_stopped"
    assert events.count("pass") >= 2


def test_sigterm_mid_pass_exits_0_releases_the_lock_and_leaves_a_sound_archive(
    slow_site: SlowReplica, tmp_path: Path, reference: list[tuple[Any, ...]]
) -> None:
    config = daemon_config(tmp_path, slow_site, YEARLY)
    db = tmp_path / "series.db"
    proc = start_cli(slow_site, config, "daemon", "--now")
    mid_pass = (
        "SELECT count(*) >= 3 FROM fetch_log WHERE run_id IN "
        "(SELECT id FROM runs WHERE kind = 'daemon-pass' AND status = 'running')"
    )
    try:
        assert wait_until(proc, db, mid_pass), proc.communicate()
        holder = json.loads((tmp_path / "series.db.holder").read_text(encoding="utf-8"))
        assert (holder["pid"], holder["command"]) == (proc.pid, "daemon-pass")
    finally:
        done = stop(proc, signal.SIGTERM)
    assert done.returncode == 0, done.stderr
    assert "pass_interrupted - pass interrupted" in done.stderr
    assert " INFO daemon_stopped - " in done.stderr

    with reader(db) as conn:
        runs = conn.execute("SELECT kind, status, finished_at IS NOT NULL FROM runs ORDER BY id").fetchall()
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert runs == [("daemon", "stopped", 1), ("daemon-pass", "interrupted", 1)]
    assert articles < 4, "the pass was stopped before its end"
    assert not (tmp_path / "series.db.holder").exists()
    assert lock_is_free(db)
    assert_archive_sound(db)

    # The next pass picks up where this one stopped and makes the archive one pass makes.
    slow_site.delay = 0.0
    again = run_cli(slow_site, config, "crawl", "--json")
    assert again.returncode == 0, again.stderr
    assert snapshot(db) == reference
    assert_archive_sound(db)


def test_a_fetch_while_the_daemon_holds_the_lock_waits_or_fails_naming_the_daemon(tmp_path: Path) -> None:
    with SlowReplica(1.5) as site:  # a pass of many seconds: the fetches surely meet it, however loaded the machine
        config = daemon_config(tmp_path, site, YEARLY)
        impatient = write_config(tmp_path, site, lock_timeout=0.2, name="impatient.toml")
        patient = write_config(tmp_path, site, lock_timeout=60, name="patient.toml")
        url = site.manifest["installments"][0]["url"]
        db = tmp_path / "series.db"
        proc = start_cli(site, config, "daemon", "--now")
        try:
            assert wait_until(proc, db, "SELECT count(*) FROM runs WHERE kind = 'daemon-pass' AND status = 'running'"), proc.communicate()
            hurried = start_cli(site, impatient, "fetch", url)
            waiting = start_cli(site, patient, "fetch", url, "--json")
            out, err = hurried.communicate(timeout=60)
            failed = subprocess.CompletedProcess(hurried.args, hurried.returncode, out, err)
            assert waiting.stderr is not None
            said = waiting.stderr.readline()  # the lock wait comes first, before any fetch
            assert waiting.poll() is None, "a patient fetch waits for the lock"
        finally:
            done = stop(proc, signal.SIGTERM)
        assert done.returncode == 0, done.stderr
        assert failed.returncode == 1
        assert f"another writer holds the archive lock (pid {proc.pid} on " in failed.stderr
        assert "running 'daemon-pass' since" in failed.stderr
        assert " is busy: " in said and f"pid {proc.pid} on " in said and "'daemon-pass'" in said

        out, err = waiting.communicate(timeout=60)
        assert waiting.returncode == 0, err
        assert json.loads(out)["failed"] == 0
        assert_archive_sound(db)


def test_a_second_daemon_on_the_same_archive_is_refused(replica: ReplicaSite, tmp_path: Path) -> None:
    config = daemon_config(tmp_path, replica, YEARLY)
    db = tmp_path / "series.db"
    first = start_cli(replica, config, "daemon")
    try:
        assert wait_until(first, db, "SELECT count(*) FROM runs WHERE kind = 'daemon' AND status = 'running'"), first.communicate()
        second = run_cli(replica, config, "daemon")
        info = status_json(replica, config)
    finally:
        done = stop(first)
    assert done.returncode == 0, done.stderr
    assert second.returncode == 1
    assert f"a daemon is already archiving here (pid {first.pid} on " in second.stderr
    assert (info["daemon"]["state"], info["daemon"]["pid"]) == ("running", first.pid)
    with reader(db) as conn:
        assert conn.execute("SELECT kind, status FROM runs ORDER BY id").fetchall() == [("daemon", "stopped")]


def test_daemon_once_runs_one_tiered_pass_notifies_and_is_quiet_when_nothing_changed(replica: ReplicaSite, tmp_path: Path) -> None:
    config = daemon_config(tmp_path, replica, YEARLY, extra='[notify]\ncommand = "cat >> notified.jsonl; echo >> notified.jsonl"\n')
    first = run_cli(replica, config, "daemon", "--once")
    assert first.returncode == 0, first.stderr
    lines = first.stderr.splitlines()
    assert all(LINE.match(line) for line in lines), lines
    assert [line.split(" ")[2] for line in lines].count("new_article") == 4
    assert any(" INFO pass - run 1: " in line for line in lines)

    again = run_cli(replica, config, "daemon", "--once")
    assert again.returncode == 0, again.stderr
    assert again.stderr == "", "a pass that finds nothing new says nothing"

    sent = [json.loads(line) for line in (tmp_path / "notified.jsonl").read_text(encoding="utf-8").splitlines() if line]
    assert len(sent) == 1, "no news, no notification"
    assert sorted(e["event"] for e in sent[0]["events"]) == ["new_article"] * 4
    with reader(tmp_path / "series.db") as conn:
        assert conn.execute("SELECT kind, status FROM runs ORDER BY id").fetchall() == [("daemon-pass", "ok")] * 2
