"""Commands that read the archive: ``list``, ``show``, ``log``, ``diff``, ``browse``. None of them writes."""

from __future__ import annotations

from pathlib import Path

import click

from series_archiver import history
from series_archiver.cli.common import common_options, echo_json, errors_to_exit, load
from series_archiver.cli.render import format_article, print_article_table, print_history, print_version_diff
from series_archiver.jobs import core

__all__ = ["list_", "show", "log", "diff", "browse"]


@click.command(name="list")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print an array of objects.")
def list_(config: Path | None, db: Path | None, as_json: bool) -> None:
    """List the archived articles, installments in order.

    Example: series-archiver list --json
    """
    with errors_to_exit():
        rows = core.list_articles(load(config, db))
    if as_json:
        echo_json(rows)
        return
    print_article_table(rows)


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
        data = core.show_article(load(config, db), article_id, version)
    if as_json:
        echo_json(data)
        return
    click.echo(format_article(data))


@click.command()
@common_options
@click.argument("article_id", type=int)
@click.option("--from", "from_version", type=int, help="The older version (default: the one before --to).")
@click.option("--to", "to_version", type=int, help="The newer version (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print from, to, chars_added, chars_removed and ops as JSON.")
def diff(config: Path | None, db: Path | None, article_id: int, from_version: int | None, to_version: int | None, as_json: bool) -> None:
    """Show what changed between two versions of an article, character by character.

    Deletions are red and struck through, insertions green and underlined;
    unchanged paragraphs far from a change are folded.

    Example: series-archiver diff 1 --from 1 --to 2
    """
    with errors_to_exit():
        result = history.article_diff(load(config, db), article_id, from_version, to_version)
    if as_json:
        echo_json(result.as_json())
        return
    print_version_diff(result)


@click.command()
@common_options
@click.argument("article_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the article's URLs, versions and events as JSON.")
def log(config: Path | None, db: Path | None, article_id: int, as_json: bool) -> None:
    """List an article's history: versions, edits, restores, removals, returns, suspect captures.

    Example: series-archiver log 1 --json
    """
    with errors_to_exit():
        result = history.article_log(load(config, db), article_id)
    if as_json:
        echo_json(result.as_json())
        return
    print_history(result)


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
