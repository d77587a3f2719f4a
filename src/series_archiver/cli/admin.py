"""Commands that look after the archive itself: ``upgrade``, ``verify``, ``rederive``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from series_archiver.cli.common import common_options, echo_json, errors_to_exit, load
from series_archiver.cli.render import realign_line, rederive_lines, upgrade_line, verify_lines
from series_archiver.jobs import core
from series_archiver.jobs import verify as verifying

__all__ = ["upgrade", "verify", "rederive"]


@click.command()
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
        report = verifying.verify_archive(load(config, db))
    if as_json:
        echo_json(report.as_json())
    else:
        click.echo("\n".join(verify_lines(report)))
    sys.exit(0 if report.ok else 1)


@click.command()
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
        report = core.upgrade_archive(load(config, db), backup=backup, make_backup=not no_backup)
    if as_json:
        echo_json(report.as_json())
    else:
        click.echo(upgrade_line(report))


@click.command()
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
            done = realign_archive(load(config, db), dry_run=dry_run)
        if as_json:
            echo_json(done.as_json())
        else:
            click.echo(realign_line(done, dry_run=dry_run))
        return
    with errors_to_exit():
        report = rederive_archive(load(config, db), dry_run=dry_run)
    if as_json:
        echo_json(report.as_json())
    else:
        click.echo("\n".join(rederive_lines(report, dry_run=dry_run)))
