"""The search indexes written once a transaction, just before it commits (schema step 12).

``search.py`` says what the indexes are and how a query reads them; this
module says when they are written. The reason, and the invariant the
triggers keep, are in the comment below.
"""

from __future__ import annotations

import sqlite3

from series_archiver.archive.searchtext import ARTICLE_SHIFT, HAS_TRIGRAM, PAIRS_ROWID_OLD
from series_archiver.archive.sqlscript import run_script

__all__ = ["AUTOMERGE", "create_index_at_commit", "has_pending_list", "index_at_commit_schema", "index_pending"]

# Schema step 12: the two indexes are written once a transaction, at its end,
# instead of by a trigger on every row of ``search_text``. FTS5 writes what it
# holds in memory to a new segment of the index at every savepoint of the
# transaction (SQLite 3.40's fts5SavepointMethod), and inside a trigger every
# statement is one: indexing row by row made a segment a version, and merging
# those segments was most of an import's time in SQLite (both indexes measured
# alone: 1.8 ms a version row by row, 0.8 ms in one statement a batch). A
# new row of ``search_text`` is listed in ``search_pending`` instead, in the
# same savepoint as the row (a record rolled back takes both with it), and
# ``index_pending`` indexes the listed rows in one statement an index, just
# before COMMIT, in the same transaction: a kill -9 leaves the versions and
# their index together or neither. A listed row is in neither index yet, so
# a row removed or changed before its transaction ends is taken out of the
# indexes only when it is not listed.
def index_at_commit_schema() -> str:
    """Step 12's SQL: the list, and the triggers that keep it and take rows out of the indexes."""
    unlisted = "WHERE NOT EXISTS (SELECT 1 FROM search_pending WHERE version_id = old.version_id)"
    take_out = (
        (f"    INSERT INTO search_fts (search_fts, rowid, folded) SELECT 'delete', old.version_id, old.folded {unlisted};\n"
         if HAS_TRIGRAM else "")
        + f"    INSERT INTO search_bigrams (search_bigrams, rowid, grams) SELECT 'delete', {PAIRS_ROWID_OLD}, sa_bigrams(old.folded) {unlisted};\n"
        + "    DELETE FROM search_pending WHERE version_id = old.version_id;\n"
    )
    return f"""
DROP TRIGGER IF EXISTS search_text_fts_insert;
DROP TRIGGER IF EXISTS search_text_fts_delete;
DROP TRIGGER IF EXISTS search_text_fts_update;
DROP TRIGGER IF EXISTS search_text_bigrams_insert;
DROP TRIGGER IF EXISTS search_text_bigrams_delete;
DROP TRIGGER IF EXISTS search_text_bigrams_update;
CREATE TABLE IF NOT EXISTS search_pending (
    version_id INTEGER PRIMARY KEY
);
CREATE TRIGGER IF NOT EXISTS search_text_pending_insert AFTER INSERT ON search_text BEGIN
    INSERT OR IGNORE INTO search_pending (version_id) VALUES (new.version_id);
END;
CREATE TRIGGER IF NOT EXISTS search_text_index_delete AFTER DELETE ON search_text BEGIN
{take_out}END;
CREATE TRIGGER IF NOT EXISTS search_text_index_update AFTER UPDATE ON search_text BEGIN
{take_out}    INSERT OR IGNORE INTO search_pending (version_id) VALUES (new.version_id);
END;
"""


_PENDING_ROWS = "FROM search_pending p JOIN search_text s ON s.version_id = p.version_id"
_INDEX_PENDING = (
    *((f"INSERT INTO search_fts (rowid, folded) SELECT s.version_id, s.folded {_PENDING_ROWS}",) if HAS_TRIGRAM else ()),
    f"INSERT INTO search_bigrams (rowid, grams) SELECT (s.article_id << {ARTICLE_SHIFT}) | s.version_id, sa_bigrams(s.folded) {_PENDING_ROWS}",
    "DELETE FROM search_pending",
)


# FTS5 merges an index's segments once ``automerge`` of them lie at one level (4 by
# default). At 8 each index's data is rewritten fewer times over: the two statements
# took 25-30% less in a loopback measure (a whole import's time moved less than its
# run-to-run spread); a query may read up to twice as many segments, and at a million
# versions measured the same (bench/README.md).
AUTOMERGE = 8


def create_index_at_commit(conn: sqlite3.Connection) -> None:
    """Schema step 12: ``search_pending`` and the triggers that list rows in it (see ``index_pending``); each
    index's ``automerge``."""
    run_script(conn, index_at_commit_schema())
    for index in ("search_fts", "search_bigrams") if HAS_TRIGRAM else ("search_bigrams",):
        conn.execute(f"INSERT INTO {index} ({index}, rank) VALUES ('automerge', ?)", (AUTOMERGE,))


def has_pending_list(conn: sqlite3.Connection) -> bool:
    """Whether the archive indexes at commit (schema step 12 or later)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_pending'").fetchone() is not None


def index_pending(conn: sqlite3.Connection) -> None:
    """Index the rows of ``search_text`` added or changed in this transaction; the writer calls it just before COMMIT."""
    if conn.execute("SELECT 1 FROM search_pending LIMIT 1").fetchone() is None:
        return
    for statement in _INDEX_PENDING:
        conn.execute(statement)
