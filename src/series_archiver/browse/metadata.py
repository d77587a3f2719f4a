"""What Datasette is told of an archive: titles, table and column descriptions, canned queries, view links.

Read by the server (``make_datasette``) and by the plugin's ``get_metadata``
for plain ``datasette`` (``archives.py``); it imports neither, so both may import it.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path
from typing import Any

import markupsafe
from datasette.utils import tilde_encode

from series_archiver.archive import views
from series_archiver.archive.search import SEARCH_SQL
from series_archiver.errors import StoreError

__all__ = ["CANNED_QUERIES", "database_name", "metadata", "view_links"]

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
        "is found too: versions_matching says where it occurs. Articles come 20 a page in installment order "
        "(limit: up to 500; page: 2 for the next ones), and total says how many match.",
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
    if not {"search_text", "search_bigrams", "search_versions"} <= tables:
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
