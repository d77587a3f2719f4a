"""``status`` (daemon.status): the daemon, the last and running passes, the next pass, the lock."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from series_archiver.archive.store import Archive, iso
from series_archiver.daemon.status import PASS_KIND, status, status_lines
from series_archiver.settings import Settings
from tests.support.crawl import Crawler

HK = ZoneInfo("Asia/Hong_Kong")


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
