"""Bringing an archive written by an earlier release up to this release's schema.

The steps are ``schema.STEPS``; sqlite-utils' ``Migrations`` applies the ones
an archive lacks, each in one transaction together with its row in
``_sqlite_migrations`` (so the archive itself says when it was upgraded), and
each step sets ``PRAGMA user_version`` to its number, which is what readers
check. Only a writer holding the writer lock migrates (``Archive``); readers
never write, they ask for ``series-archiver upgrade``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from .schema import SCHEMA_VERSION, STEPS, Step

__all__ = ["MIGRATIONS", "schema_version", "pending_steps", "migrate", "backup"]

MIGRATIONS = sqlite_utils.Migrations("series-archiver")


def _register(step: Step) -> None:
    def apply(db: sqlite_utils.Database) -> None:
        step.apply(db.conn)
        db.conn.execute(f"PRAGMA user_version = {int(step.number)}")

    MIGRATIONS(name=f"{step.number:04d}_{step.name}")(apply)


for _step in STEPS:
    _register(_step)


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def pending_steps(conn: sqlite3.Connection) -> list[Step]:
    """The steps an archive at ``user_version`` still needs, in order."""
    current = schema_version(conn)
    return [s for s in STEPS if s.number > current]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply the pending steps; returns their names. The caller holds the writer lock.

    A step that fails is rolled back whole and raises: the archive stays at
    the last step that completed, and running again resumes from there.
    """
    if schema_version(conn) > SCHEMA_VERSION:
        raise ValueError(f"schema {schema_version(conn)} is newer than this release's {SCHEMA_VERSION}")
    db = sqlite_utils.Database(conn)
    # An archive of 0.1.0 has user_version 1 but no _sqlite_migrations table:
    # step 1 is written so that running it there changes nothing.
    names = [m.name for m in MIGRATIONS.pending(db)]
    MIGRATIONS.apply(db)
    return names


def backup(conn: sqlite3.Connection, target: Path) -> None:
    """A consistent copy of the archive, taken while it is open (``VACUUM INTO``)."""
    if target.exists():
        raise FileExistsError(str(target))
    conn.execute("VACUUM INTO ?", (str(target),))
