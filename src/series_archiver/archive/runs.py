"""Read queries for the daemon: runs rows (status, a second daemon, heartbeats) and each URL's check times (tiers).

Reads only; the writes (``start_run``, ``heartbeat``, ``finish_run``) stay on
``Archive``. Timestamps come back as the archive stores them, ISO 8601 text,
except in ``CheckTimes``, which the tiers compare as datetimes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from series_archiver.models import BlockedSite

if TYPE_CHECKING:  # only for the annotations: no import cycle whatever the package's __init__ pulls in
    from series_archiver.archive.store import Archive

__all__ = [
    "BLOCK_LOOK_BACK",
    "CheckTimes",
    "RunRow",
    "blocked_sites",
    "check_times",
    "latest_run",
    "parse_time",
    "running_runs",
]


def parse_time(text: str | None) -> datetime | None:
    """A stored timestamp as an aware datetime (UTC when it has no offset); None for none.

    >>> parse_time("2025-12-15T10:17:04+08:00").isoformat()
    '2025-12-15T10:17:04+08:00'
    >>> parse_time("2025-12-15T02:17:04").tzinfo
    datetime.timezone.utc
    """
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RunRow:
    """One ``runs`` row: a crawl, a fetch, a daemon's life or one of its passes."""

    id: int
    kind: str
    started_at: str | None
    finished_at: str | None
    heartbeat_at: str | None
    status: str
    pid: int | None
    host: str | None
    found: int | None
    fetched: int | None
    new_articles: int | None
    new_versions: int | None
    unchanged: int | None
    failed: int | None
    gone: int | None
    suspect: int | None
    skipped: int | None
    failures: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict[str, Any]:
        """The row as ``status --json`` prints it, columns in table order."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["failures"] = [list(pair) for pair in self.failures]
        return out


_RUN_COLUMNS = tuple(f.name for f in fields(RunRow))
_SELECT_RUNS = f"SELECT {', '.join(_RUN_COLUMNS)} FROM runs"


def _run_row(row: Sequence[Any]) -> RunRow:
    data = dict(zip(_RUN_COLUMNS, row, strict=True))
    data["failures"] = _failures(data["failures"])
    return RunRow(**data)


def _failures(text: str | None) -> tuple[tuple[str, str], ...]:
    # A damaged column must not stop `status` from answering: it reads as no failures.
    try:
        pairs = json.loads(text) if text else []
        return tuple((str(url), str(why)) for url, why in pairs)
    except (ValueError, TypeError):
        return ()


def latest_run(
    archive: Archive, *, kinds: Sequence[str] = (), not_kinds: Sequence[str] = (), running: bool | None = None
) -> RunRow | None:
    """The newest run of one of ``kinds`` (any kind when empty), none of ``not_kinds``; ``running``: still running or not."""
    where, args = _where(kinds, not_kinds, running)
    row = archive.conn.execute(f"{_SELECT_RUNS}{where} ORDER BY id DESC LIMIT 1", args).fetchone()
    return _run_row(row) if row else None


def running_runs(archive: Archive, kind: str, *, pid: int | None = None, host: str | None = None) -> list[RunRow]:
    """Runs of ``kind`` still marked running, newest first; only those of ``pid`` on ``host`` when given."""
    where, args = _where((kind,), (), True)
    for column, value in (("pid", pid), ("host", host)):
        if value is not None:
            where += f" AND {column} = ?"
            args.append(value)
    return [_run_row(r) for r in archive.conn.execute(f"{_SELECT_RUNS}{where} ORDER BY id DESC", args).fetchall()]


def _where(kinds: Sequence[str], not_kinds: Sequence[str], running: bool | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if kinds:
        clauses.append(f"kind IN ({', '.join('?' * len(kinds))})")
        args += kinds
    if not_kinds:
        clauses.append(f"kind NOT IN ({', '.join('?' * len(not_kinds))})")
        args += not_kinds
    if running is not None:
        clauses.append("status = 'running'" if running else "status != 'running'")
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


@dataclass(frozen=True)
class CheckTimes:
    """An archived URL and its article's moments: the changes the tiers weigh, and the last check."""

    url: str
    article_id: int
    first_seen: datetime | None
    last_changed: datetime | None  # the latest new version
    gone_at: datetime | None
    latest_change: datetime | None  # the newest ``changes`` row: removal, return, restored text
    last_checked: datetime | None


def check_times(archive: Archive) -> list[CheckTimes]:
    """Every archived URL with its article's moments."""
    rows = archive.conn.execute(
        "SELECT u.url, a.id, a.first_seen, a.last_changed, a.gone_at, "
        "(SELECT max(c.changed_at) FROM changes c WHERE c.article_id = a.id), a.last_checked "
        "FROM article_urls u JOIN articles a ON a.id = u.article_id"
    ).fetchall()
    return [CheckTimes(url, article_id, *map(parse_time, moments)) for url, article_id, *moments in rows]


# How many earlier runs ``blocked_sites`` looks through for when a site began blocking.
BLOCK_LOOK_BACK = 64


def blocked_sites(archive: Archive, run_id: int) -> list[BlockedSite]:
    """The sites that answered run ``run_id`` with block pages (fetch-log outcome ``blocked``), most URLs first.

    ``passes`` counts the runs in a row, this one included, in which the site
    blocked: a run in which the site answered only with pages ends the streak, a run
    that asked it nothing (a ``fetch`` of another site's URL) does not. At most
    ``BLOCK_LOOK_BACK`` earlier runs are read.
    """
    blocked: dict[str, list[tuple[str, str]]] = {}
    for url, error in archive.conn.execute(
        "SELECT url, error FROM fetch_log WHERE run_id = ? AND outcome = 'blocked' ORDER BY id", (run_id,)
    ):
        blocked.setdefault(_host(url), []).append((url, error or ""))
    if not blocked:
        return []
    row = archive.conn.execute("SELECT started_at FROM runs WHERE id = ?", (run_id,)).fetchone()
    passes = dict.fromkeys(blocked, 1)
    since: dict[str, str | None] = dict.fromkeys(blocked, row[0] if row else None)
    counting = set(blocked)
    earlier = archive.conn.execute(
        "SELECT id, started_at FROM runs WHERE id < ? AND kind != 'daemon' ORDER BY id DESC LIMIT ?", (run_id, BLOCK_LOOK_BACK)
    ).fetchall()
    for earlier_id, started_at in earlier:
        if not counting:
            break
        asked: dict[str, bool] = {}  # site -> whether it blocked in that run
        for url, outcome in archive.conn.execute("SELECT url, outcome FROM fetch_log WHERE run_id = ?", (earlier_id,)):
            site = _host(url)
            if site in counting:
                asked[site] = asked.get(site, False) or outcome == "blocked"
        for site, was_blocked in asked.items():
            if was_blocked:
                passes[site] += 1
                since[site] = started_at
            else:
                counting.discard(site)
    out = [BlockedSite(site, len(rows), rows[0][0], _reason(rows[-1][1]), passes[site], since[site]) for site, rows in blocked.items()]
    return sorted(out, key=lambda b: (-b.urls, b.site))


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or url).lower()
    except ValueError:
        return url


def _reason(error: str) -> str:
    """The page-kind reason inside a ``Blocked`` message (read.response.check_block), or the message itself."""
    marker = " is a block page, not the page: "
    if marker not in error or " is blocking the crawler" not in error:
        return error
    return error.split(" is blocking the crawler", 1)[0].rsplit(". ", 1)[0].split(marker, 1)[1]
