"""Backfill: read the captures a web archive holds of the series, oldest first, into the archive.

An archive starts on the day its user starts it; a web archive (the Wayback
Machine, or any pywb serving the CDX API: ``sources.wayback`` reads both) may
hold the series from its first day, and installments removed before the
archive began. ``backfill``:

1. asks the CDX server for the captures of every start URL and the list pages
   it reaches, and reads each distinct list capture with ``discovery`` as it
   was then: installments linked then (and since removed) become candidates;
2. asks for the captures of every URL of every archived article and candidate,
   on all hosts of its mirror group, http and https, and of the series'
   ``backfill_prefixes`` (``matchType=prefix``);
3. keeps HTML 200 captures, and 404, 410 and redirects as evidence of removal,
   identical digests collapsed here (pywb ignores ``collapse``); ``statuscode``
   ``-`` (revisit records) and the rest are seen, not read;
4. reads each kept capture's original bytes (``id_``, ``sources.wayback``),
   oldest first (``read.article``), and records it with the one writer
   (``record.Recorder``), dated by its ``Memento-Datetime``: the same
   extraction, cleaning, dedupe, version decision and time order as a live
   fetch or a WARC record.

A capture made at the other scheme or with(out) ``www.`` is a capture of the
URL the archive holds (``urls.twins``). A capture older than its article's
last check (a live crawl, or a later capture already read) is placed in the
article's history in time order (``record/older.py``, ``decide/timeline.py``):
an earlier version when its text differs from the version in force then, else
evidence. Running backfill again reads nothing already read (a memento
already stored or answered).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from series_archiver import urls
from series_archiver.archive import Archive
from series_archiver.errors import ArchiverError, ConfigError, FetchError, PassInterrupted, StoreError
from series_archiver.models import Attempt, Candidate, FetchedPage, PassCounts, PassResult
from series_archiver.read.article import read_article
from series_archiver.read.discovery import discover, mirror_urls
from series_archiver.record import Recorder
from series_archiver.settings import SeriesSettings, Settings
from series_archiver.sources.wayback import CdxRecord, MementoPages, NoMemento, WaybackBlocked, WaybackClient, format_timestamp
from series_archiver.sources.wayback.cdx import dedupe_digests

__all__ = ["BackfillResult", "backfill", "run_backfill", "BackfillProgress"]

log = logging.getLogger("series_archiver")

BackfillProgress = Callable[[int, int, str], None]


@dataclass
class BackfillResult:
    """What a backfill did; ``as_json`` is what ``backfill --json`` prints."""

    run_id: int
    cdx_queries: int = 0
    captures_seen: int = 0
    captures_fetched: int = 0
    new_articles: int = 0
    new_versions: int = 0
    removals: int = 0
    failed: int = 0
    evidence: int = 0  # captures kept as evidence only (older than the article's last check)
    earlier_texts: int = 0  # pages older than their article's last check whose text differs from its current version
    earlier_versions: int = 0  # versions placed before the article's last check, in time order (in new_versions too)
    already_read: int = 0  # mementos read by an earlier backfill: not asked again
    blocked: int = 0  # CDX queries the archive refuses (an excluded URL)
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def as_json(self) -> dict[str, Any]:
        return {
            "cdx_queries": self.cdx_queries,
            "captures_seen": self.captures_seen,
            "captures_fetched": self.captures_fetched,
            "new_articles": self.new_articles,
            "new_versions": self.new_versions,
            "removals": self.removals,
            "failed": self.failed,
            "evidence": self.evidence,
            "earlier_texts": self.earlier_texts,
            "earlier_versions": self.earlier_versions,
            "already_read": self.already_read,
            "blocked": self.blocked,
            "failures": [list(f) for f in self.failures],
        }


def _https(url: str) -> str:
    """The secure twin of ``url``, normalized: what the CDX server is asked for (its key has no scheme)."""
    return next(t for t in urls.twins(url) if t.startswith("https://")) if url.startswith("http") else url


def _variants(url: str, series: SeriesSettings) -> list[str]:
    """``url`` on every host of its mirror group, each asked once.

    A CDX key (SURT) has no scheme, so asking for the https URL answers its
    http captures too (``original`` keeps the scheme they were made with).
    """
    secure = _https(url)
    return [secure, *[u for u in mirror_urls(secure, series.mirrors) if u != secure]]


def _keep(record: CdxRecord) -> bool:
    """HTML 200 captures, and 404, 410 and redirects (evidence of removal)."""
    if record.statuscode == 200:
        return record.is_html
    return record.is_removal


class _Backfill:
    def __init__(self, settings: Settings, archive: Archive, client: WaybackClient, result: BackfillResult, stop: threading.Event | None) -> None:
        self.settings = settings
        self.archive = archive
        self.client = client
        self.result = result
        self.registry = settings.registry
        self.recorder = Recorder(settings, archive)
        self.passed = PassResult(run_id=result.run_id, counts=PassCounts())
        self.stop = stop
        self.queried: set[str] = set()

    # --- CDX ---------------------------------------------------------------------------------

    def query(self, url: str, *, prefix: bool, since: datetime | None, until: datetime | None) -> list[CdxRecord]:
        key = ("prefix " if prefix else "") + url
        if key in self.queried:
            return []
        self.queried.add(key)
        attempts: list[Attempt] = []
        records: list[CdxRecord] = []
        try:
            records.extend(
                self.client.search(
                    url,
                    match_type="prefix" if prefix else "exact",
                    from_=format_timestamp(since) if since else None,
                    to=format_timestamp(until) if until else None,
                    filters=("!mimetype:warc/revisit",) if prefix else (),
                    collapse="digest",
                    attempts=attempts,
                )
            )
        except WaybackBlocked as exc:
            # The archive's operator excluded the URL: nothing will ever be read from it, which is no failure.
            self.result.blocked += 1
            self._log(exc.attempts, exc.outcome)
            log.info("backfill: %s", exc)
        except FetchError as exc:
            self._failure(url, exc)  # logs its attempts
        else:
            self._log(attempts, "cdx")
        finally:
            self.result.cdx_queries += sum(1 for a in attempts if a.outcome != "retry")
        return records

    def _log(self, attempts: Sequence[Attempt], outcome: str) -> None:
        self.recorder.log_attempts(attempts, self.passed, outcome)

    def _failure(self, url: str, exc: FetchError) -> None:
        self.recorder.failure(url, exc, self.passed)

    # --- list pages: discovery as it was ---------------------------------------------------------

    def discover(self, series: SeriesSettings, since: datetime | None, until: datetime | None) -> dict[str, Candidate]:
        candidates: dict[str, Candidate] = {}
        todo = list(series.start_urls)
        seen_lists: set[str] = set()
        while todo:
            start = todo.pop(0)
            if urls.key(start) in seen_lists:
                continue
            seen_lists.add(urls.key(start))
            records = [r for r in self._captures_of([_https(start)], since, until) if r.statuscode == 200 and r.is_html]
            for record in records:
                pages = MementoPages(self.client, self.settings.fetch, record.timestamp, registry=self.registry)
                one = dataclasses.replace(series, start_urls=(urls.normalize(record.original),), urls=())

                def get(url: str, pages: MementoPages = pages) -> FetchedPage:
                    try:
                        page = pages(url)
                    except FetchError as exc:
                        self._log(exc.attempts, exc.outcome)
                        raise
                    self.result.captures_fetched += 1
                    self._log(page.attempts, "list_page")
                    return page

                found = discover(one, self.settings.fetch, get)
                for error in found.errors:
                    if isinstance(error, NoMemento):
                        # A list page the web archive never captured near then: a gap in it, not a failure.
                        log.info("backfill: no capture of %s near %s", error.url, record.timestamp)
                    else:
                        self._failure(error.url, error)
                for c in found.candidates:
                    if c.via != "mirror":
                        first = self.registry.first_page_url(urls.normalize(c.url))
                        candidates.setdefault(urls.key(first), dataclasses.replace(c, url=first))
                todo.extend(p for p in found.pages_scanned if urls.key(p) not in seen_lists)
        return candidates

    def _captures_of(self, urls: Sequence[str], since: datetime | None, until: datetime | None, *, prefix: bool = False) -> list[CdxRecord]:
        records: list[CdxRecord] = []
        for url in urls:
            records.extend(self.query(url, prefix=prefix, since=since, until=until))
        return dedupe_digests(records)

    # --- article captures, oldest first ---------------------------------------------------------

    def article_captures(self, series: SeriesSettings, candidates: dict[str, Candidate], since: datetime | None, until: datetime | None) -> list[CdxRecord]:
        known = [*self.archive.series_urls(series.name), *(c.url for c in candidates.values()), *series.urls]
        variants: list[str] = []
        for url in known:
            for v in _variants(self.registry.first_page_url(url), series):
                if v not in variants:
                    variants.append(v)
        records = self._captures_of(variants, since, until)
        if series.backfill_prefixes:
            found = self._captures_of(list(series.backfill_prefixes), since, until, prefix=True)
            records = dedupe_digests(
                [*records, *[r for r in found if self.registry.is_article_url(r.original) and self.registry.article_page_number(r.original) == 1]]
            )
        self.result.captures_seen += len(records)
        return [r for r in records if _keep(r)]

    def record(self, record: CdxRecord, candidate: Candidate | None) -> None:
        if self.stop is not None and self.stop.is_set():
            raise PassInterrupted(f"stop requested before the capture of {record.original} of {record.timestamp}")
        memento = self.client.memento_url(record.timestamp, record.original)
        if self.archive.memento_seen(memento):
            self.result.already_read += 1
            return
        pages = MementoPages(self.client, self.settings.fetch, record.timestamp, registry=self.registry)
        self.result.captures_fetched += 1
        read = read_article(urls.normalize(record.original), pages, self.settings.site_profiles)
        self.recorder.record(read, self.passed, at=record.captured_at, candidate=candidate)


def backfill(
    settings: Settings,
    archive: Archive,
    client: WaybackClient,
    *,
    series: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: BackfillProgress | None = None,
    stop: threading.Event | None = None,
) -> BackfillResult:
    """Read the web archive's captures of the series into ``archive`` (the caller holds the writer lock).

    ``stop``, once set, ends it between two captures (``PassInterrupted``; the run is marked ``interrupted``).
    """
    chosen = [s for s in settings.series if series is None or s.name == series]
    if not chosen:
        known = ", ".join(s.name for s in settings.series)
        raise ConfigError("--series", f"no series named {series!r} (known: {known})")
    result = BackfillResult(run_id=archive.start_run("backfill"))
    status = "failed"
    job = _Backfill(settings, archive, client, result, stop)
    try:
        work: list[tuple[CdxRecord, Candidate | None]] = []
        for s in chosen:
            if stop is not None and stop.is_set():
                raise PassInterrupted(f"stop requested before discovering {s.name!r}")
            candidates = job.discover(s, since, until)
            for record in job.article_captures(s, candidates, since, until):
                work.append((record, candidates.get(urls.key(record.original))))
        # Oldest first: an article's first capture makes it, later ones its versions and its removal.
        work.sort(key=lambda w: (w[0].timestamp, w[0].original))
        for i, (record, candidate) in enumerate(work, 1):
            job.record(record, candidate)
            if progress:
                progress(i, len(work), record.original)
        status = "ok" if job.passed.counts.failed == 0 else "partial"
    except PassInterrupted:
        status = "interrupted"
        raise
    finally:
        c = job.passed.counts
        result.new_articles, result.new_versions, result.removals = c.new_articles, c.new_versions, c.gone
        result.failed, result.evidence, result.earlier_texts, result.failures = c.failed, c.evidence, c.earlier_texts, c.failures
        result.earlier_versions = c.earlier_versions
        counts = {
            "found": result.captures_seen, "fetched": result.captures_fetched, "new_articles": result.new_articles,
            "new_versions": result.new_versions, "unchanged": result.evidence, "failed": result.failed, "gone": result.removals,
            "suspect": 0, "skipped": 0,
        }
        archive.finish_run(result.run_id, counts, result.failures, status)
    return result


@contextmanager
def _writer(settings: Settings) -> Iterator[Archive]:
    from series_archiver.jobs.core import open_writer

    archive = open_writer(settings)
    try:
        with archive.writer_lock(settings.archive.lock_timeout_seconds, command="backfill"):
            yield archive
    finally:
        archive.close()


def run_backfill(
    settings: Settings,
    *,
    series: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] | None = None,
    progress: BackfillProgress | None = None,
    stop: threading.Event | None = None,
) -> BackfillResult:
    """Open the archive for writing, and backfill it from ``[wayback]``; ``stop`` as for ``backfill``."""
    kwargs: dict[str, Any] = {"transport": transport}
    if sleep is not None:
        kwargs["sleep"] = sleep
    elif stop is not None:

        def sleep_unless_stopped(seconds: float) -> None:  # the pacing waits end at once on a stop
            if stop.wait(seconds):
                raise PassInterrupted("stop requested while waiting for the web archive")

        kwargs["sleep"] = sleep_unless_stopped
    try:
        with WaybackClient(settings.wayback, settings.fetch, **kwargs) as client, _writer(settings) as archive:
            return backfill(settings, archive, client, series=series, since=since, until=until, progress=progress, stop=stop)
    except ArchiverError:
        raise
    except OSError as exc:
        raise StoreError(str(settings.archive.db), f"cannot backfill ({exc})") from exc
