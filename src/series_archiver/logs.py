"""Log lines for unattended runs: one line per event, quiet when all is well.

Every line reads ``time level event url outcome``::

    2025-12-16T10:17:04+08:00 INFO new_article https://www.takungpao.com/… #5 version 1: 「…」
    2025-12-16T12:17:09+08:00 WARNING failed https://www.takungpao.com/… timed out after 30s …

``url`` is ``-`` when the event has none (a pass, the daemon starting).
What is logged at which level:

* INFO: a new installment, an edit, a restored text, an article back
  online, the daemon starting and stopping, a pass that found something.
* WARNING: a removal, a URL that failed, a pass skipped, interrupted or
  partly failed.
* ERROR: a pass that could not run at all.
* DEBUG (``-v``): every pass, with what was due; ``-vv`` adds the
  pipeline's own log (retries, duplicates, robots.txt).

So with the defaults a pass that finds nothing new prints nothing.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from datetime import datetime, tzinfo
from pathlib import Path

from series_archiver.errors import ConfigError

__all__ = ["EVENTS", "LineFormatter", "event", "setup_logging"]

EVENTS = logging.getLogger("series_archiver.events")


def event(level: int, name: str, url: str | None, outcome: str) -> None:
    """Log one event as one line."""
    EVENTS.log(level, "%s", outcome, extra={"event": name, "url": url or "-"})


class LineFormatter(logging.Formatter):
    """``time level event url outcome`` on one line; other loggers' records fit the same shape."""

    def __init__(self, tz: tzinfo | None = None) -> None:
        super().__init__()
        self.tz = tz

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, self.tz).astimezone(self.tz).isoformat(timespec="seconds")
        name = getattr(record, "event", None) or record.name.rsplit(".", 1)[-1]
        url = getattr(record, "url", None) or "-"
        text = " ".join(record.getMessage().split())  # one line, whatever the message held
        line = f"{when} {record.levelname} {name} {url} {text}"
        if record.exc_info:
            # A crash is the one case worth several lines: the traceback follows, indented.
            trace = self.formatException(record.exc_info)
            line += "\n" + "\n".join("    " + t for t in trace.splitlines())
        return line


def setup_logging(*, log_file: Path | None = None, verbose: int = 0, tz: tzinfo | None = None) -> logging.Handler:
    """Route the daemon's lines to stderr, or to ``log_file`` (appended, safe with logrotate)."""
    if log_file is not None:
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = logging.handlers.WatchedFileHandler(log_file, encoding="utf-8")
        except OSError as exc:
            raise ConfigError("--log-file", f"cannot write {log_file} ({exc.strerror}); choose a writable file") from None
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LineFormatter(tz))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    # The pipeline logs for people watching a crawl; the daemon speaks in event lines
    # (failures included), so the pipeline's own log stays out unless asked for.
    logging.getLogger("series_archiver").setLevel(logging.DEBUG if verbose >= 2 else logging.ERROR)
    EVENTS.setLevel(logging.DEBUG if verbose >= 1 else logging.INFO)
    # APScheduler's missed-run and overlap warnings are reported as event lines too.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if verbose >= 3 else logging.ERROR)
    for noisy in ("httpx", "httpcore", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
