"""An archive that cannot be written, through the real CLI: a read-only file or folder, a folder that is not there.

Tests run as root in CI, and root passes permission bits, so ``chmod`` makes
nothing read-only for it. As root, the file or folder is bind-mounted
read-only for the command alone (``unshare --mount``: the kernel refuses every
write, EROFS), or else made immutable (``chattr +i``); as another user,
``chmod`` does. The tests skip, saying why, only where none of these works.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from series_archiver.archive import Archive
from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.jobs import core

# Every host refused before a socket opens: a crawl that got past opening would reach nothing.
NO_SITE = ["--replica", "{}"]


class ReadOnly:
    """Runs the CLI with some paths read-only for it, even as root; ``how``: bind, chattr or chmod."""

    def __init__(self, how: str) -> None:
        self.how = how

    def run(self, read_only: Sequence[Path], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """``python -m series_archiver <args>`` with ``read_only`` unwritable."""
        return self._run(read_only, [sys.executable, "-m", "series_archiver", *args], cwd=cwd)

    def _run(self, read_only: Sequence[Path], argv: list[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SERIES_ARCHIVER_")}
        if self.how == "bind":
            mounts = " && ".join(f"mount --bind {shlex.quote(str(p))} {shlex.quote(str(p))} && mount -o remount,bind,ro {shlex.quote(str(p))}"
                                 for p in read_only)
            argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", f'{mounts} && exec "$@"', "sh", *argv]
            return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)
        with self._made_read_only(read_only):
            return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)

    @contextmanager
    def _made_read_only(self, paths: Sequence[Path]) -> Iterator[None]:
        if self.how == "chattr":
            subprocess.run(["chattr", "+i", *map(str, paths)], check=True, capture_output=True)
            try:
                yield
            finally:
                subprocess.run(["chattr", "-i", *map(str, paths)], check=True, capture_output=True)
            return
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)

    def works(self, folder: Path) -> str | None:
        """None when a write into ``folder`` is refused under this method; else what went wrong."""
        code = "import sys\ntry:\n    open(sys.argv[1], 'w')\nexcept OSError:\n    print('refused')"
        try:
            proc = self._run([folder], [sys.executable, "-c", code, str(folder / "probe")], cwd=folder.parent)
        except (OSError, subprocess.CalledProcessError) as exc:
            return f"{self.how}: {exc}"
        if proc.returncode == 0 and proc.stdout.strip() == "refused":
            return None
        return f"{self.how}: exit {proc.returncode}, {proc.stdout.strip() or proc.stderr.strip()[-200:]}"


@pytest.fixture(scope="session")
def read_only(tmp_path_factory: pytest.TempPathFactory) -> ReadOnly:
    if os.geteuid() != 0:
        return ReadOnly("chmod")
    failures = []
    for how in ("bind", "chattr"):
        if shutil.which("unshare" if how == "bind" else "chattr") is None:
            failures.append(f"{how}: the command is not installed")
            continue
        method = ReadOnly(how)
        problem = method.works(tmp_path_factory.mktemp(f"probe-{how}"))
        if problem is None:
            return method
        failures.append(problem)
    pytest.skip("root ignores permission bits, and this machine can make nothing read-only for it: " + "; ".join(failures))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of the replica's series, closed (its -wal checkpointed and gone)."""
    db = tmp_path_factory.mktemp("crawled") / "series.db"
    with ReplicaSite() as site:
        result = core.crawl(demo_settings(db), transport=LoopbackTransport(site.origins))
    assert result.counts.new_articles == 4
    assert not db.with_name("series.db-wal").exists()
    return db


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The command failed with exit 1 and one line, no traceback; that line."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    return lines[0]


# --- writers refuse, in one line -------------------------------------------------------


def test_crawl_on_a_read_only_archive_file_says_so_in_one_line(read_only: ReadOnly, crawled: Path, tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    shutil.copy(crawled, db)
    before = sha256(db)
    line = one_line_error(read_only.run([db], "crawl", "--db", str(db), *NO_SITE, cwd=tmp_path))
    assert line == (
        f"Error: {db}: the archive file is read-only; make it writable, or copy it to a writable folder and pass the copy with --db"
    )
    assert sha256(db) == before


def test_crawl_in_a_read_only_folder_says_the_folder_is_read_only(read_only: ReadOnly, crawled: Path, tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    db = folder / "series.db"
    shutil.copy(crawled, db)
    before = sha256(db)
    for command in (["crawl", *NO_SITE], ["upgrade"], ["rederive"]):
        line = one_line_error(read_only.run([folder], command[0], "--db", str(db), *command[1:], cwd=tmp_path))
        assert f"{db}: the archive's folder {folder} is read-only" in line, command
        assert "series.db-wal, series.db-shm, series.db.lock" in line and "make the folder writable" in line
    assert sha256(db) == before
    assert sorted(p.name for p in folder.iterdir()) == ["series.db"]


def test_a_writer_refuses_a_folder_that_does_not_exist_and_makes_none(tmp_path: Path) -> None:
    db = tmp_path / "unmounted" / "archive" / "series.db"
    proc = subprocess.run(
        [sys.executable, "-m", "series_archiver", "crawl", "--db", str(db), *NO_SITE],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    folder = db.parent
    assert one_line_error(proc) == (
        f"Error: {db}: its folder {folder} does not exist; create it first (mkdir -p {folder}), or correct --db (or archive.db)"
    )
    assert not (tmp_path / "unmounted").exists()
    reader = subprocess.run(
        [sys.executable, "-m", "series_archiver", "list", "--db", str(db)], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert one_line_error(reader) == f"Error: {db}: no archive here yet; run `series-archiver crawl` (or `demo`) first"


def test_the_packaged_default_folder_is_still_made_on_first_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Archive(Path("archive/series.db")) as archive:
        assert archive.schema_version > 0
    assert (tmp_path / "archive" / "series.db").is_file()


# --- readers read an archive in a read-only folder ---------------------------------------


def test_readers_read_an_intact_archive_in_a_read_only_folder(read_only: ReadOnly, crawled: Path, tmp_path: Path) -> None:
    folder = tmp_path / "archive"
    folder.mkdir()
    db = folder / "series.db"
    shutil.copy(crawled, db)
    writable = tmp_path / "writable.db"
    shutil.copy(crawled, writable)

    def ok(*args: str, target: Path) -> str:
        proc = read_only.run([folder], *args, "--db", str(target), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    listed = json.loads(ok("list", "--json", target=db))
    assert listed == json.loads(ok("list", "--json", target=writable))
    first = listed[0]["id"]
    assert json.loads(ok("show", str(first), "--json", target=db)) == json.loads(ok("show", str(first), "--json", target=writable))
    assert json.loads(ok("verify", "--json", target=db))["ok"] is True
    ok("export", "--jsonl", str(tmp_path / "out.jsonl"), "--warc", str(tmp_path / "out.warc.gz"), target=db)
    ok("export", "--jsonl", str(tmp_path / "again.jsonl"), target=writable)
    assert (tmp_path / "out.jsonl").read_bytes() == (tmp_path / "again.jsonl").read_bytes()
    assert (tmp_path / "out.warc.gz").stat().st_size > 0
    assert sorted(p.name for p in folder.iterdir()) == ["series.db"]


def test_a_reader_says_why_it_cannot_read_changes_left_in_the_wal_of_a_read_only_folder(
    read_only: ReadOnly, crawled: Path, tmp_path: Path
) -> None:
    """Read as it is, the file would miss the committed changes still in its -wal: the reader refuses, and says why."""
    source = tmp_path / "source.db"
    shutil.copy(crawled, source)
    folder = tmp_path / "archive"
    folder.mkdir()
    writer = sqlite3.connect(source, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("UPDATE articles SET title = title || ' (edited)'")
        # A writer that went away without a checkpoint, its -shm lost: the -wal holds the edit.
        shutil.copy(source, folder / "series.db")
        shutil.copy(source.with_name("source.db-wal"), folder / "series.db-wal")
    finally:
        writer.close()
    assert (folder / "series.db-wal").stat().st_size > 0
    db = folder / "series.db"
    line = one_line_error(read_only.run([folder], "list", "--db", str(db), cwd=tmp_path))
    assert f"{db}: cannot read the archive: its folder {folder} is read-only" in line
    assert "series.db-wal" in line and "copy the folder to a writable place" in line
