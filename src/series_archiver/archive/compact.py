"""Compact evidence rows (schema step 11): URLs once, SHA-256s as bytes, runs of unchanged re-fetches.

Every re-fetch used to write a ``fetch_log`` row carrying its URL as text
(~236 bytes with its index entries), and every capture its URL, final URL and
hex SHA-256 (~500 bytes besides the stored frames). What a pass over an
unchanged archive adds is now:

* ``urls``: each URL once; ``capture_store`` and ``fetches`` refer to it by id.
* ``capture_store.sha256``: the 32 bytes, not 64 hex characters.
* ``fetches``: one row per HTTP attempt, except that a re-fetch which found
  the URL unchanged (outcome ``unchanged`` or ``not_modified``) and repeats
  the URL's previous row in all but its time (same attempt number, status,
  outcome, article and capture, no error) is folded into that row: ``repeats``
  counts the re-fetches folded in, ``last_id`` and ``last_at`` say which was
  last and when, and ``repeated`` keeps each of them as a JSON array
  ``[id − id, run_id − run_id, seconds after requested_at, elapsed_ms × 10,
  bytes]``, about 25 bytes where a row took 236. Nothing is lost: the
  ``fetch_log`` view unfolds every run into the rows the log held before, id
  for id (ids are one sequence over rows and folded re-fetches), so the
  WARC export's revisits, the time-order reads and any SQL over ``fetch_log``
  answer as they did. A run holds at most ``MAX_REPEATS`` re-fetches, so a row
  stays small to rewrite.
* Views ``captures`` and ``fetch_log`` keep the old columns for readers and
  Datasette; writers write the tables.

A re-fetch is folded only when the view gives it back exactly: its time in
UTC to the second (``iso``), its elapsed time in tenths of a millisecond.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from series_archiver.archive.sqlscript import run_script

__all__ = [
    "FETCH_COLUMNS",
    "MAX_REPEATS",
    "REPEATABLE",
    "LogRow",
    "append",
    "fold",
    "sha256_bytes",
    "step_11",
    "unfold",
]

# Outcomes of a re-fetch that found nothing new: a 304, or the same bytes again.
REPEATABLE = frozenset({"unchanged", "not_modified"})
# Re-fetches folded into one row at most: ~25 bytes each, so a row stays under ~3 KB to rewrite.
MAX_REPEATS = 100

# The columns of ``fetches`` a reader unfolds (``unfold``), in this order.
FETCH_COLUMNS = (
    "f.id, f.run_id, u.url, f.requested_at, f.attempt, f.status, f.outcome, f.error, f.elapsed_ms, f.bytes, "
    "f.article_id, f.capture_id, f.repeated"
)


@dataclass(frozen=True)
class LogRow:
    """One row of the fetch log as readers see it: an attempt, a re-fetch folded into a run unfolded."""

    id: int
    run_id: int | None
    url: str
    requested_at: str
    attempt: int
    status: int | None
    outcome: str
    error: str | None
    elapsed_ms: float | None
    bytes: int | None
    article_id: int | None
    capture_id: int | None


def _utc(stamp: str) -> datetime | None:
    """The time of an ``iso`` stamp in UTC to the second, or None when the view could not give it back as it is."""
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if when.utcoffset() != timedelta(0) or when.microsecond or _stamp(when) != stamp:
        return None
    return when


def _stamp(when: datetime) -> str:
    # What the view's strftime('%Y-%m-%dT%H:%M:%S+00:00', …) writes.
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _tenths(elapsed: float | None) -> tuple[bool, int | None]:
    """(exact, elapsed ms as tenths): not exact when tenths would not give it back as it is."""
    if elapsed is None:
        return True, None
    tenths = round(elapsed * 10)
    return tenths / 10.0 == elapsed, tenths


def fold(first: LogRow, repeats: int, row: LogRow) -> str | None:
    """The JSON member for ``row`` folded into the run that ``first`` starts (``repeats`` folded so far), or None.

    None when ``row`` is no unchanged re-fetch repeating ``first``, the run is
    full, or the view could not give ``row`` back exactly.
    """
    if row.outcome not in REPEATABLE or row.error is not None or repeats >= MAX_REPEATS:
        return None
    same = (first.url, first.attempt, first.status, first.outcome, first.error, first.article_id, first.capture_id)
    if same != (row.url, row.attempt, row.status, row.outcome, row.error, row.article_id, row.capture_id):
        return None
    if first.run_id is None or row.run_id is None or row.id <= first.id:
        return None
    start, at = _utc(first.requested_at), _utc(row.requested_at)
    exact, tenths = _tenths(row.elapsed_ms)
    if start is None or at is None or not exact:
        return None
    seconds = int((at - start).total_seconds())
    if _stamp(start + timedelta(seconds=seconds)) != row.requested_at:
        return None
    return json.dumps([row.id - first.id, row.run_id - first.run_id, seconds, tenths, row.bytes], separators=(",", ":"))


def append(repeated: str | None, member: str) -> str:
    """``repeated`` with one more member."""
    return f"[{member}]" if not repeated else f"{repeated[:-1]},{member}]"


def unfold(row: tuple[object, ...]) -> Iterator[LogRow]:
    """The rows a ``fetches`` row stands for (selected as ``FETCH_COLUMNS``), in id order: the view's rows, in Python."""
    *fields, repeated = row
    first = LogRow(*fields)  # type: ignore[arg-type]
    yield first
    if not repeated:
        return
    start = datetime.fromisoformat(first.requested_at)
    for id_off, run_off, seconds, tenths, size in json.loads(str(repeated)):
        yield replace(
            first,
            id=first.id + id_off,
            run_id=None if first.run_id is None else first.run_id + run_off,
            requested_at=_stamp(start + timedelta(seconds=seconds)),
            elapsed_ms=None if tenths is None else tenths / 10.0,
            bytes=size,
        )


def sha256_bytes(digest: str | None) -> bytes | str | None:
    """A hex SHA-256 as its 32 bytes; anything else (damaged, not lower-case hex) kept as it is, so the view gives it back."""
    if digest is None:
        return None
    try:
        raw = bytes.fromhex(digest)
    except ValueError:
        return digest
    return raw if len(raw) == 32 and raw.hex() == digest else digest


# --- the step ------------------------------------------------------------------------------

_SHA256_HEX = "CASE WHEN typeof(c.sha256) = 'blob' THEN lower(hex(c.sha256)) ELSE c.sha256 END"

V11_URLS = """
CREATE TABLE urls (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE
);
"""

# The tables keep their rows and ids; renaming them first makes SQLite point
# every foreign key at the new names (screenshots, versions, evidence …).
V11_RESHAPE = """
ALTER TABLE captures RENAME TO capture_store;
ALTER TABLE capture_store ADD COLUMN url_id INTEGER REFERENCES urls(id);
ALTER TABLE capture_store ADD COLUMN final_url_id INTEGER REFERENCES urls(id);
ALTER TABLE capture_store ADD COLUMN sha256_bytes BLOB;
ALTER TABLE fetch_log RENAME TO fetches;
ALTER TABLE fetches ADD COLUMN url_id INTEGER REFERENCES urls(id);
ALTER TABLE fetches ADD COLUMN repeats INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fetches ADD COLUMN last_id INTEGER;
ALTER TABLE fetches ADD COLUMN last_at TEXT;
ALTER TABLE fetches ADD COLUMN repeated TEXT;
"""

V11_DROP_TEXT = """
DROP INDEX idx_captures_url;
ALTER TABLE capture_store DROP COLUMN url;
ALTER TABLE capture_store DROP COLUMN final_url;
ALTER TABLE capture_store DROP COLUMN sha256;
ALTER TABLE capture_store RENAME COLUMN sha256_bytes TO sha256;
CREATE INDEX idx_capture_store_url ON capture_store(url_id, id);
DROP INDEX idx_fetch_log_url;
ALTER TABLE fetches DROP COLUMN url;
CREATE INDEX idx_fetches_url ON fetches(url_id, id);
CREATE INDEX idx_fetches_last ON fetches(last_id) WHERE last_id IS NOT NULL;
"""

# The old shapes, column for column, for readers and Datasette.
V11_VIEWS = f"""
CREATE VIEW captures AS
SELECT c.id, u.url, f.url AS final_url, c.article_id, c.fetched_at, c.status, c.http_version, c.content_type, c.encoding,
       c.redirects, c.size, {_SHA256_HEX} AS sha256, c.suspect_reason, c.raw, c.source, c.memento_url, c.archive_src,
       c.warc_file, c.warc_record_id, c.warc_offset, c.replaced_bytes, c.codec, c.base_capture_id, c.chain, c.headers
FROM capture_store AS c JOIN urls AS u ON u.id = c.url_id LEFT JOIN urls AS f ON f.id = c.final_url_id;
CREATE VIEW fetch_log AS
SELECT f.id, f.run_id, u.url, f.requested_at, f.attempt, f.status, f.outcome, f.error, f.elapsed_ms, f.bytes,
       f.article_id, f.capture_id
FROM fetches AS f JOIN urls AS u ON u.id = f.url_id
UNION ALL
SELECT f.id + json_extract(r.value, '$[0]'), f.run_id + json_extract(r.value, '$[1]'), u.url,
       strftime('%Y-%m-%dT%H:%M:%S+00:00', f.requested_at, printf('%+d seconds', json_extract(r.value, '$[2]'))),
       f.attempt, f.status, f.outcome, f.error, json_extract(r.value, '$[3]') / 10.0, json_extract(r.value, '$[4]'),
       f.article_id, f.capture_id
FROM fetches AS f JOIN urls AS u ON u.id = f.url_id JOIN json_each(f.repeated) AS r
WHERE f.repeated IS NOT NULL;
"""


def step_11(conn: sqlite3.Connection) -> None:
    """URLs by id, SHA-256s as bytes, unchanged re-fetches folded into runs; ``captures`` and ``fetch_log`` become views.

    Every row, id, byte and hash is kept: the views give back what the tables held.
    """
    run_script(conn, V11_URLS + V11_RESHAPE)
    ids: dict[str, int] = {}

    def url_id(url: str) -> int:
        if url not in ids:
            ids[url] = int(conn.execute("INSERT INTO urls (url) VALUES (?) RETURNING id", (url,)).fetchone()[0])
        return ids[url]

    rows = conn.execute("SELECT id, url, final_url, sha256 FROM capture_store ORDER BY id").fetchall()
    conn.executemany(
        "UPDATE capture_store SET url_id = ?, final_url_id = ?, sha256_bytes = ? WHERE id = ?",
        [(url_id(url), None if final is None else url_id(final), sha256_bytes(sha), cid) for cid, url, final, sha in rows],
    )
    _fold_fetch_log(conn, url_id)
    run_script(conn, V11_DROP_TEXT + V11_VIEWS)


def _fold_fetch_log(conn: sqlite3.Connection, url_id: Callable[[str], int]) -> None:
    """Give each row its URL's id, and fold each URL's runs of unchanged re-fetches, as the writer would have."""
    columns = "id, run_id, url, requested_at, attempt, status, outcome, error, elapsed_ms, bytes, article_id, capture_id"
    for (url,) in conn.execute("SELECT url FROM fetches GROUP BY url ORDER BY min(id)").fetchall():
        uid = url_id(url)
        runs: list[tuple[LogRow, list[str], LogRow]] = []  # (first, members, last)
        singles: list[int] = []
        for values in conn.execute(f"SELECT {columns} FROM fetches WHERE url = ? ORDER BY id", (url,)).fetchall():
            row = LogRow(*values)
            member = fold(runs[-1][0], len(runs[-1][1]), row) if runs else None
            if member is not None:
                runs[-1][1].append(member)
                runs[-1] = (runs[-1][0], runs[-1][1], row)
            else:
                runs.append((row, [], row))
                singles.append(row.id)
        conn.executemany("UPDATE fetches SET url_id = ? WHERE id = ?", [(uid, i) for i in singles])
        folded = [(first, members, last) for first, members, last in runs if members]
        conn.executemany(
            "UPDATE fetches SET repeats = ?, last_id = ?, last_at = ?, repeated = ? WHERE id = ?",
            [(len(m), last.id, last.requested_at, "[" + ",".join(m) + "]", first.id) for first, m, last in folded],
        )
        kept = set(singles)
        gone = [(i,) for first, m, last in folded for i in _member_ids(first, m) if i not in kept]
        conn.executemany("DELETE FROM fetches WHERE id = ?", gone)


def _member_ids(first: LogRow, members: Iterable[str]) -> Iterator[int]:
    for member in members:
        yield first.id + int(json.loads(member)[0])
