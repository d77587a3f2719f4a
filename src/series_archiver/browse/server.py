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

import copy
import json
import os
import socket
import sqlite3
from collections.abc import Callable, Collection
from functools import lru_cache
from pathlib import Path
from typing import Any

import markupsafe
from datasette.app import Datasette
from datasette.plugins import pm
from datasette.utils import tilde_encode

from series_archiver.archive import views
from series_archiver.archive.search import SEARCH_SQL
from series_archiver.browse.archives import PLUGIN_NAME
from series_archiver.browse.times import clock_for
from series_archiver.errors import ConfigError, StoreError

__all__ = ["CANNED_QUERIES", "database_name", "make_datasette", "metadata", "serve", "view_links"]

_DATA = Path(__file__).resolve().parent / "datasette"

CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "installments": {
        "title": "Installments in order",
        "description": "Every installment of each series, in order: its latest title, publication date, "
        "how many versions were archived, and whether it is still online.",
        "sql": views.INSTALLMENTS_SQL,
        "hide_sql": True,
    },
    "search": {
        "title": "Search the text",
        "description": "Words in any script: 華為 finds 华为 and the reverse, and a two-character word "
        "such as 芯片 works (it also finds the Hong Kong and Taiwan 晶片). Separate words with spaces: "
        "all must occur in the same version. Every version is searched, so text that an edit removed "
        "is found too: versions_matching says where it occurs.",
        "sql": SEARCH_SQL,
        "hide_sql": True,
    },
    "recent_edits": {
        "title": "Recent edits",
        "description": "Silent edits and returns to an earlier text, newest first, with the character diff.",
        "sql": views.RECENT_EDITS_SQL,
        "hide_sql": True,
    },
    "removed_articles": {
        "title": "Removed articles",
        "description": "Articles whose page is gone (404/410 or a redirect away), latest first. "
        "Their versions stay in the archive.",
        "sql": views.REMOVED_ARTICLES_SQL,
        "hide_sql": True,
    },
    "article_history": {
        "title": "History of one article",
        "description": "Everything that happened to the article with this id, in order: each version "
        "with the diff from the one before, and its removals and returns.",
        "sql": views.ARTICLE_HISTORY_SQL,
        "hide_sql": True,
    },
    "witnesses": {
        "title": "Witness captures (Save Page Now)",
        "description": "Each new article, new version, removal and return asked of the Internet Archive's "
        "Save Page Now, newest first: where the capture is (archived_url), when it was made, or why there is none.",
        "sql": views.WITNESSES_SQL,
        "hide_sql": True,
    },
}

_SETTINGS = {
    # Long texts fold in table views; a row page shows them whole.
    "truncate_cells_html": 400,
    "default_page_size": 50,
}


def database_name(db: Path) -> str:
    """The name Datasette gives the archive (its file name without extension): the first part of every URL."""
    return Path(db).stem


@lru_cache(maxsize=1)
def _table_docs() -> dict[str, Any]:
    tables: dict[str, Any] = json.loads((_DATA / "metadata.json").read_text(encoding="utf-8"))["tables"]
    return tables


def _read_archive(db: Path) -> tuple[list[str], set[str]]:
    """(series names, table names) of the archive, read without writing."""
    try:
        conn = sqlite3.connect(f"file:{db.resolve()}?mode=ro", uri=True)
        try:
            tables = views.table_names(conn)
            series = views.series_names(conn) if views.is_archive(tables) else []
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(str(db), f"is not a series-archiver database or is damaged ({exc})") from exc
    if not views.is_archive(tables):
        raise StoreError(str(db), "is not a series-archiver archive (no articles and versions tables); run `series-archiver crawl` first")
    return series, tables


def metadata(db: Path, *, name: str | None = None) -> dict[str, Any]:
    """The Datasette metadata for the archive at ``db`` (served as ``name``, by default its file's stem)."""
    db = Path(db)
    series, tables = _read_archive(db)
    name = name or database_name(db)
    queries = copy.deepcopy(CANNED_QUERIES)
    if "search_text" not in tables or "search_bigrams" not in tables:
        # An archive made before search (or its two-character index): the next crawl builds the index.
        del queries["search"]
    if "witnesses" not in tables:
        del queries["witnesses"]  # an archive of an earlier schema, read as it is
    title = "".join(f"「{s}」" for s in series) + " archive" if series else "series-archiver archive"
    route = tilde_encode(name)
    description_html = (
        "Every installment, every version, every silent edit or takedown, as archived by series-archiver. "
        + markupsafe.Markup('Read it on <a href="/{}">the archive\'s front page</a>: each article\'s text, its edits and the pages it was read from. ').format(route)
        + "As tables: "
        + markupsafe.Markup(", ").join(markupsafe.Markup('<a href="/{}/{}">{}</a>').format(route, query, text) for query, text in view_links(queries))
        + "."
    )
    return {
        "title": title,
        "description_html": description_html,
        "databases": {
            name: {
                "title": title,
                "description_html": description_html,
                "tables": copy.deepcopy(_table_docs()),
                "queries": queries,
            }
        },
    }


# The canned queries a front page links, in this order, with their link texts.
_VIEW_LINKS = (
    ("installments", "the installments in order"),
    ("search", "search the text (華為, 芯片 …)"),
    ("recent_edits", "recent edits, with their diffs"),
    ("removed_articles", "removed articles"),
    ("witnesses", "witness captures (Save Page Now)"),
)


def view_links(queries: Collection[str]) -> list[tuple[str, str]]:
    """(canned query, link text) of the views the archive offers, as its front page links them."""
    return [(query, text) for query, text in _VIEW_LINKS if query in queries]


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
