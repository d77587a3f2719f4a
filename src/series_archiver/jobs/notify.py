"""Telling someone: a command run, or a JSON POST, when a pass finds news.

News is a new installment, an edit (or a text restored), a removal, or an
article back online: the ``Event`` list of a ``PassResult``. One notification
per pass that has any, carrying them all, so the first pass of a new archive
is one message, not twenty.

A site that keeps blocking (block pages, ``read.pagekind``, in 2 passes in a
row) is news too: the archive is blind to it. It is told at 2, 4, 8, 16 …
passes in a row, not every pass; the payload's ``blocked`` lists every site
that blocked the pass, whichever of them is told.

Both channels are off by default (``[notify] command`` and ``url`` empty).
A failure to notify is logged as a WARNING line and never stops the daemon.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx

from series_archiver.archive import iso, utcnow
from series_archiver.logs import event
from series_archiver.models import BlockedSite, Event, PassResult
from series_archiver.settings import NotifySettings

__all__ = ["COMMAND_TIMEOUT_SECONDS", "POST_TIMEOUT_SECONDS", "notify", "payload"]

COMMAND_TIMEOUT_SECONDS = 60.0
POST_TIMEOUT_SECONDS = 15.0

_WHAT = {
    "new_article": "new installment",
    "new_version": "edited",
    "restored": "earlier text restored",
    "gone": "removed",
    "back": "back online",
}


def _line(e: Event) -> str:
    what = _WHAT.get(e.kind, e.kind)
    version = f" (version {e.version})" if e.version and e.kind in ("new_version", "restored") else ""
    summary = f": {e.summary}" if e.summary else ""
    return f"{what}{version}: {e.title} {e.url}{summary}"


def _told(site: BlockedSite) -> bool:
    """A site that keeps blocking is told at 2, 4, 8 … passes in a row: often enough to be seen, not every pass."""
    return site.keeps_blocking and site.passes & (site.passes - 1) == 0


def payload(result: PassResult, *, archive: Path) -> dict[str, Any]:
    """What is sent: the pass, a readable ``text`` (chat webhooks show it as is), every event and every site that blocked."""
    lines = [_line(e) for e in result.events]
    lines += [f"keeps blocking: {b.describe()}" for b in result.blocked if _told(b)]
    return {
        "text": "series-archiver: " + "; ".join(lines),
        "run_id": result.run_id,
        "archive": str(archive),
        "sent_at": iso(utcnow()),
        "events": [
            {
                "event": e.kind,
                "article_id": e.article_id,
                "title": e.title,
                "url": e.url,
                "version": e.version,
                "summary": e.summary,
            }
            for e in result.events
        ],
        "blocked": [b.as_json() for b in result.blocked],
    }


def notify(settings: NotifySettings, result: PassResult, *, archive: Path) -> list[str]:
    """Send the pass's events where ``settings`` says; returns the channels that worked.

    Never raises: a broken command or an unreachable URL is a WARNING line.
    """
    if not (result.events or any(_told(b) for b in result.blocked)) or not (settings.command or settings.url):
        return []
    body = payload(result, archive=archive)
    sent: list[str] = []
    if settings.command and _run_command(settings.command, body):
        sent.append("command")
    if settings.url and _post(settings.url, body):
        sent.append("url")
    return sent


def _run_command(command: str, body: dict[str, Any]) -> bool:
    """``/bin/sh -c command``, the JSON on stdin, the gist in environment variables."""
    env = {
        **os.environ,
        "SERIES_ARCHIVER_TEXT": body["text"],
        "SERIES_ARCHIVER_EVENTS": " ".join(sorted({e["event"] for e in body["events"]} | ({"blocked"} if body["blocked"] else set()))),
        "SERIES_ARCHIVER_RUN_ID": str(body["run_id"]),
    }
    try:
        done = subprocess.run(
            command,
            check=False,  # the exit status is read and reported below
            shell=True,
            input=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            env=env,
            capture_output=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        event(logging.WARNING, "notify_failed", None, f"notify.command {command!r} ran over {COMMAND_TIMEOUT_SECONDS:g}s and was killed")
        return False
    except OSError as exc:
        event(logging.WARNING, "notify_failed", None, f"notify.command {command!r} could not start ({exc.strerror})")
        return False
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", errors="replace").strip()[-300:]
        event(
            logging.WARNING,
            "notify_failed",
            None,
            f"notify.command {command!r} exited with status {done.returncode}" + (f": {said}" if said else ""),
        )
        return False
    event(logging.DEBUG, "notified", None, f"notify.command ran for {len(body['events'])} events")
    return True


def _post(url: str, body: dict[str, Any]) -> bool:
    try:
        response = httpx.post(url, json=body, timeout=POST_TIMEOUT_SECONDS, follow_redirects=False)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        event(logging.WARNING, "notify_failed", url, f"notify.url could not be reached ({type(exc).__name__}: {exc})")
        return False
    if not response.is_success:
        event(logging.WARNING, "notify_failed", url, f"notify.url answered HTTP {response.status_code}; check the URL and what it expects")
        return False
    event(logging.DEBUG, "notified", url, f"posted {len(body['events'])} events")
    return True
