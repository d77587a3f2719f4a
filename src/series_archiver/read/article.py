"""Reading one article URL from any source: its pages, the article they hold, and its reading.

The same code reads a page fetched live, a web archive's memento and a WARC
record: a source is only a ``PageSource`` (a URL in, a ``FetchedPage`` out, or
a ``FetchError``), and what it gives is extracted, cleaned and folded here,
once. ``read_article`` never raises for one URL's trouble: the error is kept
in the ``ArticleRead`` for the writer to record (a removal, a failure, a
suspect capture), so a reader thread hands every outcome to the one writer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from series_archiver.errors import ExtractError, FetchError, PassInterrupted
from series_archiver.models import Article, Attempt, FetchedPage
from series_archiver.read.clean import clean
from series_archiver.read.extract import extract
from series_archiver.read.reading import Reading
from series_archiver.sites import Site

__all__ = ["ArticleRead", "PageSource", "read_article"]

log = logging.getLogger("series_archiver")

PageSource = Callable[[str], FetchedPage]


@dataclass(frozen=True)
class ArticleRead:
    """What reading one URL gave: its pages, the article and its reading, or the error that stopped it."""

    url: str
    pages: tuple[FetchedPage, ...] = ()
    article: Article | None = None
    reading: Reading | None = None  # the article's text folded once, where it was read
    error: Exception | None = None
    attempts: tuple[Attempt, ...] = ()

    @property
    def not_modified(self) -> bool:
        return bool(self.pages) and self.pages[0].not_modified


def read_article(url: str, pages: PageSource, sites: Sequence[Site] | None = None) -> ArticleRead:
    """Ask ``pages`` for ``url`` and each further page the first one names; extract, clean and fold them.

    Safe in any thread: no archive access. ``sites`` as for ``extract`` (``Settings.site_profiles``).
    """
    got: list[FetchedPage] = []
    attempts: list[Attempt] = []
    try:
        first = pages(url)
        got.append(first)
        attempts.extend(first.attempts)
        if first.not_modified:
            return ArticleRead(url, tuple(got), attempts=tuple(attempts))
        extracted = [extract(first.text, url, sites=sites)]
        for next_url in extracted[0].next_pages:
            page = pages(next_url)
            got.append(page)
            attempts.extend(page.attempts)
            extracted.append(extract(page.text, next_url, sites=sites))
        article = clean(extracted)
        return ArticleRead(url, tuple(got), article, Reading.of(article.title, article.text), attempts=tuple(attempts))
    except FetchError as exc:
        attempts.extend(exc.attempts)
        return ArticleRead(url, tuple(got), error=exc, attempts=tuple(attempts))
    except ExtractError as exc:
        return ArticleRead(url, tuple(got), error=exc, attempts=tuple(attempts))
    except PassInterrupted:
        raise
    except Exception as exc:
        # extract() and clean() raise only ExtractError, so this is a source failing in a way
        # it should not: one URL's error all the same, never the pass's.
        log.error("unexpected error reading %s", url, exc_info=True)
        error = FetchError(url, f"unexpected {type(exc).__name__}: {exc} (a bug; the log has the traceback, please report it)")
        return ArticleRead(url, tuple(got), error=error, attempts=tuple(attempts))
