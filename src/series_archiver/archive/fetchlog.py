"""What each pass did: the ``fetch_log`` (one row per HTTP attempt) and the ``runs`` rows written (runs.py reads them)."""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Sequence

from series_archiver.archive.base import ArchiveBase, iso, utcnow
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
        """One fetch_log row per attempt; the last carries what came of the fetch."""
        for i, a in enumerate(attempts):
            last = i == len(attempts) - 1
            self._insert(
                "fetch_log",
                {
                    "run_id": run_id,
                    "url": a.url,
                    "requested_at": iso(a.started_at),
                    "attempt": a.attempt,
                    "status": a.status,
                    "outcome": (final_outcome or a.outcome) if last else a.outcome,
                    "error": a.error,
                    "elapsed_ms": round(a.elapsed_ms, 1),
                    "bytes": a.bytes,
                    "article_id": article_id if last else None,
                    "capture_id": capture_id if last else None,
                },
            )
