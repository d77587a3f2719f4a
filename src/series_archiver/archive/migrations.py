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
from collections.abc import Callable, Sequence
from pathlib import Path

import sqlite_utils

from series_archiver.archive.schema import STEPS, Step
from series_archiver.archive.searchwrite import has_pending_list, index_pending

__all__ = ["migrations_for", "schema_version", "pending_steps", "migrate", "backup", "step_name"]

def migrations_for(steps: Sequence[Step]) -> sqlite_utils.Migrations:
    """The steps as one sqlite-utils migration set, named by number so they sort and read well."""
    migrations = sqlite_utils.Migrations("series-archiver")
    for step in steps:
        migrations(name=step_name(step))(_applier(step))
    return migrations


def step_name(step: Step) -> str:
    return f"{step.number:04d}_{step.name}"


def _applier(step: Step) -> Callable[[sqlite_utils.Database], None]:
    def apply(db: sqlite_utils.Database) -> None:
        step.apply(db.conn)
        # sqlite-utils commits the step itself, not through ``Archive._commit``: rows a step
        # adds to ``search_text`` are indexed here, in the step's own transaction, or they
        # would stay listed and unsearchable until a repair.
        if has_pending_list(db.conn):
            index_pending(db.conn)
        db.conn.execute(f"PRAGMA user_version = {int(step.number)}")

    return apply


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def pending_steps(conn: sqlite3.Connection, steps: Sequence[Step] = STEPS) -> list[Step]:
    """The steps an archive at ``user_version`` still needs, in order."""
    current = schema_version(conn)
    return [s for s in steps if s.number > current]


def migrate(conn: sqlite3.Connection, steps: Sequence[Step] = STEPS) -> list[str]:
    """Apply the pending steps; returns their names. The caller holds the writer lock.

    A step that fails is rolled back whole and raises: the archive stays at
    the last step that completed, and running again resumes from there.
    A new archive (schema 0) gets every step in one transaction instead, so a
    kill while it is being made leaves all of the schema or none of it, never
    a file that looks like an archive of some old release.
    """
    if schema_version(conn) > steps[-1].number:
        raise ValueError(f"schema {schema_version(conn)} is newer than this release's {steps[-1].number}")
    db = sqlite_utils.Database(conn)
    migrations = migrations_for(steps)
    # An archive of 0.1.0 has user_version 1 but no _sqlite_migrations table:
    # step 1 is written so that running it there changes nothing.
    names = [m.name for m in migrations.pending(db)]
    if schema_version(conn) == 0 and not conn.in_transaction:
        # Each step's own transaction nests inside this one as a savepoint.
        conn.execute("BEGIN IMMEDIATE")
        try:
            migrations.apply(db)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    else:
        migrations.apply(db)
    return names


def backup(conn: sqlite3.Connection, target: Path) -> None:
    """A consistent copy of the archive, taken while it is open (``VACUUM INTO``)."""
    if target.exists():
        raise FileExistsError(str(target))
    conn.execute("VACUUM INTO ?", (str(target),))
