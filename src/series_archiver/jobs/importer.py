"""``import``: WARC, ARC and WACZ files written by other crawlers (or by ``export --warc``) into the archive.

The files are the source (``sources.warc``: an index pass over every file of
the command, then records read by offset); the records of all the files are
read in ``WARC-Date`` order, oldest first, and each HTML page of an allowed host is
read (``read.article``) and recorded by the one writer (``record.Recorder``),
dated by ``WARC-Date``: the same extraction, cleaning, dedupe, version decision
and time order as a live fetch or a web archive's memento. A list page feeds
discovery (its links name the installments that follow). Whether a record is
an article is the sites' registry's word, built-in and configured
(``[[sites]]``: by ``article_urls``, else by the site's hosts and markup).

A folder given is read as its ``.warc``, ``.warc.gz``, ``.arc``, ``.arc.gz``
and ``.wacz`` files, in name order. A damaged file (a record that cannot be
read, a bad gzip member, a cut) is read around its damage, and an empty file
or one that is no archive is passed over: each is named in
``ImportResult.damaged`` with the byte offset, and the import goes on with the
next record and the next file. A revisit is resolved to its original in its
own file, in another file of the command, or in a capture already in the
archive (``_archived_original``); one resolved nowhere is listed in
``ImportResult.unresolved``.

A record whose bytes the archive already holds for that URL or a twin of it
(importing the same file again, or an export of this very archive) is a
``duplicate``: nothing is added. Every capture imported records its
``warc_file``, ``warc_record_id`` and ``warc_offset`` (``captures.source`` = ``warc``).

Speed: reader processes (``readers.py``, one per core) read records ahead
of the writer, ``IMPORT_CHUNK`` at a time: the record's bytes, decoding,
extraction, cleaning, folding, a list page's entries, the version's search
document (``archive.prepared``: the writer's triggers do not fold the text
again) and each page compressed whole (``captures.encode_whole``: its first
capture's frames). The writer records them in order,
``IMPORT_BATCH`` to a SQLite transaction (``Archive.batch``), each record a
savepoint of its own, so a failure of one record still undoes that record
alone; a crash loses at most the batch, and importing the file again redoes
it (its records' captures are not there).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from series_archiver import urls
from series_archiver.archive import Archive
from series_archiver.archive.captures import Encoded, encode_whole, headers_json
from series_archiver.archive.prepared import Prepared, PreparedDocuments, prepare
from series_archiver.errors import (
    ArchiverError,
    DamagedFile,
    DamagedRecord,
    ExportError,
    FetchError,
    GoneError,
    HTTPStatusError,
    NotHTML,
    PassInterrupted,
    StoreError,
)
from series_archiver.jobs.readers import IMPORT_PROCESSES, Readers
from series_archiver.models import Candidate, FetchedPage, PassCounts, PassResult
from series_archiver.read.article import ArticleRead, read_article
from series_archiver.read.discovery import find_candidates
from series_archiver.read.extract import article_site
from series_archiver.record import Recorder
from series_archiver.settings import Settings
from series_archiver.sources.warc import Originals, RecordPages, Stored, WarcEntry, WarcFile, archive_paths, digest_of, warc_files

__all__ = ["ImportResult", "ImportStep", "import_files", "run_import"]

log = logging.getLogger("series_archiver")

IMPORT_BATCH = 64  # records per SQLite transaction
IMPORT_CHUNK = 8  # records handed to a reader at a time
# Headers that described the bytes on the wire: an archived capture's body has them undone.
_WIRE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class ImportStep:
    """Where an import is, for a progress display."""

    phase: str  # "reading" (the index pass over every file) or "importing"
    file: str
    bytes_done: int  # of all the files, the index pass and the import each counting them once
    bytes_total: int
    records: int  # records read (reading) or handled (importing) so far in this phase
    records_total: int | None = None  # importing: the records to handle, of every file


ImportProgress = Callable[[ImportStep], None]


@dataclass
class ImportResult:
    run_id: int
    files: int = 0  # WARC and ARC files read (those inside a WACZ each count)
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
    damaged: list[DamagedFile] = field(default_factory=list)  # damage, each with its file and byte offset
    unresolved: list[tuple[str, int, str]] = field(default_factory=list)  # revisits: (file, offset, URL)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.damaged

    @property
    def damaged_files(self) -> list[str]:
        """Each damaged file once, in the order met."""
        return list(dict.fromkeys(d.path for d in self.damaged))

    def as_json(self) -> dict[str, Any]:
        return {
            "files": self.files, "records": self.records, "pages": self.pages, "new_articles": self.new_articles,
            "new_versions": self.new_versions, "duplicates": self.duplicates, "skipped": self.skipped, "failed": self.failed,
            "removals": self.removals, "evidence": self.evidence, "earlier_versions": self.earlier_versions,
            "failures": [list(f) for f in self.failures],
            "damaged": [{"file": d.path, "offset": d.offset, "problem": d.problem} for d in self.damaged],
            "unresolved_revisits": [{"file": f, "offset": o, "url": u} for f, o, u in self.unresolved],
        }


def import_files(
    settings: Settings, archive: Archive, paths: Sequence[Path], *, progress: ImportProgress | None = None, stop: threading.Event | None = None,
    processes: int = IMPORT_PROCESSES,
) -> ImportResult:
    """Import ``paths``, files or folders of them (the caller holds the writer lock); ``stop``, once set, ends it between two records.

    ``processes``: reader processes (0: reader threads of this process; the same result, on one core).
    """
    files, empty_folders = archive_paths(paths)
    result = ImportResult(run_id=archive.start_run("import"), damaged=list(empty_folders))
    passed = PassResult(run_id=result.run_id, counts=PassCounts())
    status = "failed"
    try:
        job = _Import(settings, archive, Recorder(settings, archive), result, passed, progress, stop, processes)
        with ExitStack() as unpacked:  # a WACZ's WARCs stay unpacked until every file is imported: a revisit may refer to them
            warcs: list[WarcFile] = []
            for path in files:
                try:
                    pairs = unpacked.enter_context(warc_files(path))
                except DamagedFile as exc:
                    result.damaged.append(exc)
                    continue
                warcs += [WarcFile(p, name, keep=job.keep) for p, name in pairs]
            job.run(warcs)
        status = "ok" if passed.counts.failed + result.failed == 0 and not result.damaged else "partial"
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
        archive.finish_run(result.run_id, counts, [*result.failures, *((d.path, str(d)) for d in result.damaged)], status)
    return result


@dataclass(frozen=True)
class _Read:
    """What a reader brings back for one record: its page (or why not), and its article read, if it is one."""

    page: FetchedPage | None = None
    error: FetchError | None = None
    article: ArticleRead | None = None
    unresolved: bool = False  # a revisit whose original is in no file of the import, nor in the archive
    prepared: Prepared | None = None  # the article's search document, as its first version would have it
    found: tuple[Candidate, ...] = ()  # a list page's entries: the installments it names
    frames: tuple[tuple[bytes, Encoded], ...] = ()  # per page of the article: its headers JSON, and it compressed whole


class _Later:
    """A record handed to a reader in a chunk: its reading, once the chunk is read."""

    def __init__(self) -> None:
        self.future: Future[list[_Read]] | None = None
        self.index = 0

    def result(self) -> _Read:
        assert self.future is not None
        return self.future.result()[self.index]


def _hand(readers: Readers, chunk: Sequence[tuple[_Later, tuple[int, WarcEntry, Stored | None]]]) -> None:
    future = readers.submit([task for _later, task in chunk])
    for index, (later, _task) in enumerate(chunk):
        later.future, later.index = future, index


class _Import:
    """One import: the files' records, read ahead in threads, recorded in order by the one writer."""

    def __init__(
        self, settings: Settings, archive: Archive, recorder: Recorder, result: ImportResult, passed: PassResult,
        progress: ImportProgress | None, stop: threading.Event | None, processes: int,
    ) -> None:
        self.settings, self.archive, self.recorder = settings, archive, recorder
        self.processes = processes
        self.warcs: list[WarcFile] = []  # indexed, in order: a reader process is handed a record as (file number, entry)
        self.registry = settings.registry
        self.result, self.passed, self.progress, self.stop = result, passed, progress, stop
        self.candidates: dict[str, Candidate] = {}
        # Configured sites without article_urls: their articles are known by host and markup.
        self.by_markup = tuple(site for site in self.registry.sites if site.page_hosts and site.article_url.pattern == "(?!)")
        self.bytes_total = 0
        self.bytes_before = 0  # of the files the index pass has read

    def keep(self, uri: str) -> bool:
        """Whether a record's URL is of an allowed host: the index notes no other."""
        try:
            return self.settings.fetch.host_allowed(httpx.URL(uri).host)
        except httpx.InvalidURL:
            return False

    def _check_stop(self, where: str) -> None:
        if self.stop is not None and self.stop.is_set():
            raise PassInterrupted(f"stop requested {where}")

    def _step(self, phase: str, warc: WarcFile, done: int, records: int) -> None:
        if self.progress is not None:
            self.progress(ImportStep(phase, warc.name, self.bytes_before + done, 2 * self.bytes_total, records))

    def run(self, warcs: Sequence[WarcFile]) -> None:
        """Index every file (a revisit may refer to any of them), then import their records."""
        self.bytes_total = sum(w.size for w in warcs)
        originals = Originals()
        indexed: list[WarcFile] = []
        records = 0
        for warc in warcs:
            self._check_stop(f"before reading {warc.name}")

            def seen(offset: int, warc: WarcFile = warc, before: int = records) -> None:
                self._check_stop(f"while reading {warc.name}")
                self._step("reading", warc, offset, before + warc.records)

            try:
                warc.index(seen)
            except DamagedFile as exc:  # empty, or no archive at all
                self.result.damaged.append(exc)
                continue
            except OSError as exc:
                self.result.damaged.append(DamagedFile(warc.name, f"cannot be read ({exc})"))
                continue
            finally:
                self.bytes_before += warc.size
            records += warc.records
            self.result.files += 1
            self.result.records += warc.records
            self.result.skipped += warc.passed_over
            self.result.damaged.extend(warc.damage)
            originals.add(warc)
            indexed.append(warc)
        self.warcs = indexed
        if any(warc.revisits for warc in indexed):
            # Made before the readers are forked, so they share these lookups rather than each make its own.
            for warc in indexed:
                warc.lookups()
        self.records([(warc, entry) for warc in indexed for entry in warc.entries])

    def records(self, found: Sequence[tuple[WarcFile, WarcEntry]]) -> None:
        """Import the records of every file in ``WARC-Date`` order, oldest first, whichever file holds them."""
        position = {id(warc): i for i, warc in enumerate(dict.fromkeys(w for w, _ in found))}
        ordered = sorted(found, key=lambda we: (we[1].date, position[id(we[0])], we[1].offset))
        if not ordered:
            return
        # Readers work a bounded number of records ahead of this thread, the one
        # writer, so memory stays flat; records are recorded in order. A page whose
        # bytes turn out to be archived already was read for nothing: the price
        # of reading ahead. Forked after the index pass and before any transaction.
        numbers = {id(warc): i for i, warc in enumerate(self.warcs)}
        readers = Readers(self._read_chunk, self.processes)
        documents = PreparedDocuments(self.archive.conn)
        # A reader is handed IMPORT_CHUNK records at a time: one hand-off (a pickled task and a
        # pickled answer through a pipe, a wake-up of the pool's threads) instead of one a record.
        ahead_most = readers.ahead * IMPORT_CHUNK
        try:
            ahead: deque[tuple[WarcFile, WarcEntry, _Later | _Read | None]] = deque()
            queue = iter(ordered)
            done = 0
            while done < len(ordered):
                with self.archive.batch():
                    for _ in range(IMPORT_BATCH):
                        if len(ahead) <= ahead_most - IMPORT_CHUNK:
                            self._read_ahead(readers, numbers, queue, ahead, ahead_most)
                        if not ahead:
                            break
                        warc, entry, read = ahead.popleft()
                        self._check_stop(f"after {done} of {len(ordered)} records (next: byte {entry.offset} of {warc.name})")
                        if self.progress is not None:
                            self.progress(ImportStep("importing", warc.name, self.bytes_total * (len(ordered) + done) // len(ordered),
                                                     2 * self.bytes_total, done, len(ordered)))
                        got = read.result() if isinstance(read, _Later) else read
                        if got is not None:
                            if got.prepared is not None:
                                documents.add(got.prepared)
                            for page, (headers, frames) in zip(got.article.pages if got.article else (), got.frames, strict=False):
                                self.archive.chains.prepare_whole(page.content, headers, frames)
                        try:
                            self._entry(warc, entry, got)
                        finally:
                            self.archive.chains.clear_prepared()
                            self.passed.events.clear()  # an import notifies no one: its events are counted, not kept
                        done += 1
                # Kept for the batch: the search index takes the pairs at its COMMIT (searchwrite.index_pending).
                documents.clear()
        finally:
            readers.close()

    def _read_ahead(
        self, readers: Readers, numbers: dict[int, int], queue: Iterator[tuple[WarcFile, WarcEntry]],
        ahead: deque[tuple[WarcFile, WarcEntry, _Later | _Read | None]], most: int,
    ) -> None:
        """Queue records up to ``most``, those to read handed to the readers IMPORT_CHUNK at a time."""
        chunk: list[tuple[_Later, tuple[int, WarcEntry, Stored | None]]] = []
        while len(ahead) < most:
            nxt = next(queue, None)
            if nxt is None:
                break
            warc, entry = nxt
            task = self._task(numbers, warc, entry)
            if isinstance(task, tuple):
                later = _Later()
                chunk.append((later, task))
                ahead.append((warc, entry, later))
            else:
                ahead.append((warc, entry, task))
            if len(chunk) == IMPORT_CHUNK:
                _hand(readers, chunk)
                chunk = []
        if chunk:
            _hand(readers, chunk)

    def _further_page(self, url: str) -> bool:
        return self.registry.is_article_url(url) and self.registry.first_page_url(url) != url

    def _task(self, numbers: dict[int, int], warc: WarcFile, entry: WarcEntry) -> tuple[int, WarcEntry, Stored | None] | _Read | None:
        """What a reader needs to read the record, unless it will be passed over without being read."""
        if self.archive.warc_record_seen(entry.record_id, warc.name) or self._further_page(entry.uri):
            return None  # a further page is read with its first page
        original = None
        if entry.kind == "revisit" and (warc.originals is None or warc.originals.find(warc, entry) is None):
            original = self._archived_original(entry)
            if original is None:
                return _Read(unresolved=True)
        return (numbers[id(warc)], entry, original)

    def _archived_original(self, entry: WarcEntry) -> Stored | None:
        """The capture already in the archive that a revisit refers to: the one imported from ``WARC-Refers-To``,
        else one of its URL captured at ``WARC-Refers-To-Date``, else one of its URL whose payload has its digest.

        The archive keeps payloads with their codings undone: a digest is matched
        when the original was stored without one (the common case, and always
        so for live captures of a server that did not compress).
        """
        state = self.archive.url_state(self.recorder.archived_url(entry.uri))
        if state is None or state.article_id is None:
            return None
        rows = self.archive.capture_provenance(state.article_id)[::-1]  # newest first
        keys = {urls.key(entry.uri), urls.key(entry.refers_to_uri or entry.uri)}
        same_url = [r for r in rows if urls.key(r["url"]) in keys]
        digest = digest_of(entry.digest)
        match = next((r for r in rows if entry.refers_to and r["warc_record_id"] == entry.refers_to), None)
        if match is None and entry.refers_to_date is not None:
            match = next((r for r in same_url if r["fetched_at"] == entry.refers_to_date.isoformat()), None)
        for row in same_url if match is None and digest is not None else ():
            try:
                body = self.archive.capture_bytes(row["id"])
            except StoreError:
                continue
            if digest is not None and hashlib.new(digest[0], body).digest() == digest[1]:
                match = row
                break
        if match is None:
            return None
        try:
            rebuilt = self.archive.rebuilt_capture(match["id"])
        except StoreError:
            return None
        headers = tuple((str(k), str(v)) for k, v in json.loads(rebuilt.response_headers()) if str(k).lower() not in _WIRE_HEADERS)
        return Stored(entry.uri, 200, None, headers, rebuilt.body, "HTTP/1.1", entry)

    def _read_chunk(self, tasks: Sequence[tuple[int, WarcEntry, Stored | None]]) -> list[_Read]:
        return [self._read(self.warcs[number], entry, original) for number, entry, original in tasks]

    def _read(self, warc: WarcFile, entry: WarcEntry, original: Stored | None) -> _Read:
        """Runs in a reader (a process, or a thread): the WARC file and parsing only, no archive access."""
        pages = RecordPages(warc, entry, self.registry, max_bytes=self.settings.fetch.max_bytes, original=original)
        url = entry.uri
        try:
            page = pages(url)
        except FetchError as exc:
            return _Read(error=exc)
        except Exception as exc:
            # Whatever bytes a file holds, one record never stops the import: said with its file and offset.
            log.debug("reading %s at byte %d", warc.name, entry.offset, exc_info=True)
            return _Read(error=DamagedRecord(url, warc.name, entry.offset, f"cannot be read ({type(exc).__name__}: {exc})"))
        if not self._is_article(url, page):
            # A list page: its links name the installments that follow (the writer keeps the first of each).
            return _Read(page, found=tuple(c for series in self.settings.series for c in find_candidates(page, series, self.settings.fetch)))

        def cached(page_url: str) -> FetchedPage:
            return page if page_url == url else pages(page_url)

        article = read_article(url, cached, self.settings.site_profiles)
        if article.article is None or article.reading is None:
            return _Read(page, article=article)
        # Work the writer would do otherwise, done here, on another core: the hashes, the search
        # document, each page compressed whole (what its first capture stores).
        frames = []
        for p in article.pages:
            _ = p.sha256
            headers = headers_json(p.request_headers, p.response_headers)
            frames.append((headers, encode_whole(p.content, headers)))
        _ = article.reading.key
        return _Read(page, article=article, prepared=prepare(article.article), frames=tuple(frames))

    def _is_article(self, url: str, page: FetchedPage) -> bool:
        if self.registry.is_article_url(url):
            return True
        return bool(self.by_markup) and article_site(page.text, url, self.by_markup) is not None

    def _entry(self, warc: WarcFile, entry: WarcEntry, read: _Read | None) -> None:
        result = self.result
        if self.archive.warc_record_seen(entry.record_id, warc.name):
            result.duplicates += 1
            return
        if self._further_page(entry.uri):
            return  # read with its first page
        assert read is not None  # every first page not seen before was read ahead (_submit)
        if read.unresolved:
            result.unresolved.append((warc.name, entry.offset, entry.uri))
            return
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
            if isinstance(exc, DamagedRecord):
                result.damaged.append(DamagedFile(exc.path, exc.problem, offset=exc.offset))
            elif isinstance(exc, NotHTML) or (isinstance(exc, HTTPStatusError) and exc.status != 0):
                result.skipped += 1  # not a page (an image, a script), or an error page: nothing to read
            else:
                self.recorder.failure(url, exc, self.passed)  # a coding none can undo, too large, no original
            return
        assert read.page is not None
        result.pages += 1
        if read.article is None:  # a list page: its links name the installments that follow
            for c in read.found:
                # Kept for the whole import, one per installment: the strings every entry repeats are shared.
                shared = dataclasses.replace(c, series=sys.intern(c.series), via=sys.intern(c.via),
                                             found_on=sys.intern(c.found_on) if c.found_on is not None else None)
                self.candidates.setdefault(urls.key(c.url), shared)
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
    except (ArchiverError, OSError) as exc:
        if isinstance(exc, ArchiverError):
            raise
        raise ExportError(str(paths[0]) if paths else "-", f"cannot read it ({exc})") from exc
    finally:
        archive.close()
