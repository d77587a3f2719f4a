"""A crawl pass: discovery -> fetch -> read -> the one writer.

Worker threads fetch and read (network and parsing, ``read.article``); the
calling thread alone writes to the archive (``record.Recorder``), one
transaction per URL, so a crash leaves every article either fully recorded or
untouched. The primary URL of a multi-page article is fetched without
validators: a 304 for page 1 would hide an edit on page 2. A site that
answered with block pages (``read.pagekind``) is named in ``PassResult.blocked``,
read back from the pass's fetch log.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager

from series_archiver import urls
from series_archiver.archive import Archive
from series_archiver.archive.runs import blocked_sites
from series_archiver.errors import PassInterrupted
from series_archiver.jobs.listpages import ListPages, lists_path
from series_archiver.models import Attempt, Candidate, FetchedPage, PassCounts, PassResult
from series_archiver.read.article import ArticleRead, read_article
from series_archiver.read.discovery import ListReading, discover, read_list_page
from series_archiver.record.writer import Recorder
from series_archiver.settings import SeriesSettings, Settings
from series_archiver.sources.live import Fetcher

__all__ = ["Crawler", "Pipeline", "ProgressFn", "RecheckFn"]

log = logging.getLogger("series_archiver")

ProgressFn = Callable[[int, int, str], None]
# Readings recorded in one transaction at most, and for at most this long (see _run_targets).
RECORD_BATCH = 32
RECORD_SECONDS = 0.25
# Re-checks started while the list pages are read whose readings may wait in memory (see _Early).
EARLY_HELD = 512
RecheckFn = Callable[[str, str | None], bool]


class Crawler:
    """One archive, one fetcher, one settings object: runs passes."""

    def __init__(
        self,
        settings: Settings,
        archive: Archive,
        fetcher: Fetcher,
        *,
        progress: ProgressFn | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.archive = archive
        self.fetcher = fetcher
        self.recorder = Recorder(settings, archive)
        self.progress = progress
        # Once set (the daemon's SIGTERM, Ctrl-C), the pass ends with PassInterrupted
        # before the next list page or after the URL being recorded.
        self.stop = stop

    def _check_stop(self, where: str) -> None:
        if self.stop is not None and self.stop.is_set():
            raise PassInterrupted(f"stop requested {where}")

    def crawl(self, *, recheck: RecheckFn | None = None, kind: str = "crawl") -> PassResult:
        """Discover every series, then fetch new candidates and re-check known URLs.

        ``recheck(url, last_changed)`` decides whether a known URL is due
        (the daemon's tiers, schedule.py); by default every known URL is
        re-checked. It applies to known URLs the list pages link as well:
        list pages are read every pass, but a link to an archived article is
        no reason to fetch it again. A ``PassInterrupted`` raised between two
        URLs (the daemon's stop) marks the run ``interrupted``.
        """
        with self._pass(kind) as result, self._pool() as pool:
            # Known URLs due a re-check are known before any list page is read: their fetches start
            # now and run while the list pages are read one after another (each names the next).
            # They are recorded only afterwards, with the list entry discovery finds, in the same
            # order as ever (``_run_targets``); only the network work moves earlier.
            tracked = {url: last_changed for url, _article_id, last_changed in self.archive.tracked_urls()}
            due = {url: None for url, last_changed in tracked.items() if recheck is None or recheck(url, last_changed)}
            early = _Early(self, pool, iter(due))
            lists = ListPages(lists_path(self.archive.path))
            found_urls: dict[str, Candidate] = {}
            try:
                for series in self.settings.series:
                    try:
                        get = functools.partial(self._get_list_page, series=series, result=result, early=early, lists=lists)
                        found = discover(series, self.settings.fetch, get)
                    except PassInterrupted:
                        raise
                    except Exception as exc:  # a list page discovery cannot read: the known URLs are still re-checked
                        log.error("discovery of %r failed", series.name, exc_info=True)
                        where = ", ".join(series.start_urls) or series.name
                        result.counts.failed += 1
                        result.counts.failures.append((where, f"discovery of {series.name!r} failed ({type(exc).__name__}: {exc}); a list page may be malformed"))
                        continue
                    for error in found.errors:
                        self.recorder.failure(error.url, error, result)
                    # Installments in series order (a list shows the newest first), so new
                    # articles get their ids in reading order: ① before ②. The sort is
                    # stable: the main site's link, listed first, stays ahead of its copies.
                    for c in sorted(found.candidates, key=lambda c: (c.installment is None, c.installment or 0)):
                        found_urls.setdefault(c.url, c)
            except PassInterrupted as exc:
                self._log_abandoned(exc.attempts, early.abandon(), result)
                raise
            lists.save()
            candidates = _as_tracked(found_urls, tracked)
            result.counts.found = len(candidates)
            targets: dict[str, Candidate | None] = {url: c for url, c in candidates.items() if url not in tracked or url in due}
            for url in due:
                if url not in candidates:
                    targets[url] = None
            self._run_targets(targets, result, pool, early.futures)
        return result

    def fetch_urls(self, wanted: Sequence[str]) -> PassResult:
        """Archive the given URLs now, whether or not a list page links to them."""
        with self._pass("fetch") as result:
            tracked = [url for url, _article_id, _changed in self.archive.tracked_urls()]
            asked = {self.settings.registry.first_page_url(urls.normalize(u)): None for u in wanted}
            targets = _as_tracked(asked, tracked)
            result.counts.found = len(targets)
            with self._pool() as pool:
                self._run_targets(targets, result, pool, {})
        return result

    @contextmanager
    def _pool(self) -> Iterator[ThreadPoolExecutor]:
        """The pass's fetch workers. On a stop (PassInterrupted, the daemon's SIGTERM) or an error,
        URLs not yet started are dropped; fetches in flight end and are not recorded."""
        pool = ThreadPoolExecutor(max_workers=self.settings.fetch.workers, thread_name_prefix="fetch")
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    @contextmanager
    def _pass(self, kind: str) -> Iterator[PassResult]:
        """A pass's ``runs`` row, finished whatever happens: ok, partial, interrupted (a stop) or failed (a bug)."""
        result = PassResult(run_id=self.archive.start_run(kind), counts=PassCounts())
        status = "failed"
        try:
            yield result
            result.blocked = blocked_sites(self.archive, result.run_id)
            status = "ok" if result.ok else "partial"
        except PassInterrupted:
            status = "interrupted"
            raise
        finally:
            self.archive.finish_run(result.run_id, result.counts.as_dict(), result.counts.failures, status)

    # --- discovery helpers -----------------------------------------------------------

    def _get_list_page(self, url: str, series: SeriesSettings, result: PassResult, early: _Early, lists: ListPages) -> ListReading:
        """A list page's reading, its attempts logged; a failure (a block page too) is logged by ``Recorder.failure``
        once discovery hands it back. Asked for with the validators of the answer last read, if kept
        (``jobs.listpages``): a 304 hands back that answer's reading, a 200 is read."""
        self._check_stop(f"before list page {url}")
        early.top_up()
        fetch = self.settings.fetch
        known = lists.known(series, fetch, url)
        etag, last_modified = (None, None) if known is None else (known.etag, known.last_modified)
        page = self.fetcher.fetch(url, etag=etag, last_modified=last_modified)
        self.recorder.log_attempts(page.attempts, result, "list_page")
        if known is not None and page.status == 304:
            lists.keep(series, fetch, url)
            return known.reading
        reading = read_list_page(page, series, fetch)
        lists.read(series, fetch, url, page, reading)
        return reading

    # --- the fetch loop ----------------------------------------------------------------

    def _run_targets(
        self, targets: dict[str, Candidate | None], result: PassResult, pool: ThreadPoolExecutor, early: dict[str, Future[ArticleRead]],
    ) -> None:
        """Fetch, read and record ``targets``; ``early`` holds the fetches of some of them already started."""
        total = len(targets)
        done = 0
        # Results are recorded in the order the URLs were submitted, not the order
        # fetches finish, so article ids follow discovery order run after run.
        # A bounded number of futures in flight keeps memory flat however many URLs there are.
        pending = _Pending(functools.partial(self._start, pool), iter(targets.items()), early, self.settings.fetch.workers * 2)
        try:
            while True:
                pending.fill()
                if not pending:
                    break
                wait([pending.first()])  # outside any transaction: a transaction never waits on the network
                # URLs whose readings are in are recorded in one SQLite transaction (a savepoint
                # each, so one URL's failure still undoes that URL alone), and reported once it is
                # committed: a commit per URL made the search indexes write a segment per page, most
                # of a page's writing cost. It ends when the next reading is not in yet, after
                # RECORD_BATCH URLs, or after RECORD_SECONDS.
                with _Held() as held, self.archive.batch():
                    started = time.monotonic()
                    recorded = 0
                    while recorded < RECORD_BATCH and time.monotonic() - started < RECORD_SECONDS:
                        pending.fill()
                        if not pending or not pending.first().done():
                            break
                        candidate, future = pending.popleft()
                        try:
                            read = future.result()
                        except PassInterrupted as exc:
                            # Stopped while this URL was in flight: its abandoned attempts are logged (outcome
                            # "interrupted"), and so are those of the URLs beside it (below); none is recorded.
                            self.recorder.log_attempts(exc.attempts, result, "interrupted")
                            raise
                        self.recorder.record(read, result, candidate=candidate)
                        recorded += 1
                        done += 1
                        if self.progress:
                            held.progress.append((done, total, read.url))
                        if done < total:
                            self._check_stop(f"after {done} of {total} URLs")
                if self.progress:
                    for step in held.progress:
                        self.progress(*step)
        except PassInterrupted:
            # The URLs in flight or read but not recorded, and those started early and not reached:
            # their attempts are logged all the same (outcome "interrupted").
            self._log_abandoned((), _cancelled(pending.futures() + list(early.values())), result)
            raise

    def _start(self, pool: ThreadPoolExecutor, url: str) -> Future[ArticleRead]:
        # Validators are read here, in the writing thread: the archive's
        # connection is never used from a worker.
        etag, last_modified = self.validators(url)
        return pool.submit(self._read, url, etag, last_modified)

    def _log_abandoned(self, first: Sequence[Attempt], others: Iterable[Future[ArticleRead]], result: PassResult) -> None:
        """Log the attempts a stop abandoned: of the URL being waited for, and of those in flight or read beside it."""
        self.recorder.log_attempts(first, result, "interrupted")
        for future in others:
            if future.cancelled():
                continue
            try:
                read = future.result()  # the stop ends each within a fraction of a second
            except PassInterrupted as exc:
                self.recorder.log_attempts(exc.attempts, result, "interrupted")
            except Exception:
                continue
            else:
                self.recorder.log_attempts(read.attempts, result, "interrupted")

    def _read(self, url: str, etag: str | None, last_modified: str | None) -> ArticleRead:
        """Runs in a worker thread: network and parsing only, no archive access."""

        def pages(page_url: str) -> FetchedPage:
            if page_url == url:
                return self.fetcher.fetch(url, etag=etag, last_modified=last_modified)
            return self.fetcher.fetch(page_url)

        return read_article(url, pages, self.settings.site_profiles)

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified of the URL's last good capture, for a conditional request.

        None for the primary URL of a multi-page article: a 304 for page 1 says
        nothing about page 2, and a silent edit there would go unseen.
        """
        found = self.archive.validators(url)
        if found is None or found[2] > 1:
            return (None, None)
        return (found[0], found[1])




class _Early:
    """Re-checks of known URLs started while the list pages are read: at most ``EARLY_HELD`` in all
    (their readings wait in memory until discovery ends), ``workers * 16`` started and not done at once."""

    def __init__(self, crawler: Crawler, pool: ThreadPoolExecutor, due: Iterator[str]) -> None:
        self.crawler = crawler
        self.pool = pool
        self.due = due
        self.futures: dict[str, Future[ArticleRead]] = {}
        self.in_flight = crawler.settings.fetch.workers * 16
        # Started and maybe not done, oldest first: the pool runs them in that order, so those done
        # are dropped from the left (one a worker still holds keeps those after it counted: fewer start).
        self._running: deque[Future[ArticleRead]] = deque()
        self.top_up()

    def top_up(self) -> None:
        """Start more of them, up to the bounds; called before each list page."""
        while self._running and self._running[0].done():
            self._running.popleft()
        while len(self._running) < self.in_flight and len(self.futures) < EARLY_HELD:
            url = next(self.due, None)
            if url is None:
                return
            self.futures[url] = future = self.crawler._start(self.pool, url)
            self._running.append(future)

    def abandon(self) -> list[Future[ArticleRead]]:
        """A stop during discovery: the futures started, those not yet running cancelled."""
        return _cancelled(self.futures.values())


class _Pending:
    """The targets started and not yet recorded, in the order given: at most ``limit`` started here
    at once, besides those started early (``_Early``) and taken over as their turn comes.

    The readings started early are held in memory already (``EARLY_HELD`` at most), and most are
    in by the time discovery ends: were they counted in ``limit``, the workers would stand idle
    while the writer records them.
    """

    def __init__(
        self, start: Callable[[str], Future[ArticleRead]], items: Iterator[tuple[str, Candidate | None]],
        early: dict[str, Future[ArticleRead]], limit: int,
    ) -> None:
        self._start = start
        self._items = items
        self._early = early
        self._limit = limit
        self._queue: deque[tuple[Candidate | None, Future[ArticleRead], bool]] = deque()
        self._started_here = 0
        self._exhausted = False

    def fill(self) -> None:
        """Start targets, or take over their early fetches, up to the bound."""
        while not self._exhausted and self._started_here < self._limit:
            item = next(self._items, None)
            if item is None:
                self._exhausted = True
                return
            url, candidate = item
            future = self._early.pop(url, None)
            if future is None:
                self._queue.append((candidate, self._start(url), True))
                self._started_here += 1
            else:
                self._queue.append((candidate, future, False))

    def __bool__(self) -> bool:
        return bool(self._queue)

    def first(self) -> Future[ArticleRead]:
        return self._queue[0][1]

    def popleft(self) -> tuple[Candidate | None, Future[ArticleRead]]:
        candidate, future, started_here = self._queue.popleft()
        if started_here:
            self._started_here -= 1
        return candidate, future

    def futures(self) -> list[Future[ArticleRead]]:
        return [future for _candidate, future, _here in self._queue]


def _cancelled(futures: Iterable[Future[ArticleRead]]) -> list[Future[ArticleRead]]:
    """The futures, each cancelled unless it is running or done (then the caller waits for it)."""
    out = list(futures)
    for future in out:
        future.cancel()
    return out


class _Held:
    """What a batch of recordings reports, held until its transaction is committed (or its
    completed part is, on a stop; entered before ``Archive.batch``, so left after it): progress
    steps, and the log records of every thread.

    A line "new article #12" must never name a page that a kill -9 then leaves unrecorded.
    Records are held by a filter on the package's logger and handed to its handlers in order
    once the batch is over; a crash loses them with the batch they describe.
    """

    def __init__(self) -> None:
        self.progress: list[tuple[int, int, str]] = []
        self.records: list[logging.LogRecord] = []
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            self.records.append(record)
        return False

    def __enter__(self) -> _Held:
        log.addFilter(self)
        return self

    def __exit__(self, *exc: object) -> None:
        log.removeFilter(self)
        for record in self.records:
            log.handle(record)


def _as_tracked(found: Mapping[str, Candidate | None], tracked: Iterable[str]) -> dict[str, Candidate | None]:
    """Found URLs, one per page (``urls.key``), under the form the archive tracks them by when it tracks a twin.

    A list may link a page at http and another at https: fetched twice in one pass, the page would be
    read twice by two workers at once, and the second read could be dated before the first one's version.
    The first URL found of a page is kept (the main site's link is listed first).
    """
    by_key = {urls.key(url): url for url in tracked}
    out: dict[str, Candidate | None] = {}
    for url, candidate in found.items():
        known = by_key.setdefault(urls.key(url), url)
        if candidate is not None and known != url:
            candidate = dataclasses.replace(candidate, url=known)
        out.setdefault(known, candidate)
    return out


# The name release 0.2.0 exported (``series_archiver.Pipeline``), kept for its callers.
Pipeline = Crawler
