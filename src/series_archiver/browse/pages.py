"""The reading room: the archive's pages made for people, served by the plugin's routes and templates.

* ``/<db>/-/article/<id>``: one article as a document: its title, series,
  installment, label and status; the current text with its headings and
  captions; a timeline of versions, removals and returns; each edit's diff
  inline and side by side; any two versions compared (``?from=1&to=3``), any
  version read (``?version=1``); the captures behind each version with their
  SHA-256 and witnesses. ``.json`` gives the same as JSON, times in ISO 8601
  with their offsets.
* ``/<db>/-/changes``: every edit, restore, removal and return, newest first,
  with its diff.
* ``/<db>/-/search?q=…``: the archive's search (``archive.search``) with
  highlighted snippets.
* ``front_page``: what the front page (``/`` and ``/<db>``) shows, given to the
  templates by the plugin's ``extra_template_vars``.

Times show in one zone (times.py). The pages read through archive/reading.py
and archive/views.py, never SQL of their own.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

import markupsafe
from datasette.utils.asgi import NotFound, Response

from series_archiver.archive.reading import (
    ArticleRecord,
    ChangeRecord,
    VersionRecord,
    article_record,
    article_records,
    changes_of,
    recent_changes,
    versions_of,
)
from series_archiver.archive.search import DEFAULT_LIMIT, MAX_LIMIT, SearchPage, search
from series_archiver.archive.views import CaptureRef, capture_refs, table_names, witness_rows
from series_archiver.browse.archives import archive_metadata, archives, clock, feed_path, reading_url
from series_archiver.browse.diffview import inline_html, side_by_side_html
from series_archiver.browse.metadata import view_links
from series_archiver.browse.safehtml import safe_diff_html, safe_snippet_html
from series_archiver.browse.times import Clock
from series_archiver.decide.diff import diff_texts

__all__ = ["article_view", "changes_view", "front_page", "search_view"]

FRONT_CHANGES = 8  # recent changes on the front page; the changes page has them all
PAGE_SIZE = 50
# The tables a reader may want; the others are the crawler's bookkeeping and the search index.
READER_TABLES = ("articles", "versions", "changes", "witnesses")
SEARCH_TABLES = ("search_text", "search_bigrams", "search_versions")


def installment_mark(n: int | None) -> str:
    """① for 1 … ⑳ for 20, as the titles print them; ``No. 21`` beyond."""
    if n is None:
        return ""
    return chr(0x2460 + n - 1) if 1 <= n <= 20 else f"No. {n}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def status_text(article: ArticleRecord, clock: Clock) -> markupsafe.Markup:
    """live, edited 2 times · removed since … · online again since …"""
    parts: list[markupsafe.Markup | str] = []
    if article.status == "gone":
        parts.append(markupsafe.Markup("removed since {}").format(clock.at(article.gone_at or article.last_event_at)))
    elif article.last_event == "back":
        parts.append(markupsafe.Markup("online again since {}").format(clock.at(article.last_event_at)))
    else:
        parts.append("live")
    parts.append(f"edited {_plural(article.edits, 'time')}" if article.edits else "never edited")
    return markupsafe.Markup(" · ").join(parts)


# --- the front page ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChangeCard:
    """A change as the front and changes pages list it."""

    change: ChangeRecord
    href: str  # the article page, at this change
    what: str
    diff: markupsafe.Markup | None


_WHAT = {"edit": "edited", "restore": "returned to an earlier text", "gone": "removed", "back": "online again"}


def _card(datasette: Any, database: str, change: ChangeRecord) -> ChangeCard:
    what = _WHAT.get(change.kind, change.kind)
    if change.kind in ("edit", "restore"):
        what += f": version {change.from_version} → {change.to_version}, +{change.chars_added} −{change.chars_removed} characters"
    elif change.kind == "gone" and change.summary:
        what += f": {change.summary}"
    safe = safe_diff_html(change.diff_html) if change.diff_html and change.kind in ("edit", "restore") else None
    href = f"{reading_url(datasette, database, change.article_id)}#change-{change.id}"
    return ChangeCard(change, href, what, markupsafe.Markup(safe) if safe else None)


@dataclass(frozen=True)
class Listed:
    """An installment as the front page lists it."""

    article: ArticleRecord
    href: str
    mark: str  # ①
    status: markupsafe.Markup


@dataclass(frozen=True)
class FrontPage:
    database: str
    title: str
    clock: Clock
    series: list[tuple[str, list[Listed]]]
    recent: list[ChangeCard]
    search_ready: bool
    search_url: str
    changes_url: str
    reader_tables: list[tuple[str, str]]  # (name, description)
    other_tables: list[tuple[str, str]]
    views: list[tuple[str, str]]  # (canned query, link text)


def _read_front(conn: sqlite3.Connection) -> tuple[list[ArticleRecord], list[ChangeRecord], set[str]]:
    return article_records(conn), recent_changes(conn, limit=FRONT_CHANGES), table_names(conn)


async def front_page(datasette: Any, database: str) -> FrontPage:
    path = archives(datasette)[database]
    meta = archive_metadata(path, database)["databases"][database]
    reader = clock(datasette)
    articles, changes, tables = await datasette.get_database(database).execute_fn(_read_front)
    series: dict[str, list[Listed]] = {}
    for a in articles:
        listed = Listed(a, reading_url(datasette, database, a.id), installment_mark(a.installment), status_text(a, reader))
        series.setdefault(a.series, []).append(listed)
    docs = meta["tables"]
    described = [(t, docs.get(t, {}).get("description", "")) for t in sorted(tables) if not t.startswith(("search_fts_", "search_bigrams_"))]
    return FrontPage(
        database=database,
        title=meta["title"],
        clock=reader,
        series=list(series.items()),
        recent=[_card(datasette, database, c) for c in changes],
        search_ready=set(SEARCH_TABLES) <= tables,
        search_url=reading_url(datasette, database, page="search"),
        changes_url=reading_url(datasette, database, page="changes"),
        reader_tables=[(t, d) for t, d in described if t in READER_TABLES],
        other_tables=[(t, d) for t, d in described if t not in READER_TABLES],
        views=view_links(meta["queries"]),
    )


# --- an article ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleData:
    article: ArticleRecord
    versions: list[VersionRecord]
    changes: list[ChangeRecord]
    captures: dict[int, CaptureRef]
    witnesses: list[dict[str, Any]]


def _read_article(conn: sqlite3.Connection, article_id: int) -> ArticleData | None:
    article = article_record(conn, article_id)
    if article is None:
        return None
    versions = versions_of(conn, article_id)
    ids = sorted({i for v in versions for i in v.capture_ids})
    captures = {c.id: c for c in capture_refs(conn, ids)}
    return ArticleData(article, versions, changes_of(conn, article_id), captures, witness_rows(conn, article_id))


@dataclass(frozen=True)
class Edit:
    """One edit or restore, with its diff both ways."""

    change: ChangeRecord | None  # None: two versions the reader chose to compare
    before: VersionRecord
    after: VersionRecord
    inline: markupsafe.Markup
    side: markupsafe.Markup


def _edit(change: ChangeRecord | None, before: VersionRecord, after: VersionRecord) -> Edit:
    diff = diff_texts(before.text, after.text)
    side = side_by_side_html(diff, before=f"version {before.version}", after=f"version {after.version}")
    return Edit(change, before, after, inline_html(diff), side)


@dataclass(frozen=True)
class Event:
    """A line of the timeline."""

    at: str
    what: str
    anchor: str  # the section that shows it
    witnesses: list[dict[str, Any]]


def _timeline(data: ArticleData) -> list[Event]:
    by_change: dict[int, list[dict[str, Any]]] = {}
    for w in data.witnesses:
        if w.get("change_id") is not None:
            by_change.setdefault(int(w["change_id"]), []).append(w)
    made_by_change = {c.to_version for c in data.changes if c.kind in ("edit", "restore")}
    events: list[tuple[str, int, Event]] = []
    for v in data.versions:
        if v.version == 1 or v.version not in made_by_change:
            what = "first archived: version 1" if v.version == 1 else f"version {v.version} archived"
            first = [w for w in data.witnesses if w.get("version") == v.version and w["kind"] == "new_article"]
            events.append((v.captured_at, 0, Event(v.captured_at, what, f"version-{v.version}", first)))
    for c in data.changes:
        if c.kind == "edit":
            what = f"edited: version {c.from_version} → {c.to_version} (+{c.chars_added} −{c.chars_removed} characters)"
        elif c.kind == "restore":
            what = f"returned to an earlier text: version {c.from_version} → {c.to_version}"
        elif c.kind == "gone":
            what = "removed" + (f": {c.summary}" if c.summary else "")
        else:
            what = "online again"
        anchor = f"change-{c.id}" if c.kind in ("edit", "restore") else f"version-{c.to_version}"
        events.append((c.changed_at, 1, Event(c.changed_at, what, anchor, by_change.get(c.id, []))))
    return [e for _, _, e in sorted(events, key=lambda t: (t[0], t[1]))]


def _diffs(data: ArticleData, a: int | None, b: int | None) -> tuple[list[Edit], Edit | None]:
    """Each edit's diff, and the comparison of versions ``a`` and ``b`` the reader asked for (if both exist)."""
    by_number = {v.version: v for v in data.versions}
    edits = [
        _edit(c, by_number[c.from_version], by_number[c.to_version])
        for c in data.changes
        if c.kind in ("edit", "restore") and c.from_version in by_number and c.to_version in by_number
    ]
    compare = None
    if a is not None and b is not None and a in by_number and b in by_number and a != b:
        compare = _edit(None, by_number[a], by_number[b])
    return edits, compare


def _int_arg(request: Any, name: str) -> int | None:
    value = request.args.get(name)
    return int(value) if value and value.isdigit() else None


async def article_view(datasette: Any, request: Any) -> Response:
    database = request.url_vars["database"]
    if database not in archives(datasette):
        raise NotFound(f"no archive called {database!r} here")
    article_id = int(request.url_vars["id"])
    data = await datasette.get_database(database).execute_fn(lambda conn: _read_article(conn, article_id))
    if data is None:
        raise NotFound(f"archive {database!r} has no article {article_id}")
    reader = clock(datasette)
    if request.url_vars.get("format") == "json":
        return Response.json(article_json(datasette, database, data))
    by_number = {v.version: v for v in data.versions}
    current = by_number.get(data.article.current_version or 0) or (data.versions[-1] if data.versions else None)
    shown = by_number.get(_int_arg(request, "version") or 0) or current
    a, b = _int_arg(request, "from"), _int_arg(request, "to")
    # Diffing is work for a thread, not for the event loop that serves every page.
    edits, compare = await asyncio.to_thread(_diffs, data, a, b)
    witnesses: dict[int, list[dict[str, Any]]] = {}
    for w in data.witnesses:
        if w.get("version") is not None and w["kind"] in ("new_article", "new_version", "restored"):
            witnesses.setdefault(int(w["version"]), []).append(w)
    context = {
        "database": database,
        "sa": {
            "article": data.article,
            "mark": installment_mark(data.article.installment),
            "status": status_text(data.article, reader),
            "shown": shown,
            "current": current,
            "versions": data.versions,
            "edits": edits,
            "compare": compare,
            "compare_from": a,
            "compare_to": b,
            "timeline": _timeline(data),
            "captures": data.captures,
            "witnesses": witnesses,
            "clock": reader,
            "json_url": reading_url(datasette, database, article_id) + ".json",
            "page_url": reading_url(datasette, database, article_id),
            "feed_url": feed_path(datasette, database, article_id),
            "row_url": datasette.urls.row(database, "articles", str(article_id)),
            "front_url": datasette.urls.database(database),
            "archive_title": archive_metadata(archives(datasette)[database], database)["databases"][database]["title"],
        },
    }
    html = await datasette.render_template("sa_article.html", context, request=request, view_name="sa_article")
    return Response.html(html)


def article_json(datasette: Any, database: str, data: ArticleData) -> dict[str, Any]:
    """The article, its versions (with their captures and witnesses) and changes; times as stored, ISO 8601 with offsets."""
    versions = []
    for v in data.versions:
        fields = asdict(v)
        fields["blocks"] = [{"kind": k, "text": t} for k, t in v.blocks]
        fields["captures"] = [asdict(data.captures[i]) for i in v.capture_ids if i in data.captures]
        fields["witnesses"] = [w for w in data.witnesses if w.get("version") == v.version and w["kind"] in ("new_article", "new_version", "restored")]
        versions.append(fields)
    changes = [
        {k: v for k, v in asdict(c).items() if k in ("id", "kind", "from_version", "to_version", "changed_at", "chars_added", "chars_removed", "summary")}
        | {"witnesses": [w for w in data.witnesses if w.get("change_id") == c.id and w["kind"] in ("gone", "back")]}
        for c in data.changes
    ]
    return {
        "article": asdict(data.article),
        "versions": versions,
        "changes": changes,
        "page": reading_url(datasette, database, data.article.id),
    }


# --- every change, and search -------------------------------------------------------------


async def changes_view(datasette: Any, request: Any) -> Response:
    database = request.url_vars["database"]
    if database not in archives(datasette):
        raise NotFound(f"no archive called {database!r} here")
    page = max(_int_arg(request, "page") or 1, 1)
    found = await datasette.get_database(database).execute_fn(
        lambda conn: recent_changes(conn, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    )
    context = {
        "database": database,
        "sa": {
            "cards": [_card(datasette, database, c) for c in found[:PAGE_SIZE]],
            "page": page,
            "more": len(found) > PAGE_SIZE,
            "clock": clock(datasette),
            "front_url": datasette.urls.database(database),
            "url": reading_url(datasette, database, page="changes"),
        },
    }
    html = await datasette.render_template("sa_changes.html", context, request=request, view_name="sa_changes")
    return Response.html(html)


@dataclass(frozen=True)
class Hit:
    article_id: int
    href: str
    title: str
    mark: str
    label: str | None
    status: str
    snippet: markupsafe.Markup | None
    matching: str  # the versions that match: "version 1", "versions 1, 2"
    current: int
    only_earlier: bool  # the current version no longer holds it


def _read_search(conn: sqlite3.Connection, q: str, limit: int, offset: int) -> tuple[bool, SearchPage]:
    ready = set(SEARCH_TABLES) <= table_names(conn)
    return ready, (search(conn, q, limit, offset) if ready and q.strip() else SearchPage(q, limit, offset, 0, ()))


async def search_view(datasette: Any, request: Any) -> Response:
    database = request.url_vars["database"]
    if database not in archives(datasette):
        raise NotFound(f"no archive called {database!r} here")
    q = request.args.get("q", "")
    limit = min(_int_arg(request, "limit") or DEFAULT_LIMIT, MAX_LIMIT) or DEFAULT_LIMIT
    page = max(_int_arg(request, "page") or 1, 1)
    ready, found = await datasette.get_database(database).execute_fn(lambda conn: _read_search(conn, q, limit, (page - 1) * limit))
    hits = []
    for r in found.results:
        snippet = safe_snippet_html(r["snippet_html"]) if r["snippet_html"] else None
        matching = str(r["versions_matching"])
        hits.append(
            Hit(
                r["article_id"],
                reading_url(datasette, database, r["article_id"]),
                r["title"],
                installment_mark(r["installment"]),
                r["label"],
                r["status"],
                markupsafe.Markup(snippet) if snippet else None,
                ("versions " if "," in matching else "version ") + matching,
                r["current_version"],
                str(r["current_version"]) not in matching.split(", "),
            )
        )
    url = reading_url(datasette, database, page="search")
    limit_arg = f"&limit={limit}" if limit != DEFAULT_LIMIT else ""

    def page_url(n: int) -> str:
        return f"{url}?{urlencode({'q': q})}{limit_arg}" + (f"&page={n}" if n > 1 else "")

    context = {
        "database": database,
        "sa": {
            "q": q,
            "ready": ready,
            "hits": hits,
            "total": found.total,
            "first": found.offset + 1,
            "last": found.offset + len(found.results),
            "previous_url": page_url(page - 1) if found.previous_offset is not None else None,
            "next_url": page_url(page + 1) if found.next_offset is not None else None,
            "front_url": datasette.urls.database(database),
            "url": url,
        },
    }
    html = await datasette.render_template("sa_search.html", context, request=request, view_name="sa_search")
    return Response.html(html)
