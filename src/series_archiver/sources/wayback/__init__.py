"""Reading a web archive: the CDX API and playback (the Wayback Machine's, or any pywb's).

- ``cdx``: the CDX API's answers read as values, in either server's shape, and the
  playback URL forms (pure functions);
- ``client``: ``WaybackClient``, the two protocols over httpx, paced and logged;
- ``pages``: a memento as the ``FetchedPage`` the pipeline reads, with its provenance.
"""

from series_archiver.sources.wayback.cdx import (
    CdxRecord,
    format_timestamp,
    memento_url,
    original_of,
    parse_cdx,
    parse_cdx_json,
    parse_timestamp,
)
from series_archiver.sources.wayback.client import Memento, NoMemento, WaybackBlocked, WaybackClient, WaybackError
from series_archiver.sources.wayback.pages import MementoPages

__all__ = [
    "CdxRecord",
    "Memento",
    "MementoPages",
    "NoMemento",
    "WaybackBlocked",
    "WaybackClient",
    "WaybackError",
    "format_timestamp",
    "memento_url",
    "original_of",
    "parse_cdx",
    "parse_cdx_json",
    "parse_timestamp",
]
