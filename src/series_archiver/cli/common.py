"""What every command shares: its options, its settings, how library errors and Ctrl-C become one line and an exit status.

Exit status: 0 when everything went well, 1 when some URL failed (it is
recorded and retried on the next pass) or the archive is busy, 2 for usage and
configuration errors, 130 when Ctrl-C stopped a job (143 for SIGTERM).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from series_archiver.display import Clock, clock_for
from series_archiver.errors import ArchiverError, ConfigError, PassInterrupted
from series_archiver.settings import Settings, load_settings
from series_archiver.stopsignals import on_stop_signals

if TYPE_CHECKING:
    import httpx  # for annotations only: a command that never fetches does not load it

__all__ = [
    "DEFAULT_CONFIG",
    "common_options",
    "echo_json",
    "errors_to_exit",
    "invoked_as",
    "load",
    "reader_clock",
    "loopback",
    "replica_option",
    "setup_logging",
    "stoppable",
    "transport",
]

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CONFIG = Path("config.toml")


def load(config: Path | None, db: Path | None, **overrides: Any) -> Settings:
    """The settings: packaged defaults, overlaid by ``--config`` (or ./config.toml), overlaid by the flags given."""
    path = config
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    return load_settings(path, db=db, overrides={k: v for k, v in overrides.items() if v is not None})


def reader_clock(settings: Settings) -> Clock:
    """The zone people read times in: ``archive.display_timezone`` (checked when the settings were loaded)."""
    return clock_for(settings.archive.display_timezone)


def invoked_as(argv0: str | None = None) -> tuple[str, str]:
    """How to run this command, and Datasette, again as the user just did: for the hints a command prints.

    ``series-archiver`` when that is what PATH finds; else the script as typed
    (``.venv/bin/series-archiver`` after the README's quick start) with its
    venv's ``datasette`` beside it; ``python -m series_archiver`` runs both as modules.
    """
    argv0 = argv0 if argv0 is not None else sys.argv[0]
    script = Path(argv0)
    if script.name != "series-archiver":  # python -m series_archiver, or a test's runner
        python = _shorter(Path(sys.executable))
        return f"{python} -m series_archiver", f"{python} -m datasette"
    found = shutil.which("series-archiver")
    if found and Path(found).resolve() == script.resolve():
        return "series-archiver", "datasette" if shutil.which("datasette") else _shorter(script.with_name("datasette"))
    return _shorter(script), _shorter(script.with_name("datasette"))


def _shorter(path: Path) -> str:
    """``path`` relative to the working directory when it lies under it (``.venv/bin/…``), else absolute.

    Symbolic links are kept: a venv's ``python`` is one, and must stay the venv's.
    """
    absolute = Path(os.path.abspath(path))
    try:
        relative = str(absolute.relative_to(os.path.abspath(os.curdir)))
    except ValueError:
        return str(absolute)
    return relative if os.sep in relative else f".{os.sep}{relative}"


def common_options(fn: F) -> F:
    fn = click.option("--db", type=click.Path(path_type=Path, dir_okay=False), help="Archive database (overrides archive.db).")(fn)
    fn = click.option(
        "--config",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Configuration file (default: ./config.toml if present, else the packaged defaults).",
    )(fn)
    return fn


class ReplicaOrigins(click.ParamType):  # type: ignore[type-arg]  # generic only in click's stubs of 8.2+
    """``--replica``: a JSON object from real origins to loopback origins (``ReplicaSite.origins``)."""

    name = "ORIGINS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dict[str, str]:
        if isinstance(value, dict):
            return value
        try:
            origins = json.loads(value)
        except ValueError as exc:
            self.fail(f"is not JSON ({exc}): give an object such as '{{\"https://www.takungpao.com\": \"http://127.0.0.1:8765\"}}'", param, ctx)
        if not isinstance(origins, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in origins.items()):
            self.fail("must be a JSON object of real origin -> loopback origin strings", param, ctx)
        return origins


def replica_option(fn: F) -> F:
    """For tests and demos: deliver the real URLs to a replica on 127.0.0.1 and refuse any other host."""
    return click.option(
        "--replica",
        "replica",
        type=ReplicaOrigins(),
        help="Testing and demos only: a JSON object mapping real origins to replica servers on 127.0.0.1; "
        "every other host is refused, so nothing leaves the machine.",
    )(fn)


def transport(replica: dict[str, str] | None) -> httpx.BaseTransport | None:
    return None if replica is None else loopback(replica)


def loopback(replica: dict[str, str]) -> httpx.BaseTransport:
    # The replica's transport: not even imported for a crawl of the real site.
    from series_archiver.demo.loopback import LoopbackTransport

    try:
        return LoopbackTransport(replica)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--replica") from None


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Turn the project's errors into one clear line and the documented exit status."""
    try:
        yield
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except PassInterrupted as exc:  # a job's own ``stoppable`` names the signal; this is the fallback
        click.echo(f"Interrupted: {exc}", err=True)
        sys.exit(128 + signal.SIGINT)
    except ArchiverError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


@contextmanager
def stoppable() -> Iterator[threading.Event]:
    """For a job (crawl, fetch, import, backfill): Ctrl-C or SIGTERM sets the event given to it as ``stop=``.

    The job then abandons the URL (or record) in flight, marks its run
    ``interrupted`` and raises ``PassInterrupted``: one line, and exit 128 +
    the signal (130 for Ctrl-C). A second signal is swallowed, so no
    KeyboardInterrupt lands in the job's cleanup (that was a traceback and a
    run left ``failed``); a third quits at once, as the daemon's second does
    (SQLite rolls back the transaction in flight; the next writer marks the
    run ``interrupted``). The same handlers as the daemon's (stopsignals.py).
    """
    stop = threading.Event()
    received: list[int] = []

    def handler(signum: int) -> None:
        # Runs in the main thread between two bytecodes: flags and os._exit only, no buffered output.
        received.append(signum)
        if len(received) == 1:
            stop.set()
        elif len(received) > 2:
            os._exit(128 + received[0])

    restore = on_stop_signals(handler)
    try:
        yield stop
    except PassInterrupted as exc:
        signum = received[0] if received else signal.SIGINT
        by = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        click.echo(f"Interrupted by {by}: {exc}", err=True)
        sys.exit(128 + signum)
    finally:
        if received:
            # The process is ending: a late Ctrl-C must neither raise KeyboardInterrupt
            # in the last lines of output nor kill it in Python's finalization, which
            # puts back the default action of a signal with a Python handler (not SIG_IGN).
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_IGN)
        else:
            restore()


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
