"""Stop signals: the latch held before anything slow is imported, and the handlers of the long commands.

Importing the CLI loads the whole crawler (trafilatura, lxml, httpx …), which
takes most of a second. A daemon told to stop in that time (systemd stopping
a service that just started) must still stop cleanly and exit 0, so for
``daemon`` the SIGTERM/SIGINT handlers are installed first of all: the
package's ``__init__`` calls ``hold_stop_signals`` before it imports anything
else (Python itself is running ~20 ms before that), and only when this process
is the ``series-archiver daemon`` command. The handlers only note the signal;
the daemon acts on it as soon as it runs (``pending_stop``).

``on_stop_signals`` installs the handlers of a long job, the daemon's and the
CLI's (crawl, fetch, import, backfill) alike.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["pending_stop", "hold_stop_signals", "on_stop_signals"]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

_pending: list[int] = []


def _note(signum: int, _frame: object) -> None:
    _pending.append(signum)


def pending_stop() -> str | None:
    """The name of a stop signal received before the daemon installed its own handlers, if any."""
    return signal.Signals(_pending[0]).name if _pending else None


def _is_daemon_command() -> bool:
    """This process runs ``series-archiver daemon`` (the console script, or ``python -m series_archiver``)."""
    argv = list(getattr(sys, "orig_argv", sys.argv))
    if "-m" in argv:
        at = argv.index("-m")
        return argv[at + 1 : at + 3] == ["series_archiver", "daemon"]
    return Path(sys.argv[0]).name == "series-archiver" and sys.argv[1:2] == ["daemon"]


def hold_stop_signals() -> None:
    """Note SIGTERM and SIGINT from now on, if this process is the daemon command."""
    if _is_daemon_command() and not _holding:
        for sig in STOP_SIGNALS:
            signal.signal(sig, _note)
        _holding.append(True)


_holding: list[bool] = []


def on_stop_signals(handler: Callable[[int], None]) -> Callable[[], None]:
    """Call ``handler(signum)`` on each SIGTERM and SIGINT from now on; returns what puts the previous handlers back.

    ``handler`` runs in the main thread between two bytecodes: it should only
    set flags (no buffered I/O, which may be half-way through a write). Outside
    the main thread (a daemon or job embedded in tests) nothing is installed:
    the caller stops the job by itself.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda signum, _frame: handler(signum))

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
