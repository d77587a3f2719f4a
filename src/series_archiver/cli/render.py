"""Everything the CLI shows on a terminal: progress, tables, articles, histories, diffs, and each job's summary.

Plain values in, text out (or printed with rich); no archive, no network. The
diff's layout (which paragraphs fold) is decide/diff.py's, shared with the HTML
stored in the archive, so the terminal and Datasette fold the same paragraphs.
Times are shown by the reader's ``Clock`` (``archive.display_timezone``), each
with its offset; counts with their nouns (``display.plural``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from rich import box
from rich.cells import cell_len, chop_cells
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.segment import Segment, Segments
from rich.table import Table
from rich.text import Text

from series_archiver.archive.search import snippet_parts
from series_archiver.decide.diff import OpKind, TextDiff, layout, skipped_line
from series_archiver.display import Clock, counts_text, plural
from series_archiver.history import ArticleHistory, HistoryEvent, VersionDiff
from series_archiver.models import PassResult

if TYPE_CHECKING:
    from series_archiver.export import JsonlExport, WaczExport, WarcExport
    from series_archiver.jobs.backfill import BackfillResult
    from series_archiver.jobs.core import UpgradeReport
    from series_archiver.jobs.crawl import ProgressFn
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
    "print_search",
    "format_article",
    "format_witness",
    "wants_color",
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
    """``pass 3: 7 found, …``: the phrase the daemon logs and ``status`` shows (``counts_text``)."""
    line = f"pass {result.run_id}: " + counts_text(result.counts.as_dict())
    if result.blocked:  # among the failed: the sites that answered with block pages (read.pagekind)
        line += "; BLOCKED by " + ", ".join(
            f"{b.site} ({plural(b.urls, 'URL')}" + (f", {b.passes} passes in a row" if b.keeps_blocking else "") + ")"
            for b in result.blocked
        )
    return line


def import_summary(result: ImportResult) -> str:
    return (
        f"{plural(result.files, 'file')}, {plural(result.records, 'record')}, {plural(result.pages, 'page')}: {plural(result.new_articles, 'new article')}, "
        f"{plural(result.new_versions, 'version')} ({result.earlier_versions} earlier, placed in time order), "
        f"{plural(result.removals, 'removal')}, {plural(result.duplicates, 'duplicate')}, {result.evidence} kept as evidence, "
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
        f"{plural(result.cdx_queries, 'CDX query', 'CDX queries')}, {plural(result.captures_seen, 'capture')} seen, "
        f"{result.captures_fetched} fetched: {plural(result.new_articles, 'new article')}, "
        f"{plural(result.new_versions, 'version')} ({result.earlier_versions} earlier, placed in time order), "
        f"{plural(result.removals, 'removal')}, {result.evidence} kept as evidence, {result.failed} failed"
    )


def witness_summary(report: WitnessReport) -> str:
    return (
        f"{report.submitted} asked, {report.succeeded} captured, {report.failed} failed, {report.retried} to ask again, "
        f"{report.requested_again} requested again; left: {report.queued} queued, {report.pending} pending"
        + ("" if report.stopped == "done" else f" (stopped: {report.stopped})")
    )


def warc_export_line(w: WarcExport) -> str:
    # The kinds of record are their WARC-Type names, which take no plural.
    return (
        f"wrote {w.path}: {plural(w.records, 'record')} (1 warcinfo, {w.requests} request, {w.responses} response, "
        f"{w.revisits} revisit: {w.revisits_identical} identical-payload-digest, "
        f"{w.revisits_not_modified} server-not-modified"
        + (f", {w.metadata} metadata: captures read from another archive" if w.metadata else "")
        + (f", {plural(w.resources, 'resource')}: screenshots" if w.resources else "")
        + f"), {plural(w.bytes, 'byte')}"
    )


def wacz_export_line(z: WaczExport) -> str:
    return (
        f"wrote {z.path}: {plural(z.pages, 'page')} (one per version), {plural(z.warc.records, 'WARC record')} in {z.warc.path}, "
        f"{plural(z.index_lines, 'index line')}, {plural(z.bytes, 'byte')}" + (", signed" if z.signed else "")
    )


def jsonl_export_line(j: JsonlExport) -> str:
    return f"wrote {j.path}: {plural(j.versions, 'version')}, {plural(j.bytes, 'byte')}"


def verify_lines(report: VerifyReport) -> list[str]:
    lines = [f"capture {p.capture_id} ({p.url}, fetched {p.fetched_at}): {p.kind}: {p.detail}" for p in report.problems]
    bad = len(report.problems)
    verdict = "all match their SHA-256" if not report.problems else f"{bad} {'does' if bad == 1 else 'do'} not match"
    lines += [f"{plural(report.checked, 'capture')} checked in {report.db}: {verdict}"]
    if report.tokens or report.evidence_problems:
        lines += [f"evidence: {p}" for p in report.evidence_problems]
        lines.append(f"{plural(report.tokens, 'timestamp')} checked: " + ("all verify" if not report.evidence_problems else plural(len(report.evidence_problems), "problem")))
    return lines


def upgrade_line(report: UpgradeReport) -> str:
    if not report.applied:
        return f"{report.db} is at schema {report.to_version}, this release's: nothing to do"
    kept = f"; the archive as it was is in {report.backup}" if report.backup else ""
    return f"upgraded {report.db} from schema {report.from_version} to {report.to_version} ({', '.join(report.applied)}){kept}"


def realign_line(done: RealignReport, *, dry_run: bool) -> str:
    would = "would be" if dry_run else "was" if done.versions_realigned == 1 else "were"
    return (
        f"{plural(done.versions_checked, 'later version')} checked in {done.db}: {done.versions_realigned} {would} given their "
        f"predecessor's rendering, {plural(done.changes_recomputed, 'diff')} recomputed; no version was added"
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
        f"{plural(len(report.versions), 'version')} read again with derivation {report.derivation}: {report.count('same')} the same, "
        f"{report.count('changed')} read differently, {report.count('unreadable')} unreadable; {recorded}; no version was made"
    )
    return lines


# --- articles -------------------------------------------------------------------------


def fold_lines(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken as Chinese is: between any two characters, but a Latin word only at a space.

    >>> fold_lines("貿戰下中國力量① 志氣篇｜門檻擋不住", 12)
    ['貿戰下中國力', '量① 志氣篇｜', '門檻擋不住']
    >>> fold_lines("Trade war: the series", 12)
    ['Trade war:', 'the series']
    """
    lines: list[str] = []
    rest = text.strip()
    while cell_len(rest) > width:
        cut = max(1, len(chop_cells(rest, max(width, 2))[0]))
        if rest[cut - 1].isascii() and rest[cut - 1].isalnum() and rest[cut].isascii() and rest[cut].isalnum():
            space = rest.rfind(" ", 0, cut)
            cut = space + 1 if space > 0 else cut
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*lines, rest]


class _Folded:
    """A cell of Chinese text that fills its column's width (rich breaks lines only at spaces)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(min(cell_len(self.text), 8), cell_len(self.text))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text("\n".join(fold_lines(self.text, options.max_width)))


def _print_trimmed(console: Console, renderable: RenderableType) -> None:
    """Print without the spaces that pad each line to the table's width: a file or a pipe gets no trailing blanks."""
    segments: list[Segment] = []
    for line in console.render_lines(renderable, pad=False):
        while line and not line[-1].control and not line[-1].text.strip():
            line.pop()
        if line:
            line[-1] = Segment(line[-1].text.rstrip(), line[-1].style)
        segments += [*line, Segment.line()]
    console.print(Segments(segments), end="")


def print_article_table(rows: list[dict[str, Any]], clock: Clock, *, program: str = "series-archiver", console: Console | None = None) -> None:
    """``list``: one row per article, the title taking what the other columns leave (it wraps, they do not).

    Dates are the reader's (``clock``), said once under the table; a removal
    shows as ``gone`` over its date, so the status column stays narrow.
    """
    if not rows:
        click.echo(f"The archive is empty. Run `{program} crawl` (or `{program} demo`).")
        return
    console = console or Console(highlight=False)
    # One space between columns (the frame's) and no other frame: at 80 columns a title gets 32, two lines for most.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=0)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("label", no_wrap=True)
    table.add_column("title")
    table.add_column("published", no_wrap=True)
    table.add_column("versions", justify="right", no_wrap=True)
    table.add_column("URLs", justify="right", no_wrap=True)
    table.add_column("status", max_width=10)
    for r in rows:
        live = r["status"] == "live"
        table.add_row(
            str(r["id"]),
            "" if r["installment"] is None else str(r["installment"]),
            Text(r["label"] or ""),
            _Folded(r["title"]),
            clock.date(r["published"]),
            str(r["versions"]),
            str(len(r["urls"])),
            Text(r["status"]) if live else Text(f"{r['status']} {clock.date(r['gone_at'])}".strip(), style="red"),
        )
    _print_trimmed(console, table)
    console.print(f"Dates in {clock.label}.", markup=False)


def print_search(page: dict[str, Any], *, console: Console | None = None) -> None:
    """``search``: one page of the articles found, with where the words are (the match highlighted on a terminal).

    ``page`` is ``lookup.search_articles``'s: ``query, total, limit, offset, next_offset, results``.
    """
    console = console or Console(highlight=False, soft_wrap=True)
    query, total, hits, offset = page["query"], page["total"], page["results"], page["offset"]
    if not total:
        console.print(f"Nothing found for {query}.", markup=False)
        return
    if not hits:
        console.print(f"{plural(total, 'article')} found for {query}; none after the first {total} (--offset {offset}).", markup=False)
        return
    span = f"{offset + 1}" if len(hits) == 1 else f"{offset + 1}–{offset + len(hits)}"
    shown = "" if len(hits) == total else f"; {span} shown"
    if page["next_offset"] is not None:
        shown += f" (next: --offset {page['next_offset']})"
    console.print(f"{plural(total, 'article')} found for {query}{shown}:", markup=False)
    for h in hits:
        console.print()
        console.print(Text(f"#{h['id']}  {h['title']}"))
        number = None if h["installment"] is None else f"installment {h['installment']}"
        where = " ".join(p for p in (number, h["label"]) if p)
        matching = h["versions_matching"]
        found_in = f"found in {'version' if len(matching) == 1 else 'versions'} {', '.join(map(str, matching))} of {h['current_version']}"
        if h["current_version"] not in matching:
            found_in += ": an edit has since taken it out"
        console.print(Text(f"    {' · '.join(p for p in (where, h['status'], found_in) if p)}"))
        if h["snippet_html"]:
            line = Text("    ")
            for part, marked in snippet_parts(h["snippet_html"]):
                line.append(part, style="bold black on yellow" if marked else "")
            console.print(line)


def _provenance(c: dict[str, Any]) -> str:
    """Where a capture came from, in words: nothing claims a live fetch that never happened."""
    if c["source"] == "wayback":
        return f"read from a web archive: {c.get('memento_url')}" + (f" (from {c['archive_src']})" if c.get("archive_src") else "")
    if c["source"] == "warc":
        return f"imported from {c.get('warc_file')} record {c.get('warc_record_id')}"
    return "fetched live"


def _provenance_lines(captures: list[dict[str, Any]], clock: Clock) -> list[str]:
    if all(c["source"] == "live" for c in captures):
        return []
    return [f"capture {c['id']} ({clock.stamp(c['fetched_at'])}): {_provenance(c)}" for c in captures]


def format_article(data: dict[str, Any], clock: Clock) -> str:
    lines = [
        data["title"],
        f"{data['series']} {data['installment'] or ''} {data['label'] or ''}".strip(),
        f"published {clock.stamp(data['published']) or 'unknown'} · byline {data['byline'] or 'none'} · "
        f"version {data['version']} of {data['versions']} captured {clock.stamp(data['captured_at'])}"
        + (f" (restores version {data['restores']})" if data["restores"] else ""),
        *_provenance_lines(data.get("captures", []), clock),
        *(f"witness {format_witness(w, clock)}" for w in data.get("witnesses", [])),
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


def format_witness(w: dict[str, Any], clock: Clock) -> str:
    """One witness in words: what it is for, and where the capture is or why there is none."""
    of = w["kind"] + (f" v{w['version']}" if w.get("version") else "")
    if w["status"] == "success":
        return f"{clock.stamp(w['requested_at'])}  {of}: {w['archived_url']} (captured {clock.stamp(w['archived_at'])})"
    why = f": {w['status_ext']} {w['error']}" if w.get("error") else ""
    return f"{clock.stamp(w['requested_at'])}  {of}: {w['status']}{why}"


# --- diffs and histories --------------------------------------------------------------

_DIFF_STYLES: dict[OpKind, str] = {"equal": "", "delete": "red strike", "insert": "green underline"}
# Off a terminal the styles are lost, so the changes are marked in the text, as wdiff and `git diff --word-diff` do.
_DIFF_MARKERS: dict[OpKind, tuple[str, str]] = {"equal": ("", ""), "delete": ("[-", "-]"), "insert": ("{+", "+}")}


def wants_color(mode: str, console: Console | None = None) -> bool:
    """``--color auto|always|never``: auto colours a terminal that takes colours (not TERM=dumb, no NO_COLOR)."""
    if mode in ("always", "never"):
        return mode == "always"
    console = console or Console()
    return console.is_terminal and not console.is_dumb_terminal and not os.environ.get("NO_COLOR")


def diff_text(diff: TextDiff, *, context: int | None = 1, markers: bool = False) -> Text:
    """The diff for a terminal: deletions red and struck through, insertions green and underlined.

    ``markers``: plain text instead, ``[-deleted-]`` and ``{+inserted+}``, for
    a file, a pipe, or a terminal without colours. Unchanged paragraphs more
    than ``context`` away from a change fold to one "…" line (``context=None``
    shows everything), as ``diff.layout`` decides.
    """
    text = Text()
    for n, item in enumerate(layout(diff, context)):
        if n:
            text.append("\n")
        if isinstance(item, int):
            text.append(skipped_line(item), style="" if markers else "dim")
        elif markers:
            for kind, part in item:
                start, end = _DIFF_MARKERS[kind]
                text.append(start + part + end)
        else:
            for kind, part in item:
                text.append(part, style=_DIFF_STYLES[kind])
    return text


def diff_console(color: bool) -> Console:
    """Where ``diff`` prints: ``color`` forces colours even into a pipe (``--color always``)."""
    if color:
        return Console(highlight=False, soft_wrap=True, force_terminal=True, no_color=False, color_system="standard")
    return Console(highlight=False, soft_wrap=True)


def print_version_diff(result: VersionDiff, clock: Clock, *, color: bool = True, console: Console | None = None) -> None:
    """``diff``: a head line (versions, times, counts), then the text with its changes styled, or marked when not ``color``."""
    console = console or diff_console(color)
    d = result.diff
    head = Text(
        f"#{result.article_id} version {result.from_version} ({clock.stamp(result.from_captured_at)}) -> "
        f"version {result.to_version} ({clock.stamp(result.to_captured_at)}): "
    )
    if d.changed:
        head.append(f"+{d.chars_added}", style="green" if color else "")
        head.append(" ")
        head.append(f"-{d.chars_removed}", style="red" if color else "")
        head.append(f" {'character' if d.chars_added + d.chars_removed == 1 else 'characters'}")
    else:
        head.append("no change")
    console.print(head)
    if d.changed:
        console.print()
        console.print(diff_text(d, markers=not color))


_EVENT_STYLE = {"gone": "red", "back": "green", "suspect": "yellow", "restore": "cyan"}


def format_event(e: HistoryEvent, clock: Clock) -> Text:
    """One line of ``log``: when, what, version, size, change counts, summary."""
    kind = f"restore v{e.restores}" if e.kind == "restore" else e.kind
    line = Text(f"{clock.stamp(e.at)}  ")
    line.append(f"{kind:<11}", style=_EVENT_STYLE.get(e.kind, ""))
    line.append(f" {'' if e.version is None else f'v{e.version}':<4}")
    line.append(f" {'' if e.chars is None else plural(e.chars, 'char'):>12}")
    change = f"+{e.chars_added} -{e.chars_removed}" if e.chars_added is not None else ""
    line.append(f"  {change:<12}")
    what = e.summary or ""
    if e.capture_id is not None:
        what += f" (capture {e.capture_id}, {e.url})"
    line.append(what)
    line.rstrip()
    return line


def print_history(result: ArticleHistory, clock: Clock, console: Console | None = None) -> None:
    console = console or Console(highlight=False, soft_wrap=True)
    console.print(f"#{result.id} {result.title}", markup=False)
    state = Text("live") if result.status == "live" else Text(f"{result.status} since {clock.stamp(result.gone_at)}", style="red")
    console.print(state + Text(f" · {plural(len(result.versions), 'version')} · {result.url}"))
    for u in result.urls:
        if not u.is_primary:
            console.print(f"  also at {u.url} ({u.role}, {u.status})", markup=False)
    console.print()
    for e in result.events:
        console.print(format_event(e, clock))
    archived = [c for c in result.captures if c.source != "live"]
    if archived:
        console.print(f"\n{plural(len(result.captures), 'capture')}, {len(archived)} not fetched live:", markup=False)
        for c in archived:
            console.print(f"  capture {c.id} {clock.stamp(c.fetched_at)} {c.url}: {_provenance(c.as_json())}", markup=False)
    if result.witnesses:
        console.print(f"\n{plural(len(result.witnesses), 'witness capture')} (Save Page Now):", markup=False)
        for w in result.witnesses:
            console.print(f"  {format_witness(w.as_json(), clock)}", markup=False)
