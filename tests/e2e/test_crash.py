"""Crash safety: kill -9 a real ``series-archiver crawl`` mid-pass, run it again.

The crawl is a subprocess crawling a replica this test serves (the CLI is given
its origins with ``--replica``, an explicit option of the commands that fetch);
the replica answers slowly, so a pass is still going when it is killed. After
every kill the archive must pass ``PRAGMA integrity_check``, hold no
half-written version and no duplicate, and the next pass must complete.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from series_archiver.archive.store import Archive
from series_archiver.jobs import core
from tests.support.cli import SlowReplica, run_cli, start_cli, wait_until, write_config
from tests.support.db import assert_archive_sound, reader, snapshot

pytestmark = pytest.mark.slow

# Seconds the replica sits on every request but robots.txt: a pass takes ~2 s, long enough to be caught.
SLOW = 0.1


@pytest.fixture
def slow_site() -> Iterator[SlowReplica]:
    with SlowReplica(SLOW) as site:
        yield site


def kill9(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL


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
        with reader(db) as conn:
            (status,) = conn.execute("SELECT status FROM runs WHERE pid = ?", (proc.pid,)).fetchone()
        # A pass killed mid-way never cleaned up its holder note, and that is fine. (A kill meant for late
        # in a re-check pass can land once the pass is over: its re-checks, started while the list pages
        # were read, are recorded in one batch at the end.)
        assert status == "ok" or (db.parent / "series.db.holder").exists(), status

    done = run_cli(slow_site, config, "crawl", "--json")
    assert done.returncode == 0, done.stderr
    assert "database is locked" not in done.stderr
    assert_archive_sound(db)
    assert snapshot(db) == reference
    with reader(db) as conn:
        statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY id")]
    # A pass commits its readings in batches. The first three moments come before any batch of
    # articles: those kills always interrupt. The last two are counted in fetch-log rows, which a
    # later pass writes mostly in one batch at its end (its re-checks, started while the list pages
    # were read, and the few new articles fetched beside them), so such a kill can land once that
    # batch and the run are committed, and that pass is then ok with nothing left to redo (seen
    # for both under load). Every kill, whenever it landed, left a sound archive (checked after
    # each) and the same rows in the end (above).
    early_kills = len(KILL_POINTS) - 2
    assert len(statuses) == killed + 1 and statuses[-1] == "ok", statuses
    assert statuses[:early_kills] == ["interrupted"] * early_kills, statuses
    assert set(statuses[early_kills:-1]) <= {"interrupted", "ok"}, statuses
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
