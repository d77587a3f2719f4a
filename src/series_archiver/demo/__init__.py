"""The offline demo: serve the bundled replica on 127.0.0.1 and crawl it for real.

Nothing is mocked: the replica is served by a real HTTP server, the crawl is
the same code path as ``series-archiver crawl``, and the archive is a real
SQLite file under archive/demo/.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.spn_replica import SpnReplica
from series_archiver.demo.tsa_replica import TsaReplica
from series_archiver.demo.wayback_replica import WaybackReplica
from series_archiver.display import plural
from series_archiver.jobs import core
from series_archiver.settings import Settings, load_settings

__all__ = ["run_demo", "demo_settings", "replica_manifest"]


def replica_manifest() -> dict[str, Any]:
    """The truth about the bundled replica: which installment lives where."""
    text = resources.files("series_archiver.demo").joinpath("replica_site", "manifest.json").read_text(encoding="utf-8")
    manifest: dict[str, Any] = json.loads(text)
    return manifest


def demo_settings(db: Path, *, base: Settings | None = None) -> Settings:
    """The packaged settings, pointed at the replica's list pages, with no politeness delay.

    URLs stay the real ones; ``LoopbackTransport`` delivers them to the replica.
    """
    manifest = replica_manifest()
    settings = base or load_settings(db=db)
    series = tuple(
        dataclasses.replace(s, start_urls=tuple(manifest["start_urls"]), urls=()) for s in settings.series[:1]
    )
    return settings.replace(
        series=series,
        archive__db=db,
        fetch__delay_seconds=0.0,
        fetch__retries=1,
        fetch__backoff_base_seconds=0.1,
        fetch__timeout_seconds=10.0,
        fetch__workers=4,
        fetch__max_in_flight_per_host=4,
    )


def run_demo(
    db: Path,
    *,
    fresh: bool = True,
    keep: bool = False,
    echo: Callable[[str], None] = print,
    program: str = "series-archiver",
    datasette: str = "datasette",
) -> int:
    """Serve, crawl, report. Returns the exit status.

    ``program`` and ``datasette``: the commands as the user can run them (the
    CLI passes how it was run, ``.venv/bin/series-archiver`` after the quick start), for the hints.
    """
    if fresh and db.exists():
        for path in db.parent.glob(db.name + "*"):
            path.unlink()
    db.parent.mkdir(parents=True, exist_ok=True)
    with (
        ReplicaSite() as site,
        WaybackReplica() as wayback,
        SpnReplica(site_transport=LoopbackTransport(site.origins), polls_pending=0) as spn,
        TsaReplica(db.parent / "demo-tsa") as tsa,
    ):
        echo("Serving the bundled replica of the site on 127.0.0.1:")
        for real, local in sorted(site.origins.items()):
            if real.startswith("https://"):
                echo(f"  {real:<32} -> {local}")
        echo(f"  and a replica Save Page Now 2 at {spn.url}, which witnesses each new version")
        echo(f"  and a replica RFC 3161 time-stamping authority (openssl ts) at {tsa.url}, its root CA in {tsa.ca_pem}")
        # Witnesses asked of the replica Save Page Now, with its keys (never the Internet Archive's);
        # timestamps of the replica TSA; screenshots by Debian's Chromium.
        settings = demo_settings(db).replace(
            witness__save_page_now=True, witness__endpoint=spn.url, witness__access_key=spn.access_key, witness__secret_key=spn.secret_key,
            evidence__screenshots=True, evidence__tsa_url=tsa.url, evidence__tsa_ca_file=str(tsa.ca_pem),
        )
        started = time.monotonic()
        result = core.crawl(settings, transport=LoopbackTransport(site.origins))
        took = time.monotonic() - started
        c = result.counts
        echo(
            f"\nCrawled in {took:.1f}s: {c.found} found, {c.fetched} fetched, {plural(c.new_articles, 'new article')}, "
            f"{plural(c.new_versions, 'version')}, {c.unchanged} other renderings or unchanged, {c.failed} failed, {c.skipped} skipped (robots.txt)."
        )
        evidence = _evidence_step(settings, echo)
        backfilled = _backfill_step(settings, wayback, echo)
        wacz = _wacz_step(settings, db.with_suffix(".wacz"), echo)
        echo(f"\nInstallments archived in {db}:")
        for row in core.list_articles(settings):
            number = f"{row['installment']:>2}" if row["installment"] is not None else " ?"
            label = row["label"] or ""
            echo(f"  #{row['id']:<3} {row['series']} {number} {label:<4} {row['title']}  ({plural(len(row['urls']), 'URL')}, {plural(row['versions'], 'version')})")
            for url in row["urls"]:
                echo(f"          {url}")
            for w in core.show_article(settings, row["id"])["witnesses"]:
                echo(f"          witnessed ({w['kind']}): {w['archived_url'] or w['status']}")
        hints = [
            (f"{program} list --db {db}", ""),
            (f"{program} diff 1 --db {db}", "what changed in installment ①"),
            (f"{program} search 芯片 --db {db}", "search every version"),
            (f"{program} browse --db {db}", "browse in Datasette, with search and diffs"),
            (f"{program} evidence 1 --db {db} --out article-1.zip", "one article's evidence bundle"),
            (f"{program} verify-evidence article-1.zip", "checked offline"),
            (f"{datasette} {db}", "or plain Datasette"),
        ]
        width = max(len(command) for command, _ in hints)
        echo("\nNext:")
        for command, why in hints:
            echo(f"  {command:<{width}}   # {why}" if why else f"  {command}")
        echo(f"  open {wacz} in ReplayWeb.page (https://replayweb.page), or into another archive: {program} import {wacz} --db other.db")
        if keep:
            echo("\nThe replica keeps running; press Ctrl-C to stop.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0 if result.ok and backfilled and evidence else 1


def _backfill_step(settings: Settings, wayback: WaybackReplica, echo: Callable[[str], None]) -> bool:
    """Backfill from the bundled replica Wayback: what a web archive held before the archive began."""
    from series_archiver.jobs.backfill import run_backfill

    echo(f"\nBackfilling from a replica Wayback Machine (CDX API and playback) on {wayback.origin}:")
    settings = settings.replace(
        wayback__cdx_url=wayback.cdx_url,
        wayback__playback_url=wayback.playback_url,
        # The replica is this machine's: no need for the Internet Archive's pace.
        wayback__cdx_requests_per_minute=6000.0,
        wayback__playback_requests_per_second=100.0,
    )
    started = time.monotonic()
    r = run_backfill(settings)
    echo(
        f"  {plural(r.cdx_queries, 'CDX query', 'CDX queries')}, {plural(r.captures_seen, 'capture')} seen, {r.captures_fetched} read "
        f"in {time.monotonic() - started:.1f}s: {plural(r.new_articles, 'installment')} removed before the first crawl recovered; "
        f"{plural(r.new_versions, 'version')} ({r.earlier_versions} an earlier text placed in time order), {plural(r.removals, 'removal')}; "
        f"{plural(r.evidence, 'older capture')} kept as evidence, {plural(r.blocked, 'URL')} blocked by the archive, {r.failed} failed."
    )
    return r.ok


def _evidence_step(settings: Settings, echo: Callable[[str], None]) -> bool:
    """What the evidence pass after the crawl made: screenshots and timestamps (docs/evidence.md)."""
    from series_archiver.archive import open_archive

    with open_archive(settings.archive.db) as archive:
        counts = archive.evidence_counts()
        shots = archive.conn.execute("SELECT count(*) FROM screenshots").fetchone()[0]
        problems = [r.error for r in archive.evidence_rows() if r.error]
    echo(
        f"\nEvidence: {shots} screenshots rendered by headless Chromium from the stored bytes, "
        f"{counts.get('stamped', 0)} events timestamped by the replica TSA"
        + (f", {counts.get('queued', 0)} still queued" if counts.get("queued") else "") + "."
    )
    for problem in problems[:3]:
        echo(f"  {problem}")
    if not shots:
        echo("  No screenshots: install Debian's chromium and CJK fonts (apt-get install chromium fonts-noto-cjk).")
    return bool(counts.get("stamped")) and not counts.get("queued") and not counts.get("failed")


def _wacz_step(settings: Settings, path: Path, echo: Callable[[str], None]) -> Path:
    """The demo archive as a WACZ package beside it, signed with a demo key: what ReplayWeb.page, pywb and ``import`` read."""
    from series_archiver.evidence.signing import generate_key
    from series_archiver.export import export_wacz

    key = path.parent / "demo-wacz-key.pem"
    if not key.exists():
        generate_key(key)
    z = export_wacz(settings, path, sign_key=key)
    echo(
        f"\nWrote {z.path}: the archive as a WACZ, {plural(z.pages, 'page')} (one per version), "
        f"{plural(z.warc.records, 'WARC record')} ({plural(z.warc.resources, 'screenshot')}), {plural(z.bytes, 'byte')}, "
        f"signed with {key} and timestamped."
    )
    return z.path
