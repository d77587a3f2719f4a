"""Reading an import's records on every core: reader processes, forked once the files are indexed.

Reading a record (its bytes out of the file, decoding, extraction, cleaning,
folding, the search document) is most of an import's CPU, and Python's GIL
keeps threads of one process on one core. So the records are read by worker
processes and the one writer, this process, records what they read, in
order. The workers are forked after the index pass: they start with the
files' indexes as the writer has them, and a task is only (which file, which
record, the original of a revisit found in the archive), a few hundred bytes;
what comes back is the record's reading (frozen values: the page's bytes, the
article, its folded texts), pickled.

A worker never touches the archive: the archive's connection it inherits is
never used, and it leaves by ``os._exit`` (multiprocessing's way), so no
finalizer closes it. Ctrl-C reaches the whole process group: workers ignore
it and the writer stops the import (``stop``). A writer killed outright
(kill -9) leaves its workers waiting for work that never comes: each one
watches its parent and leaves when it is gone, so none holds the writer
lock's file descriptor for long.

Where ``fork`` does not exist, and with ``processes`` = 0, the records are
read in threads of this process, as before.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

__all__ = ["IMPORT_PROCESSES", "Readers"]

# Reader processes: one per core (the writer shares them; it waits on SQLite's disk writes part of the time).
IMPORT_PROCESSES = min(4, os.cpu_count() or 1)
_THREADS = 2  # reader threads, where processes cannot be forked
_PARENT_CHECK_SECONDS = 0.5

# What a reader process runs for a task: set in the writer just before the fork, inherited.
_job: Callable[..., Any] | None = None


def _start(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the writer's handler (set the stop event) means nothing here
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_SECONDS)
    os._exit(0)


def _run(*args: Any) -> Any:
    assert _job is not None, "a reader process forked before its job was set"
    return _job(*args)


class Readers:
    """Runs ``job(*args)`` for each task ahead of the writer: in ``processes`` forked processes, or in threads."""

    def __init__(self, job: Callable[..., Any], processes: int = IMPORT_PROCESSES) -> None:
        global _job
        self.processes = processes if processes > 0 and "fork" in multiprocessing.get_all_start_methods() else 0
        self.job = job
        self.pool: Executor
        if self.processes:
            _job = job
            self.pool = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("fork"), initializer=_start, initargs=(os.getpid(),)
            )
            # Fork them now, while _job is this import's (ProcessPoolExecutor forks at its first task).
            # The objects alive at the fork (the files' indexes, the settings, the dictionaries) are
            # frozen first: a reader's garbage collector would otherwise write to every one of them
            # and so copy, page by page, the writer's whole heap into each reader.
            gc.freeze()
            try:
                self.pool.submit(int).result()
            finally:
                gc.unfreeze()
        else:
            self.pool = ThreadPoolExecutor(max_workers=_THREADS, thread_name_prefix="import")

    @property
    def ahead(self) -> int:
        """How many tasks to keep in flight: enough that no reader waits for the writer to hand it the next."""
        return 3 * max(self.processes, _THREADS)

    def submit(self, *args: Any) -> Future[Any]:
        if self.processes:
            return self.pool.submit(_run, *args)
        return self.pool.submit(self.job, *args)

    def close(self) -> None:
        """Drop the tasks not started; wait for those running (a record each, milliseconds)."""
        global _job
        self.pool.shutdown(wait=True, cancel_futures=True)
        _job = None
