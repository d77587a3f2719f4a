"""``import``: WARC and WACZ files written by other crawlers (or by ``export --warc``) into the archive.

A file is read twice, streaming, so memory stays flat however large it is:

1. an index pass (warcio's ``ArchiveIterator``) notes each ``response`` and
   ``revisit`` record of an http(s) URL: its date, offset, id and payload
   digest (a hundred bytes a record); ``request``, ``metadata``, ``warcinfo``
   and ``resource`` records are counted and passed over;
2. the records are then read by offset in ``WARC-Date`` order, oldest first, and
   each HTML page of an allowed host goes through ``Ingest.record``: the same
   path as a web archive's memento (extraction, cleaning, dedupe, version
   decision, dated by ``WARC-Date``). A list page feeds discovery (its links
   name the installments that follow). A revisit is resolved to the payload of
   the response it refers to (``WARC-Refers-To``, else the payload digest), and
   a captured redirect to the record of its target; 404, 410 and takedown
   redirects are removals, as live.

A record whose bytes the archive already holds for that URL (importing the same
file again, or an export of this very archive) is a ``duplicate``: nothing is
added. Every capture imported records its ``warc_file``, ``warc_record_id`` and
``warc_offset`` (``captures.source`` = ``warc``). A WACZ is a zip: each WARC
under ``archive/`` is copied out to a temporary file and imported.

Speed: reader threads read and extract records ahead of the writing thread,
and records are written ``IMPORT_BATCH`` to a SQLite transaction
(``Archive.batch``), each record a savepoint of its own, so a failure of one
record still undoes that record alone; a crash loses at most the batch, and
importing the file again redoes it (its records' captures are not there).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
import threading
import zipfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from warcio.archiveiterator import ArchiveIterator

from series_archiver.archive import Archive
from series_archiver.errors import ArchiverError, ExportError, FetchError, GoneError, HTTPStatusError, PassInterrupted
from series_archiver.models import Candidate, FetchedPage, Provenance
from series_archiver.read.charset import decode_page
from series_archiver.read.discovery import find_candidates
from series_archiver.record.older import Ingest
from series_archiver.record.pipeline import Pipeline, PreparedCapture
from series_archiver.settings import Settings
from series_archiver.sites import first_page_url, is_article_url, is_takedown_redirect
from series_archiver.sources.live import Fetcher

__all__ = ["ImportResult", "import_files", "run_import"]

log = logging.getLogger("series_archiver")

ImportProgress = Callable[[int, int, str], None]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 10
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


@dataclass(frozen=True)
class _Entry:
    date: datetime
    offset: int
    uri: str
    kind: str  # response or revisit
    record_id: str
    digest: str | None
    refers_to: str | None


def _warc_date(text: str | None) -> datetime:
    value = (text or "").strip().replace("Z", "+00:00")
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class _WarcFile:
    """One WARC file: its index, and its records read by offset."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self.entries: list[_Entry] = []
        self.by_id: dict[str, _Entry] = {}
        self.by_digest: dict[str, _Entry] = {}
        self.by_uri: dict[str, list[_Entry]] = {}
        self.records = 0
        self.passed_over = 0

    def index(self) -> None:
        with self.path.open("rb") as fh:
            # The index needs the WARC headers alone: the HTTP headers are parsed when the record is read.
            it = ArchiveIterator(fh, no_record_parse=True)
            for record in it:
                self.records += 1
                h = record.rec_headers
                uri = h.get_header("WARC-Target-URI") or ""
                if record.rec_type not in ("response", "revisit") or not uri.startswith(("http://", "https://")):
                    self.passed_over += 1
                    continue
                entry = _Entry(
                    _warc_date(h.get_header("WARC-Date")), it.get_record_offset(), uri, record.rec_type,
                    h.get_header("WARC-Record-ID") or "", h.get_header("WARC-Payload-Digest"), h.get_header("WARC-Refers-To"),
                )
                self.entries.append(entry)
                self.by_id[entry.record_id] = entry
                if entry.kind == "response" and entry.digest:
                    self.by_digest.setdefault(entry.digest, entry)
                self.by_uri.setdefault(uri, []).append(entry)

    def read(self, entry: _Entry) -> tuple[int, list[tuple[str, str]], bytes, str]:
        """Status, headers, payload (transfer and content encodings undone) and protocol of a response record."""
        with self.path.open("rb") as fh:
            fh.seek(entry.offset)
            record = next(iter(ArchiveIterator(fh)))
            if record.http_headers is None:
                raise HTTPStatusError(entry.uri, 0, f"record {entry.record_id} in {self.name} has no HTTP response")
            status = int(record.http_headers.get_statuscode() or 0)
            headers = list(record.http_headers.headers)
            protocol = record.http_headers.protocol or "HTTP/1.1"
            return status, headers, record.content_stream().read(), protocol

    def original(self, entry: _Entry) -> _Entry:
        """The response a revisit's payload is that of."""
        if entry.kind == "response":
            return entry
        target = self.by_id.get(entry.refers_to or "") or self.by_digest.get(entry.digest or "")
        if target is None or target.kind != "response":
            raise HTTPStatusError(entry.uri, 0, f"revisit {entry.record_id} in {self.name} refers to no response in the file")
        return target

    def nearest(self, uri: str, when: datetime) -> _Entry | None:
        candidates = self.by_uri.get(uri) or self.by_uri.get(_twin(uri)) or []
        return min(candidates, key=lambda e: abs((e.date - when).total_seconds()), default=None)


def _twin(uri: str) -> str:
    if uri.startswith("https://"):
        return "http://" + uri[len("https://") :]
    return "https://" + uri[len("http://") :]


class _RecordPages:
    """A page source for ``Ingest``: the record asked for first, the file's other records for further pages and redirects."""

    def __init__(self, warc: _WarcFile, entry: _Entry, settings: Settings) -> None:
        self.warc = warc
        self.entry = entry
        self.settings = settings

    def __call__(self, url: str) -> FetchedPage:
        entry = self.entry if url == self.entry.uri else self.warc.nearest(url, self.entry.date)
        if entry is None:
            raise HTTPStatusError(url, 0, f"{self.warc.name} holds no record of {url}")
        return self.page(url, entry)

    def page(self, url: str, entry: _Entry) -> FetchedPage:
        redirects: list[str] = []
        current = entry
        for _ in range(MAX_REDIRECTS + 1):
            status, headers, payload, protocol = self.warc.read(self.warc.original(current))
            if status == 200:
                decoded = decode_page(current.uri, httpx.Headers(headers), payload, len(payload))
                return FetchedPage(
                    url=url, final_url=current.uri, status=200, fetched_at=entry.date, content=payload, text=decoded.text,
                    encoding=decoded.encoding, content_type=decoded.content_type, response_headers=tuple(headers),
                    http_version=protocol, redirects=tuple(redirects),
                    provenance=Provenance("warc", warc_file=self.warc.name, warc_record_id=entry.record_id, warc_offset=entry.offset),
                )
            if status in (404, 410):
                message = f"HTTP {status} in {self.warc.name} (record {current.record_id}, {current.date.isoformat()}): the page was gone then"
                raise GoneError(url, status, message, reason="Not Found" if status == 404 else "Gone")
            location = next((v for k, v in headers if k.lower() == "location"), None)
            if status in _REDIRECTS and location:
                target = str(httpx.URL(current.uri).join(location))
                if is_takedown_redirect(url, target):
                    raise GoneError(url, status, f"redirected to {target}, a home or list page, in {self.warc.name}", target=target)
                following = self.warc.nearest(target, current.date)
                if following is None or target in redirects:
                    raise HTTPStatusError(url, status, f"redirected to {target}, which {self.warc.name} does not hold")
                redirects.append(target)
                current = following
                continue
            raise HTTPStatusError(url, status, f"HTTP {status} in {self.warc.name}; not a page")
        raise HTTPStatusError(url, 310, f"more than {MAX_REDIRECTS} redirects in {self.warc.name}")


@contextmanager
def _warc_files(path: Path) -> Iterator[list[tuple[Path, str]]]:
    """The WARC files of ``path``: itself, or those inside a WACZ, copied out to a temporary directory."""
    if not path.is_file():
        raise ExportError(str(path), "no such file; give a .warc, .warc.gz or .wacz file")
    if path.suffix.lower() != ".wacz":
        yield [(path, path.name)]
        return
    with tempfile.TemporaryDirectory(prefix="series-archiver-wacz-") as tmp, zipfile.ZipFile(path) as wacz:
        out: list[tuple[Path, str]] = []
        for i, member in enumerate(m for m in wacz.namelist() if m.startswith("archive/") and m.endswith((".warc", ".warc.gz"))):
            target = Path(tmp) / f"{i:04d}-{Path(member).name}"
            with wacz.open(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            out.append((target, f"{path.name}#{member}"))
        yield out


def import_files(
    settings: Settings, archive: Archive, paths: Sequence[Path], *, progress: ImportProgress | None = None, stop: threading.Event | None = None
) -> ImportResult:
    """Import ``paths`` (the caller holds the writer lock); ``stop``, once set, ends it with ``PassInterrupted`` between two records."""
    result = ImportResult(run_id=archive.start_run("import"))
    status = "failed"
    ingest: Ingest | None = None
    try:
        with Fetcher(settings.fetch) as unused:  # the pipeline wants a fetcher; an import never fetches
            ingest = Ingest(archive, Pipeline(settings, archive, unused), result.run_id)
            for path in paths:
                with _warc_files(path) as files:
                    for warc_path, name in files:
                        _import_one(settings, archive, ingest, _WarcFile(warc_path, name), result, progress, stop)
        status = "ok" if ingest.counts.failed + result.failed == 0 else "partial"
    except PassInterrupted:
        status = "interrupted"
        raise
    finally:
        if ingest is not None:
            c = ingest.counts
            result.new_articles, result.new_versions, result.removals, result.evidence = c.new_articles, c.new_versions, c.removals, c.evidence
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
    """What a reader thread brings back for one record: its page (or why not), and its article read, if it starts one."""

    pages: _RecordPages
    page: FetchedPage | None = None
    error: FetchError | None = None
    prepared: PreparedCapture | None = None


def _read(pipeline: Pipeline, warc: _WarcFile, entry: _Entry, settings: Settings) -> _Read:
    """Runs in a reader thread: the WARC file and parsing only, no archive access."""
    pages = _RecordPages(warc, entry, settings)
    url = entry.uri
    try:
        page = pages(url)
    except FetchError as exc:
        return _Read(pages, error=exc)
    if not is_article_url(url):
        return _Read(pages, page)  # a list page: discovery reads it in the writing thread
    return _Read(pages, page, prepared=pipeline.read_capture(url, _Cached(page, pages)))


def _import_one(
    settings: Settings,
    archive: Archive,
    ingest: Ingest,
    warc: _WarcFile,
    result: ImportResult,
    progress: ImportProgress | None,
    stop: threading.Event | None = None,
) -> None:
    warc.index()
    result.records += warc.records
    result.skipped += warc.passed_over
    candidates: dict[str, Candidate] = {}
    ordered = sorted(warc.entries, key=lambda e: (e.date, e.offset))
    # Reader threads work while this thread is in SQLite or zlib (which let go
    # of the GIL), a bounded number of records ahead so memory stays flat;
    # records are recorded in order, as before. A page whose bytes turn out
    # to be archived already was extracted for nothing: the price of reading ahead.
    pool = ThreadPoolExecutor(max_workers=IMPORT_READERS, thread_name_prefix="import")
    try:
        ahead: deque[tuple[int, _Entry, Future[_Read] | None]] = deque()
        queue = iter(enumerate(ordered, 1))
        done = 0
        while done < len(ordered):
            with archive.batch():
                for _ in range(IMPORT_BATCH):
                    while len(ahead) < 2 * IMPORT_READERS + 2:
                        nxt = next(queue, None)
                        if nxt is None:
                            break
                        i, entry = nxt
                        ahead.append((i, entry, _submit(pool, ingest.pipeline, settings, archive, warc, entry)))
                    if not ahead:
                        break
                    i, entry, future = ahead.popleft()
                    if progress:
                        progress(i, len(ordered), entry.uri)
                    _import_entry(settings, archive, ingest, warc, entry, candidates, result, future.result() if future else None)
                    done += 1
                    if stop is not None and stop.is_set() and done < len(ordered):
                        # The batch commits the records done (Archive.batch); a second import reads the rest.
                        raise PassInterrupted(f"stop requested after {done} of {len(ordered)} records of {warc.name}")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _submit(pool: ThreadPoolExecutor, pipeline: Pipeline, settings: Settings, archive: Archive, warc: _WarcFile, entry: _Entry) -> Future[_Read] | None:
    """Read the record ahead, unless it will be passed over without being read."""
    if not settings.fetch.host_allowed(httpx.URL(entry.uri).host) or archive.warc_record_seen(entry.record_id, warc.name):
        return None
    if is_article_url(entry.uri) and first_page_url(entry.uri) != entry.uri:
        return None  # a further page: read with its first page
    return pool.submit(_read, pipeline, warc, entry, settings)


def _import_entry(
    settings: Settings,
    archive: Archive,
    ingest: Ingest,
    warc: _WarcFile,
    entry: _Entry,
    candidates: dict[str, Candidate],
    result: ImportResult,
    read: _Read | None,
) -> None:
    host = httpx.URL(entry.uri).host
    if not settings.fetch.host_allowed(host):
        result.skipped += 1
        return
    if archive.warc_record_seen(entry.record_id, warc.name):
        result.duplicates += 1
        return
    url = entry.uri
    if not is_article_url(url) or first_page_url(url) != url:
        # A list page (discovery), or a further page of an article (read with its first page).
        if is_article_url(url):
            return
        if read is None or read.page is None:
            result.skipped += 1
            return
        page = read.page
        result.pages += 1
        for series in settings.series:
            for c in find_candidates(page, series, settings.fetch):
                candidates.setdefault(c.url, c)
        return
    assert read is not None  # every first page not seen before was read ahead (_submit)
    pages = read.pages
    if isinstance(read.error, GoneError):
        state = archive.url_state(url)
        if state is not None and state.article_id is not None:
            ingest.record(url, entry.date, pages, candidates.get(url))  # a removal, as live
        else:
            result.skipped += 1  # gone before it was ever archived: nothing to record
        return
    if read.error is not None:
        exc = read.error
        if isinstance(exc, HTTPStatusError) and exc.status == 0:
            ingest.fail(url, exc)
        else:
            result.skipped += 1  # not a page (an image, a script): nothing to read
        return
    assert read.page is not None
    page = read.page
    result.pages += 1
    if archive.has_capture(url, hashlib.sha256(page.content).hexdigest()):
        result.duplicates += 1  # the same bytes of that URL, already archived (this file again, or our own export)
        return
    ingest.record(url, entry.date, _Cached(page, pages), candidates.get(url), prepared=read.prepared)


class _Cached:
    """The page already read for the URL asked, the file's records for the rest."""

    def __init__(self, page: FetchedPage, rest: _RecordPages) -> None:
        self.page = page
        self.rest = rest

    def __call__(self, url: str) -> FetchedPage:
        return self.page if url == self.page.url else self.rest(url)


def run_import(
    settings: Settings, paths: Sequence[Path], *, progress: ImportProgress | None = None, stop: threading.Event | None = None
) -> ImportResult:
    """Open the archive for writing and import ``paths``; ``stop`` as for ``import_files``."""
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
