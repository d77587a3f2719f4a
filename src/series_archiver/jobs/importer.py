"""``import``: WARC and WACZ files written by other crawlers (or by ``export --warc``) into the archive.

The file is the source (``sources.warc``: an index pass, then records read by
offset); its records are read in ``WARC-Date`` order, oldest first, and each
HTML page of an allowed host is read (``read.article``) and recorded by the one
writer (``record.Recorder``), dated by ``WARC-Date``: the same extraction,
cleaning, dedupe, version decision and time order as a live fetch or a web
archive's memento. A list page feeds discovery (its links name the
installments that follow). Whether a record is an article is the sites'
registry's word, built-in and configured (``[[sites]]``: by ``article_urls``,
else by the site's hosts and markup).

A record whose bytes the archive already holds for that URL or a twin of it
(importing the same file again, or an export of this very archive) is a
``duplicate``: nothing is added. Every capture imported records its
``warc_file``, ``warc_record_id`` and ``warc_offset`` (``captures.source`` = ``warc``).

Speed: reader threads read records ahead of the writing thread, and records
are written ``IMPORT_BATCH`` to a SQLite transaction (``Archive.batch``), each
record a savepoint of its own, so a failure of one record still undoes that
record alone; a crash loses at most the batch, and importing the file again
redoes it (its records' captures are not there).
"""

from __future__ import annotations

import logging
import threading
import zipfile
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from series_archiver import urls
from series_archiver.archive import Archive
from series_archiver.errors import ArchiverError, ExportError, FetchError, GoneError, HTTPStatusError, PassInterrupted
from series_archiver.models import Candidate, FetchedPage, PassCounts, PassResult
from series_archiver.read.article import ArticleRead, read_article
from series_archiver.read.discovery import find_candidates
from series_archiver.read.extract import article_site
from series_archiver.record import Recorder
from series_archiver.settings import Settings
from series_archiver.sources.warc import RecordPages, WarcEntry, WarcFile, warc_files

__all__ = ["ImportResult", "import_files", "run_import"]

log = logging.getLogger("series_archiver")

ImportProgress = Callable[[int, int, str], None]
IMPORT_BATCH = 64  # records per SQLite transaction
IMPORT_READERS = 2  # threads reading and extracting records ahead of the writer


@dataclass
class ImportResult:
    run_id: int
    records: int = 0  # every record read, of any type
    pages: int = 0  # HTML pages of allowed hosts read (responses and resolved revisits)
    new_articles: int = 0
    new_versions: int = 0
    duplicates: int = 0  # bytes the archive already holds for that URL
    skipped: int = 0  # requests, metadata, other hosts, not HTML
    failed: int = 0
    removals: int = 0
    evidence: int = 0
    earlier_versions: int = 0  # versions placed before their article's last check, in time order (in new_versions too)
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def as_json(self) -> dict[str, Any]:
        return {
            "records": self.records, "pages": self.pages, "new_articles": self.new_articles, "new_versions": self.new_versions,
            "duplicates": self.duplicates, "skipped": self.skipped, "failed": self.failed,
            "removals": self.removals, "evidence": self.evidence, "earlier_versions": self.earlier_versions, "failures": [list(f) for f in self.failures],
        }


def import_files(
    settings: Settings, archive: Archive, paths: Sequence[Path], *, progress: ImportProgress | None = None, stop: threading.Event | None = None
) -> ImportResult:
    """Import ``paths`` (the caller holds the writer lock); ``stop``, once set, ends it between two records."""
    result = ImportResult(run_id=archive.start_run("import"))
    passed = PassResult(run_id=result.run_id, counts=PassCounts())
    status = "failed"
    try:
        job = _Import(settings, archive, Recorder(settings, archive), result, passed, progress, stop)
        for path in paths:
            with warc_files(path) as files:
                for warc_path, name in files:
                    job.file(WarcFile(warc_path, name))
        status = "ok" if passed.counts.failed + result.failed == 0 else "partial"
    except PassInterrupted:
        status = "interrupted"
        raise
    finally:
        c = passed.counts
        result.new_articles, result.new_versions, result.removals, result.evidence = c.new_articles, c.new_versions, c.gone, c.evidence
        result.earlier_versions = c.earlier_versions
        result.failed += c.failed
        result.failures.extend(c.failures)
        counts = {
            "found": result.records, "fetched": result.pages, "new_articles": result.new_articles, "new_versions": result.new_versions,
            "unchanged": result.duplicates + result.evidence, "failed": result.failed, "gone": result.removals, "suspect": 0,
            "skipped": result.skipped,
        }
        archive.finish_run(result.run_id, counts, result.failures, status)
    return result


@dataclass(frozen=True)
class _Read:
    """What a reader thread brings back for one record: its page (or why not), and its article read, if it is one."""

    page: FetchedPage | None = None
    error: FetchError | None = None
    article: ArticleRead | None = None


class _Import:
    """One import: the files' records, read ahead in threads, recorded in order by the one writer."""

    def __init__(
        self, settings: Settings, archive: Archive, recorder: Recorder, result: ImportResult, passed: PassResult,
        progress: ImportProgress | None, stop: threading.Event | None,
    ) -> None:
        self.settings, self.archive, self.recorder = settings, archive, recorder
        self.registry = settings.registry
        self.result, self.passed, self.progress, self.stop = result, passed, progress, stop
        self.candidates: dict[str, Candidate] = {}
        # Configured sites without article_urls: their articles are known by host and markup.
        self.by_markup = tuple(site for site in self.registry.sites if site.page_hosts and site.article_url.pattern == "(?!)")

    def file(self, warc: WarcFile) -> None:
        warc.index()
        self.result.records += warc.records
        self.result.skipped += warc.passed_over
        ordered = sorted(warc.entries, key=lambda e: (e.date, e.offset))
        # Reader threads work while this thread is in SQLite or zlib (which let go
        # of the GIL), a bounded number of records ahead so memory stays flat;
        # records are recorded in order. A page whose bytes turn out to be
        # archived already was read for nothing: the price of reading ahead.
        pool = ThreadPoolExecutor(max_workers=IMPORT_READERS, thread_name_prefix="import")
        try:
            ahead: deque[tuple[int, WarcEntry, Future[_Read] | None]] = deque()
            queue = iter(enumerate(ordered, 1))
            done = 0
            while done < len(ordered):
                with self.archive.batch():
                    for _ in range(IMPORT_BATCH):
                        while len(ahead) < 2 * IMPORT_READERS + 2:
                            nxt = next(queue, None)
                            if nxt is None:
                                break
                            i, entry = nxt
                            ahead.append((i, entry, self._submit(pool, warc, entry)))
                        if not ahead:
                            break
                        if self.stop is not None and self.stop.is_set():
                            raise PassInterrupted(f"stop requested after {done} of {len(ordered)} records of {warc.name}")
                        i, entry, future = ahead.popleft()
                        if self.progress:
                            self.progress(i, len(ordered), entry.uri)
                        self._entry(warc, entry, future.result() if future else None)
                        done += 1
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _passed_over(self, warc: WarcFile, entry: WarcEntry) -> bool:
        """Records of other hosts, and records this archive has imported already."""
        return not self.settings.fetch.host_allowed(httpx.URL(entry.uri).host) or self.archive.warc_record_seen(entry.record_id, warc.name)

    def _further_page(self, url: str) -> bool:
        return self.registry.is_article_url(url) and self.registry.first_page_url(url) != url

    def _submit(self, pool: ThreadPoolExecutor, warc: WarcFile, entry: WarcEntry) -> Future[_Read] | None:
        """Read the record ahead, unless it will be passed over without being read."""
        if self._passed_over(warc, entry) or self._further_page(entry.uri):
            return None  # a further page is read with its first page
        return pool.submit(self._read, warc, entry)

    def _read(self, warc: WarcFile, entry: WarcEntry) -> _Read:
        """Runs in a reader thread: the WARC file and parsing only, no archive access."""
        pages = RecordPages(warc, entry, self.registry)
        url = entry.uri
        try:
            page = pages(url)
        except FetchError as exc:
            return _Read(error=exc)
        if not self._is_article(url, page):
            return _Read(page)  # a list page: discovery reads it in the writing thread

        def cached(page_url: str) -> FetchedPage:
            return page if page_url == url else pages(page_url)

        return _Read(page, article=read_article(url, cached, self.settings.site_profiles))

    def _is_article(self, url: str, page: FetchedPage) -> bool:
        if self.registry.is_article_url(url):
            return True
        return bool(self.by_markup) and article_site(page.text, url, self.by_markup) is not None

    def _entry(self, warc: WarcFile, entry: WarcEntry, read: _Read | None) -> None:
        result = self.result
        if not self.settings.fetch.host_allowed(httpx.URL(entry.uri).host):
            result.skipped += 1
            return
        if self.archive.warc_record_seen(entry.record_id, warc.name):
            result.duplicates += 1
            return
        if self._further_page(entry.uri):
            return  # read with its first page
        assert read is not None  # every first page not seen before was read ahead (_submit)
        url = self.recorder.archived_url(entry.uri)
        if isinstance(read.error, GoneError):
            state = self.archive.url_state(url)
            if state is not None and state.article_id is not None:
                # A removal, as live: recorded through the writer like any reading.
                self.recorder.record(ArticleRead(entry.uri, error=read.error), self.passed, at=entry.date, candidate=self.candidates.get(urls.key(url)))
            else:
                result.skipped += 1  # gone before it was ever archived: nothing to record
            return
        if read.error is not None:
            exc = read.error
            if isinstance(exc, HTTPStatusError) and exc.status == 0:
                self.recorder.failure(url, exc, self.passed)
            else:
                result.skipped += 1  # not a page (an image, a script): nothing to read
            return
        assert read.page is not None
        result.pages += 1
        if read.article is None:  # a list page: its links name the installments that follow
            for series in self.settings.series:
                for c in find_candidates(read.page, series, self.settings.fetch):
                    self.candidates.setdefault(urls.key(c.url), c)
            return
        if self.archive.has_capture(url, read.page.sha256):
            result.duplicates += 1  # the same bytes of that URL, already archived (this file again, or our own export)
            return
        self.recorder.record(read.article, self.passed, at=entry.date, candidate=self.candidates.get(urls.key(url)))


def run_import(
    settings: Settings, paths: Sequence[Path], *, progress: ImportProgress | None = None, stop: threading.Event | None = None
) -> ImportResult:
    """Open the archive for writing and import ``paths``."""
    from series_archiver.jobs.core import open_writer

    archive = open_writer(settings)
    try:
        with archive.writer_lock(settings.archive.lock_timeout_seconds, command="import"):
            return import_files(settings, archive, paths, progress=progress, stop=stop)
    except (ArchiverError, zipfile.BadZipFile, OSError) as exc:
        if isinstance(exc, ArchiverError):
            raise
        raise ExportError(str(paths[0]) if paths else "-", f"cannot read it ({exc})") from exc
    finally:
        archive.close()
