"""List pages asked for conditionally, and what each gave discovery kept for when it is unchanged.

Every pass reads the list pages of every series, one after another (each names the next).
A list page's reading (``read.discovery.ListReading``: its installment links and its next
page) depends only on the page and on the settings that match links. It is kept beside the
archive, in ``<archive>.lists.json``, with the ETag and Last-Modified of the answer it was
read from; the next pass asks for the page with those validators, and a 304 hands the kept
reading back instead of the page being fetched whole and read again.

Nothing in it is evidence, and losing it costs only a full GET: a missing, unreadable or
foreign file (another release, other series or allowed hosts) is no file. A reading and its
validators are written together, from one answer, in a file replaced whole (a kill -9 leaves
the old file or the new one): validators never stand for a reading of another page. A server
that ignores the validators answers 200, and the page is read as ever.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from series_archiver import sites
from series_archiver._version import __version__
from series_archiver.models import Candidate, FetchedPage
from series_archiver.read import discovery
from series_archiver.read.discovery import ListReading
from series_archiver.settings import FetchSettings, SeriesSettings

__all__ = ["KnownList", "ListPages", "lists_path"]

log = logging.getLogger(__name__)

# Raised when what is kept changes shape: a file of another format is ignored.
FORMAT = 1


@dataclass(frozen=True)
class KnownList:
    """A list page's last reading, and the validators of the answer it was read from."""

    etag: str | None
    last_modified: str | None
    reading: ListReading


def lists_path(archive_path: Path | str) -> Path | None:
    """Where an archive's list readings are kept; None for an archive with no file (in memory)."""
    path = Path(archive_path)
    if str(archive_path) in ("", ":memory:") or str(archive_path).startswith("file:"):
        return None
    return path.with_name(path.name + ".lists.json")


@functools.cache
def _code_digest() -> str:
    """The code a list page's reading comes from: discovery and the sites' link rules, as they are on disk.

    Keyed by the source, not the release number, so that a change to either (a new site's
    article URLs, a fixed link rule) reads every list page whole again, even within a release.
    """
    files = [Path(discovery.__file__), *sorted(Path(sites.__file__).parent.glob("*.py"))]
    digest = hashlib.blake2b(__version__.encode(), digest_size=12)
    for path in files:
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _settings_key(series: SeriesSettings, fetch: FetchSettings) -> str:
    """What a reading depends on besides the page: the series (pattern, mirrors …), the allowed hosts, the code."""
    text = repr((FORMAT, _code_digest(), series, fetch.allowed_hosts))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


class ListPages:
    """The readings of one pass's list pages: those kept from before, and those read now.

    Used from the crawling thread only. ``save`` writes the readings of this pass's list pages
    alone: a page not reached this pass (a list grown shorter, a series removed) is dropped.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._old: dict[str, dict[str, Any]] = self._load()
        self._new: dict[str, dict[str, Any]] = {}

    def known(self, series: SeriesSettings, fetch: FetchSettings, url: str) -> KnownList | None:
        """The page's last reading and its validators; None when there is none to ask with."""
        entry = self._old.get(_key(series, fetch, url))
        if entry is None:
            return None
        try:
            reading = ListReading(tuple(Candidate(**c) for c in entry["candidates"]), entry["next"])
            known = KnownList(entry.get("etag"), entry.get("last_modified"), reading)
        except (KeyError, TypeError):
            return None
        return known if known.etag or known.last_modified else None

    def keep(self, series: SeriesSettings, fetch: FetchSettings, url: str) -> None:
        """The page answered 304: its kept reading stays for the next pass."""
        key = _key(series, fetch, url)
        if key in self._old:
            self._new[key] = self._old[key]

    def read(self, series: SeriesSettings, fetch: FetchSettings, url: str, page: FetchedPage, reading: ListReading) -> None:
        """The page was read whole: its reading is kept with its answer's validators, if it had any."""
        headers = {k.lower(): v for k, v in page.response_headers}
        etag, last_modified = headers.get("etag"), headers.get("last-modified")
        key = _key(series, fetch, url)
        if page.status != 200 or not (etag or last_modified):
            return
        self._new[key] = {
            "etag": etag,
            "last_modified": last_modified,
            "candidates": [dataclasses.asdict(c) for c in reading.candidates],
            "next": reading.next_url,
        }

    def save(self) -> None:
        """Write the file whole, replacing the old one; a failure only costs full GETs next time."""
        if self.path is None:
            return
        entries = self._new
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps({"format": FORMAT, "entries": entries}, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("could not keep the list pages' readings in %s (%s); they are read whole next time", self.path, exc)
            with contextlib.suppress(OSError):
                tmp.unlink()

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), dict):
            return {}
        return {k: v for k, v in data["entries"].items() if isinstance(v, dict)}


def _key(series: SeriesSettings, fetch: FetchSettings, url: str) -> str:
    return f"{_settings_key(series, fetch)} {url}"
