"""One writer at a time, readers always: real processes on one archive.

Writers (crawl, fetch, the daemon) share a lock file beside the database; a
second writer waits up to ``archive.lock_timeout_seconds``, then exits 1 naming
the holder. Readers (``list``, ``show``, Datasette, any read-only SQLite
connection) never take the lock and never wait for it: WAL lets them read the
last committed state while a write is in progress.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from series_archiver.archive.store import Archive
from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.jobs import core
from tests.support.cli import SlowReplica, run_cli, start_cli, write_config
from tests.support.db import assert_archive_sound, reader

pytestmark = pytest.mark.slow

# Seconds the replica sits on each request: a pass takes ~2 s. Where a test needs the first
# writer still mid-pass, it holds the replica (SlowReplica.held) until it is done.
SLOW = 0.1


@pytest.fixture
def slow_site() -> Iterator[SlowReplica]:
    with SlowReplica(SLOW) as site:
        yield site


def holding_the_lock(proc: subprocess.Popen[str], db: Path, deadline: float = 30.0) -> dict[str, object]:
    """Wait until ``proc`` holds the writer lock and its pass is under way; the holder record."""
    holder = db.with_name(db.name + ".holder")
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        assert proc.poll() is None, f"the writer ended early: {proc.communicate()}"
        try:
            data = json.loads(holder.read_text(encoding="utf-8"))
            with reader(db) as conn:
                if data["pid"] == proc.pid and conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]:
                    return data
        except (OSError, ValueError, sqlite3.Error):
            pass
        time.sleep(0.01)
    raise AssertionError("the writer never took the lock")


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_a_second_writer_waits_then_exits_1_naming_the_holder(slow_site: SlowReplica, tmp_path: Path) -> None:
    config = write_config(tmp_path, slow_site, timeout_seconds=120.0)
    impatient = write_config(tmp_path, slow_site, lock_timeout=1.0, name="impatient.toml")
    db = tmp_path / "series.db"
    first = start_cli(slow_site, config, "crawl", "--json")
    holder = holding_the_lock(first, db)
    assert holder["command"] == "crawl"

    with slow_site.held():
        started = time.monotonic()
        second = run_cli(slow_site, impatient, "crawl", "--json")
        waited = time.monotonic() - started
        assert first.poll() is None, "the first writer must still hold the lock when the second gives up"
    assert second.returncode == 1
    assert second.stdout == ""
    error = second.stderr.strip().splitlines()[-1]
    assert error.startswith(f"Error: {db}: another writer holds the archive lock (pid {first.pid} on ")
    assert "running 'crawl' since " in error
    assert "waited 1s" in error and "archive.lock_timeout_seconds" in error
    # It said at once what it was waiting for.
    assert f"is busy: pid {first.pid} on " in second.stderr
    print(f"second writer gave up after {waited:.2f}s (lock_timeout_seconds = 1)")

    done = finish(first)
    assert done.returncode == 0, done.stderr
    for stderr in (done.stderr, second.stderr):
        assert "database is locked" not in stderr
    with reader(db) as conn:
        # The second writer wrote nothing: not even a runs row.
        assert conn.execute("SELECT pid, status FROM runs").fetchall() == [(first.pid, "ok")]
    assert_archive_sound(db)


def test_a_second_writer_waits_for_the_first_then_does_its_work(slow_site: SlowReplica, tmp_path: Path) -> None:
    """``fetch`` and ``crawl`` share the lock: the fetch waits its turn and then runs in full."""
    config = write_config(tmp_path, slow_site, timeout_seconds=120.0)
    db = tmp_path / "series.db"
    article = slow_site.manifest["installments"][0]["url"]
    first = start_cli(slow_site, config, "crawl", "--json")
    holding_the_lock(first, db)
    waiting = tmp_path / "fetch.stderr"
    with slow_site.held():  # the crawl stays mid-pass until the fetch is seen waiting
        second = start_cli(slow_site, config, "fetch", article, "--json", stderr=waiting)
        end = time.monotonic() + 60
        while "is busy" not in waiting.read_text(encoding="utf-8"):
            assert second.poll() is None and time.monotonic() < end, waiting.read_text(encoding="utf-8")
            time.sleep(0.01)
    crawled, fetched = finish(first), finish(second)
    fetched_err = waiting.read_text(encoding="utf-8")
    assert crawled.returncode == 0, crawled.stderr
    assert fetched.returncode == 0, fetched_err
    assert f"is busy: pid {first.pid} on " in fetched_err
    assert "running 'crawl'" in fetched_err
    for stderr in (crawled.stderr, fetched_err):
        assert "database is locked" not in stderr
    assert json.loads(fetched.stdout)["fetched"] == 1
    with reader(db) as conn:
        runs = conn.execute("SELECT kind, pid, status, started_at, finished_at FROM runs ORDER BY id").fetchall()
    assert [(k, p, s) for k, p, s, _, _ in runs] == [("crawl", first.pid, "ok"), ("fetch", second.pid, "ok")]
    assert runs[1][3] >= runs[0][4], "the fetch's pass began only after the crawl's had finished"
    assert_archive_sound(db)


def test_writers_started_together_on_a_new_archive_never_see_database_is_locked(tmp_path: Path) -> None:
    """Three writers race to create the archive and crawl it; they take turns, all succeed."""
    with SlowReplica(0.02) as site:
        config = write_config(tmp_path, site)
        procs = [start_cli(site, config, "crawl", "--json") for _ in range(3)]
        results = [finish(p) for p in procs]
    for r in results:
        assert r.returncode == 0, r.stderr
        assert "database is locked" not in r.stderr
    counts = [json.loads(r.stdout) for r in results]
    assert sorted(c["new_articles"] for c in counts) == [0, 0, 4]
    db = tmp_path / "series.db"
    with reader(db) as conn:
        assert conn.execute("SELECT status FROM runs").fetchall() == [("ok",)] * 3
        assert conn.execute("SELECT count(*) FROM articles").fetchone() == (4,)
    assert_archive_sound(db)


def test_readers_work_while_a_crawl_holds_the_lock(slow_site: SlowReplica, tmp_path: Path) -> None:
    config = write_config(tmp_path, slow_site, timeout_seconds=120.0)
    db = tmp_path / "series.db"
    slow_site.delay = 0.0  # something to read, quickly
    core.crawl(demo_settings(db), transport=LoopbackTransport(slow_site.origins))
    slow_site.delay = SLOW
    before = json.loads(run_cli(slow_site, config, "list", "--json").stdout)
    assert len(before) == 4

    # A reader in the middle of a read transaction all along: it must not hold up the writer.
    lingering = reader(db)
    lingering.execute("BEGIN")
    assert lingering.execute("SELECT count(*) FROM runs").fetchone() == (1,)

    writer = start_cli(slow_site, config, "crawl", "--json")
    holding_the_lock(writer, db)
    with slow_site.held():  # the crawl stays mid-pass, lock held, until the readers are done
        listed = run_cli(slow_site, config, "list", "--json")
        shown = run_cli(slow_site, config, "show", str(before[0]["id"]), "--json")
        with reader(db) as conn:
            plain = conn.execute("SELECT count(*) FROM articles").fetchone()
        assert writer.poll() is None, "the readers must have answered while the crawl still ran"
    assert listed.returncode == 0, listed.stderr
    # The pass may have recorded some checks already (last_checked); the articles are the same.
    assert [(r["id"], r["title"], r["versions"], r["urls"]) for r in json.loads(listed.stdout)] == [
        (r["id"], r["title"], r["versions"], r["urls"]) for r in before
    ]
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["title"] == before[0]["title"]
    assert plain == (4,)

    done = finish(writer)
    assert done.returncode == 0, done.stderr
    assert "database is locked" not in done.stderr
    # The lingering reader still sees its snapshot; a new one sees the second pass.
    assert lingering.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    lingering.rollback()
    lingering.close()
    with reader(db) as conn:
        assert conn.execute("SELECT count(*) FROM runs WHERE status = 'ok'").fetchone() == (2,)


def test_readers_work_during_a_write_transaction(tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    with SlowReplica(0.0) as site:
        core.crawl(demo_settings(db), transport=LoopbackTransport(site.origins))
        config = write_config(tmp_path, site)
        archive = Archive(db)
        article = archive.articles()[0]
        try:
            with archive.transaction() as conn:
                conn.execute("UPDATE articles SET title = 'uncommitted' WHERE id = ?", (article.id,))
                listed = run_cli(site, config, "list", "--json")
                shown = run_cli(site, config, "show", str(article.id), "--json")
                with reader(db) as plain:
                    seen = plain.execute("SELECT title FROM articles WHERE id = ?", (article.id,)).fetchone()
                # They read the last committed state, without waiting for the writer.
                assert listed.returncode == 0, listed.stderr
                assert shown.returncode == 0, shown.stderr
                assert {r["id"]: r["title"] for r in json.loads(listed.stdout)}[article.id] == article.title
                assert json.loads(shown.stdout)["id"] == article.id
                assert seen == (article.title,)
            with reader(db) as plain:
                assert plain.execute("SELECT title FROM articles WHERE id = ?", (article.id,)).fetchone() == ("uncommitted",)
        finally:
            archive.close()
