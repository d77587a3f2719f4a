"""The pid check and the atomic JSON write (osutil)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from series_archiver.osutil import pid_alive, write_json_atomic


def test_this_process_is_alive_a_finished_one_is_not() -> None:
    assert pid_alive(os.getpid())
    proc = subprocess.Popen(["true"])
    proc.wait()  # reaped: the id names no process now
    assert not pid_alive(proc.pid)


@pytest.mark.parametrize("pid", [0, -1, -os.getpid()])
def test_zero_and_negative_ids_are_never_a_live_process(pid: int) -> None:
    # os.kill(0, 0) or a negative id would ask about a whole process group.
    assert not pid_alive(pid)


def test_someone_elses_process_counts_as_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(pid: int, sig: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "kill", refused)
    assert pid_alive(12345)


def _leftovers(folder: Path, keep: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p != keep]


def test_write_json_atomic_writes_and_replaces_leaving_nothing_beside(tmp_path: Path) -> None:
    path = tmp_path / "series.db.daemon"
    write_json_atomic(path, {"pid": 1, "next_run_at": None})
    assert json.loads(path.read_text(encoding="utf-8")) == {"pid": 1, "next_run_at": None}
    write_json_atomic(path, {"pid": 2, "text": "某系列"})
    assert json.loads(path.read_text(encoding="utf-8")) == {"pid": 2, "text": "某系列"}
    assert _leftovers(tmp_path, path) == []


def test_the_file_gets_the_permissions_a_plain_write_would(tmp_path: Path) -> None:
    plain, atomic = tmp_path / "plain", tmp_path / "atomic"
    plain.write_text("{}", encoding="utf-8")
    write_json_atomic(atomic, {})
    assert stat.S_IMODE(atomic.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)


def test_a_failed_write_keeps_the_old_file_whole_and_removes_the_partial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "series.db.holder"
    write_json_atomic(path, {"pid": 1})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"pid": object()})  # not JSON: nothing is written at all
    assert json.loads(path.read_text(encoding="utf-8")) == {"pid": 1}

    def full_disk(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        write_json_atomic(path, {"pid": 2})
    assert json.loads(path.read_text(encoding="utf-8")) == {"pid": 1}
    assert _leftovers(tmp_path, path) == []


@pytest.mark.slow
def test_a_reader_never_sees_half_a_file_while_writers_race(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    write_json_atomic(path, {"n": -1, "pad": ""})
    errors: list[OSError] = []

    def writer(start: int) -> None:
        try:
            for n in range(start, start + 200):
                write_json_atomic(path, {"n": n, "pad": "x" * 20000})
        except OSError as exc:  # two threads of one process must not collide on the temporary name
            errors.append(exc)

    writers = [threading.Thread(target=writer, args=(k * 1000,)) for k in range(2)]
    for w in writers:
        w.start()
    reads = 0
    while any(w.is_alive() for w in writers):
        json.loads(path.read_text(encoding="utf-8"))  # raises on a half-written file
        reads += 1
    for w in writers:
        w.join()
    assert errors == []
    assert reads > 0
    assert _leftovers(tmp_path, path) == []
