"""``series-archiver`` as a real process crawling a replica this test serves, and a replica that answers slowly.

The commands that fetch are given the replica's origins with ``--replica``; the
config file crawls the replica's series (its real URLs) into ``tmp_path/series.db``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from series_archiver.demo.replica import ReplicaSite
from series_archiver.settings import default_config_text
from tests.support.db import reader


class SlowReplica(ReplicaSite):
    """The bundled replica, answering slowly (a struggling site, or a long pass).

    ``held()`` stops it answering at all for a while, so a test can keep a pass
    in the middle for as long as it needs, however loaded the machine.
    """

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self._open = threading.Event()
        self._open.set()

    @contextmanager
    def held(self) -> Iterator[None]:
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()

    def _respond(self, real_host: str, method: str, raw_path: str, headers: dict[str, str], *, head: bool) -> Any:
        if not raw_path.startswith("/robots.txt"):
            self._open.wait(120)
            time.sleep(self.delay)
        return super()._respond(real_host, method, raw_path, headers, head=head)


def _toml(value: Any) -> str:
    # JSON scalars and arrays of them are valid TOML (strings, numbers, booleans, lists).
    return json.dumps(value, ensure_ascii=False)


def write_config(
    tmp_path: Path, site: ReplicaSite, *, lock_timeout: float = 60.0, name: str = "config.toml", **fetch: Any
) -> Path:
    """A config file (tmp_path/name) that crawls the replica's series (real URLs) into tmp_path/series.db."""
    series = dict(tomllib.loads(default_config_text())["series"][0])
    series.update(start_urls=site.manifest["start_urls"], urls=[])
    fetch = {
        "delay_seconds": 0.0,
        "retries": 1,
        "backoff_base_seconds": 0.1,
        "timeout_seconds": 10.0,
        "workers": 4,
        "max_in_flight_per_host": 4,
        **fetch,
    }
    lines = ["[archive]", f"db = {_toml(str(tmp_path / 'series.db'))}", f"lock_timeout_seconds = {lock_timeout}", "", "[fetch]"]
    lines += [f"{k} = {_toml(v)}" for k, v in fetch.items()]
    lines += ["", "[[series]]"] + [f"{k} = {_toml(v)}" for k, v in series.items()]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli_env(site: ReplicaSite) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERIES_ARCHIVER_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


# The commands that fetch take ``--replica``; the others never reach a site.
FETCHING_COMMANDS = ("crawl", "fetch", "daemon")


def replica_args(site: ReplicaSite, args: tuple[str, ...]) -> list[str]:
    return ["--replica", json.dumps(site.origins)] if args and args[0] in FETCHING_COMMANDS else []


def start_cli(site: ReplicaSite, config: Path, *args: str, stderr: Path | None = None) -> subprocess.Popen[str]:
    """``series-archiver <args> --config <config>`` as a real process, crawling the replica.

    Its stderr goes to the file ``stderr`` when given (to watch it while it runs), else to a pipe.
    """
    err = None if stderr is None else stderr.open("w", encoding="utf-8")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "series_archiver", *args, "--config", str(config), *replica_args(site, args)],
            cwd=config.parent,
            env=cli_env(site),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if err is None else err,
            text=True,
        )
    finally:
        if err is not None:
            err.close()  # the child has its own copy


def run_cli(site: ReplicaSite, config: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    proc = start_cli(site, config, *args)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def wait_until(proc: subprocess.Popen[str], db: Path, condition: str, *, deadline: float = 30.0) -> bool:
    """Poll ``condition`` (SQL giving one truthy value) with a reader until it holds; False if the process ended first."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        if db.exists():
            try:
                with reader(db) as conn:
                    if conn.execute(condition).fetchone()[0]:
                        return True
            except sqlite3.Error:
                pass  # the schema is not there yet
        time.sleep(0.005)
    raise AssertionError(f"{condition!r} never held within {deadline}s")
