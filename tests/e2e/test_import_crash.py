"""Crash safety of ``import``: kill -9 a real ``series-archiver import`` (and so its reader processes' parent) mid-file.

After every kill the reader processes leave by themselves, the archive passes
``PRAGMA integrity_check`` and ``verify``, holds no half-written version, and
the next import completes the work: the archive is then the one an
uninterrupted import makes.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import wait_until
from tests.support.command import run
from tests.support.db import assert_archive_sound, rows, versions
from tests.support.paths import REPO

pytestmark = pytest.mark.slow

PAGES = 400

# Three imports are killed, each once it has committed a batch of its own (64 records), by what a reader can see:
# wherever a kill lands, the readers are running then, and each import leaves more done than the one before.
KILLS = 3


@pytest.fixture(scope="module")
def warc(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 installments of the benchmark's series and their list pages (bench/importgen.py)."""
    sys.path.insert(0, str(REPO))
    try:
        from bench import importgen
    finally:
        sys.path.remove(str(REPO))
    path = tmp_path_factory.mktemp("warc") / "series.warc.gz"
    importgen.write_warc(path, PAGES)
    return path


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie (a reaped or unreaped exit both count as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_kill_9_during_an_import_then_verify_accepts_it_and_the_next_import_completes(tmp_path: Path, warc: Path) -> None:
    reference = tmp_path / "reference.db"
    run("import", "--json", "--db", str(reference), str(warc), cwd=tmp_path, check=True)
    db = tmp_path / "series.db"
    for _ in range(KILLS):
        before = rows(db, "SELECT count(*) FROM articles")[0][0] if db.exists() else 0
        condition = f"SELECT count(*) > {before} FROM articles"
        proc = subprocess.Popen(
            [sys.executable, "-m", "series_archiver", "import", "--json", "--db", str(db), str(warc)],
            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        if not wait_until(proc, db, condition, deadline=120):
            _, err = proc.communicate()
            raise AssertionError(f"the import ended before {condition!r} held (exit {proc.returncode}): {err}")
        readers = children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        assert proc.returncode == -signal.SIGKILL
        assert readers, "the import reads its records in reader processes"
        # Orphaned, each reader notices its parent is gone and leaves (within half a second, give or take load).
        deadline = time.monotonic() + 15
        while any(running(pid) for pid in readers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(running(pid) for pid in readers), readers
        assert_archive_sound(db)
        checked = run("verify", "--json", "--db", str(db), cwd=tmp_path)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert json.loads(checked.stdout)["ok"] is True
    done = run("import", "--json", "--db", str(db), str(warc), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert_archive_sound(db)
    assert rows(db, "SELECT count(*) FROM articles") == [(PAGES,)]
    # The texts, versions and hashes an uninterrupted import gives, and each capture once.
    assert versions(db) == versions(reference)
    assert rows(db, "SELECT count(*), count(DISTINCT warc_record_id) FROM captures") == rows(reference, "SELECT count(*), count(*) FROM captures")
    statuses = [r[0] for r in rows(db, "SELECT status FROM runs ORDER BY id")]
    assert statuses[-1] == "ok" and len(statuses) == KILLS + 1
