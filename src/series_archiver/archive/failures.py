"""SQLite's errors become the project's at the archive's edge (httpx's ``map_exceptions`` is the model).

Inside ``Archive.transaction()`` and ``batch()``, and while an archive is
opened, an ``sqlite3.Error`` becomes:

- ``WriteRejected``: SQLite refused one unit's rows (a constraint broken, a
  value it cannot store or bind): a bug in recording that unit, rolled back;
- ``ArchiveReadOnly``: the archive file or its folder cannot be written;
- ``ArchiveUnwritable``: anything else: disk full, I/O error, busy past the
  timeout, a damaged file, a statement SQLite refuses.

The rest of the package catches these, never ``sqlite3.Error``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from series_archiver.errors import ArchiveReadOnly, ArchiveUnwritable, StoreError, WriteRejected

__all__ = ["cause_of", "problem_and_advice", "read_only_error", "read_only_reason", "sqlite_errors", "store_error"]

# SQLite's primary result codes (the low byte of ``sqlite_errorcode``), https://sqlite.org/rescode.html
_BUSY, _LOCKED, _NOMEM, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 7, 8, 10, 11, 13, 14, 26

# cause: (what went wrong, what to do)
_CAUSES: dict[str, tuple[str, str]] = {
    "full": ("the disk is full", "free some space, then run again; what was recorded before stays"),
    "io": ("a disk I/O error", "check the disk (and the system log), then run again; what was recorded before stays"),
    "busy": (
        "another process kept the archive busy past the timeout",
        "close whatever else writes to it (an sqlite3 shell, a second copy of series-archiver), then run again",
    ),
    "damaged": (
        "the archive file is damaged",
        "run `series-archiver verify`; if it fails, restore the archive from a backup (an upgrade leaves one beside it)",
    ),
    "cannot-open": (
        "SQLite cannot open a file beside the archive (its -wal, -shm or journal)",
        "check that the archive's folder is there, writable, and has space, then run again",
    ),
    "memory": ("SQLite ran out of memory", "close other programs, then run again"),
    "error": ("SQLite refused a statement", "run `series-archiver verify`; if the archive is sound, it is a bug: please report it"),
}


_CAUSE_OF_CODE = {
    _FULL: "full",
    _IOERR: "io",
    _BUSY: "busy",
    _LOCKED: "busy",
    _CORRUPT: "damaged",
    _NOTADB: "damaged",
    _CANTOPEN: "cannot-open",
    _READONLY: "read-only",
    _NOMEM: "memory",
}


def cause_of(exc: sqlite3.Error) -> str:
    """One word for what went wrong (``ArchiveUnwritable.cause``), from SQLite's result code."""
    code = getattr(exc, "sqlite_errorcode", None)  # absent from errors Python's module raises itself (a closed connection)
    return _CAUSE_OF_CODE.get(code & 0xFF, "error") if isinstance(code, int) else "error"


def problem_and_advice(cause: str) -> tuple[str, str]:
    """What went wrong and what to do, for a ``cause_of`` word other than ``read-only``."""
    return _CAUSES[cause]


def read_only_reason(path: Path) -> str | None:
    """Why a writer cannot write the archive at ``path``, with what to do; None when its folder and file are writable.

    ``os.access`` asks the kernel, so a read-only mount and ``chattr +i``
    count for root too (root passes permission bits, and so may write).
    """
    folder = path.parent
    if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"the archive's folder {folder} is read-only, and a writer makes files beside the archive "
            f"({path.name}-wal, {path.name}-shm, {path.name}.lock); make the folder writable, "
            "or copy the archive to a writable folder and pass the copy with --db"
        )
    if path.exists() and not os.access(path, os.W_OK):
        return "the archive file is read-only; make it writable, or copy it to a writable folder and pass the copy with --db"
    return None


def read_only_error(path: Path, doing: str = "", detail: str = "") -> ArchiveReadOnly:
    """``ArchiveReadOnly`` naming what is read-only (the folder or the file) and what to do."""
    reason = read_only_reason(path) or f"SQLite finds the archive read-only ({detail}); make it and its folder writable"
    return ArchiveReadOnly(str(path), f"cannot {doing}: {reason}" if doing else reason, doing=doing)


def store_error(path: Path, exc: sqlite3.Error, *, doing: str = "") -> StoreError:
    """The project's error for ``exc``, raised while doing ``doing`` (``record https://…``) to the archive at ``path``."""
    what = doing or "write the archive"
    if isinstance(exc, sqlite3.IntegrityError | sqlite3.DataError | sqlite3.InterfaceError):
        return WriteRejected(
            str(path), f"SQLite refused to {what} ({exc}); nothing of it was stored (a bug, please report it)", doing=what
        )
    cause = cause_of(exc)
    if cause == "read-only" or (cause == "cannot-open" and read_only_reason(path)):
        return read_only_error(path, what, str(exc))
    problem, advice = _CAUSES[cause]
    return ArchiveUnwritable(str(path), f"cannot {what}: {problem} ({exc}); {advice}", cause=cause, doing=what)


@contextmanager
def sqlite_errors(path: Path, *, doing: str = "") -> Iterator[None]:
    """Raise the project's error for any ``sqlite3.Error`` inside (``store_error``); other errors pass unchanged."""
    try:
        yield
    except sqlite3.Error as exc:
        raise store_error(path, exc, doing=doing) from exc
