"""Commands that read the archive: ``list``, ``show``, ``search``, ``log``, ``diff``, ``browse``. None of them writes.

Times are shown in ``archive.display_timezone``, each with its offset; ``--json`` keeps the stored ISO 8601.
"""

from __future__ import annotations

from pathlib import Path

import click

from series_archiver import history
from series_archiver.archive.search import DEFAULT_LIMIT, MAX_LIMIT
from series_archiver.cli.common import common_options, echo_json, errors_to_exit, invoked_as, load, reader_clock
from series_archiver.cli.render import (
    format_article,
    print_article_table,
    print_history,
    print_search,
    print_version_diff,
    wants_color,
)
from series_archiver.jobs import lookup

__all__ = ["list_", "show", "search", "log", "diff", "browse"]


@click.command(name="list")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print an array of objects.")
def list_(config: Path | None, db: Path | None, as_json: bool) -> None:
    """List the archived articles, installments in order.

    On a terminal of any width the title takes what the other columns leave;
    dates are in archive.display_timezone.

    Example: series-archiver list --json
    """
    with errors_to_exit():
        settings = load(config, db)
        rows = lookup.list_articles(settings)
    if as_json:
        echo_json(rows)
        return
    print_article_table(rows, reader_clock(settings), program=invoked_as()[0])


@click.command()
@common_options
@click.argument("article_id", type=int)
@click.option("--version", "version", type=int, help="Version number (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print the article as JSON.")
def show(config: Path | None, db: Path | None, article_id: int, version: int | None, as_json: bool) -> None:
    """Show one article's text, as of its latest or a given version.

    Example: series-archiver show 1 --version 2
    """
    with errors_to_exit():
        settings = load(config, db)
        data = lookup.show_article(settings, article_id, version)
    if as_json:
        echo_json(data)
        return
    click.echo(format_article(data, reader_clock(settings)))


@click.command()
@common_options
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", type=click.IntRange(min=1, max=MAX_LIMIT), default=DEFAULT_LIMIT, show_default=True,
              help="Show at most this many articles (a page).")
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True,
              help="Skip this many articles first: the next page starts where the last one ended.")
@click.option("--json", "as_json", is_flag=True, help="Print the page as JSON: total, next_offset and the articles with their snippets.")
def search(config: Path | None, db: Path | None, query: tuple[str, ...], limit: int, offset: int, as_json: bool) -> None:
    """Find the articles whose text, in any version, holds every word of QUERY.

    The reading room's search: simplified or traditional script, full- or
    half-width, and Taiwan or mainland wording (芯片, 晶片) find the same
    text; each article found shows the versions that hold the words and
    the paragraph where they are. Results come a page at a time
    (--limit, --offset), installments in order, with how many there are.

    Example: series-archiver search 華為 芯片 --limit 5 --offset 5
    """
    words = " ".join(query)
    if not words.strip():
        raise click.BadParameter("give at least one word to find", param_hint="QUERY")
    with errors_to_exit():
        page = lookup.search_articles(load(config, db), words, limit=limit, offset=offset)
    if as_json:
        echo_json(page)
        return
    print_search(page)


@click.command()
@common_options
@click.argument("article_id", type=int)
@click.option("--from", "from_version", type=int, help="The older version (default: the one before --to).")
@click.option("--to", "to_version", type=int, help="The newer version (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print from, to, chars_added, chars_removed and ops as JSON.")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the changes (auto: on a terminal); without colour they are marked [-deleted-]{+inserted+}.",
)
def diff(
    config: Path | None, db: Path | None, article_id: int, from_version: int | None, to_version: int | None, as_json: bool, color: str
) -> None:
    """Show what changed between two versions of an article, character by character.

    On a terminal deletions are red and struck through, insertions green and
    underlined; into a file or a pipe (or with --color never) they are
    marked [-deleted-] and {+inserted+}. Unchanged paragraphs far from a
    change are folded.

    Example: series-archiver diff 1 --from 1 --to 2 > edit.txt
    """
    with errors_to_exit():
        settings = load(config, db)
        result = history.article_diff(settings, article_id, from_version, to_version)
    if as_json:
        echo_json(result.as_json())
        return
    print_version_diff(result, reader_clock(settings), color=wants_color(color))


@click.command()
@common_options
@click.argument("article_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the article's URLs, versions and events as JSON.")
def log(config: Path | None, db: Path | None, article_id: int, as_json: bool) -> None:
    """List an article's history: versions, edits, restores, removals, returns, suspect captures.

    Example: series-archiver log 1 --json
    """
    with errors_to_exit():
        settings = load(config, db)
        result = history.article_log(settings, article_id)
    if as_json:
        echo_json(result.as_json())
        return
    print_history(result, reader_clock(settings))


@click.command()
@common_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (127.0.0.1: this machine only).")
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True, help="Port to listen on.")
def browse(config: Path | None, db: Path | None, host: str, port: int) -> None:
    """Browse the archive in Datasette: installments in order, search, edits with their diffs.

    The archive is opened read-only: browsing never writes to it and never
    blocks a crawl, and what a crawl adds shows on the next page load.

    Example: series-archiver browse --port 8001
    """
    from series_archiver.browse import server as browsing

    with errors_to_exit():
        settings = load(config, db)
        browsing.serve(settings.archive.db, host=host, port=port, display_timezone=settings.archive.display_timezone, echo=click.echo)
