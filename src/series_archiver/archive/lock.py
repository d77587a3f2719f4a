"""The one-writer lock: a lock file beside the archive, and a note naming its holder.

``crawl``, ``fetch``, the daemon's passes and schema upgrades take it; readers
never do (WAL lets them read while a writer writes). The holder note
(``series.db.holder``: pid, host, command, since) lets a waiting process, and
``status``, say whom they wait for.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from series_archiver.errors import LockTimeout
from series_archiver.osutil import write_json_atomic

__all__ = ["writer_lock", "holder_info", "read_holder"]

log = logging.getLogger("series_archiver")


def _paths(db_path: Path) -> tuple[Path, Path]:
    return db_path.with_name(db_path.name + ".lock"), db_path.with_name(db_path.name + ".holder")


@contextmanager
def writer_lock(db_path: Path, timeout: float, *, command: str = "") -> Iterator[None]:
    """Hold the writer lock of the archive at ``db_path``, or raise ``LockTimeout`` after ``timeout`` seconds."""
    lock_path, holder_path = _paths(db_path)
    lock = FileLock(str(lock_path))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        # Say so at once: a command that sits silent for a minute looks hung.
        log.warning("%s is busy: %s; waiting up to %gs (archive.lock_timeout_seconds)", db_path, read_holder(db_path), timeout)
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise LockTimeout(str(db_path), read_holder(db_path), timeout) from None
    try:
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command or " ".join(sys.argv[:2]),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        # Written whole then renamed: a waiting process never reads half a holder.
        write_json_atomic(holder_path, holder)
        yield
    finally:
        with suppress(FileNotFoundError):
            holder_path.unlink()
        lock.release()


def holder_info(db_path: Path) -> dict[str, Any] | None:
    """The ``.holder`` file beside the archive (pid, host, command, since); None when there is none."""
    _, holder_path = _paths(db_path)
    try:
        data = json.loads(holder_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_holder(db_path: Path) -> str:
    """Who holds the writer lock, as a readable phrase (or 'unknown')."""
    data = holder_info(db_path)
    if not data:
        return "unknown process"
    return f"pid {data.get('pid')} on {data.get('host')}, running {data.get('command')!r} since {data.get('since')}"

