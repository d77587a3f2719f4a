"""The command line: parse, call the library, format. Nothing else lives here.

One module per kind of job, each command opening the archive through one
library call and turning its errors into one line (``common.errors_to_exit``):

    crawl.py       crawl, fetch, witness, daemon, status, demo   (the live site)
    history.py     list, show, search, log, diff, browse         (reading the archive)
    webarchive.py  import, backfill, export, seeds               (WARC, WACZ, Wayback, cluster crawls)
    admin.py       upgrade, verify, rederive                     (the archive itself)
    evidence.py    screenshot, evidence, verify-evidence, keygen (evidence a third party can check)
    common.py      shared options, settings, errors and Ctrl-C -> exit status
    render.py      everything shown on a terminal

Exit status: 0 when everything went well, 1 when some URL failed (it is
recorded and retried on the next pass) or the archive is busy, 2 for usage and
configuration errors, 130 when Ctrl-C stopped a crawl, fetch, import or backfill.
"""

from __future__ import annotations

import click

from series_archiver.cli import admin, crawl, evidence, history, webarchive

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="series-archiver")
def cli() -> None:
    """Archive a newspaper series: every installment, every version, every takedown.

    Start with `series-archiver demo`, which runs the whole pipeline offline
    against a bundled replica of the site.
    """


for _command in (
    crawl.crawl,
    crawl.fetch,
    webarchive.backfill,
    webarchive.import_,
    webarchive.seeds,
    history.list_,
    history.show,
    history.search,
    crawl.demo,
    history.diff,
    history.log,
    crawl.witness,
    history.browse,
    crawl.daemon,
    crawl.status,
    webarchive.export_,
    admin.verify,
    admin.upgrade,
    admin.rederive,
    evidence.screenshot,
    evidence.evidence,
    evidence.verify_evidence,
    evidence.keygen,
):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="series-archiver")


if __name__ == "__main__":
    main()
