"""Run a DDL script inside the caller's transaction.

``executescript`` commits whatever transaction is open before it runs, so a
migration step made of several statements would not be one transaction.
``statements`` splits a script where SQLite itself sees a statement end
(``sqlite3.complete_statement``), so a trigger's ``BEGIN … END;`` stays whole.
"""

from __future__ import annotations

import sqlite3

__all__ = ["run_script", "statements"]


def statements(script: str) -> list[str]:
    """The statements of ``script``, each with its ``;``, a trigger's body kept whole.

    >>> statements("CREATE TABLE t (a); CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;")
    ['CREATE TABLE t (a);', 'CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END;']
    """
    out: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                out.append(pending.strip())
            pending = ""
    return out


def run_script(conn: sqlite3.Connection, script: str) -> None:
    for statement in statements(script):
        conn.execute(statement)
