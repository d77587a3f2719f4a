"""The stop-signal latch: hold SIGTERM and SIGINT before anything slow is imported.

Importing the CLI loads the whole crawler (trafilatura, lxml, httpx …), which
takes most of a second. A daemon told to stop in that time (systemd stopping
a service that just started) must still stop cleanly and exit 0, so for
``daemon`` the SIGTERM/SIGINT handlers are installed first of all: the
package's ``__init__`` calls ``hold_stop_signals`` before it imports anything
else (Python itself is running ~20 ms before that), and only when this process
is the ``series-archiver daemon`` command. The handlers only note the signal;
the daemon acts on it as soon as it runs (``pending_stop``).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

__all__ = ["pending_stop", "hold_stop_signals"]

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
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _note)
        _holding.append(True)


_holding: list[bool] = []
