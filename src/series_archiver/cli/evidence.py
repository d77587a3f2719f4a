"""Commands for evidence a third party can check: ``screenshot``, ``evidence``, ``verify-evidence``, ``keygen`` (docs/evidence.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from series_archiver.cli.common import common_options, echo_json, errors_to_exit, load, setup_logging

__all__ = ["screenshot", "evidence", "verify_evidence", "keygen"]


@click.command()
@common_options
@click.argument("ids", nargs=-1, type=int)
@click.option("--budget", type=click.FloatRange(min=0), help="Seconds to spend at most (default: until done).")
@click.option("-v", "--verbose", count=True, help="Log each screenshot.")
def screenshot(config: Path | None, db: Path | None, ids: tuple[int, ...], budget: float | None, verbose: int) -> None:
    """Take the screenshots missing from archived versions (of articles IDS, or all).

    Each is rendered by headless Chromium from the stored capture with the
    network shut, and stored with its SHA-256. Needs Debian's chromium:
    apt-get install chromium fonts-noto-cjk.

    Example: series-archiver screenshot 1 2
    """
    from series_archiver.jobs.evidence import take_screenshots

    setup_logging(verbose)
    with errors_to_exit():
        report = take_screenshots(load(config, db), ids, budget=budget)
    click.echo(f"{report.screenshots} screenshots taken, {report.queued} still missing")
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(0 if not report.queued and not report.problems else 1)


@click.command()
@common_options
@click.argument("article_id", type=int)
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True, help="The bundle to write (a .zip).")
@click.option("--sign", "sign_key", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Also sign the bundle's article.wacz with this EC private key (PEM; `series-archiver keygen`).")
def evidence(config: Path | None, db: Path | None, article_id: int, out: Path, sign_key: Path | None) -> None:
    """Write one article's evidence bundle: captures, screenshots, timestamps, witnesses, a report, a manifest.

    A third party checks it without this tool (VERIFY.md inside: sha256sum
    and openssl ts -verify), or with `series-archiver verify-evidence`.

    Example: series-archiver evidence 1 --out article-1.zip
    """
    from series_archiver.jobs.evidence import make_bundle

    with errors_to_exit():
        result = make_bundle(load(config, db), article_id, out, sign_key=sign_key)
    click.echo(f"wrote {result.path}: {result.files} files, {result.screenshots} screenshots, {result.tokens} timestamps, {result.bytes:,} bytes")


@click.command(name="verify-evidence")
@click.argument("bundle", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--ca", "ca_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Trust this PEM file's TSA roots instead of the bundle's own timestamps/tsa-ca.pem.")
@click.option("--json", "as_json", is_flag=True, help="Print ok, files, tokens, roots and problems as JSON.")
def verify_evidence(bundle: Path, ca_file: Path | None, as_json: bool) -> None:
    """Check an evidence bundle offline; exit 1 naming each file that was changed.

    Checks every file against manifest.json, manifest.json against its
    timestamp, each event's token against its statement and the TSA chain,
    each statement against the screenshots and article.wacz, and the WACZ's
    own hashes and signature.

    Example: series-archiver verify-evidence article-1.zip
    """
    from series_archiver.evidence.bundle_check import verify_bundle

    with errors_to_exit():
        report = verify_bundle(bundle, ca_file=ca_file)
    if as_json:
        echo_json(report.as_json())
    else:
        for problem in report.problems:
            click.echo(f"FAILED {problem}")
        if report.ok:
            click.echo(f"{bundle}: OK: {report.files} files, {len(report.tokens)} timestamps verified"
                       + (", article.wacz signature verified" if report.signed_wacz else ""))
            for name, when in report.tokens:
                click.echo(f"  {name}: {when}")
            for root in report.roots:
                click.echo(f"  trusted TSA root, SHA-256 fingerprint {root}")
    sys.exit(0 if report.ok else 1)


@click.command()
@click.argument("keyfile", type=click.Path(path_type=Path, dir_okay=False))
def keygen(keyfile: Path) -> None:
    """Make a P-384 key to sign WACZ exports with (KEYFILE, and its public key KEYFILE.pub).

    The same as: openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out KEYFILE

    Example: series-archiver keygen ~/.config/series-archiver/wacz-key.pem
    """
    from series_archiver.evidence.signing import generate_key

    with errors_to_exit():
        public = generate_key(keyfile)
    click.echo(f"wrote {keyfile} (keep it private) and {public} (give it to whoever checks your signatures)")
