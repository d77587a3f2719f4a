"""Commands between the archive and the web-archive world: ``import`` (WARC/WACZ), ``backfill`` (Wayback/CDX), ``export``, ``seeds``."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from series_archiver import export as exporting
from series_archiver.cli.common import common_options, echo_json, errors_to_exit, load, setup_logging, stoppable
from series_archiver.cli.render import (
    backfill_summary,
    import_damage_lines,
    import_progress,
    import_summary,
    jsonl_export_line,
    progress_bar,
    wacz_export_line,
    warc_export_line,
)

__all__ = ["backfill", "import_", "export_", "seeds"]


@click.command()
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
    Ctrl-C stops it between two captures (exit 130).

    Example: series-archiver backfill --since 2025-12-15 --json
    """
    from series_archiver.jobs import backfill as backfilling

    setup_logging(verbose)
    with errors_to_exit(), stoppable() as stop:
        settings = load(config, db)
        since_at = exporting.parse_since(since) if since is not None else None
        until_at = None
        if until is not None:
            until_at = exporting.parse_since(until)
            if len(until.strip()) == 10:  # a date: the whole of that day
                until_at += timedelta(days=1, seconds=-1)
        with progress_bar(enabled=not as_json and sys.stderr.isatty()) as progress:
            result = backfilling.run_backfill(settings, series=series, since=since_at, until=until_at, progress=progress, stop=stop)
    if as_json:
        echo_json(result.as_json())
    else:
        click.echo(backfill_summary(result))
        for _url, why in result.failures:
            click.echo(f"  failed: {why}", err=True)
    if not result.ok:
        sys.exit(1)


@click.command(name="import")
@common_options
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the counts, and each damage with its file and byte offset, as JSON.")
@click.option("-v", "--verbose", count=True, help="Log each event (-vv for debug).")
def import_(config: Path | None, db: Path | None, files: tuple[Path, ...], as_json: bool, verbose: int) -> None:
    """Import WARC (.warc, .warc.gz), ARC (.arc, .arc.gz) and WACZ files written by other crawlers, or by export --warc.

    A folder is read as the archive files in it (not in its subfolders), in
    name order. Response records, and revisits resolved to their payload (in
    the same file, another file given, or a capture already archived), of
    allowed hosts go through the same path as a live fetch, dated by
    WARC-Date, oldest first; list pages feed discovery. Importing a file again
    adds nothing. A damaged record, gzip member or cut file is passed over and
    named with its byte offset, and the import goes on; an empty file or one
    that is no archive is named in one line. Either ends in exit 1. Ctrl-C
    stops it between two records (exit 130); importing again reads the rest.

    Example: series-archiver import crawl-20251215.warc.gz collection.wacz crawls/ --json
    """
    from series_archiver.jobs import importer

    setup_logging(verbose)
    with errors_to_exit(), stoppable() as stop:
        settings = load(config, db)
        with import_progress(enabled=not as_json and sys.stderr.isatty()) as progress:
            result = importer.run_import(settings, list(files), progress=progress, stop=stop)
    if as_json:
        echo_json(result.as_json())
    else:
        click.echo(import_summary(result))
        for line in import_damage_lines(result):
            click.echo(line, err=True)
        for _url, why in result.failures:
            click.echo(f"  failed: {why}", err=True)
    if not result.ok:
        sys.exit(1)


@click.command(name="export")
@common_options
@click.option("--warc", "warc_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write a WARC 1.1 file (one gzip member per record when the name ends in .gz).")
@click.option("--jsonl", "jsonl_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write one JSON object per version (article, version, text).")
@click.option("--wacz", "wacz_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Write a WACZ 1.1.1 package: the WARC, its CDXJ index and one page per version (for ReplayWeb.page, pywb).")
@click.option("--series", help="Only this series (its name, as in list).")
@click.option("--since", help="Only what was fetched at or after this time: YYYY-MM-DD (UTC) or an ISO time with offset.")
@click.option("--sign", "sign_key", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Sign the WACZ's datapackage-digest.json with this EC private key (PEM; `series-archiver keygen`), "
              "timestamped when evidence.tsa_url is set.")
def export_(config: Path | None, db: Path | None, warc_path: Path | None, jsonl_path: Path | None,
            wacz_path: Path | None, series: str | None, since: str | None, sign_key: Path | None) -> None:
    """Export the archive: WARC 1.1 or WACZ for web-archive tools, JSON Lines for analysis.

    The WARC holds a request and a response record per stored capture and a
    revisit record per re-fetch that found the same bytes; it passes
    `warcio check`. A revisit exported with --since refers to its response in
    an earlier export by record id. A WACZ packages that WARC with its index
    and a page per version; ReplayWeb.page opens it as it is. --sign KEYFILE
    signs the WACZ (WACZ signing spec, key-based; docs/evidence.md).

    Example: series-archiver export --warc series.warc.gz --since 2025-12-01
    """
    if warc_path is None and jsonl_path is None and wacz_path is None:
        raise click.UsageError("give --warc FILE.warc.gz, --wacz FILE.wacz or --jsonl FILE (or more than one)")
    if sign_key is not None and wacz_path is None:
        raise click.UsageError("--sign signs a WACZ: give --wacz FILE.wacz too")
    with errors_to_exit():
        settings = load(config, db)
        since_at = exporting.parse_since(since) if since is not None else None
        if warc_path is not None:
            click.echo(warc_export_line(exporting.export_warc(settings, warc_path, series=series, since=since_at)))
        if wacz_path is not None:
            click.echo(wacz_export_line(exporting.export_wacz(settings, wacz_path, series=series, since=since_at, sign_key=sign_key)))
        if jsonl_path is not None:
            click.echo(jsonl_export_line(exporting.export_jsonl(settings, jsonl_path, series=series, since=since_at)))


@click.command()
@common_options
@click.option("--series", help="Only this series (its name, as in the config); every series by default.")
@click.option("--format", "fmt", type=click.Choice(["browsertrix", "txt"]), default="browsertrix", show_default=True,
              help="browsertrix: a Browsertrix Crawler YAML crawl config; txt: the seed URLs, one a line (Heritrix seeds.txt).")
@click.option("--page-limit", type=int, help="At most this many pages in the crawl (default: 1000 and two a known article).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file (default: standard output).")
def seeds(config: Path | None, db: Path | None, series: str | None, fmt: str, page_limit: int | None, output: Path | None) -> None:
    """Write the configuration of a crawl of the series for a cluster crawler (Browsertrix, Heritrix).

    Its seeds are the series' list pages and the article URLs the archive
    knows; its scope the lists' pagination and the sites' article pages; with
    a page limit, the project's User-Agent and fetch.delay_seconds between
    pages. Run the crawl there, then `import` its WACZ or WARCs.

    Example: series-archiver seeds --format browsertrix -o crawl.yaml
    """
    from series_archiver.jobs import seeds as seeding

    with errors_to_exit():
        settings = load(config, db)
        text = seeding.write_seeds(settings, series=series, fmt=fmt, page_limit=page_limit)
        if output is None:
            click.echo(text, nl=False)
        else:
            try:
                output.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise click.ClickException(f"cannot write {output}: {exc.strerror or exc}") from None
            click.echo(f"wrote {output}", err=True)
