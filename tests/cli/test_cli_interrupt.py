"""Ctrl-C in a real terminal: crawl and import stop within seconds, exit 130, no traceback, the run marked interrupted.

The command runs on a pseudo-terminal of its own, as its session's controlling
terminal, so ``\\x03`` written to it is Ctrl-C typed by a user: the terminal
sends SIGINT to the command (and a progress bar is drawn, as for a user).
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from series_archiver.demo.replica import ReplicaSite
from tests.support.command import loopback_config, run
from tests.support.paths import REPO

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# The progress bar's "done/total elapsed", once something is done: "1/7 0:00:07".
PROGRESS = re.compile(r"\b([1-9]\d*)/\d+ \d+:\d\d:\d\d")
# The bound, from the keypress to the exit (about 0.5 s on a quiet machine).
STOP_BOUND = 2.0

# The child makes the terminal its controlling terminal (it is a session
# leader: start_new_session), then becomes the command.
_TRAMPOLINE = "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"


class Terminal:
    """A command on a pseudo-terminal: what it wrote, keys typed to it, its exit."""

    def __init__(self, *args: str, cwd: Path) -> None:
        master, slave = os.openpty()
        self.fd = master
        self.output = bytearray()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _TRAMPOLINE, "-m", "series_archiver", *args],
            stdin=slave, stdout=slave, stderr=slave, cwd=cwd, start_new_session=True,
            env={**os.environ, "COLUMNS": "120", "LINES": "40", "TERM": "xterm"},
        )
        os.close(slave)

    def _read(self, timeout: float) -> None:
        if select.select([self.fd], [], [], timeout)[0]:
            try:
                self.output += os.read(self.fd, 65536)
            except OSError:  # EIO: the command has exited and closed the terminal
                time.sleep(timeout)

    def expect_progress(self, done: int, timeout: float) -> None:
        """Wait until the progress bar shows at least ``done`` URLs or records done."""
        deadline = time.monotonic() + timeout
        while not any(int(m.group(1)) >= done for m in PROGRESS.finditer(self.text[-4000:])):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"not {done} done in {timeout} s (exit {self.proc.poll()}):\n{self.tail}")
            self._read(0.05)

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None:
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"still running after {timeout} s:\n{self.tail}")
            self._read(0.05)
        self._read(0.1)  # what is left in the terminal
        return self.proc.returncode

    @property
    def text(self) -> str:
        """What the terminal shows, without its escape sequences."""
        return _ESCAPES.sub("", self.output.decode("utf-8", "replace"))

    @property
    def tail(self) -> str:
        """The end of it, for a failure's message (the progress bar redraws itself many times)."""
        return self.text[-1500:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.fd)


def _runs(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return [(kind, status) for kind, status in conn.execute("SELECT kind, status FROM runs ORDER BY id")]


def _interrupt(term: Terminal, presses: int) -> tuple[int, float]:
    """Ctrl-C ``presses`` times, 50 ms apart: the exit status and how long the command took to end."""
    started = time.monotonic()
    for n in range(presses):
        if n:
            time.sleep(0.05)
        term.type(b"\x03")
    code = term.wait(timeout=30)
    return code, time.monotonic() - started


def _assert_clean_stop(term: Terminal, code: int, took: float, db: Path, kind: str, cwd: Path) -> None:
    assert code == 130, term.tail
    assert took < STOP_BOUND, f"took {took:.1f} s to stop:\n{term.tail}"
    assert "Traceback" not in term.text and "Error" not in term.text, term.tail
    assert "Interrupted by Ctrl-C: pass interrupted" in term.text, term.tail
    assert _runs(db)[-1] == (kind, "interrupted")
    verified = run("verify", "--json", "--db", str(db), cwd=cwd)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["ok"] is True


@pytest.fixture
def slow_crawl(tmp_path: Path) -> Iterator[Path]:
    """A config crawling the replica one request a second: a pass surely mid-way when Ctrl-C comes."""
    with ReplicaSite() as site:
        yield loopback_config(site, tmp_path, delay_seconds=1.0, workers=2)


@pytest.mark.parametrize("presses", [1, 2], ids=["ctrl-c", "ctrl-c twice"])
def test_ctrl_c_stops_a_crawl(tmp_path: Path, slow_crawl: Path, presses: int) -> None:
    term = Terminal("crawl", "--config", str(slow_crawl), cwd=tmp_path)
    try:
        term.expect_progress(1, timeout=60)
        code, took = _interrupt(term, presses)
    finally:
        term.close()
    _assert_clean_stop(term, code, took, tmp_path / "a.db", "crawl", tmp_path)


def test_sigterm_stops_a_crawl_as_ctrl_c_does(tmp_path: Path, slow_crawl: Path) -> None:
    term = Terminal("crawl", "--config", str(slow_crawl), cwd=tmp_path)
    try:
        term.expect_progress(1, timeout=60)
        term.proc.send_signal(signal.SIGTERM)
        code = term.wait(timeout=30)
    finally:
        term.close()
    assert code == 128 + signal.SIGTERM, term.tail
    assert "Interrupted by SIGTERM: pass interrupted" in term.text and "Traceback" not in term.text, term.tail
    assert _runs(tmp_path / "a.db")[-1] == ("crawl", "interrupted")


@pytest.fixture(scope="module")
def big_warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WARC of 1,000 installments of the benchmark's synthetic series (bench/importgen.py): seconds to import."""
    sys.path.insert(0, str(REPO))
    try:
        from bench import importgen
    finally:
        sys.path.remove(str(REPO))
    path = tmp_path_factory.mktemp("warc") / "big.warc.gz"
    importgen.write_warc(path, 1000)
    return path


@pytest.mark.parametrize("presses", [1, 2], ids=["ctrl-c", "ctrl-c twice"])
def test_ctrl_c_stops_an_import(tmp_path: Path, big_warc: Path, presses: int) -> None:
    db = tmp_path / "series.db"
    term = Terminal("import", "--db", str(db), str(big_warc), cwd=tmp_path)
    try:
        term.expect_progress(300, timeout=120)  # past the list pages, into the installments
        code, took = _interrupt(term, presses)
    finally:
        term.close()
    _assert_clean_stop(term, code, took, db, "import", tmp_path)
    with sqlite3.connect(db) as conn:
        imported = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 0 < imported < 1000
    if presses == 1:
        # What was imported stays, and importing the file again reads the rest.
        again = run("import", "--json", "--db", str(db), str(big_warc), cwd=tmp_path)
        assert again.returncode == 0, again.stdout + again.stderr
        assert json.loads(again.stdout)["new_articles"] == 1000 - imported
