"""The ``series-archiver`` command's first code: hold stop signals, then hand over to the CLI.

The latch itself lives in ``stopsignals`` (a module that imports nothing of
the package), so the daemon can read it without importing this module, which
imports the CLI.
"""

from __future__ import annotations

import sys

from series_archiver.stopsignals import hold_stop_signals

__all__ = ["main"]


def main() -> None:
    hold_stop_signals()  # already done by the package's __init__; cheap to repeat
    try:
        # Importing the CLI takes most of a second: Ctrl-C in it ends the command
        # as Ctrl-C in a job does (exit 130), without a traceback of the imports.
        from series_archiver.cli import main as cli_main
    except KeyboardInterrupt:
        sys.exit(130)
    cli_main()
