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

import importlib

import click

__all__ = ["cli", "main"]

# Each command's home, in the order `--help` lists them. A command's module is
# imported only when that command runs (or `--help` lists them all): `search`,
# `list` and `show` never load the HTTP client, the crawler, the scheduler or the
# evidence package, so they answer in a fraction of the time `crawl` takes to start.
COMMANDS: dict[str, str] = {
    "crawl": "crawl:crawl",
    "fetch": "crawl:fetch",
    "backfill": "webarchive:backfill",
    "import": "webarchive:import_",
    "seeds": "webarchive:seeds",
    "list": "history:list_",
    "show": "history:show",
    "search": "history:search",
    "demo": "crawl:demo",
    "diff": "history:diff",
    "log": "history:log",
    "witness": "crawl:witness",
    "browse": "history:browse",
    "daemon": "crawl:daemon",
    "status": "crawl:status",
    "export": "webarchive:export_",
    "verify": "admin:verify",
    "upgrade": "admin:upgrade",
    "rederive": "admin:rederive",
    "screenshot": "evidence:screenshot",
    "evidence": "evidence:evidence",
    "verify-evidence": "evidence:verify_evidence",
    "keygen": "evidence:keygen",
}


class LazyGroup(click.Group):
    """A group whose commands are imported when they are asked for (click's documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        home = COMMANDS.get(cmd_name)
        if home is None:
            return None
        module, attr = home.split(":")
        command = getattr(importlib.import_module(f"series_archiver.cli.{module}"), attr)
        if not isinstance(command, click.Command) or command.name != cmd_name:
            raise TypeError(f"series_archiver.cli.{module}.{attr} is not the {cmd_name!r} command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="series-archiver")
def cli() -> None:
    """Archive a newspaper series: every installment, every version, every takedown.

    Start with `series-archiver demo`, which runs the whole pipeline offline
    against a bundled replica of the site.
    """


def main() -> None:
    cli(prog_name="series-archiver")


if __name__ == "__main__":
    main()
