"""A daemon's config file (a schedule added to the CLI's), and whether its archive's lock is free."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from filelock import FileLock

from series_archiver.demo.replica import ReplicaSite
from tests.support.cli import write_config


def daemon_config(tmp_path: Path, site: ReplicaSite, cron: str, *, extra: str = "", **kw: Any) -> Path:
    path = write_config(tmp_path, site, **kw)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f'\n[schedule]\ncron = "{cron}"\n{extra}')
    return path


def lock_is_free(db: Path) -> bool:
    lock = FileLock(str(db.with_name(db.name + ".lock")))
    try:
        lock.acquire(timeout=0)
    except TimeoutError:
        return False
    lock.release()
    return True
