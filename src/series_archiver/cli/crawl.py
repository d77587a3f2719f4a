"""Commands that fetch the live site: ``crawl``, ``fetch``, ``witness``, ``daemon``, ``status``, ``demo``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from series_archiver import daemon as schedule
from series_archiver import logs
from series_archiver.cli.common import (
    common_options,
    echo_json,
    errors_to_exit,
    invoked_as,
    load,
    loopback,
    reader_clock,
    replica_option,
    setup_logging,
    stoppable,
    transport,
)
from series_archiver.cli.render import progress_bar, summary_line, witness_summary
from series_archiver.demo import run_demo
from series_archiver.display import plural
from series_archiver.jobs import core
from series_archiver.models import PassResult

__all__ = ["crawl", "fetch", "witness", "daemon", "status", "demo"]


@click.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the pass's counts as JSON.")
@click.option("-v", "--verbose", count=True, help="Log each event (-vv for debug).")
@replica_option
def crawl(config: Path | None, db: Path | None, as_json: bool, verbose: int, replica: dict[str, str] | None) -> None:
    """Discover every installment and archive what is new or changed.

    Ctrl-C stops the pass between two URLs (exit 130); what was recorded
    stays, and the next pass does the rest.

    Example: series-archiver crawl --config config.toml
    """
    setup_logging(verbose)
    with errors_to_exit(), stoppable() as stop:
        settings = load(config, db)
        with progress_bar(enabled=not as_json and sys.stderr.isatty()) as progress:
            result = core.crawl(settings, progress=progress, transport=transport(replica), stop=stop)
    _report(result, as_json)


@click.command()
@common_options
@click.argument("urls", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the pass's counts as JSON.")
@click.option("-v", "--verbose", count=True, help="Log each event.")
@replica_option
def fetch(config: Path | None, db: Path | None, urls: tuple[str, ...], as_json: bool, verbose: int, replica: dict[str, str] | None) -> None:
    """Archive the given article URLs right away.

    Exits 1 unless every URL given was archived: one that failed, or that
    robots.txt refused (or whose robots.txt could not be read), is named.

    Example: series-archiver fetch https://www.takungpao.com/news/232108/2025/1215/1234567.html
    """
    setup_logging(verbose)
    with errors_to_exit(), stoppable() as stop:
        settings = load(config, db)
        result = core.fetch(settings, list(urls), transport=transport(replica), stop=stop)
    _report(result, as_json, asked=True)


def _report(result: PassResult, as_json: bool, *, asked: bool = False) -> None:
    """Print a pass's counts and exit: 1 when a URL failed, or, for URLs asked for by name (``asked``), was skipped."""
    if as_json:
        echo_json(result.counts.as_dict())
    else:
        click.echo(summary_line(result))
        for _url, why in result.counts.failures:
            click.echo(f"  failed: {why}", err=True)
    skipped = result.counts.skipped if asked else 0
    if skipped and not as_json:
        # The pipeline counts a robots.txt refusal as skipped, not failed (a crawl
        # rightly passes such links by); a URL asked for by name was not archived.
        click.echo(
            f"  not archived: {plural(skipped, 'URL')} that robots.txt refuses, "
            "or whose robots.txt could not be read (-v names each)",
            err=True,
        )
    sys.exit(0 if result.ok and not skipped else 1)


@click.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print what the pass did as JSON.")
@click.option("--budget", type=click.FloatRange(min=0), help="Seconds to spend at most (default witness.budget_seconds).")
@click.option("-v", "--verbose", count=True, help="Log each capture asked for and each answer.")
def witness(config: Path | None, db: Path | None, as_json: bool, budget: float | None, verbose: int) -> None:
    """Work the witness queue once: ask Save Page Now for the captures due, and after the jobs pending.

    Crawl, fetch and daemon passes do this by themselves when witness.save_page_now is true.

    Example: series-archiver witness --budget 60 --json
    """
    setup_logging(verbose)
    with errors_to_exit():
        report = core.witness(load(config, db), budget=budget)
    if as_json:
        echo_json(report.as_json())
    else:
        click.echo(witness_summary(report))
        for message in report.errors:
            click.echo(f"Error: {message}", err=True)
    if report.stopped == "auth":
        sys.exit(1)


@click.command()
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
        settings = load(config, db)
        runner = schedule.Daemon(settings, transport=None if replica is None else (lambda: loopback(replica)))
        logs.setup_logging(log_file=log_file, verbose=verbose, tz=runner.tz)
        code = runner.run(now=run_now, once=once)
    sys.exit(code)


@click.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(config: Path | None, db: Path | None, as_json: bool) -> None:
    """Say when the last pass ran and how it went, when the next is due, and who holds the lock.

    Times are in archive.display_timezone.

    Example: series-archiver status --json
    """
    with errors_to_exit():
        settings = load(config, db)
        info = schedule.status(settings)
    if as_json:
        echo_json(info)
        return
    click.echo("\n".join(schedule.status_lines(info, tz=reader_clock(settings).zone)))


@click.command()
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
        program, datasette = invoked_as()
        code = run_demo(db, fresh=fresh, keep=keep, echo=click.echo, program=program, datasette=datasette)
    sys.exit(code)
