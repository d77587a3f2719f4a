"""Browse the archive in Datasette: the reading room, with metadata, canned queries and search made for it.

``make_datasette(db)`` builds the Datasette instance that ``series-archiver
browse`` serves (tests use its ``.client``); ``serve(db, host, port)`` runs it.

The archive is opened read-only and *not* immutable: Datasette reads it with
``mode=ro`` and the plugin makes every connection ``query_only``, so browsing
never writes and never holds a lock a crawl waits for (the archive is in WAL
mode: readers and the writer do not block each other), and what a crawl adds
shows on the next page load. ``--immutable`` would let SQLite skip locking
altogether and read a changing file inconsistently.

What is served:

* ``datasette/metadata.json``: a description of every table and column,
  default sorts, facets (series, installment, status, kind, role …), label
  columns so foreign keys show titles; an article's row page lists its
  versions, changes and URLs through the foreign keys.
* Canned queries (``CANNED_QUERIES``): ``installments``, ``search``,
  ``recent_edits``, ``removed_articles``, ``article_history`` (``:id``). Their
  titles and descriptions are here; their SQL is the archive's
  (``archive.views``, ``archive.search.SEARCH_SQL``).
* ``plugin.py`` (the plugin, also for plain ``datasette``): metadata and views by hooks, search functions,
  read-only connections, diffs and search snippets rendered as HTML when they are the project's own
  markup, and the reading room (``pages.py``): the front page, each article as a document, every
  change, search, with times in ``archive.display_timezone`` (``make_datasette(display_timezone=…)``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datasette.app import Datasette
from datasette.plugins import pm
from datasette.utils import tilde_encode

from series_archiver.browse.archives import PLUGIN_NAME
from series_archiver.browse.metadata import CANNED_QUERIES, database_name, metadata, view_links
from series_archiver.browse.times import clock_for
from series_archiver.errors import ConfigError, StoreError

__all__ = ["CANNED_QUERIES", "database_name", "make_datasette", "metadata", "serve", "view_links"]

_SETTINGS = {
    # Long texts fold in table views; a row page shows them whole.
    "truncate_cells_html": 400,
    "default_page_size": 50,
}


def _register_plugin() -> None:
    # Installed, the package's entry point has registered it already; from a bare checkout it has not.
    from series_archiver import browse

    if not pm.is_registered(browse) and pm.get_plugin("series_archiver") is None:
        pm.register(browse, name="series_archiver")


def make_datasette(db: Path, *, display_timezone: str | None = None) -> Datasette:
    """A Datasette serving the archive at ``db`` read-only, with the project's metadata and plugin.

    ``display_timezone`` (``archive.display_timezone``): the zone the pages show
    times in; None leaves the plugin's default, as plain ``datasette`` has it.
    """
    db = Path(db)
    if not db.exists():
        raise StoreError(str(db), "no archive here yet; run `series-archiver crawl` (or `demo`) first")
    _register_plugin()
    metadata(db)  # refuse a file that is no archive here, with a clear error, not in a page
    extra: dict[str, Any] = {}
    if display_timezone is not None:
        clock_for(display_timezone)  # a zone that does not exist stops here, naming the key
        extra["metadata"] = {"plugins": {PLUGIN_NAME: {"display_timezone": display_timezone}}}
    # The metadata and views come from the plugin's hooks, as in plain `datasette`.
    return Datasette([str(db)], settings=dict(_SETTINGS), **extra)


def serve(
    db: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    display_timezone: str | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Serve the archive until interrupted (Ctrl-C)."""
    import uvicorn

    ds = make_datasette(db, display_timezone=display_timezone)
    try:
        # Fail with the flag to change rather than uvicorn's log line.
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise ConfigError("--port", f"cannot listen on {host}:{port} ({os.strerror(exc.errno) if exc.errno else exc}); choose another with --port or --host") from None
    base = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    echo(f"Serving {db} read-only at {base}/  (Ctrl-C to stop)")
    echo(f"  the archive's front page: {base}/{tilde_encode(database_name(Path(db)))}")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")
