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
* ``register_routes`` serves the reading room (pages.py: an article as a
  document, every change, search) and the Atom feeds (feed.py);
  ``extra_template_vars`` gives the front page (``/`` and ``/<db>``, templates/)
  its series, installments and recent changes, and links the feeds from the
  pages they belong to.

* ``prepare_connection`` adds the search functions (``search.register_functions``)
  to every connection, and makes the archive's connections ``query_only``, so
  nothing served by Datasette can write to the archive.
* ``render_cell`` shows two kinds of cell as HTML when they are the project's
  own markup (safehtml.py): ``diff_html`` and ``snippet_html``; anything else
  falls back to Datasette's escaped text. It also turns the id columns of the
  canned queries into links.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import markupsafe
from datasette import hookimpl

from series_archiver.archive.reading import article_of_change
from series_archiver.archive.search import register_functions
from series_archiver.archive.views import article_exists, feed_events, make_query_only
from series_archiver.browse.archives import PLUGIN_NAME, archive_metadata, archives, feed_path, reading_url
from series_archiver.browse.safehtml import safe_diff_html, safe_snippet_html

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


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict[str, Any]:
    found = archives(datasette)
    merged: dict[str, Any] = {"databases": {}}
    for name, path in found.items():
        meta = archive_metadata(path, name)
        database_meta = {k: v for k, v in meta["databases"][name].items() if k != "queries"}
        merged["databases"][name] = database_meta
        if len(found) == 1:  # the instance is this archive: its title is the site's
            merged.update({k: v for k, v in meta.items() if k in ("title", "description_html")})
    return merged


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def canned_queries(datasette: Any, database: str, actor: Any) -> dict[str, Any] | None:
    path = archives(datasette).get(database)
    if path is None:
        return None
    queries: dict[str, Any] = archive_metadata(path, database)["databases"][database]["queries"]
    return queries


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.static_plugins(PLUGIN_NAME, "browse.css")]


# --- the reading room (pages.py), the Atom feeds (feed.py) and the links to them ----------


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    # Imported here: pages.py imports Datasette's request classes, and Datasette is loading this plugin.
    from series_archiver.browse import pages

    return [
        (r"^/-/feeds/(?P<database>[^/]+)\.atom$", _feed_view),
        (r"^/-/feeds/(?P<database>[^/]+)/(?P<article>\d+)\.atom$", _feed_view),
        (r"^/(?P<database>[^/]+)/-/article/(?P<id>\d+)(\.(?P<format>json))?$", pages.article_view),
        (r"^/(?P<database>[^/]+)/-/changes$", pages.changes_view),
        (r"^/(?P<database>[^/]+)/-/search$", pages.search_view),
    ]


async def _feed_view(datasette: Any, request: Any) -> Any:
    from datasette.utils.asgi import Response

    from series_archiver.browse.feed import ATOM_TYPE, render_feed

    name = request.url_vars["database"]
    path = archives(datasette).get(name)
    if path is None:
        return Response.text(f"no archive called {name!r} here", status=404)
    article = int(request.url_vars["article"]) if request.url_vars.get("article") else None
    db = datasette.get_database(name)
    if article is not None and not await db.execute_fn(lambda conn: article_exists(conn, article)):
        return Response.text(f"archive {name!r} has no article {article}", status=404)
    events = await db.execute_fn(lambda conn: feed_events(conn, article_id=article))
    title = archive_metadata(path, name)["databases"][name]["title"]
    if article is not None:
        title = f"{events[-1].title if events else f'article {article}'} — {title}"
    alternate = reading_url(datasette, name, article) if article is not None else datasette.urls.database(name)
    body = render_feed(
        database=name,
        title=title,
        events=events,
        self_url=datasette.absolute_url(request, request.path),
        alternate_url=datasette.absolute_url(request, alternate),
        article_url=lambda aid: datasette.absolute_url(request, reading_url(datasette, name, aid)),
        updated_when_empty="2025-01-01T00:00:00+00:00",
    )
    return Response(body, content_type=f"{ATOM_TYPE}; charset=utf-8")


@hookimpl  # type: ignore[untyped-decorator]  # datasette has no type hints
def extra_template_vars(template: str, database: str | None, table: str | None, view_name: str, request: Any, datasette: Any) -> Any:
    """``sa_feeds``: the Atom feeds the page links as alternates; ``sa_front``: the front page; ``sa_reading``: an article's page."""
    found = archives(datasette)

    async def template_vars() -> dict[str, Any]:
        from series_archiver.browse.pages import front_page

        feeds: list[tuple[str, str]] = []
        extra: dict[str, Any] = {}
        if view_name == "index":
            feeds = [(f"{name}: changes", feed_path(datasette, name)) for name in found]
            if len(found) == 1 and template == "index.html":  # the instance is this archive: its front page is the site's
                extra["sa_front"] = await front_page(datasette, next(iter(found)))
        elif database in found:
            feeds = [(f"{database}: changes", feed_path(datasette, database))]
            if template == "database.html":
                extra["sa_front"] = await front_page(datasette, database)
            article = await _article_of_page(datasette, database, table, view_name, request)
            if article is not None:
                feeds.insert(0, (f"article {article}: changes", feed_path(datasette, database, article)))
                extra["sa_reading"] = reading_url(datasette, database, article)
        return {"sa_feeds": feeds, **extra}

    return template_vars


async def _article_of_page(datasette: Any, database: str, table: str | None, view_name: str, request: Any) -> int | None:
    """The article a page is about: a row of ``articles`` or ``changes``, the ``article_history`` view, an article's page."""
    if request is None:
        return None
    if view_name == "sa_article":
        return int(request.url_vars["id"])
    pks = request.url_vars.get("pks")
    if view_name == "row" and table in ("articles", "changes") and pks and str(pks).isdigit():
        if table == "articles":
            return int(pks)
        change = int(pks)
        found: int | None = await datasette.get_database(database).execute_fn(lambda conn: article_of_change(conn, change))
        return found
    if table == "article_history" or request.path.rstrip("/").endswith("/article_history"):
        value = request.args.get("id")
        return int(value) if value and value.isdigit() else None
    return None
