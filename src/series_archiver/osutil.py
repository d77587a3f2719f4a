"""Small operating-system helpers shared by the archive and the daemon.

* ``pid_alive``: whether a process id names a live process on this machine
  (the writer lock's holder, a run left ``running``, a daemon).
* ``write_json_atomic``: the small JSON files other processes read while we
  write them (the lock's ``.holder``, the daemon's state file).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

__all__ = ["pid_alive", "write_json_atomic"]


def pid_alive(pid: int) -> bool:
    """True while a process with this id exists on this machine.

    >>> pid_alive(os.getpid())
    True
    >>> pid_alive(0)
    False
    """
    # 0 and negative ids address process groups for kill(), not one process.
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is someone else's
    return True


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` so that a reader sees the old file or the new one, never half of one.

    The text goes whole to a temporary name in the same folder (so the rename
    stays on one file system), then ``os.replace`` puts it in place. The files
    written so describe live processes, so there is no fsync: after a power
    cut they are stale whatever they hold.
    """
    text = json.dumps(obj)
    # A name no other process or thread picks, created exclusively; mode 0o666 lets the umask decide,
    # as a plain write_text would, so readers running as another user can still read it.
    partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
