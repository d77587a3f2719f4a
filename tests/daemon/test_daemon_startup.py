"""A daemon told to stop while it is still starting (systemd stopping a service it just started)
exits 0, says so in its log, and leaves no lock and no running row behind.

entry.py notes SIGTERM/SIGINT before the slow imports; the daemon acts on the
note as soon as it runs. Real processes, signalled 0.1 s, 0.5 s and 1 s after
the note is in place. Before that, the interpreter is still starting and no code
of the package has run: a stop then ends the process as the signal's default
does, with nothing written. On a loaded machine that window can pass 0.1 s, so
the test waits for the handler (the process's caught-signal mask in /proc)
instead of guessing how long start-up takes.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

import pytest

from series_archiver.demo.replica import ReplicaSite
from tests.support.cli import start_cli
from tests.support.daemon import daemon_config, lock_is_free

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("after", [0.1, 0.5, 1.0])
def test_a_stop_signal_during_start_up_exits_0_and_leaves_nothing_behind(
    replica: ReplicaSite, tmp_path: Path, after: float, sig: signal.Signals
) -> None:
    config = daemon_config(tmp_path, replica, "0 4 1 1 *")  # no pass due for months
    db = tmp_path / "series.db"
    proc = start_cli(replica, config, "daemon", "--now")
    _wait_for_stop_handler(proc.pid)
    time.sleep(after)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, f"exit {proc.returncode} after a {sig.name} at {after}s: {err[-2000:]}"
    assert "daemon_stopping" in err and "daemon_stopped" in err, err[-2000:]
    assert not db.with_name("series.db.holder").exists()
    if db.exists():
        assert lock_is_free(db)
        conn = sqlite3.connect(db)
        try:
            running = conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
        finally:
            conn.close()
        assert running == 0, "a runs row was left running"


def _wait_for_stop_handler(pid: int, timeout: float = 60.0) -> None:
    """Until process ``pid`` catches SIGTERM (Python itself never does: only entry.hold_stop_signals)."""
    status = Path(f"/proc/{pid}/status")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except FileNotFoundError:
            pytest.fail(f"the daemon (pid {pid}) ended before it installed its stop handler")
        if int(fields["SigCgt"], 16) & (1 << (signal.SIGTERM - 1)):
            return
        time.sleep(0.005)
    pytest.fail(f"the daemon (pid {pid}) did not install its stop handler within {timeout} s")
