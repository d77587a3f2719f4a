"""The ``series-archiver`` command's first code: hold stop signals, then hand over to the CLI.

The latch itself lives in ``stopsignals`` (a module that imports nothing of
the package), so the daemon can read it without importing this module, which
imports the CLI.
"""

from __future__ import annotations

from series_archiver.stopsignals import hold_stop_signals

__all__ = ["main"]


def main() -> None:
    hold_stop_signals()  # already done by the package's __init__; cheap to repeat
    from series_archiver.cli import main as cli_main

    cli_main()
