"""Everything the CLI shows on a terminal: progress, tables, articles, histories, diffs, and each job's summary.

Plain values in, text out (or printed with rich); no archive, no network. The
diff's layout (which paragraphs fold) is decide/diff.py's, shared with the HTML
stored in the archive, so the terminal and Datasette fold the same paragraphs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from series_archiver.decide.diff import OpKind, TextDiff, layout, skipped_line
from series_archiver.history import ArticleHistory, HistoryEvent, VersionDiff
from series_archiver.jobs.crawl import ProgressFn
from series_archiver.models import PassResult

if TYPE_CHECKING:
    from series_archiver.export import JsonlExport, WaczExport, WarcExport
    from series_archiver.jobs.backfill import BackfillResult
    from series_archiver.jobs.core import UpgradeReport
    from series_archiver.jobs.importer import ImportResult, ImportStep
    from series_archiver.jobs.rederive import RealignReport, RederiveReport
    from series_archiver.jobs.verify import VerifyReport
    from series_archiver.witness.worker import WitnessReport

__all__ = [
    "progress_bar",
    "import_progress",
    "import_damage_lines",
    "summary_line",
    "import_summary",
    "backfill_summary",
    "witness_summary",
    "warc_export_line",
    "wacz_export_line",
    "jsonl_export_line",
    "verify_lines",
    "upgrade_line",
    "realign_line",
    "rederive_lines",
    "print_article_table",
    "format_article",
    "format_witness",
    "diff_text",
    "print_version_diff",
    "format_event",
    "print_history",
]


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


@contextmanager
def import_progress(*, enabled: bool) -> Iterator[Callable[[ImportStep], None] | None]:
    """The import's progress on a terminal: the file, records per second, bytes done; nothing when piped."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("[bold]{task.fields[phase]}"), TextColumn("{task.fields[file]}"), BarColumn(), DownloadColumn(),
        TextColumn("{task.fields[rate]} records/s"), TextColumn("{task.fields[records]}"), TimeElapsedColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:
        task = bar.add_task("", total=None, phase="reading", file="", rate="0", records="")
        phase_started: dict[str, float] = {}  # records per second are counted from the start of each phase

        def update(step: ImportStep) -> None:
            now = time.monotonic()
            rate = step.records / max(now - phase_started.setdefault(step.phase, now), 1e-3)
            records = f"{step.records:,} read" if step.records_total is None else f"{step.records}/{step.records_total}"
            bar.update(
                task, completed=step.bytes_done, total=step.bytes_total or None, phase=step.phase, file=step.file[-50:],
                rate=f"{rate:,.0f}", records=records,
            )

        yield update


# --- passes and jobs ------------------------------------------------------------------


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
    line = f"pass {result.run_id}: " + ", ".join(parts)
    if result.blocked:  # among the failed: the sites that answered with block pages (read.pagekind)
        line += "; BLOCKED by " + ", ".join(
            f"{b.site} ({b.urls} URL{'s' if b.urls != 1 else ''}" + (f", {b.passes} passes in a row" if b.keeps_blocking else "") + ")"
            for b in result.blocked
        )
    return line


def import_summary(result: ImportResult) -> str:
    return (
        f"{result.files} files, {result.records} records, {result.pages} pages: {result.new_articles} new articles, "
        f"{result.new_versions} versions ({result.earlier_versions} earlier, placed in time order), "
        f"{result.removals} removals, {result.duplicates} duplicates, {result.evidence} kept as evidence, "
        f"{result.skipped} skipped, {result.failed} failed"
        + (f", {len(result.unresolved)} revisits unresolved" if result.unresolved else "")
        + (f"; damaged: {', '.join(result.damaged_files)}" if result.damaged else "")
    )


def import_damage_lines(result: ImportResult) -> list[str]:
    """One line per damage found (file, byte, what), then the revisits whose original is nowhere."""
    lines = [f"  damaged: {d}" for d in result.damaged]
    lines += [
        f"  unresolved revisit: {url} at byte {offset} of {name}: its original is in no file imported and not in the archive"
        for name, offset, url in result.unresolved
    ]
    return lines


def backfill_summary(result: BackfillResult) -> str:
    return (
        f"{result.cdx_queries} CDX queries, {result.captures_seen} captures seen, {result.captures_fetched} fetched: "
        f"{result.new_articles} new articles, {result.new_versions} versions ({result.earlier_versions} earlier, placed in time order), "
        f"{result.removals} removals, {result.evidence} kept as evidence, {result.failed} failed"
    )


def witness_summary(report: WitnessReport) -> str:
    return (
        f"{report.submitted} asked, {report.succeeded} captured, {report.failed} failed, {report.retried} to ask again, "
        f"{report.requested_again} requested again; left: {report.queued} queued, {report.pending} pending"
        + ("" if report.stopped == "done" else f" (stopped: {report.stopped})")
    )


def warc_export_line(w: WarcExport) -> str:
    return (
        f"wrote {w.path}: {w.records} records (1 warcinfo, {w.requests} request, {w.responses} response, "
        f"{w.revisits} revisit: {w.revisits_identical} identical-payload-digest, "
        f"{w.revisits_not_modified} server-not-modified"
        + (f", {w.metadata} metadata: captures read from another archive" if w.metadata else "")
        + (f", {w.resources} resource: screenshots" if w.resources else "")
        + f"), {w.bytes:,} bytes"
    )


def wacz_export_line(z: WaczExport) -> str:
    return (
        f"wrote {z.path}: {z.pages} pages (one per version), {z.warc.records} WARC records in {z.warc.path}, "
        f"{z.index_lines} index lines, {z.bytes:,} bytes" + (", signed" if z.signed else "")
    )


def jsonl_export_line(j: JsonlExport) -> str:
    return f"wrote {j.path}: {j.versions} versions, {j.bytes:,} bytes"


def verify_lines(report: VerifyReport) -> list[str]:
    lines = [f"capture {p.capture_id} ({p.url}, fetched {p.fetched_at}): {p.kind}: {p.detail}" for p in report.problems]
    verdict = "all match their SHA-256" if not report.problems else f"{len(report.problems)} do not match"
    lines += [f"{report.checked} captures checked in {report.db}: {verdict}"]
    if report.tokens or report.evidence_problems:
        lines += [f"evidence: {p}" for p in report.evidence_problems]
        lines.append(f"{report.tokens} timestamps checked: " + ("all verify" if not report.evidence_problems else f"{len(report.evidence_problems)} problems"))
    return lines


def upgrade_line(report: UpgradeReport) -> str:
    if not report.applied:
        return f"{report.db} is at schema {report.to_version}, this release's: nothing to do"
    kept = f"; the archive as it was is in {report.backup}" if report.backup else ""
    return f"upgraded {report.db} from schema {report.from_version} to {report.to_version} ({', '.join(report.applied)}){kept}"


def realign_line(done: RealignReport, *, dry_run: bool) -> str:
    would = "would be" if dry_run else "were"
    return (
        f"{done.versions_checked} later versions checked in {done.db}: {done.versions_realigned} {would} given their "
        f"predecessor's rendering, {done.changes_recomputed} diffs recomputed; no version was added"
    )


def rederive_lines(report: RederiveReport, *, dry_run: bool) -> list[str]:
    lines = []
    for v in report.versions:
        if v.status == "changed":
            lines.append(f"#{v.article_id} version {v.version}: reads differently (+{v.chars_added} -{v.chars_removed}): {v.summary}")
        elif v.status == "unreadable":
            lines.append(f"#{v.article_id} version {v.version}: its pages cannot be read again: {v.summary}")
    recorded = "nothing recorded (--dry-run)" if dry_run else "readings recorded"
    lines.append(
        f"{len(report.versions)} versions read again with derivation {report.derivation}: {report.count('same')} the same, "
        f"{report.count('changed')} read differently, {report.count('unreadable')} unreadable; {recorded}; no version was made"
    )
    return lines


# --- articles -------------------------------------------------------------------------


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


def format_witness(w: dict[str, Any]) -> str:
    """One witness in words: what it is for, and where the capture is or why there is none."""
    of = w["kind"] + (f" v{w['version']}" if w.get("version") else "")
    if w["status"] == "success":
        return f"{w['requested_at']}  {of}: {w['archived_url']} (captured {w['archived_at']})"
    why = f": {w['status_ext']} {w['error']}" if w.get("error") else ""
    return f"{w['requested_at']}  {of}: {w['status']}{why}"


# --- diffs and histories --------------------------------------------------------------

_DIFF_STYLES: dict[OpKind, str] = {"equal": "", "delete": "red strike", "insert": "green underline"}


def diff_text(diff: TextDiff, *, context: int | None = 1) -> Text:
    """The diff for a terminal: deletions red and struck through, insertions green and underlined.

    Unchanged paragraphs more than ``context`` away from a change fold to one
    dim "…" line (``context=None`` shows everything), as ``diff.layout`` decides.
    """
    text = Text()
    for n, item in enumerate(layout(diff, context)):
        if n:
            text.append("\n")
        if isinstance(item, int):
            text.append(skipped_line(item), style="dim")
        else:
            for kind, part in item:
                text.append(part, style=_DIFF_STYLES[kind])
    return text


def print_version_diff(result: VersionDiff, console: Console | None = None) -> None:
    console = console or Console(highlight=False, soft_wrap=True)
    d = result.diff
    console.print(
        f"#{result.article_id} version {result.from_version} ({result.from_captured_at}) -> "
        f"version {result.to_version} ({result.to_captured_at}): "
        + (f"[green]+{d.chars_added}[/green] [red]-{d.chars_removed}[/red] characters" if d.changed else "no change"),
    )
    if d.changed:
        console.print()
        console.print(diff_text(d))


_EVENT_STYLE = {"gone": "red", "back": "green", "suspect": "yellow", "restore": "cyan"}


def format_event(e: HistoryEvent) -> Text:
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


def print_history(result: ArticleHistory) -> None:
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
