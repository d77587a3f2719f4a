"""Crash safety: kill -9 a real ``series-archiver crawl`` mid-pass, run it again.

The crawl is a subprocess crawling a replica this test serves (the CLI is given
its origins with ``--replica``, an explicit option of the commands that fetch);
the replica answers slowly, so a pass is still going when it is killed. After
every kill the archive must pass ``PRAGMA integrity_check``, hold no
half-written version and no duplicate, and the next pass must complete.
"""

from __future__ import annotations

import json
import os
import random
import signal
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

import pytest

from series_archiver.archive.store import Archive
from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.jobs import core
from series_archiver.settings import default_config_text

# Seconds the replica sits on every request but robots.txt: a pass takes ~2 s, long enough to be caught.
SLOW = 0.1


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


@pytest.fixture
def slow_site() -> Iterator[SlowReplica]:
    with SlowReplica(SLOW) as site:
        yield site


# --- running the real CLI against the replica ------------------------------------------------


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


def reader(db: Path) -> sqlite3.Connection:
    """A plain read-only connection, as Datasette or a curious user would open."""
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)


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


def kill9(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL


# --- what a sound archive is ---------------------------------------------------------------------


def assert_archive_sound(db: Path) -> None:
    """Integrity, no half-written version, no duplicate: whatever moment a pass stopped at."""
    with reader(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        # The schema is made in one transaction: all of it, or (killed first) none.
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        core_tables = {"articles", "article_urls", "versions", "captures", "fetch_log", "changes", "runs"}
        assert tables & core_tables in (set(), core_tables), tables
        if not tables & core_tables:
            return
        # Every version has its captures, good ones, the first of them as capture_id.
        for article_id, version, capture_id, capture_ids in conn.execute(
            "SELECT article_id, version, capture_id, capture_ids FROM versions"
        ).fetchall():
            ids = json.loads(capture_ids)
            assert ids and ids[0] == capture_id, (article_id, version)
            for cid in ids:
                row = conn.execute("SELECT suspect_reason FROM captures WHERE id = ?", (cid,)).fetchone()
                assert row == (None,), f"version {version} of article {article_id}: capture {cid} is {row}"
        # Every article has all its versions, 1..n, current = n, and one primary URL that is its url.
        for article_id, versions, current, url in conn.execute(
            "SELECT id, versions, current_version, url FROM articles"
        ).fetchall():
            numbers = [r[0] for r in conn.execute("SELECT version FROM versions WHERE article_id = ? ORDER BY version", (article_id,))]
            assert versions >= 1 and numbers == list(range(1, versions + 1)) and current == versions, (article_id, numbers, current)
            primary = conn.execute("SELECT url FROM article_urls WHERE article_id = ? AND is_primary = 1", (article_id,)).fetchall()
            assert primary == [(url,)], (article_id, primary)
        # No duplicate: one article per installment, one row per (article, version), one article per URL.
        assert conn.execute(
            "SELECT series, installment FROM articles WHERE installment IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1"
        ).fetchall() == []
        assert conn.execute("SELECT article_id, version FROM versions GROUP BY 1, 2 HAVING count(*) > 1").fetchall() == []
        assert conn.execute("SELECT article_id, content_hash FROM versions WHERE restores IS NULL GROUP BY 1, 2 HAVING count(*) > 1").fetchall() == []
        # A URL's state points at a capture that exists; its log rows at an article that exists.
        assert conn.execute(
            "SELECT url FROM article_urls WHERE last_capture_id IS NOT NULL AND last_capture_id NOT IN (SELECT id FROM captures)"
        ).fetchall() == []


def snapshot(db: Path) -> list[tuple[Any, ...]]:
    """What the archive holds, ids aside: per installment its title, text, versions and URLs."""
    with reader(db) as conn:
        rows = conn.execute(
            "SELECT a.id, a.installment, a.title, a.versions, a.status, v.text FROM articles a "
            "JOIN versions v ON v.article_id = a.id AND v.version = a.current_version ORDER BY a.installment"
        ).fetchall()
        out = []
        for article_id, installment, title, versions, status, text in rows:
            urls = sorted(r[0] for r in conn.execute("SELECT url FROM article_urls WHERE article_id = ?", (article_id,)))
            out.append((installment, title, versions, status, text, urls))
        return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Any, ...]]:
    """The archive one uninterrupted pass makes of the replica."""
    db = tmp_path_factory.mktemp("reference") / "series.db"
    with ReplicaSite() as site:
        result = core.crawl(demo_settings(db), transport=LoopbackTransport(site.origins))
    assert result.ok, result.counts.failures
    return snapshot(db)


# --- the tests -----------------------------------------------------------------------------------------

# When to kill, by what a reader can see of the running pass (its runs row carries its pid):
# its run only, then some list pages logged, then articles being recorded. Each holds in any
# pass, first or later: under load a kill may land later than asked, and the next pass then
# has less to do.
_THIS_RUN = "(SELECT id FROM runs WHERE pid = {pid})"
KILL_POINTS = [
    ("as soon as its run is registered", "SELECT count(*) FROM runs WHERE pid = {pid}"),
    ("while it reads the list pages", f"SELECT count(*) >= 3 FROM fetch_log WHERE run_id = {_THIS_RUN}"),
    ("after the first article is recorded", f"SELECT count(*) >= 1 FROM fetch_log WHERE run_id = {_THIS_RUN} AND article_id IS NOT NULL"),
    ("half-way through the articles", f"SELECT count(*) >= 12 FROM fetch_log WHERE run_id = {_THIS_RUN}"),
    ("late in the pass", f"SELECT count(*) >= 15 FROM fetch_log WHERE run_id = {_THIS_RUN}"),  # of ~20
]


def test_kill_9_at_several_moments_then_the_next_pass_completes(
    slow_site: SlowReplica, tmp_path: Path, reference: list[tuple[Any, ...]]
) -> None:
    config = write_config(tmp_path, slow_site)
    db = tmp_path / "series.db"
    killed = 0
    for moment, condition in KILL_POINTS:
        proc = start_cli(slow_site, config, "crawl", "--json")
        if not wait_until(proc, db, condition.format(pid=proc.pid)):
            _, err = proc.communicate()
            raise AssertionError(f"the pass ended before {moment} (exit {proc.returncode}): {err}")
        kill9(proc)
        killed += 1
        assert_archive_sound(db)
    assert (db.parent / "series.db.holder").exists()  # the killed holder never cleaned up, and that is fine

    done = run_cli(slow_site, config, "crawl", "--json")
    assert done.returncode == 0, done.stderr
    assert "database is locked" not in done.stderr
    assert_archive_sound(db)
    assert snapshot(db) == reference
    with reader(db) as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses == ["interrupted"] * killed + ["ok"]
    assert not (db.parent / "series.db.holder").exists()

    # And the pass after that finds nothing new: the kills left nothing to redo.
    again = run_cli(slow_site, config, "crawl", "--json")
    assert again.returncode == 0, again.stderr
    counts = json.loads(again.stdout)
    assert (counts["new_articles"], counts["new_versions"], counts["failed"]) == (0, 0, 0)
    assert snapshot(db) == reference


def test_kill_9_at_random_moments_of_first_and_later_passes(
    slow_site: SlowReplica, tmp_path: Path, reference: list[tuple[Any, ...]]
) -> None:
    config = write_config(tmp_path, slow_site)
    db = tmp_path / "series.db"
    rng = random.Random(20251218)  # fixed: a failure must be reproducible
    for _ in range(5):
        proc = start_cli(slow_site, config, "crawl", "--json")
        time.sleep(rng.uniform(0.3, 1.8))  # a pass takes ~1.6 s, the interpreter's start included
        if proc.poll() is None:
            kill9(proc)
        else:
            proc.communicate()
        if db.exists():
            assert_archive_sound(db)
    done = run_cli(slow_site, config, "crawl", "--json")
    assert done.returncode == 0, done.stderr
    assert_archive_sound(db)
    assert snapshot(db) == reference


def test_a_failure_while_recording_one_url_leaves_none_of_it(
    crawler: Any, monkeypatch: pytest.MonkeyPatch, manifest: dict[str, Any]
) -> None:
    """The all-or-nothing unit is one URL: a failure half-way through recording it (here,
    after its article and version rows are written) leaves no trace of it but the log row."""
    first = manifest["installments"][0]["url"]
    real_upsert = Archive.upsert_url

    def failing_upsert(self: Archive, url: str, **fields: Any) -> None:
        if url == first and "content_hash" in fields:
            raise RuntimeError("simulated failure after the version rows were written")
        real_upsert(self, url, **fields)

    monkeypatch.setattr(Archive, "upsert_url", failing_upsert)
    result = crawler.crawl()
    db = crawler.settings.archive.db
    assert_archive_sound(db)
    assert [url for url, _ in result.counts.failures] == [first]
    assert "simulated failure" in result.counts.failures[0][1]
    with reader(db) as conn:
        assert conn.execute("SELECT count(*) FROM article_urls WHERE url = ?", (first,)).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM versions WHERE url = ?", (first,)).fetchone() == (0,)
        logged = conn.execute("SELECT outcome, error FROM fetch_log WHERE url = ? ORDER BY id DESC LIMIT 1", (first,)).fetchone()
        assert logged[0] == "error" and "nothing of it was stored" in logged[1]
        # The other installments were archived in the same pass.
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] >= 3

    monkeypatch.setattr(Archive, "upsert_url", real_upsert)
    again = crawler.crawl()
    assert again.ok, again.counts.failures
    assert_archive_sound(db)
    assert sorted(r["installment"] for r in core.list_articles(crawler.settings)) == [1, 2, 3, 4]
