"""Which of Datasette's databases are series-archiver archives, their metadata, and the reader's clock.

Shared by the plugin's hooks (plugin.py) and the reading room's pages
(pages.py). Another database Datasette serves is left alone.
"""

from __future__ import annotations

import os
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any

from datasette.utils import tilde_encode

from series_archiver.archive.views import is_archive, table_names
from series_archiver.browse.metadata import metadata
from series_archiver.browse.times import Clock, clock_for

__all__ = ["PLUGIN_NAME", "archive_metadata", "archives", "clock", "feed_path", "reading_url"]

PLUGIN_NAME = "series-archiver"  # the distribution's name: Datasette serves static/ under it


def archives(datasette: Any) -> dict[str, Path]:
    """Datasette's databases that are series-archiver archives: name -> file."""
    out: dict[str, Path] = {}
    for name, db in datasette.databases.items():
        path = getattr(db, "path", None)
        if path and _is_archive(str(path), _stamp(str(path))):
            out[name] = Path(path)
    return out


def _stamp(path: str) -> int:
    # Series names and tables change rarely; a new stamp after a crawl's checkpoint reads them again.
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


@lru_cache(maxsize=64)
def _is_archive(path: str, _stamp: int) -> bool:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return is_archive(table_names(conn))
        finally:
            conn.close()
    except sqlite3.Error:
        return False


@lru_cache(maxsize=64)
def _metadata(path: str, name: str, _stamp: int) -> dict[str, Any]:
    return metadata(Path(path), name=name)


def archive_metadata(path: Path, name: str) -> dict[str, Any]:
    """The metadata ``metadata.metadata`` builds for the archive at ``path``, served as ``name``."""
    return _metadata(str(path), name, _stamp(str(path)))


@lru_cache(maxsize=1)
def _default_zone() -> str:
    from series_archiver.settings import load_settings

    return load_settings().archive.display_timezone


def clock(datasette: Any) -> Clock:
    """The zone people read times in: the plugin's ``display_timezone``, else ``archive.display_timezone``'s default."""
    config = datasette.plugin_config(PLUGIN_NAME) or {}
    name = config.get("display_timezone") or _default_zone()
    return clock_for(name, key=f"plugins.{PLUGIN_NAME}.display_timezone" if config.get("display_timezone") else "archive.display_timezone")


def reading_url(datasette: Any, database: str, article_id: int | None = None, page: str = "article") -> str:
    """Where the reading room's pages are: ``/series/-/article/1``, ``/series/-/changes``, ``/series/-/search``."""
    base = f"{datasette.urls.database(database)}/-/{page}"
    return base if article_id is None else f"{base}/{article_id}"


def feed_path(datasette: Any, database: str, article: int | None = None) -> str:
    """The Atom feed of the archive, or of one article: ``/-/feeds/series.atom``, ``/-/feeds/series/1.atom``."""
    suffix = f"/{article}" if article is not None else ""
    return str(datasette.urls.path(f"/-/feeds/{tilde_encode(database)}{suffix}.atom"))
