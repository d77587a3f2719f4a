"""The ``series-archiver`` command's first code: hold stop signals before anything slow.

Importing the CLI loads the whole crawler (trafilatura, lxml, httpx …), which
takes most of a second. A daemon told to stop in that time (systemd stopping
a service that just started) must still stop cleanly and exit 0, so for
``daemon`` the SIGTERM/SIGINT handlers are installed here, before those
imports; they only note the signal, and the daemon acts on it as soon as it
runs (``pending_stop``).
"""

from __future__ import annotations

import signal
import sys

__all__ = ["main", "pending_stop"]

_pending: list[int] = []


def _note(signum: int, _frame: object) -> None:
    _pending.append(signum)


def pending_stop() -> str | None:
    """The name of a stop signal received before the daemon installed its own handlers, if any."""
    return signal.Signals(_pending[0]).name if _pending else None


def main() -> None:
    if sys.argv[1:2] == ["daemon"]:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _note)
    from .cli import main as cli_main

    cli_main()
