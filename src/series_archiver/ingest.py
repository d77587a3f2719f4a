"""Recording pages another archive holds: a web archive's mementos (``backfill``), a WARC file's records (``import``).

Both hand ``Ingest.record`` a URL, the time its page was captured, and a page
source (``url -> FetchedPage``, the page carrying its ``Provenance``); pages are
given oldest first. What happens to a page:

- the URL's article was last checked (a live crawl, a later capture) after
  the capture time: the page is **evidence**, a capture row with its
  provenance (fetch-log outcome ``evidence`` for the attempts that read it),
  never a version, since versions are made in time order;
- otherwise it goes through ``Pipeline.record_capture``: the same extraction,
  cleaning, dedupe and version decision as a live fetch, dated by the capture.

``IngestCounts`` adds up what came of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from .archive import Archive
from .clean import clean
from .errors import ExtractError, FetchError, GoneError
from .extract import extract
from .models import Candidate, FetchedPage, PassCounts, PassResult
from .pipeline import Pipeline, PreparedCapture
from .versions import Reading

__all__ = ["Ingest", "IngestCounts", "PageSource"]

log = logging.getLogger("series_archiver")

PageSource = Callable[[str], FetchedPage]


@dataclass
class IngestCounts:
    new_articles: int = 0
    new_versions: int = 0
    removals: int = 0
    failed: int = 0
    evidence: int = 0  # pages kept as evidence only (older than the article's last check)
    earlier_texts: int = 0  # of which: a text that differs from the article's current version
    failures: list[tuple[str, str]] = field(default_factory=list)


class Ingest:
    """One pass of pages from another archive into ``archive``, through ``pipeline``."""

    def __init__(self, archive: Archive, pipeline: Pipeline, run_id: int) -> None:
        self.archive = archive
        self.pipeline = pipeline
        self.run_id = run_id
        self.counts = IngestCounts()
        self._passed = PassResult(run_id=run_id, counts=PassCounts())

    def record(self, url: str, at: datetime, pages: PageSource, candidate: Candidate | None = None, *, prepared: PreparedCapture | None = None) -> None:
        """``prepared``: ``Pipeline.read_capture`` of ``url`` done ahead (import's reader threads), used unless the page is evidence."""
        state = self.archive.url_state(url)
        if state is not None and state.article_id is not None:
            checked = self.archive.last_checked(state.article_id)
            if checked is not None and at < checked:
                self._evidence(url, state.article_id, pages)
                return
        before = self._passed.counts.as_dict()
        failures_before = len(self._passed.counts.failures)
        self.pipeline.record_capture(url, self._passed, at=at, fetch=pages, candidate=candidate, prepared=prepared)
        after = self._passed.counts.as_dict()
        self.counts.new_articles += after["new_articles"] - before["new_articles"]
        self.counts.new_versions += after["new_versions"] - before["new_versions"]
        self.counts.removals += after["gone"] - before["gone"]
        self.counts.failed += after["failed"] - before["failed"]
        self.counts.failures.extend(self._passed.counts.failures[failures_before:])

    def fail(self, url: str, exc: FetchError) -> None:
        self.counts.failed += 1
        self.counts.failures.append((url, str(exc)))
        log.warning("%s", exc)
        if exc.attempts:
            with self.archive.transaction():
                self.archive.log_attempts(exc.attempts, run_id=self.run_id, final_outcome=exc.outcome)

    def _evidence(self, url: str, article_id: int, pages: PageSource) -> None:
        """A page older than the article's last check: a capture row with its provenance, never a version."""
        try:
            page = pages(url)
        except GoneError as exc:
            with self.archive.transaction():
                self.archive.log_attempts(exc.attempts, run_id=self.run_id, final_outcome="evidence", article_id=article_id)
            self.counts.evidence += 1
            log.info("a removal seen in an older capture, kept in the log as evidence: %s", exc)
            return
        except FetchError as exc:
            self.fail(url, exc)
            return
        with self.archive.transaction():
            capture_id, _new = self.archive.add_capture(page, article_id=article_id)
            self.archive.log_attempts(page.attempts, run_id=self.run_id, final_outcome="evidence", article_id=article_id, capture_id=capture_id)
        self.counts.evidence += 1
        current = self.archive.current_version(article_id)
        try:
            article = clean([extract(page.text, url)])
        except ExtractError:
            return
        if current is not None and Reading.of(article.title, article.text).key != Reading.of(current.title, current.text).key:
            self.counts.earlier_texts += 1
            log.info("an earlier text of #%s captured %s kept as evidence (capture %s)", article_id, page.fetched_at.isoformat(), capture_id)
