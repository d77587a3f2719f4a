"""What each pass did: the fetch log (``fetches``: one row per HTTP attempt, or per run of unchanged re-fetches) and the ``runs`` rows written (runs.py reads them)."""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import replace

from series_archiver.archive.base import ArchiveBase, iso, utcnow
from series_archiver.archive.compact import FETCH_COLUMNS, REPEATABLE, LogRow, append, fold, unfold
from series_archiver.models import Attempt
from series_archiver.osutil import pid_alive

__all__ = ["RunTables"]

log = logging.getLogger("series_archiver")


class RunTables(ArchiveBase):
    """A pass's ``runs`` row from start to finish, and the fetch log's rows of its attempts."""

    def start_run(self, kind: str) -> int:
        with self.transaction():
            self._close_interrupted_runs()
            now = iso(utcnow())
            return self._insert(
                "runs",
                {"kind": kind, "started_at": now, "heartbeat_at": now, "status": "running", "pid": os.getpid(), "host": socket.gethostname()},
            )

    def _close_interrupted_runs(self) -> None:
        """Mark ``interrupted`` the runs still ``running`` that no process is running.

        Under the writer lock every such run is dead (killed, or its machine
        went down): only a lock holder runs passes. Without the lock, only
        runs of this host whose process is gone are closed. The daemon's own
        row (kind ``daemon``) is no pass: it runs without the lock between
        passes, so only a dead process closes it.
        """
        rows = self.conn.execute("SELECT id, pid, host, kind FROM runs WHERE status = 'running'").fetchall()
        here = socket.gethostname()
        for run_id, pid, host, kind in rows:
            if (self.holds_writer_lock and kind != "daemon") or (host == here and pid and not pid_alive(int(pid))):
                self._update("runs", "id", run_id, {"status": "interrupted"})
                log.warning("run %s (pid %s on %s) was interrupted before it finished; marked interrupted", run_id, pid, host)

    def heartbeat(self, run_id: int) -> None:
        with self.transaction():
            self._update("runs", "id", run_id, {"heartbeat_at": iso(utcnow())})

    def finish_run(self, run_id: int, counts: dict[str, int], failures: Sequence[tuple[str, str]], status: str) -> None:
        with self.transaction():
            self._update(
                "runs",
                "id",
                run_id,
                {**counts, "finished_at": iso(utcnow()), "status": status, "failures": json.dumps(list(failures), ensure_ascii=False)},
            )

    def log_attempts(
        self,
        attempts: Sequence[Attempt],
        *,
        run_id: int | None,
        final_outcome: str | None = None,
        article_id: int | None = None,
        capture_id: int | None = None,
    ) -> None:
        """One fetch-log row per attempt; the last carries what came of the fetch.

        An unchanged re-fetch that repeats its URL's last row is folded into it
        (compact.py): the ``fetch_log`` view gives it back as its own row.
        """
        for i, a in enumerate(attempts):
            last = i == len(attempts) - 1
            self._log(
                LogRow(
                    id=0,
                    run_id=run_id,
                    url=a.url,
                    requested_at=iso(a.started_at) or "",
                    attempt=a.attempt,
                    status=a.status,
                    outcome=(final_outcome or a.outcome) if last else a.outcome,
                    error=a.error,
                    elapsed_ms=round(a.elapsed_ms, 1),
                    bytes=a.bytes,
                    article_id=article_id if last else None,
                    capture_id=capture_id if last else None,
                )
            )

    def fetch_log_row(self, log_id: int) -> LogRow | None:
        """The fetch-log row with this id, a re-fetch folded into a run included (what ``fetch_log`` shows)."""
        row = self.conn.execute(f"SELECT {FETCH_COLUMNS} FROM fetches f JOIN urls u ON u.id = f.url_id WHERE f.id = ?", (log_id,)).fetchone()
        if row is not None:
            return next(unfold(row))
        # A folded re-fetch: in a run that starts before it and ends at or after it.
        runs = self.conn.execute(
            f"SELECT {FETCH_COLUMNS} FROM fetches f JOIN urls u ON u.id = f.url_id "
            "WHERE f.last_id IS NOT NULL AND f.last_id >= ? AND f.id < ?",
            (log_id, log_id),
        ).fetchall()
        return next((r for run in runs for r in unfold(run) if r.id == log_id), None)

    def _log(self, row: LogRow) -> None:
        url_id = self.url_id(row.url)
        # Ids are one sequence over rows and the re-fetches folded into them.
        next_id = int(
            self.conn.execute(
                "SELECT max(coalesce((SELECT max(id) FROM fetches), 0), "
                "coalesce((SELECT max(last_id) FROM fetches WHERE last_id IS NOT NULL), 0)) + 1"
            ).fetchone()[0]
        )
        row = replace(row, id=next_id)
        if row.outcome in REPEATABLE and row.error is None:
            previous = self.conn.execute(
                "SELECT id, run_id, requested_at, attempt, status, outcome, error, elapsed_ms, bytes, article_id, capture_id, "
                "repeats, repeated FROM fetches WHERE url_id = ? ORDER BY id DESC LIMIT 1",
                (url_id,),
            ).fetchone()
            if previous is not None:
                first = LogRow(previous[0], previous[1], row.url, *previous[2:11])
                member = fold(first, int(previous[11]), row)
                if member is not None:
                    self.conn.execute(
                        "UPDATE fetches SET repeats = repeats + 1, last_id = ?, last_at = ?, repeated = ? WHERE id = ?",
                        (row.id, row.requested_at, append(previous[12], member), first.id),
                    )
                    return
        self._insert(
            "fetches",
            {
                "id": row.id,
                "run_id": row.run_id,
                "url_id": url_id,
                "requested_at": row.requested_at,
                "attempt": row.attempt,
                "status": row.status,
                "outcome": row.outcome,
                "error": row.error,
                "elapsed_ms": row.elapsed_ms,
                "bytes": row.bytes,
                "article_id": row.article_id,
                "capture_id": row.capture_id,
            },
        )
