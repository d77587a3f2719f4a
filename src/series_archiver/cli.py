"""The command line: parse, call the library, format. Nothing else lives here.

Exit status: 0 when everything went well, 1 when some URL failed (it is
recorded and retried on the next pass) or the archive is busy, 2 for usage and
configuration errors.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import core
from .demo import run_demo
from .errors import ArchiverError, ConfigError
from .pipeline import PassResult, ProgressFn
from .settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_CONFIG = Path("config.toml")


def _settings(config: Path | None, db: Path | None, **overrides: Any) -> Settings:
    path = config
    if path is None and DEFAULT_CONFIG.exists():
        path = DEFAULT_CONFIG
    return load_settings(path, db=db, overrides={k: v for k, v in overrides.items() if v is not None})


def common_options(fn: F) -> F:
    fn = click.option("--db", type=click.Path(path_type=Path, dir_okay=False), help="Archive database (overrides archive.db).")(fn)
    fn = click.option(
        "--config",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Configuration file (default: ./config.toml if present, else the packaged defaults).",
    )(fn)
    return fn


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Turn the project's errors into one clear line and the documented exit status."""
    try:
        yield
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
    except ArchiverError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="series-archiver")
def cli() -> None:
    """Archive a newspaper series: every installment, every version, every takedown.

    Start with `series-archiver demo`, which runs the whole pipeline offline
    against a bundled replica of the site.
    """


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the pass's counts as JSON.")
@click.option("-v", "--verbose", count=True, help="Log each event (-vv for debug).")
def crawl(config: Path | None, db: Path | None, as_json: bool, verbose: int) -> None:
    """Discover every installment and archive what is new or changed.

    Example: series-archiver crawl --config config.toml
    """
    _setup_logging(verbose)
    with errors_to_exit():
        settings = _settings(config, db)
        with progress_bar(enabled=not as_json and sys.stderr.isatty()) as progress:
            result = core.crawl(settings, progress=progress)
    _report(result, as_json)


@cli.command()
@common_options
@click.argument("urls", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the pass's counts as JSON.")
@click.option("-v", "--verbose", count=True, help="Log each event.")
def fetch(config: Path | None, db: Path | None, urls: tuple[str, ...], as_json: bool, verbose: int) -> None:
    """Archive the given article URLs right away.

    Example: series-archiver fetch https://www.takungpao.com/news/232108/2025/1215/1234567.html
    """
    _setup_logging(verbose)
    with errors_to_exit():
        settings = _settings(config, db)
        result = core.fetch(settings, list(urls))
    _report(result, as_json)


# --- formatting ---------------------------------------------------------------------


@contextmanager
def progress_bar(*, enabled: bool) -> Iterator[ProgressFn | None]:
    """A progress bar on a terminal; nothing when output is piped or logged."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("[bold]archiving"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"),
        console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def update(done: int, total: int, url: str) -> None:
            bar.update(task, completed=done, total=total, description=url[-60:])

        yield update


def summary_line(result: PassResult) -> str:
    c = result.counts
    parts = [
        f"{c.found} found",
        f"{c.fetched} fetched",
        f"{c.new_articles} new articles",
        f"{c.new_versions} new versions",
        f"{c.unchanged} unchanged",
        f"{c.failed} failed",
    ]
    for name in ("gone", "suspect", "skipped"):
        if getattr(c, name):
            parts.append(f"{getattr(c, name)} {name}")
    return f"pass {result.run_id}: " + ", ".join(parts)


def print_article_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        click.echo("The archive is empty. Run `series-archiver crawl` (or `series-archiver demo`).")
        return
    table = Table(show_lines=False)
    for name in ("id", "#", "label", "title", "published", "versions", "status", "urls"):
        table.add_column(name, overflow="fold")
    for r in rows:
        table.add_row(
            str(r["id"]),
            "" if r["installment"] is None else str(r["installment"]),
            r["label"] or "",
            r["title"],
            (r["published"] or "")[:16],
            str(r["versions"]),
            r["status"] if r["status"] == "live" else f"[red]{r['status']}[/red] {r['gone_at'] or ''}",
            str(len(r["urls"])),
        )
    Console().print(table)


def format_article(data: dict[str, Any]) -> str:
    lines = [
        data["title"],
        f"{data['series']} {data['installment'] or ''} {data['label'] or ''}".strip(),
        f"published {data['published'] or 'unknown'} · byline {data['byline'] or 'none'} · "
        f"version {data['version']} of {data['versions']} captured {data['captured_at']}"
        + (f" (restores version {data['restores']})" if data["restores"] else ""),
        f"status {data['status']} · {data['url']}",
        "",
    ]
    for block in data["blocks"]:
        lines.append(f"## {block['text']}" if block["kind"] == "heading" else block["text"])
        lines.append("")
    if data["captions"]:
        lines.append("Captions:")
        lines.extend(f"  ▲ {c}" for c in data["captions"])
    return "\n".join(lines).rstrip() + "\n"


def _report(result: PassResult, as_json: bool) -> None:
    counts = result.counts.as_dict()
    if as_json:
        _echo_json(counts)
    else:
        click.echo(summary_line(result))
        for url, why in result.counts.failures:
            click.echo(f"  failed: {why}", err=True)
    sys.exit(0 if result.ok else 1)


@cli.command(name="list")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print an array of objects.")
def list_(config: Path | None, db: Path | None, as_json: bool) -> None:
    """List the archived articles, installments in order.

    Example: series-archiver list --json
    """
    with errors_to_exit():
        rows = core.list_articles(_settings(config, db))
    if as_json:
        _echo_json(rows)
        return
    print_article_table(rows)


@cli.command()
@common_options
@click.argument("article_id", type=int)
@click.option("--version", "version", type=int, help="Version number (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print the article as JSON.")
def show(config: Path | None, db: Path | None, article_id: int, version: int | None, as_json: bool) -> None:
    """Show one article's text, as of its latest or a given version.

    Example: series-archiver show 1 --version 2
    """
    with errors_to_exit():
        data = core.show_article(_settings(config, db), article_id, version)
    if as_json:
        _echo_json(data)
        return
    click.echo(format_article(data))


@cli.command()
@click.option("--keep", is_flag=True, help="Keep serving the replica after the crawl, until Ctrl-C.")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), default=Path("archive/demo/series.db"), show_default=True, help="Demo archive.")
@click.option("--fresh/--no-fresh", default=True, show_default=True, help="Start from an empty demo archive.")
def demo(keep: bool, db: Path, fresh: bool) -> None:
    """Run the whole pipeline offline against the bundled replica of the site.

    Serves the replica on 127.0.0.1, crawls it into a demo archive, and
    prints the installments found and how to browse them.

    Example: series-archiver demo
    """
    with errors_to_exit():
        code = run_demo(db, fresh=fresh, keep=keep, echo=click.echo)
    sys.exit(code)


def main() -> None:
    cli(prog_name="series-archiver")


if __name__ == "__main__":
    main()
