"""The Datasette plugin of series-archiver: metadata and views, search functions, read-only connections, safe HTML cells.

Installed with the package (entry point in the ``datasette`` group, the
``series_archiver.browse`` package re-exports these hooks), so it works in
plain ``datasette archive/series.db`` as in ``series-archiver browse``. What it does:

* ``get_metadata`` and ``canned_queries`` describe every database that is a
  series-archiver archive (it has ``articles`` and ``versions``): table and
  column descriptions, sorts, facets, the front page's links, and the views
  ``installments``, ``search``, ``recent_edits``, ``removed_articles`` and
  ``article_history`` (``browse/server.py`` builds them). Other databases
  Datasette serves are left alone.
* ``extra_css_urls`` adds the diff and snippet styles (``static/browse.css``).
* ``register_routes`` serves the Atom feeds (feed.py); ``extra_template_vars``
  and ``templates/`` link them from the front page, the archive's page and
  each article's pages.

* ``prepare_connection`` adds the search functions (``search.register_functions``)
  to every connection, and makes the archive's connections ``query_only``, so
  nothing served by Datasette can write to the archive.
* ``render_cell`` shows two kinds of cell as HTML: ``diff_html`` (the diffs the
  pipeline renders with ``diff.render_html``) and ``snippet_html`` (search
  snippets from ``search.snippet_html``). Article text is untrusted, so a
  value is rendered only when it is exactly the markup those functions write
  (a fixed set of tags, no attributes of our own choosing, every other ``<``
  escaped); anything else falls back to Datasette's escaped text. It also turns
  the id columns of the canned queries into links.
"""

from __future__ import annotations

import os
import re
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any

import markupsafe
from datasette import hookimpl
from datasette.utils import tilde_encode

from series_archiver.archive.search import register_functions
from series_archiver.archive.views import article_exists, feed_events, is_archive, make_query_only, table_names

__all__ = [
    "safe_diff_html",
    "safe_snippet_html",
    "prepare_connection",
    "render_cell",
    "get_metadata",
    "canned_queries",
    "extra_css_urls",
    "register_routes",
    "extra_template_vars",
]

PLUGIN_NAME = "series-archiver"  # the distribution's name: Datasette serves static/ under it

# What diff.render_html writes: the wrapper, paragraphs, the "… n unchanged
# paragraphs" line, deletions and insertions. Its <style> block is dropped
# (browse.css carries the same rules), so no CSS from the database is served.
_DIFF_OPEN = '<div class="sa-diff">'
_DIFF_TAGS = {
    "<p>": "p",
    '<p class="diff-skip">': "p",
    '<del class="diff-del">': "del",
    '<ins class="diff-ins">': "ins",
}
_SNIPPET_TAGS = {"<mark>": "mark"}
_STYLE = re.compile(r"<style>[^<]*</style>")
_TAG = re.compile(r"(<[^<>]*>)")


def _balanced(html: str, opening: dict[str, str]) -> bool:
    """True when ``html`` is text and the allowed tags only, properly nested."""
    stack: list[str] = []
    for n, part in enumerate(_TAG.split(html)):
        if n % 2 == 0:
            if "<" in part or ">" in part:
                return False
        elif part in opening:
            stack.append(opening[part])
        elif part.startswith("</") and stack and part == f"</{stack[-1]}>":
            stack.pop()
        else:
            return False
    return not stack


def safe_diff_html(value: str) -> str | None:
    """The diff fragment ready to serve, or None when it is not what render_html writes."""
    if not (value.startswith(_DIFF_OPEN) and value.endswith("</div>")):
        return None
    inner = value[len(_DIFF_OPEN) : -len("</div>")]
    style = _STYLE.match(inner)
    if style:
        inner = inner[style.end() :]
    if not _balanced(inner, _DIFF_TAGS):
        return None
    return _DIFF_OPEN + inner + "</div>"


def safe_snippet_html(value: str) -> str | None:
    """The snippet ready to serve, or None when it holds any markup but ``<mark>``."""
    return value if _balanced(value, _SNIPPET_TAGS) else None


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    register_functions(conn)
    db = datasette.databases.get(database)
    if db is not None and getattr(db, "path", None):
        # Datasette reads with mode=ro already; this also stops its write connection.
        make_query_only(conn)


# Id columns of the canned queries (table is None there) that link to a page.
def _link(datasette: Any, database: str, column: str, value: int) -> markupsafe.Markup | None:
    urls = datasette.urls
    if column == "article_id":
        href, text = urls.row(database, "articles", str(value)), f"#{value}"
    elif column == "change_id":
        href, text = urls.row(database, "changes", str(value)), f"change {value}"
    elif column == "history":
        href, text = urls.query(database, "article_history") + f"?id={value}", "history"
    else:
        return None
    return markupsafe.Markup('<a href="{}">{}</a>').format(href, text)


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if isinstance(value, str) and column == "diff_html":
        safe = safe_diff_html(value)
        if safe is None:
            return None
        if _first_version(row):
            return markupsafe.Markup('<span class="sa-note">first version: nothing to compare</span>')
        return markupsafe.Markup(safe)
    if isinstance(value, str) and column == "snippet_html":
        safe = safe_snippet_html(value)
        return markupsafe.Markup(safe) if safe is not None else None
    if table is None and isinstance(value, int) and not isinstance(value, bool):
        return _link(datasette, database, column, value)
    return None


def _first_version(row: Any) -> bool:
    # A change with no version before it is the whole text inserted: no diff worth showing.
    try:
        return row["from_version"] is None and row["kind"] in ("edit", "restore")
    except (IndexError, KeyError, TypeError):
        return False


# --- metadata and views, for every archive Datasette serves ------------------------------


def _archives(datasette: Any) -> dict[str, Path]:
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
def _archive_metadata(path: str, name: str, _stamp: int) -> dict[str, Any]:
    from series_archiver.browse.server import metadata  # the server builds the metadata; imported late, it imports this module

    return metadata(Path(path), name=name)


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict[str, Any]:
    archives = _archives(datasette)
    merged: dict[str, Any] = {"databases": {}}
    for name, path in archives.items():
        meta = _archive_metadata(str(path), name, _stamp(str(path)))
        database_meta = {k: v for k, v in meta["databases"][name].items() if k != "queries"}
        merged["databases"][name] = database_meta
        if len(archives) == 1:  # the instance is this archive: its title is the site's
            merged.update({k: v for k, v in meta.items() if k in ("title", "description_html")})
    return merged


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def canned_queries(datasette: Any, database: str, actor: Any) -> dict[str, Any] | None:
    path = _archives(datasette).get(database)
    if path is None:
        return None
    queries: dict[str, Any] = _archive_metadata(str(path), database, _stamp(str(path)))["databases"][database]["queries"]
    return queries


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.static_plugins(PLUGIN_NAME, "browse.css")]


# --- the Atom feed (feed.py) and the links to it ----------------------------------------


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (r"^/-/feeds/(?P<database>[^/]+)\.atom$", _feed_view),
        (r"^/-/feeds/(?P<database>[^/]+)/(?P<article>\d+)\.atom$", _feed_view),
    ]


async def _feed_view(datasette: Any, request: Any) -> Any:
    from datasette.utils.asgi import Response

    from series_archiver.browse.feed import ATOM_TYPE, render_feed

    name = request.url_vars["database"]
    path = _archives(datasette).get(name)
    if path is None:
        return Response.text(f"no archive called {name!r} here", status=404)
    article = int(request.url_vars["article"]) if request.url_vars.get("article") else None
    db = datasette.get_database(name)
    if article is not None and not await db.execute_fn(lambda conn: article_exists(conn, article)):
        return Response.text(f"archive {name!r} has no article {article}", status=404)
    events = await db.execute_fn(lambda conn: feed_events(conn, article_id=article))
    title = _archive_metadata(str(path), name, _stamp(str(path)))["databases"][name]["title"]
    if article is not None:
        title = f"{events[-1].title if events else f'article {article}'} — {title}"
    base = datasette.urls.database(name)
    alternate = f"{base}/article_history?id={article}" if article is not None else base
    body = render_feed(
        database=name,
        title=title,
        events=events,
        self_url=datasette.absolute_url(request, request.path),
        alternate_url=datasette.absolute_url(request, alternate),
        article_url=lambda aid: datasette.absolute_url(request, f"{base}/article_history?id={aid}"),
        updated_when_empty="2025-01-01T00:00:00+00:00",
    )
    return Response(body, content_type=f"{ATOM_TYPE}; charset=utf-8")


def feed_path(datasette: Any, database: str, article: int | None = None) -> str:
    suffix = f"/{article}" if article is not None else ""
    return str(datasette.urls.path(f"/-/feeds/{tilde_encode(database)}{suffix}.atom"))


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def extra_template_vars(template: str, database: str | None, table: str | None, view_name: str, request: Any, datasette: Any) -> dict[str, Any]:
    """``sa_feeds``: the Atom feeds the page links as alternates (templates/*.html)."""
    archives = _archives(datasette)
    feeds: list[tuple[str, str]] = []
    if view_name == "index":
        feeds = [(f"{name}: changes", feed_path(datasette, name)) for name in archives]
    elif database in archives:
        feeds = [(f"{database}: changes", feed_path(datasette, database))]
        article = _article_of_page(table, request)
        if article is not None:
            feeds.insert(0, (f"article {article}: changes", feed_path(datasette, database, article)))
    return {"sa_feeds": feeds}


def _article_of_page(table: str | None, request: Any) -> int | None:
    """The article a page is about: a row of ``articles``, or the ``article_history`` view."""
    if request is None:
        return None
    if table == "articles":
        pks = request.url_vars.get("pks")
        return int(pks) if pks and str(pks).isdigit() else None
    if table == "article_history" or request.path.rstrip("/").endswith("/article_history"):
        value = request.args.get("id")
        return int(value) if value and value.isdigit() else None
    return None
