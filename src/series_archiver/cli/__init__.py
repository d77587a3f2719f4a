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
import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from series_archiver import daemon as schedule
from series_archiver import export as exporting
from series_archiver import history, logs
from series_archiver.decide.diff import render_terminal
from series_archiver.demo import run_demo
from series_archiver.errors import ArchiverError, ConfigError
from series_archiver.jobs import core
from series_archiver.jobs import verify as verifying
from series_archiver.jobs.crawl import ProgressFn
from series_archiver.models import PassResult
from series_archiver.settings import Settings, load_settings

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


class ReplicaOrigins(click.ParamType):  # type: ignore[type-arg]  # generic only in click's stubs of 8.2+
    """``--replica``: a JSON object from real origins to loopback origins (``ReplicaSite.origins``)."""

    name = "ORIGINS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dict[str, str]:
        if isinstance(value, dict):
            return value
        try:
            origins = json.loads(value)
        except ValueError as exc:
            self.fail(f"is not JSON ({exc}): give an object such as '{{\"https://www.takungpao.com\": \"http://127.0.0.1:8765\"}}'", param, ctx)
        if not isinstance(origins, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in origins.items()):
            self.fail("must be a JSON object of real origin -> loopback origin strings", param, ctx)
        return origins


def replica_option(fn: F) -> F:
    """For tests and demos: deliver the real URLs to a replica on 127.0.0.1 and refuse any other host."""
    return click.option(
        "--replica",
        "replica",
        type=ReplicaOrigins(),
        help="Testing and demos only: a JSON object mapping real origins to replica servers on 127.0.0.1; "
        "every other host is refused, so nothing leaves the machine.",
    )(fn)


def _transport(replica: dict[str, str] | None) -> httpx.BaseTransport | None:
    return None if replica is None else _loopback(replica)


def _loopback(replica: dict[str, str]) -> httpx.BaseTransport:
    # The replica's transport: not even imported for a crawl of the real site.
    from series_archiver.demo.loopback import LoopbackTransport

    try:
        return LoopbackTransport(replica)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--replica") from None


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
@replica_option
def crawl(config: Path | None, db: Path | None, as_json: bool, verbose: int, replica: dict[str, str] | None) -> None:
    """Discover every installment and archive what is new or changed.

    Example: series-archiver crawl --config config.toml
    """
    _setup_logging(verbose)
    with errors_to_exit():
        settings = _settings(config, db)
        with progress_bar(enabled=not as_json and sys.stderr.isatty()) as progress:
            result = core.crawl(settings, progress=progress, transport=_transport(replica))
    _report(result, as_json)


@cli.command()
@common_options
@click.argument("urls", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the pass's counts as JSON.")
@click.option("-v", "--verbose", count=True, help="Log each event.")
@replica_option
def fetch(config: Path | None, db: Path | None, urls: tuple[str, ...], as_json: bool, verbose: int, replica: dict[str, str] | None) -> None:
    """Archive the given article URLs right away.

    Example: series-archiver fetch https://www.takungpao.com/news/232108/2025/1215/1234567.html
    """
    _setup_logging(verbose)
    with errors_to_exit():
        settings = _settings(config, db)
        result = core.fetch(settings, list(urls), transport=_transport(replica))
    _report(result, as_json)


@cli.command()
@common_options
@click.option("--series", help="Only this series (its name, as in the config).")
@click.option("--since", help="Only captures made at or after this time: YYYY-MM-DD (UTC) or an ISO time with offset.")
@click.option("--until", help="Only captures made up to this time: YYYY-MM-DD (to the end of that day, UTC) or an ISO time.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.option("-v", "--verbose", count=True, help="Log each event (-vv for debug).")
def backfill(
    config: Path | None, db: Path | None, series: str | None, since: str | None, until: str | None, as_json: bool, verbose: int
) -> None:
    """Read older captures of the series from a web archive ([wayback]: the Wayback Machine or any CDX server).

    Each capture goes through the same extraction, cleaning, dedupe and
    version decision as a live fetch, dated by its Memento-Datetime, oldest
    first; list pages captured then find installments removed since.

    Example: series-archiver backfill --since 2025-12-15 --json
    """
    from datetime import timedelta

    from series_archiver.jobs import backfill as backfilling

    _setup_logging(verbose)
    with errors_to_exit():
        settings = _settings(config, db)
        since_at = exporting.parse_since(since) if since is not None else None
        until_at = None
        if until is not None:
            until_at = exporting.parse_since(until)
            if len(until.strip()) == 10:  # a date: the whole of that day
                until_at += timedelta(days=1, seconds=-1)
        with progress_bar(enabled=not as_json and sys.stderr.isatty()) as progress:
            result = backfilling.run_backfill(settings, series=series, since=since_at, until=until_at, progress=progress)
    if as_json:
        _echo_json(result.as_json())
    else:
        click.echo(
            f"{result.cdx_queries} CDX queries, {result.captures_seen} captures seen, {result.captures_fetched} fetched: "
            f"{result.new_articles} new articles, {result.new_versions} versions ({result.earlier_versions} earlier, placed in time order), "
            f"{result.removals} removals, {result.evidence} kept as evidence, {result.failed} failed"
        )
        for _url, why in result.failures:
            click.echo(f"  failed: {why}", err=True)
    if not result.ok:
        sys.exit(1)


@cli.command(name="import")
@common_options
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@click.option("-v", "--verbose", count=True, help="Log each event (-vv for debug).")
def import_(config: Path | None, db: Path | None, files: tuple[Path, ...], as_json: bool, verbose: int) -> None:
    """Import WARC (.warc, .warc.gz) and WACZ files written by other crawlers, or by export --warc.

    Response records, and revisits resolved to their payload, of allowed hosts
    go through the same path as a live fetch, dated by WARC-Date, oldest
    first; list pages in the file feed discovery. Importing a file again adds nothing.

    Example: series-archiver import crawl-20251215.warc.gz collection.wacz --json
    """
    from series_archiver.jobs import importer

    _setup_logging(verbose)
    with errors_to_exit():
        settings = _settings(config, db)
        with progress_bar(enabled=not as_json and sys.stderr.isatty()) as progress:
            result = importer.run_import(settings, list(files), progress=progress)
    if as_json:
        _echo_json(result.as_json())
    else:
        click.echo(
            f"{result.records} records, {result.pages} pages: {result.new_articles} new articles, "
            f"{result.new_versions} versions ({result.earlier_versions} earlier, placed in time order), "
            f"{result.removals} removals, {result.duplicates} duplicates, {result.evidence} kept as evidence, "
            f"{result.skipped} skipped, {result.failed} failed"
        )
        for _url, why in result.failures:
            click.echo(f"  failed: {why}", err=True)
    if not result.ok:
        sys.exit(1)


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


def _provenance(c: dict[str, Any]) -> str:
    """Where a capture came from, in words: nothing claims a live fetch that never happened."""
    if c["source"] == "wayback":
        return f"read from a web archive: {c.get('memento_url')}" + (f" (from {c['archive_src']})" if c.get("archive_src") else "")
    if c["source"] == "warc":
        return f"imported from {c.get('warc_file')} record {c.get('warc_record_id')}"
    return "fetched live"


def _provenance_lines(captures: list[dict[str, Any]]) -> list[str]:
    if all(c["source"] == "live" for c in captures):
        return []
    return [f"capture {c['id']} ({c['fetched_at']}): {_provenance(c)}" for c in captures]


def format_article(data: dict[str, Any]) -> str:
    lines = [
        data["title"],
        f"{data['series']} {data['installment'] or ''} {data['label'] or ''}".strip(),
        f"published {data['published'] or 'unknown'} · byline {data['byline'] or 'none'} · "
        f"version {data['version']} of {data['versions']} captured {data['captured_at']}"
        + (f" (restores version {data['restores']})" if data["restores"] else ""),
        *_provenance_lines(data.get("captures", [])),
        *(f"witness {format_witness(w)}" for w in data.get("witnesses", [])),
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
        for _url, why in result.counts.failures:
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


@cli.command()
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
        result = history.article_diff(_settings(config, db), article_id, from_version, to_version)
    if as_json:
        _echo_json(result.as_json())
        return
    print_version_diff(result)


@cli.command()
@common_options
@click.argument("article_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the article's URLs, versions and events as JSON.")
def log(config: Path | None, db: Path | None, article_id: int, as_json: bool) -> None:
    """List an article's history: versions, edits, restores, removals, returns, suspect captures.

    Example: series-archiver log 1 --json
    """
    with errors_to_exit():
        result = history.article_log(_settings(config, db), article_id)
    if as_json:
        _echo_json(result.as_json())
        return
    print_history(result)


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print what the pass did as JSON.")
@click.option("--budget", type=click.FloatRange(min=0), help="Seconds to spend at most (default witness.budget_seconds).")
@click.option("-v", "--verbose", count=True, help="Log each capture asked for and each answer.")
def witness(config: Path | None, db: Path | None, as_json: bool, budget: float | None, verbose: int) -> None:
    """Work the witness queue once: ask Save Page Now for the captures due, and after the jobs pending.

    Crawl, fetch and daemon passes do this by themselves when witness.save_page_now is true.

    Example: series-archiver witness --budget 60 --json
    """
    _setup_logging(verbose)
    with errors_to_exit():
        report = core.witness(_settings(config, db), budget=budget)
    if as_json:
        _echo_json(report.as_json())
    else:
        click.echo(
            f"{report.submitted} asked, {report.succeeded} captured, {report.failed} failed, {report.retried} to ask again, "
            f"{report.requested_again} requested again; left: {report.queued} queued, {report.pending} pending"
            + ("" if report.stopped == "done" else f" (stopped: {report.stopped})")
        )
        for message in report.errors:
            click.echo(f"Error: {message}", err=True)
    if report.stopped == "auth":
        sys.exit(1)


def print_version_diff(result: history.VersionDiff) -> None:
    console = Console(highlight=False, soft_wrap=True)
    d = result.diff
    console.print(
        f"#{result.article_id} version {result.from_version} ({result.from_captured_at}) -> "
        f"version {result.to_version} ({result.to_captured_at}): "
        + (f"[green]+{d.chars_added}[/green] [red]-{d.chars_removed}[/red] characters" if d.changed else "no change"),
    )
    if d.changed:
        console.print()
        render_terminal(d, console)


_EVENT_STYLE = {"gone": "red", "back": "green", "suspect": "yellow", "restore": "cyan"}


def format_event(e: history.HistoryEvent) -> Text:
    """One line of ``log``: when, what, version, size, change counts, summary."""
    kind = f"restore v{e.restores}" if e.kind == "restore" else e.kind
    line = Text(f"{e.at}  ")
    line.append(f"{kind:<11}", style=_EVENT_STYLE.get(e.kind, ""))
    line.append(f" {'' if e.version is None else f'v{e.version}':<4}")
    line.append(f" {'' if e.chars is None else f'{e.chars:,} chars':>12}")
    change = f"+{e.chars_added} -{e.chars_removed}" if e.chars_added is not None else ""
    line.append(f"  {change:<12}")
    what = e.summary or ""
    if e.capture_id is not None:
        what += f" (capture {e.capture_id}, {e.url})"
    line.append(what)
    line.rstrip()
    return line


def print_history(result: history.ArticleHistory) -> None:
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"#{result.id} {result.title}", markup=False)
    state = "live" if result.status == "live" else f"[red]{result.status}[/red] since {result.gone_at}"
    count = len(result.versions)
    console.print(f"{state} · {count} version{'s' if count != 1 else ''} · {result.url}")
    for u in result.urls:
        if not u.is_primary:
            console.print(f"  also at {u.url} ({u.role}, {u.status})", markup=False)
    console.print()
    for e in result.events:
        console.print(format_event(e))
    archived = [c for c in result.captures if c.source != "live"]
    if archived:
        console.print(f"\n{len(result.captures)} captures, {len(archived)} not fetched live:")
        for c in archived:
            console.print(f"  capture {c.id} {c.fetched_at} {c.url}: {_provenance(c.as_json())}", markup=False)
    if result.witnesses:
        console.print(f"\n{len(result.witnesses)} witness capture{'s' if len(result.witnesses) != 1 else ''} (Save Page Now):")
        for w in result.witnesses:
            console.print(f"  {format_witness(w.as_json())}", markup=False)


def format_witness(w: dict[str, Any]) -> str:
    """One witness in words: what it is for, and where the capture is or why there is none."""
    of = w["kind"] + (f" v{w['version']}" if w.get("version") else "")
    if w["status"] == "success":
        return f"{w['requested_at']}  {of}: {w['archived_url']} (captured {w['archived_at']})"
    why = f": {w['status_ext']} {w['error']}" if w.get("error") else ""
    return f"{w['requested_at']}  {of}: {w['status']}{why}"


@cli.command()
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
        settings = _settings(config, db)
        browsing.serve(settings.archive.db, host=host, port=port, echo=click.echo)


@cli.command()
@common_options
@click.option("--now", "run_now", is_flag=True, help="Also run a pass at start, before the first scheduled one.")
@click.option("--once", is_flag=True, help="Run one tiered pass, logged and notified, then exit (for system cron).")
@click.option("--log-file", type=click.Path(path_type=Path, dir_okay=False), help="Append the log lines to this file instead of stderr.")
@click.option("-v", "--verbose", count=True, help="Also log every pass and what was due (-vv: the pipeline's own log).")
@replica_option
def daemon(
    config: Path | None, db: Path | None, run_now: bool, once: bool, log_file: Path | None, verbose: int, replica: dict[str, str] | None
) -> None:
    """Run passes on the [schedule] cron line until SIGTERM or Ctrl-C.

    Discovery runs every pass; archived articles are re-checked by tier
    (schedule.tiers). Quiet while nothing changes: one log line per new
    installment, edit, removal or failure. Stops cleanly (exit 0) on SIGTERM
    or SIGINT, ending the pass in flight between two URLs.

    Example: series-archiver daemon --now --log-file archive/daemon.log
    """
    with errors_to_exit():
        settings = _settings(config, db)
        runner = schedule.Daemon(settings, transport=None if replica is None else (lambda: _loopback(replica)))
        logs.setup_logging(log_file=log_file, verbose=verbose, tz=runner.tz)
        code = runner.run(now=run_now, once=once)
    sys.exit(code)


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(config: Path | None, db: Path | None, as_json: bool) -> None:
    """Say when the last pass ran and how it went, when the next is due, and who holds the lock.

    Example: series-archiver status --json
    """
    with errors_to_exit():
        info = schedule.status(_settings(config, db))
    if as_json:
        _echo_json(info)
        return
    click.echo("\n".join(schedule.status_lines(info)))


@cli.command(name="export")
@common_options
@click.option("--warc", "warc_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write a WARC 1.1 file (one gzip member per record when the name ends in .gz).")
@click.option("--jsonl", "jsonl_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write one JSON object per version (article, version, text).")
@click.option("--wacz", "wacz_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write a WACZ 1.1.1 package: the WARC, its CDXJ index and one page per version (for ReplayWeb.page, pywb).")
@click.option("--series", help="Only this series (its name, as in list).")
@click.option("--since", help="Only what was fetched at or after this time: YYYY-MM-DD (UTC) or an ISO time with offset.")
def export_(config: Path | None, db: Path | None, warc_path: Path | None, jsonl_path: Path | None,
            wacz_path: Path | None, series: str | None, since: str | None) -> None:
    """Export the archive: WARC 1.1 or WACZ for web-archive tools, JSON Lines for analysis.

    The WARC holds a request and a response record per stored capture and a
    revisit record per re-fetch that found the same bytes; it passes
    `warcio check`. A revisit exported with --since refers to its response in
    an earlier export by record id. A WACZ packages that WARC with its index
    and a page per version; ReplayWeb.page opens it as it is.

    Example: series-archiver export --warc series.warc.gz --since 2025-12-01
    """
    if warc_path is None and jsonl_path is None and wacz_path is None:
        raise click.UsageError("give --warc FILE.warc.gz, --wacz FILE.wacz or --jsonl FILE (or more than one)")
    with errors_to_exit():
        settings = _settings(config, db)
        since_at = exporting.parse_since(since) if since is not None else None
        if warc_path is not None:
            w = exporting.export_warc(settings, warc_path, series=series, since=since_at)
            click.echo(
                f"wrote {w.path}: {w.records} records (1 warcinfo, {w.requests} request, {w.responses} response, "
                f"{w.revisits} revisit: {w.revisits_identical} identical-payload-digest, "
                f"{w.revisits_not_modified} server-not-modified"
                + (f", {w.metadata} metadata: captures read from another archive" if w.metadata else "")
                + f"), {w.bytes:,} bytes"
            )
        if wacz_path is not None:
            z = exporting.export_wacz(settings, wacz_path, series=series, since=since_at)
            click.echo(
                f"wrote {z.path}: {z.pages} pages (one per version), {z.warc.records} WARC records in {z.warc.path}, "
                f"{z.index_lines} index lines, {z.bytes:,} bytes"
            )
        if jsonl_path is not None:
            j = exporting.export_jsonl(settings, jsonl_path, series=series, since=since_at)
            click.echo(f"wrote {j.path}: {j.versions} versions, {j.bytes:,} bytes")


@cli.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print checked, ok and the problems as JSON.")
def verify(config: Path | None, db: Path | None, as_json: bool) -> None:
    """Check every stored capture against its SHA-256.

    Decompresses each capture's stored bytes and recomputes their SHA-256;
    reports captures whose bytes no longer match or cannot be decompressed,
    and exits 1 if there is any.

    Example: series-archiver verify --json
    """
    with errors_to_exit():
        report = verifying.verify_archive(_settings(config, db))
    if as_json:
        _echo_json(report.as_json())
    else:
        for p in report.problems:
            click.echo(f"capture {p.capture_id} ({p.url}, fetched {p.fetched_at}): {p.kind}: {p.detail}")
        verdict = "all match their SHA-256" if report.ok else f"{len(report.problems)} do not match"
        click.echo(f"{report.checked} captures checked in {report.db}: {verdict}")
    sys.exit(0 if report.ok else 1)


@cli.command()
@common_options
@click.option(
    "--backup", type=click.Path(path_type=Path, dir_okay=False), help="Where to copy the archive first (default: series.db.schema-N.backup beside it)."
)
@click.option("--no-backup", is_flag=True, help="Upgrade without a copy (only when you made one yourself).")
@click.option("--json", "as_json", is_flag=True, help="Print from, to, applied and backup as JSON.")
def upgrade(config: Path | None, db: Path | None, backup: Path | None, no_backup: bool, as_json: bool) -> None:
    """Bring an archive written by an earlier release to this release's schema.

    Takes the writer lock, copies the archive whole (VACUUM INTO), then runs
    each missing schema step in its own transaction. crawl, fetch and the
    daemon do the same on their own; readers (list, show, browse …) only ask
    for it. Running it again does nothing.

    Example: series-archiver upgrade --backup /backups/series-before-0.2.db
    """
    with errors_to_exit():
        report = core.upgrade_archive(_settings(config, db), backup=backup, make_backup=not no_backup)
    if as_json:
        _echo_json(report.as_json())
    elif not report.applied:
        click.echo(f"{report.db} is at schema {report.to_version}, this release's: nothing to do")
    else:
        kept = f"; the archive as it was is in {report.backup}" if report.backup else ""
        click.echo(f"upgraded {report.db} from schema {report.from_version} to {report.to_version} ({', '.join(report.applied)}){kept}")


@cli.command()
@common_options
@click.option("--dry-run", is_flag=True, help="Report only; record nothing.")
@click.option(
    "--realign", is_flag=True, help="Instead: give each version its predecessor's rendering where its content is unchanged, and recompute the diffs."
)
@click.option("--json", "as_json", is_flag=True, help="Print checked, same, changed, unreadable and the versions that differ as JSON.")
def rederive(config: Path | None, db: Path | None, dry_run: bool, realign: bool, as_json: bool) -> None:
    """Read every version again from its stored pages with this release's code.

    Reports which versions this release reads differently from the release
    that archived them (a change of extraction, cleaning or folding, never an
    edit of the site: nothing becomes a version). Without --dry-run, records
    each reading, so later passes compare new captures with it. --realign
    re-aligns archives made before 0.2, whose versions kept each capture's
    rendering, so their diffs show the edits alone.

    Example: series-archiver rederive --dry-run
    """
    from series_archiver.jobs.rederive import realign_archive, rederive_archive

    if realign:
        with errors_to_exit():
            done = realign_archive(_settings(config, db), dry_run=dry_run)
        if as_json:
            _echo_json(done.as_json())
        else:
            would = "would be" if dry_run else "were"
            click.echo(
                f"{done.versions_checked} later versions checked in {done.db}: {done.versions_realigned} {would} given their "
                f"predecessor's rendering, {done.changes_recomputed} diffs recomputed; no version was added"
            )
        return
    with errors_to_exit():
        report = rederive_archive(_settings(config, db), dry_run=dry_run)
    if as_json:
        _echo_json(report.as_json())
        return
    for v in report.versions:
        if v.status == "changed":
            click.echo(f"#{v.article_id} version {v.version}: reads differently (+{v.chars_added} -{v.chars_removed}): {v.summary}")
        elif v.status == "unreadable":
            click.echo(f"#{v.article_id} version {v.version}: its pages cannot be read again: {v.summary}")
    recorded = "nothing recorded (--dry-run)" if dry_run else "readings recorded"
    click.echo(
        f"{len(report.versions)} versions read again with derivation {report.derivation}: {report.count('same')} the same, "
        f"{report.count('changed')} read differently, {report.count('unreadable')} unreadable; {recorded}; no version was made"
    )


def main() -> None:
    cli(prog_name="series-archiver")


if __name__ == "__main__":
    main()
