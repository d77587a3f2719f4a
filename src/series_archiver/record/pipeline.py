"""The pipeline: discovery -> fetch -> extract -> clean -> dedupe -> store.

Worker threads fetch, extract and clean (network and parsing); the calling
thread alone writes to the archive, one transaction per URL, so a crash
leaves every article either fully recorded or untouched.

How versions are decided (the heart of the archive):

* The text compared is the title plus the cleaned body, folded (one script,
  one width, no spaces): rendering differences are never edits.
* An article's versions are read from its *primary* URL (the main site before
  its mirror before the e-paper). Other URLs are captured and logged, and
  their own changes noted in the fetch log, but the renderings of one article
  on several sites never alternate as versions.
* A capture that looks broken (a soft 404, a near-empty body, a text that lost
  most of its length at once, an archived article's page that yields no text,
  a further page of a multi-page article gone) is kept as evidence and logged
  as ``suspect``; it never replaces the current version.
* Text that returns to an earlier version is a new version that records which
  one it restores.
* 404, 410 or a redirect to a home or list page on the primary URL marks the
  article ``gone`` (a ``changes`` row of kind ``gone``); its primary URL
  answering again marks it ``live`` (kind ``back``), and a changed text then
  is a new version. A mirror still serving the article does not keep it live:
  the takedown on the main site is what the archive exists to show; the
  mirror stays ``live`` in ``article_urls`` and keeps being captured.
* The primary URL of a multi-page article is fetched without validators: a
  304 for page 1 would hide an edit on page 2.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from series_archiver.archive import Archive, UrlState, utcnow
from series_archiver.decide.dedupe import KnownArticles, find_duplicate, fingerprint
from series_archiver.decide.diff import render_html
from series_archiver.decide.versions import (
    Current,
    NewVersion,
    Reading,
    Rederive,
    SecondaryChanged,
    Unchanged,
    check_quality,
    decide,
    restored_version,
)
from series_archiver.decide.witness import witness_requests
from series_archiver.errors import (
    ArchiverError,
    ExtractError,
    FetchError,
    GoneError,
    PassInterrupted,
    RobotsDisallowed,
    StoreError,
    SuspectCapture,
)
from series_archiver.models import Article, Attempt, Candidate, Event, FetchedPage, PassCounts, PassResult, SeriesMatch, StoredVersion
from series_archiver.read import derivation
from series_archiver.read.clean import clean
from series_archiver.read.derivation import derive
from series_archiver.read.discovery import discover, match_series
from series_archiver.read.extract import extract
from series_archiver.settings import Settings
from series_archiver.sites import first_page_url, url_rank, url_role
from series_archiver.sources.live import Fetcher

__all__ = ["Pipeline", "PreparedCapture", "ProgressFn", "RecheckFn"]

log = logging.getLogger("series_archiver")

ProgressFn = Callable[[int, int, str], None]
RecheckFn = Callable[[str, str | None], bool]
PageFn = Callable[[str], FetchedPage]


@dataclass(frozen=True)
class _Work:
    """What a worker thread brings back for one URL."""

    url: str
    candidate: Candidate | None
    pages: tuple[FetchedPage, ...] = ()
    article: Article | None = None
    reading: Reading | None = None  # the article's text folded once, in the worker thread
    error: Exception | None = None
    attempts: tuple[Attempt, ...] = ()


# What Pipeline.read_capture hands back to record_capture: opaque to callers.
PreparedCapture = _Work


class Pipeline:
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
        self.progress = progress
        # Once set (the daemon's SIGTERM), the pass ends with PassInterrupted
        # before the next list page or after the URL being recorded.
        self.stop = stop
        self._fingerprints: KnownArticles | None = None
        # Applied once the URL's transaction has committed (see _record).
        self._fingerprint_changes: list[Callable[[], None]] = []

    def _check_stop(self, where: str) -> None:
        if self.stop is not None and self.stop.is_set():
            raise PassInterrupted(f"stop requested {where}")

    # --- public passes -----------------------------------------------------------

    def crawl(self, *, recheck: RecheckFn | None = None, kind: str = "crawl") -> PassResult:
        """Discover every series, then fetch new candidates and re-check known URLs.

        ``recheck(url, last_changed)`` decides whether a known URL is due
        (the daemon's tiers, schedule.py); by default every known URL is
        re-checked. It applies to known URLs the list pages link as well:
        list pages are read every pass, but a link to an archived article is
        no reason to fetch it again. A ``PassInterrupted`` raised between two
        URLs (the daemon's stop) marks the run ``interrupted``.
        """
        result = PassResult(run_id=self.archive.start_run(kind), counts=PassCounts())
        status = "failed"
        try:
            candidates: dict[str, Candidate] = {}
            for series in self.settings.series:
                try:
                    found = discover(series, self.settings.fetch, lambda url: self._get_list_page(url, result))
                except PassInterrupted:
                    raise
                except Exception as exc:  # a list page discovery cannot read: the known URLs are still re-checked
                    log.error("discovery of %r failed", series.name, exc_info=True)
                    where = ", ".join(series.start_urls) or series.name
                    result.counts.failed += 1
                    result.counts.failures.append((where, f"discovery of {series.name!r} failed ({type(exc).__name__}: {exc}); a list page may be malformed"))
                    continue
                for error in found.errors:
                    self._record_failure(error.url, error, result)
                # Installments in series order (a list shows the newest first), so new
                # articles get their ids in reading order: ① before ②. The sort is
                # stable: the main site's link, listed first, stays ahead of its copies.
                for c in sorted(found.candidates, key=lambda c: (c.installment is None, c.installment or 0)):
                    candidates.setdefault(c.url, c)
            result.counts.found = len(candidates)
            tracked = {url: last_changed for url, _article_id, last_changed in self.archive.tracked_urls()}
            targets: dict[str, Candidate | None] = {
                url: c for url, c in candidates.items() if url not in tracked or recheck is None or recheck(url, tracked[url])
            }
            for url, last_changed in tracked.items():
                if url not in candidates and (recheck is None or recheck(url, last_changed)):
                    targets[url] = None
            self._run_targets(targets, result)
            status = "ok" if result.ok else "partial"
        except PassInterrupted:
            status = "interrupted"
            raise
        finally:
            self.archive.finish_run(result.run_id, result.counts.as_dict(), result.counts.failures, status)
        return result

    def fetch_urls(self, urls: Sequence[str]) -> PassResult:
        """Archive the given URLs now, whether or not a list page links to them."""
        result = PassResult(run_id=self.archive.start_run("fetch"), counts=PassCounts())
        status = "failed"
        try:
            targets: dict[str, Candidate | None] = {first_page_url(u): None for u in urls}
            result.counts.found = len(targets)
            self._run_targets(targets, result)
            status = "ok" if result.ok else "partial"
        except PassInterrupted:
            status = "interrupted"
            raise
        finally:
            self.archive.finish_run(result.run_id, result.counts.as_dict(), result.counts.failures, status)
        return result

    def record_capture(
        self, url: str, result: PassResult, *, at: datetime, fetch: PageFn, candidate: Candidate | None = None, prepared: PreparedCapture | None = None
    ) -> None:
        """Read ``url`` (and its further pages) with ``fetch`` and record it as captured ``at``.

        For pages held by a web archive or a WARC file (``backfill``): the same
        extraction, cleaning, dedupe and version decision as a live fetch, dated
        by the capture's own time instead of now. ``prepared``: what
        ``read_capture`` already read of ``url`` (in another thread).
        """
        if prepared is not None and prepared.url == url:
            work = dataclasses.replace(prepared, candidate=candidate)
        else:
            work = self._work(url, candidate, None, None, fetch=fetch)
        self._record(work, result, at=at)

    def read_capture(self, url: str, fetch: PageFn) -> PreparedCapture:
        """The reading half of ``record_capture`` (pages, extraction, cleaning), safe in any thread: no archive access."""
        return self._work(url, None, None, None, fetch=fetch)

    # --- discovery helpers -----------------------------------------------------------

    def _get_list_page(self, url: str, result: PassResult) -> FetchedPage:
        self._check_stop(f"before list page {url}")
        try:
            page = self.fetcher.fetch(url)
        except FetchError as exc:
            with self.archive.transaction():
                self.archive.log_attempts(exc.attempts, run_id=result.run_id)
            raise
        with self.archive.transaction():
            self.archive.log_attempts(page.attempts, run_id=result.run_id, final_outcome="list_page")
        return page

    # --- the fetch loop ----------------------------------------------------------------

    def _run_targets(self, targets: dict[str, Candidate | None], result: PassResult) -> None:
        total = len(targets)
        done = 0
        items = iter(targets.items())
        workers = self.settings.fetch.workers
        # A bounded number of futures in flight keeps memory flat however many URLs there are.
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch")
        try:
            # Results are recorded in the order the URLs were submitted, not the order
            # fetches finish, so article ids follow discovery order run after run.
            pending: deque[Future[_Work]] = deque()
            exhausted = False
            while pending or not exhausted:
                while not exhausted and len(pending) < workers * 2:
                    try:
                        url, candidate = next(items)
                    except StopIteration:
                        exhausted = True
                        break
                    # Validators are read here, in the writing thread: the archive's
                    # connection is never used from a worker.
                    etag, last_modified = self.validators(url)
                    pending.append(pool.submit(self._work, url, candidate, etag, last_modified))
                if not pending:
                    break
                work = pending.popleft().result()
                self._record(work, result)
                done += 1
                if self.progress:
                    self.progress(done, total, work.url)
                if done < total:
                    self._check_stop(f"after {done} of {total} URLs")
        finally:
            # On a stop (PassInterrupted, the daemon's SIGTERM) or an error, URLs not yet
            # started are dropped; fetches in flight end and are not recorded.
            pool.shutdown(wait=True, cancel_futures=True)

    def _work(
        self, url: str, candidate: Candidate | None, etag: str | None, last_modified: str | None, *, fetch: PageFn | None = None
    ) -> _Work:
        """Runs in a worker thread: network and parsing only, no archive access."""
        pages: list[FetchedPage] = []
        attempts: list[Attempt] = []
        try:
            first = fetch(url) if fetch else self.fetcher.fetch(url, etag=etag, last_modified=last_modified)
            pages.append(first)
            attempts.extend(first.attempts)
            if first.not_modified:
                return _Work(url, candidate, tuple(pages), attempts=tuple(attempts))
            extracted = [extract(first.text, url, sites=self.settings.site_profiles)]
            for next_url in extracted[0].next_pages:
                page = fetch(next_url) if fetch else self.fetcher.fetch(next_url)
                pages.append(page)
                attempts.extend(page.attempts)
                extracted.append(extract(page.text, next_url, sites=self.settings.site_profiles))
            article = clean(extracted)
            return _Work(url, candidate, tuple(pages), article, Reading.of(article.title, article.text), attempts=tuple(attempts))
        except FetchError as exc:
            attempts.extend(exc.attempts)
            return _Work(url, candidate, tuple(pages), error=exc, attempts=tuple(attempts))
        except ExtractError as exc:
            return _Work(url, candidate, tuple(pages), error=exc, attempts=tuple(attempts))
        except PassInterrupted:
            raise
        except Exception as exc:
            # extract() and clean() raise only ExtractError, so this is the fetcher
            # failing in a way it should not: one URL's error all the same, never the pass's.
            log.error("unexpected error fetching %s", url, exc_info=True)
            error = FetchError(url, f"unexpected {type(exc).__name__}: {exc} (a bug; the log has the traceback, please report it)")
            return _Work(url, candidate, tuple(pages), error=error, attempts=tuple(attempts))

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified of the URL's last good capture, for a conditional request.

        None for the primary URL of a multi-page article: a 304 for page 1 says
        nothing about page 2, and a silent edit there would go unseen.
        """
        state = self.archive.url_state(url)
        if state is None or self.archive.current_pages(url) > 1:
            return (None, None)
        return (state.etag, state.last_modified)

    # --- recording (calling thread only) ---------------------------------------------

    def _record(self, work: _Work, result: PassResult, *, at: datetime | None = None) -> None:
        """Record one URL in one transaction; what it counted joins the pass's result once committed.

        The recording writes into a tally of its own, so a failure half-way
        (rolled back by SQLite) leaves neither rows nor counts behind. ``at``
        dates it (a web archive's capture time); by default it is now.
        """
        now = at if at is not None else utcnow()
        tally = PassResult(run_id=result.run_id, counts=PassCounts())
        self._fingerprint_changes = []
        try:
            with self.archive.transaction():
                if work.error is not None:
                    self._record_error(work, tally, now)
                elif work.pages and work.pages[0].not_modified:
                    self._record_not_modified(work, tally, now)
                else:
                    assert work.article is not None and work.reading is not None
                    self._record_article(work, work.article, work.reading, tally, now)
                if at is None and self.settings.witness.save_page_now:
                    # With the event's own rows, so no committed event misses its witness. Pages read
                    # from a web archive or a file (``at``) are past news: a capture now shows today.
                    self.archive.queue_witnesses(witness_requests(tally.events), now)
        except sqlite3.IntegrityError as exc:
            self._record_bug(work, result, now, exc)
            return
        except sqlite3.Error as exc:
            # The archive itself cannot be written (disk full, I/O error): no point going on.
            raise StoreError(str(self.archive.path), f"cannot record {work.url} ({exc}); check the disk, then run again") from exc
        except ArchiverError:
            raise
        except Exception as exc:
            self._record_bug(work, result, now, exc)
            return
        result.counts.add(tally.counts)
        result.events.extend(tally.events)
        for change in self._fingerprint_changes:
            change()

    def _record_bug(self, work: _Work, result: PassResult, now: datetime, exc: Exception) -> None:
        """Recording one URL failed on a bug: nothing of it was written (rolled back); log it and go on."""
        log.error("could not record %s", work.url, exc_info=True)
        message = f"recording failed ({type(exc).__name__}: {exc}); nothing of it was stored, it is retried next pass (a bug, please report it)"
        attempts = list(work.attempts or _synthetic_attempt(work.url, now, message))
        attempts[-1] = dataclasses.replace(attempts[-1], error=message)
        with self.archive.transaction():
            self.archive.log_attempts(attempts, run_id=result.run_id, final_outcome="error")
        result.counts.failed += 1
        result.counts.failures.append((work.url, f"{work.url}: {message}"))

    def _record_failure(self, url: str, exc: FetchError, result: PassResult) -> None:
        result.counts.failed += 1
        result.counts.failures.append((url, str(exc)))
        log.warning("fetch failed: %s", exc)

    def _record_error(self, work: _Work, result: PassResult, now: datetime) -> None:
        exc = work.error
        state = self.archive.url_state(work.url)
        if isinstance(exc, GoneError) and exc.url != work.url and work.pages:
            # Page 1 still links a further page that is gone: the text would be
            # cut short, which is a broken capture, not a takedown.
            reason = f"page {len(work.pages) + 1} of the article is gone ({exc}); the text would be incomplete"
            result.counts.fetched += 1
            self._record_suspect(work, state.article_id if state else None, reason, result)
            return
        if isinstance(exc, GoneError):
            self.archive.log_attempts(work.attempts, run_id=result.run_id, final_outcome="gone", article_id=state.article_id if state else None)
            if state and state.article_id is not None:
                if state.status == "gone":
                    self.archive.upsert_url(work.url, role=url_role(work.url), last_status=exc.status)
                else:
                    self.archive.upsert_url(work.url, role=url_role(work.url), status="gone", gone_at=_iso(now), last_status=exc.status)
                # The article is gone when its primary URL is, even if a mirror still
                # serves it: the takedown on the main site is the news (README, "History").
                if state.is_primary and self.archive.mark_gone(state.article_id, now):
                    row = self.archive.article(state.article_id)
                    summary = exc.summary
                    result.counts.gone += 1
                    result.events.append(Event("gone", state.article_id, work.url, row.title if row else "", summary=summary))
                    self.archive.add_change(
                        {
                            "article_id": state.article_id,
                            "from_version": row.current_version if row else None,
                            "to_version": row.current_version if row else 0,
                            "changed_at": _iso(now),
                            "kind": "gone",
                            "summary": summary,
                        }
                    )
                    log.info("article gone: %s (%s)", work.url, exc.message)
            elif not _speculative(work, state):
                result.counts.failed += 1
                result.counts.failures.append((work.url, str(exc)))
            return
        if isinstance(exc, RobotsDisallowed):
            self.archive.log_attempts(work.attempts, run_id=result.run_id, final_outcome="skipped")
            result.counts.skipped += 1
            log.info("skipped (robots.txt): %s", work.url)
            return
        if isinstance(exc, ExtractError) and work.pages and (isinstance(exc, SuspectCapture) or (state and state.article_id is not None)):
            # An archived article's page that now yields no text is a broken
            # capture (an emptied body), kept as evidence; the version stays.
            reason = exc.reason if isinstance(exc, SuspectCapture) else f"no article text could be read: {exc.message}"
            result.counts.fetched += 1
            self._record_suspect(work, state.article_id if state else None, reason, result)
            return
        capture_id = None
        if isinstance(exc, ExtractError) and work.pages:
            # Keep the page that could not be read: it is evidence, and can be re-extracted.
            capture_id, _ = self.archive.add_capture(work.pages[-1], article_id=state.article_id if state else None, suspect_reason=str(exc))
        outcome = exc.outcome if isinstance(exc, FetchError) else "extract_error"
        self.archive.log_attempts(work.attempts or _synthetic_attempt(work.url, now, str(exc)), run_id=result.run_id, final_outcome=outcome, capture_id=capture_id)
        if _speculative(work, state):
            # A mirror URL tried on spec that never held the article: noted, not a failure.
            log.info("mirror not available: %s", exc)
            return
        result.counts.failed += 1
        result.counts.failures.append((work.url, str(exc)))
        log.warning("failed: %s", exc)

    def _record_not_modified(self, work: _Work, result: PassResult, now: datetime) -> None:
        state = self.archive.url_state(work.url)
        article_id = state.article_id if state else None
        self.archive.log_attempts(work.attempts, run_id=result.run_id, final_outcome="not_modified", article_id=article_id, capture_id=state.last_capture_id if state else None)
        self.archive.upsert_url(work.url, role=url_role(work.url), last_seen=_iso(now), last_status=304)
        if article_id is not None:
            self._touch(article_id, work.url, state, now, result)
        result.counts.unchanged += 1
        result.counts.fetched += 1

    def _touch(self, article_id: int, url: str, state: UrlState | None, now: datetime, result: PassResult) -> None:
        """Record a successful check; a gone article whose primary URL answers again is back."""
        if state is not None and state.status == "gone":
            self.archive.upsert_url(url, role=url_role(url), status="live", gone_at=None)
        if self.archive.touch_article(article_id, now, revive=bool(state and state.is_primary)):
            row = self.archive.article(article_id)
            result.events.append(Event("back", article_id, url, row.title if row else ""))
            self.archive.add_change(
                {"article_id": article_id, "from_version": row.current_version if row else None,
                 "to_version": row.current_version if row else 0, "changed_at": _iso(now), "kind": "back",
                 "summary": "the article is online again"}
            )
            log.info("article back online: %s", url)

    def _record_article(self, work: _Work, article: Article, reading: Reading, result: PassResult, now: datetime) -> None:
        result.counts.fetched += 1
        first = work.pages[0]
        state = self.archive.url_state(work.url)
        article_id = state.article_id if state else None
        current = self.archive.current_version(article_id) if article_id is not None else None

        reason = check_quality(article, reading, len(current.text) if current else None, self.settings.quality)
        if reason:
            self._record_suspect(work, article_id, reason, result)
            return

        capture_ids = [self.archive.add_capture(p, article_id=article_id)[0] for p in work.pages]
        validators = {"etag": first.header("etag"), "last_modified": first.header("last-modified")}

        if state is None or state.article_id is None:
            match = self._series_of(article, work.candidate)
            article_id, outcome = self._attach_or_create(work, article, reading, match, capture_ids, result, now)
        else:
            article_id = state.article_id
            outcome = self._update_known(work, article, reading, state, current, capture_ids, result, now)

        self.archive.upsert_url(
            work.url,
            role=url_role(work.url),
            article_id=article_id,
            last_seen=_iso(now),
            last_status=first.status,
            content_hash=reading.key,
            last_capture_id=capture_ids[0],
            **validators,
        )
        self._log_pages(work, capture_ids, run_id=result.run_id, outcome=outcome, article_id=article_id)

    def _record_suspect(self, work: _Work, article_id: int | None, reason: str, result: PassResult) -> None:
        """Keep every page fetched as evidence; the current version, the URL's state and validators stay."""
        capture_ids = [self.archive.add_capture(p, article_id=article_id, suspect_reason=reason)[0] for p in work.pages]
        self._log_pages(work, capture_ids, run_id=result.run_id, outcome="suspect", article_id=article_id)
        result.counts.suspect += 1
        log.warning("suspect capture kept as evidence only: %s: %s", work.url, reason)

    def _log_pages(self, work: _Work, capture_ids: Sequence[int], *, run_id: int, outcome: str, article_id: int | None) -> None:
        """Log a URL's attempts, each page's last attempt naming the capture of that page.

        The last attempt still carries what came of the URL. A row and the
        capture it names are of the same URL: the WARC export turns each such
        row into one record (export.py), so page 2 must not name page 1.
        """
        attempts = list(work.attempts)
        ends: list[int] = []
        for page in work.pages:
            ends.append((ends[-1] if ends else 0) + len(page.attempts))
        if len(capture_ids) != len(work.pages) or not ends or ends[-1] > len(attempts):
            # Not the shape _work builds: log it as one fetch, as before.
            self.archive.log_attempts(
                attempts, run_id=run_id, final_outcome=outcome, article_id=article_id, capture_id=capture_ids[0] if capture_ids else None
            )
            return
        start = 0
        for end, capture_id in zip(ends, capture_ids, strict=True):  # lengths checked above
            last = end == len(attempts)
            self.archive.log_attempts(
                attempts[start:end], run_id=run_id, final_outcome=outcome if last else None, article_id=article_id, capture_id=capture_id
            )
            start = end
        if start < len(attempts):  # a further page that failed (e.g. gone): no capture of its own
            self.archive.log_attempts(attempts[start:], run_id=run_id, final_outcome=outcome, article_id=article_id)

    def _series_of(self, article: Article, candidate: Candidate | None) -> SeriesMatch:
        """Series, installment and label from the title, the list entry and the body's first headings (the kicker).

        The label may be in any of them (「貿戰下中國力量① 志氣篇」 as a kicker
        when the title lacks it); an article that names none, such as the
        installment's 專家解讀 sidebar, carries its installment's label.
        """
        titles = [article.title, *([candidate.title] if candidate and candidate.title else []), *article.headings[:3]]
        match: SeriesMatch | None = None
        for series in self.settings.series:
            found = [m for m in (match_series(title, series) for title in titles) if m is not None]
            if found:
                installment = next((m.installment for m in found if m.installment is not None), None)
                if installment is None and candidate is not None:
                    installment = candidate.installment
                label = next((m.label for m in found if m.label and m.installment in (None, installment)), None)
                match = SeriesMatch(series.name, installment, label or (candidate.label if candidate else None))
                break
        if match is None:
            match = SeriesMatch(candidate.series, candidate.installment, candidate.label) if candidate else SeriesMatch("unsorted", None, None)
        if match.label is None and match.installment is not None:
            match = SeriesMatch(match.series, match.installment, self.archive.installment_label(match.series, match.installment))
        return match

    def _attach_or_create(
        self, work: _Work, article: Article, reading: Reading, match: SeriesMatch, capture_ids: list[int], result: PassResult, now: datetime
    ) -> tuple[int, str]:
        """A URL seen for the first time: another rendering of a known article, or a new one."""
        known = self._known().candidates(match.series, match.installment)
        duplicate = find_duplicate(reading.folded_text, match.series, match.installment, known, self.settings.dedupe)
        if duplicate is not None:
            article_id, score = duplicate
            # Another rendering of an archived article: a new URL, never a new version.
            self.archive.upsert_url(work.url, role=url_role(work.url), article_id=article_id, is_primary=0, status="live")
            row = self.archive.article(article_id)
            if row and url_rank(work.url) < url_rank(row.url):
                # The main site's page outranks the copy the article was first found at:
                # it becomes the primary URL, and its title and label are the article's.
                self.archive.set_primary(article_id, work.url, title=article.title, label=match.label or row.label)
            self.archive.touch_article(article_id, now)
            result.counts.unchanged += 1
            log.info("same article as #%s (similarity %.2f): %s", article_id, score, work.url)
            return article_id, "duplicate"
        article_id = self.archive.create_article(
            series=match.series, installment=match.installment, label=match.label, article=article, url=work.url, now=now
        )
        self.archive.upsert_url(work.url, role=url_role(work.url), article_id=article_id, is_primary=1, status="live")
        if match.label is not None and match.installment is not None:  # every article of the installment carries it
            self.archive.label_installment(match.series, match.installment, match.label)
        self.archive.add_version(
            article_id, article, content_hash=reading.key, captured_at=now, url=work.url, capture_ids=capture_ids,
            derivation_id=self._derivation_id(now),
        )
        self._add_fingerprint(article_id, match, article)
        result.counts.new_articles += 1
        result.counts.new_versions += 1
        result.events.append(Event("new_article", article_id, work.url, article.title, 1))
        log.info("new article #%s: %s %s", article_id, article.title, work.url)
        return article_id, "new_article"

    def _update_known(
        self,
        work: _Work,
        article: Article,
        reading: Reading,
        state: UrlState,
        current: StoredVersion | None,
        capture_ids: list[int],
        result: PassResult,
        now: datetime,
    ) -> str:
        """A URL already in the archive: unchanged, or a new version of its article (versions.decide)."""
        assert state.article_id is not None
        article_id = state.article_id
        self._touch(article_id, work.url, state, now, result)
        if current is None:  # an article without a version cannot be made by this code; keep the page
            result.counts.unchanged += 1
            return "unchanged"
        known = Current(current.version, Reading.of(current.title, current.text))
        outcome = decide(reading, known, url_key=state.content_hash, is_primary=state.is_primary)
        if isinstance(outcome, Rederive):
            # Only now is the current version's reading by the running code needed: kept from
            # an earlier pass, or read again from its stored pages.
            rederived = self._cached_rederivation(current) or self._rederive(current, now)
            outcome = decide(reading, dataclasses.replace(known, rederived=rederived), url_key=state.content_hash, is_primary=state.is_primary)
        if isinstance(outcome, Unchanged):
            if outcome.why == "rederived":
                log.info("unchanged once read by this release's code (a re-derivation, not an edit): %s", work.url)
            result.counts.unchanged += 1
            return "unchanged"
        if isinstance(outcome, SecondaryChanged):
            # A mirror or e-paper copy changed: captured and logged, but the
            # versions follow the primary URL so renderings never alternate.
            result.counts.unchanged += 1
            log.info("secondary URL changed (captured, not a version): %s", work.url)
            return "changed_secondary"
        assert isinstance(outcome, NewVersion)
        derivation_id = self._derivation_id(now)
        earlier = [(n, Reading.of(t, x)) for n, t, x in self.archive.original_versions(article_id, derivation_id)]
        restores = restored_version(reading, earlier)
        number = self.archive.add_version(
            article_id, _with_text(article, outcome.text), content_hash=reading.key, captured_at=now, url=work.url,
            capture_ids=capture_ids, derivation_id=derivation_id, restores=restores,
        )
        summary = outcome.diff.summary()
        self.archive.add_change(
            {
                "article_id": article_id,
                "from_version": current.version,
                "to_version": number,
                "changed_at": _iso(now),
                "kind": "restore" if restores else "edit",
                "chars_added": outcome.diff.chars_added,
                "chars_removed": outcome.diff.chars_removed,
                "summary": (f"restores version {restores}: " if restores else "") + summary,
                "diff_html": render_html(outcome.diff),
            }
        )
        self._replace_fingerprint(article_id, article)
        kind = "restored" if restores else "new_version"
        result.counts.new_versions += 1
        result.events.append(Event(kind, article_id, work.url, article.title, number, summary))
        log.info("new version %s of #%s%s: %s", number, article_id, f" (restores {restores})" if restores else "", summary)
        return kind

    # --- derivations: the current version as this release reads it -------------------

    def _derivation_id(self, now: datetime) -> int:
        running = derivation.current(self.settings.sites)
        return self.archive.derivation_id(running.digest, running.as_json(), now)

    def _cached_rederivation(self, version: StoredVersion) -> Reading | None:
        """The version as the running code read it from its pages before, if it did."""
        # Even a version of the running derivation is read again before an edit
        # is recorded (once: the reading is kept): an edit is then always
        # confirmed against the stored pages, never against a stored text alone.
        running = self.archive.find_derivation(derivation.current(self.settings.sites).digest)
        if running is None:
            return None
        recorded = self.archive.rederivation(version.id, running)
        return Reading.of(*recorded) if recorded else None

    def _rederive(self, version: StoredVersion, now: datetime) -> Reading:
        """Read the version's stored pages with the running code, and record that reading.

        Pages that no longer yield an article (a rule now refuses them) read as
        the stored text: the comparison then is with what was archived.
        """
        try:
            article = derive(self.archive.stored_pages(version.capture_ids), sites=self.settings.site_profiles)
        except ExtractError as exc:
            log.warning("version %s of #%s cannot be read again from its pages (%s); comparing with its stored text", version.version, version.article_id, exc)
            return Reading.of(version.title, version.text)
        reading = Reading.of(article.title, article.text)
        self.archive.add_rederivation(
            version.id, self._derivation_id(now), title=reading.title, text=reading.text, content_hash=reading.key, now=now
        )
        return reading

    # --- dedupe fingerprints, loaded once per pipeline ----------------------------------

    def _known(self) -> KnownArticles:
        if self._fingerprints is None:
            self._fingerprints = KnownArticles(
                fingerprint(aid, series, inst, title, text, self.settings.dedupe)
                for aid, series, inst, title, text in self.archive.fingerprint_rows()
            )
        return self._fingerprints

    def forget_fingerprints(self) -> None:
        """An article's current text changed outside a recording (ingest's time order): read them again when next needed."""
        self._fingerprints = None

    def _add_fingerprint(self, article_id: int, match: SeriesMatch, article: Article) -> None:
        fp = fingerprint(article_id, match.series, match.installment, article.title, article.text, self.settings.dedupe)
        self._fingerprint_changes.append(lambda: self._known().append(fp))

    def _replace_fingerprint(self, article_id: int, article: Article) -> None:
        self._fingerprint_changes.append(lambda: self._replace_fingerprint_now(article_id, article))

    def _replace_fingerprint_now(self, article_id: int, article: Article) -> None:
        if self._fingerprints is None:
            return  # not loaded yet: _known() will read this version from the archive
        self._fingerprints.replace(
            article_id, lambda fp: fingerprint(article_id, fp.series, fp.installment, article.title, article.text, self.settings.dedupe)
        )


def _with_text(article: Article, text: Reading) -> Article:
    """The article with the decided title and block texts (the page's content, the previous rendering)."""
    lines = text.text.split("\n")
    if len(lines) != len(article.blocks):  # a block holding a line break: keep the page's own text
        return article
    blocks = tuple(dataclasses.replace(block, text=line) for block, line in zip(article.blocks, lines, strict=True))
    return dataclasses.replace(article, title=text.title, blocks=blocks)


def _speculative(work: _Work, state: UrlState | None) -> bool:
    """A URL tried only because a mirror might serve the article, and not archived yet."""
    return work.candidate is not None and work.candidate.via == "mirror" and (state is None or state.article_id is None)


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _synthetic_attempt(url: str, now: datetime, error: str) -> tuple[Attempt, ...]:
    return (Attempt(url=url, started_at=now, attempt=1, status=None, outcome="error", error=error),)
