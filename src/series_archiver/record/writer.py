"""The one writer: whatever the source, a reading of one URL recorded in one transaction.

A live fetch, a web archive's memento and a WARC record reach the archive
here, as an ``ArticleRead`` (``read.article``) and the time it was captured.
What happens to it:

* Its URL is first put in the form the archive knows it by (``archived_url``,
  ``urls.twins``): a capture at the other scheme or with(out) ``www.`` is a
  capture of the archived URL, never another article.
* A page captured *before* its article's last check (backfill, import) is
  placed in the article's history in time order (``older.py``).
* Otherwise, as below.

Readers (worker threads, reader threads) fetch, extract and clean; the
calling thread alone writes to the archive, through this writer, one
transaction per URL, so a crash leaves every article either fully recorded
or untouched.

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
* A block page (a challenge, a captcha, a maintenance page: ``read.pagekind``),
  whatever its status, is neither a version nor a removal: nothing is captured,
  the article keeps its status, no witness is asked for; the attempt is logged
  ``blocked`` with the reason and the URL counted failed.
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from series_archiver import urls
from series_archiver.archive import Archive, UrlState, utcnow
from series_archiver.archive.capture_rows import REMOVAL_PAGE
from series_archiver.decide.dedupe import KnownArticles, find_duplicate, fingerprint
from series_archiver.decide.diff import render_html
from series_archiver.decide.versions import (
    Current,
    NewVersion,
    Rederive,
    SecondaryChanged,
    Unchanged,
    check_quality,
    decide,
    restored_version,
    with_text,
)
from series_archiver.decide.witness import witness_requests
from series_archiver.errors import (
    ArchiverError,
    Blocked,
    ExtractError,
    FetchError,
    GoneError,
    RobotsDisallowed,
    SuspectCapture,
    WriteRejected,
)
from series_archiver.models import Article, Attempt, Candidate, Event, FetchedPage, PassCounts, PassResult, SeriesMatch, StoredVersion
from series_archiver.read import derivation
from series_archiver.read.article import ArticleRead
from series_archiver.read.derivation import derive
from series_archiver.read.discovery import series_of
from series_archiver.read.reading import Reading
from series_archiver.record.older import Older
from series_archiver.settings import Settings
from series_archiver.textfold import fold

__all__ = ["Recorder"]

log = logging.getLogger("series_archiver")


@dataclass(frozen=True)
class _Work:
    """One URL's reading and the list entry it was found under, as the recording reads them."""

    url: str
    candidate: Candidate | None
    pages: tuple[FetchedPage, ...] = ()
    article: Article | None = None
    reading: Reading | None = None
    error: Exception | None = None
    attempts: tuple[Attempt, ...] = ()

    @classmethod
    def of(cls, read: ArticleRead, candidate: Candidate | None) -> _Work:
        return cls(read.url, candidate, read.pages, read.article, read.reading, read.error, read.attempts)


class Recorder:
    """One archive, one settings object: records readings, one URL a transaction."""

    def __init__(self, settings: Settings, archive: Archive) -> None:
        self.settings = settings
        self.archive = archive
        self.registry = settings.registry
        self.older = Older(settings, archive, self.forget_fingerprints)
        self._fingerprints: KnownArticles | None = None
        # Applied once the URL's transaction has committed (see _record).
        self._fingerprint_changes: list[Callable[[], None]] = []

    # --- the one way in ---------------------------------------------------------------------

    def archived_url(self, url: str) -> str:
        """The form the archive knows ``url``'s page by (``urls.twins``), or ``url`` normalized when it knows none."""
        forms = urls.twins(url)  # the normalized form first
        return self.archive.first_known(forms) or forms[0]

    def record(self, read: ArticleRead, result: PassResult, *, at: datetime | None = None, candidate: Candidate | None = None) -> None:
        """Record what reading one URL gave, whatever its source; ``at`` is when it was captured (default: now).

        A capture older than its article's last check is placed in time order
        (``older.py``); anything else takes the same path a live fetch takes.
        """
        url = self.archived_url(read.url)
        if url != read.url:
            read = _under(read, url)
        work = _Work.of(read, candidate)
        if at is not None:
            state = self.archive.url_state(url)
            if state is not None and state.article_id is not None:
                checked = self.archive.last_checked(state.article_id)
                if checked is not None and at < checked and self.older.place(read, state, at, result.counts, result.run_id):
                    return
        self._record(work, result, at=at)

    def failure(self, url: str, exc: FetchError, result: PassResult) -> None:
        """A URL that could not be read, outside any article's recording (a list page, a CDX query): logged and counted."""
        self.log_attempts(exc.attempts, result, exc.outcome)
        self._record_failure(url, exc, result)

    def log_attempts(self, attempts: Sequence[Attempt], result: PassResult, outcome: str | None) -> None:
        """HTTP attempts that record no page (a list page, a CDX query), in the fetch log: every attempt is logged."""
        if attempts:
            with self.archive.transaction():
                self.archive.log_attempts(attempts, run_id=result.run_id, final_outcome=outcome)

    # --- recording one URL ------------------------------------------------------------------

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
            with self.archive.transaction(doing=f"record {work.url}"):
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
                if at is None and self.settings.evidence.enabled:
                    # Screenshots and timestamps are taken after the pass (evidence/worker.py).
                    self.archive.queue_evidence(tally.events, now)
        except WriteRejected as exc:
            # SQLite refused this URL's rows (a bug in recording it): rolled back, logged, the pass goes on.
            # The archive itself failing (ArchiveUnwritable: disk full, read-only) stops the pass below.
            self._record_bug(work, result, now, exc)
            return
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
        if isinstance(exc, Blocked):
            # Neither the page nor its removal: logged, counted failed (the pass names the site), nothing else.
            article_id = state.article_id if state else None
            self.archive.log_attempts(work.attempts or _synthetic_attempt(work.url, now, str(exc)), run_id=result.run_id, final_outcome="blocked", article_id=article_id)
            self._record_failure(work.url, exc, result)
            return
        if isinstance(exc, GoneError) and exc.url != work.url and work.pages:
            # Page 1 still links a further page that is gone: the text would be
            # cut short, which is a broken capture, not a takedown.
            reason = f"page {len(work.pages) + 1} of the article is gone ({exc}); the text would be incomplete"
            result.counts.fetched += 1
            self._record_suspect(work, state.article_id if state else None, reason, result)
            return
        if isinstance(exc, GoneError):
            removal_page = None
            if exc.page is not None and state and state.article_id is not None:
                # The page the site answered the removal with (a 404's body): evidence of the takedown, never a version.
                removal_page, _ = self.archive.add_capture(exc.page, article_id=state.article_id, suspect_reason=f"{REMOVAL_PAGE} ({exc.summary})")
            self.archive.log_attempts(
                work.attempts, run_id=result.run_id, final_outcome="gone", article_id=state.article_id if state else None, capture_id=removal_page
            )
            if state and state.article_id is not None:
                if state.status == "gone":
                    self.archive.upsert_url(work.url, role=self.registry.url_role(work.url), last_status=exc.status)
                else:
                    self.archive.upsert_url(work.url, role=self.registry.url_role(work.url), status="gone", gone_at=_iso(now), last_status=exc.status)
                # The article is gone when its primary URL is, even if a mirror still
                # serves it: the takedown on the main site is the news (docs/archive.md, "Versions, diffs and removals").
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
        self.archive.upsert_url(work.url, role=self.registry.url_role(work.url), last_seen=_iso(now), last_status=304)
        if article_id is not None:
            self._touch(article_id, work.url, state, now, result)
        result.counts.unchanged += 1
        result.counts.fetched += 1

    def _touch(self, article_id: int, url: str, state: UrlState | None, now: datetime, result: PassResult) -> None:
        """Record a successful check; a gone article whose primary URL answers again is back."""
        if state is not None and state.status == "gone":
            self.archive.upsert_url(url, role=self.registry.url_role(url), status="live", gone_at=None)
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

        match = self._series_of(article, work.candidate)
        if state is None or state.article_id is None:
            article_id, outcome = self._attach_or_create(work, article, reading, match, capture_ids, result, now)
        else:
            article_id = state.article_id
            outcome = self._update_known(work, article, reading, state, current, capture_ids, result, now)
        self._fill_series(article_id, match)

        self.archive.upsert_url(
            work.url,
            role=self.registry.url_role(work.url),
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
        """Series, installment and label of this reading (``read.discovery.series_of``); an article that names
        no label, such as the installment's 專家解讀 sidebar, carries its installment's label."""
        match = series_of(article, candidate, self.settings.series)
        if match.label is None and match.installment is not None:
            match = SeriesMatch(match.series, match.installment, self.archive.installment_label(match.series, match.installment))
        return match

    def _fill_series(self, article_id: int, match: SeriesMatch) -> None:
        """An installment number or label printed in this reading (a mirror's list entry, the e-paper's title) and not yet known."""
        if match.installment is None and match.label is None:
            return
        row = self.archive.article(article_id)
        if row is None or row.series != match.series or (row.installment is not None and row.label is not None):
            return
        if row.installment is not None and match.installment not in (None, row.installment):
            return  # another installment's number: this reading names something else
        if self.archive.fill_series(article_id, match.installment, match.label):
            installment = row.installment if row.installment is not None else match.installment
            if match.label is not None and installment is not None:
                self.archive.label_installment(match.series, installment, match.label)
            log.info("#%s: installment %s, label %s, from %s", article_id, installment, match.label or row.label, "another reading of it")

    def _attach_or_create(
        self, work: _Work, article: Article, reading: Reading, match: SeriesMatch, capture_ids: list[int], result: PassResult, now: datetime
    ) -> tuple[int, str]:
        """A URL seen for the first time: another rendering of a known article, or a new one."""
        duplicate = find_duplicate(reading.folded_text, match.series, match.installment, self._known())
        if duplicate is not None:
            article_id, score = duplicate
            # Another rendering of an archived article: a new URL, never a new version.
            self.archive.upsert_url(work.url, role=self.registry.url_role(work.url), article_id=article_id, is_primary=0, status="live")
            row = self.archive.article(article_id)
            if row and self.registry.url_rank(work.url) < self.registry.url_rank(row.url):
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
        self.archive.upsert_url(work.url, role=self.registry.url_role(work.url), article_id=article_id, is_primary=1, status="live")
        if match.label is not None and match.installment is not None:  # every article of the installment carries it
            self.archive.label_installment(match.series, match.installment, match.label)
        self.archive.add_version(
            article_id, article, content_hash=reading.key, captured_at=now, url=work.url, capture_ids=capture_ids,
            derivation_id=self._derivation_id(now),
        )
        self._add_fingerprint(article_id, match)
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
            article_id, with_text(article, outcome.text), content_hash=reading.key, captured_at=now, url=work.url,
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
        self._replace_fingerprint(article_id)
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
                (fingerprint(aid, series, inst) for aid, series, inst in self.archive.dedupe_rows()),
                text_of=lambda article_id: fold(self.archive.current_text(article_id)),
                settings=self.settings.dedupe,
            )
        return self._fingerprints

    def forget_fingerprints(self) -> None:
        """An article's current text changed outside a recording (ingest's time order): read them again when next needed."""
        self._fingerprints = None

    def _add_fingerprint(self, article_id: int, match: SeriesMatch) -> None:
        fp = fingerprint(article_id, match.series, match.installment)
        self._fingerprint_changes.append(lambda: self._known().append(fp))

    def _replace_fingerprint(self, article_id: int) -> None:
        # Series and installment stay; the sketch of the old text goes (a fingerprint keeps no text).
        self._fingerprint_changes.append(lambda: self._fingerprints.changed(article_id) if self._fingerprints is not None else None)


def _speculative(work: _Work, state: UrlState | None) -> bool:
    """A URL tried only because a mirror might serve the article, and not archived yet."""
    return work.candidate is not None and work.candidate.via == "mirror" and (state is None or state.article_id is None)


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def _synthetic_attempt(url: str, now: datetime, error: str) -> tuple[Attempt, ...]:
    return (Attempt(url=url, started_at=now, attempt=1, status=None, outcome="error", error=error),)


def _under(read: ArticleRead, url: str) -> ArticleRead:
    """``read`` as a reading of ``url``, the archived twin of the URL it was captured at (its first page keeps ``final_url``)."""
    pages = read.pages
    if pages:
        pages = (dataclasses.replace(pages[0], url=url), *pages[1:])
    return dataclasses.replace(read, url=url, pages=pages)
