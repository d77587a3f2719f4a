"""The record of one ``fetch()`` call, and its errors stated for the URL that was asked for.

The pipeline logs per URL asked: an error met on a redirect hop, or after retries, is
raised for the URL asked, naming the hop and the number of attempts, and carries every
``Attempt`` made, numbered from 1 across retries and hops.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from series_archiver.errors import FetchError
from series_archiver.models import Attempt

__all__ = ["Attempts", "hop_prefix", "restated", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Attempts:
    """The attempts of one ``fetch()`` call, numbered from 1 across retries and redirect hops."""

    def __init__(self) -> None:
        self.items: list[Attempt] = []

    def add(
        self,
        url: str,
        *,
        status: int | None,
        outcome: str,
        error: str | None = None,
        started_at: datetime | None = None,
        elapsed_ms: float = 0.0,
        bytes_: int = 0,
    ) -> None:
        self.items.append(
            Attempt(
                url=url,
                started_at=started_at or utcnow(),
                attempt=len(self.items) + 1,
                status=status,
                outcome=outcome,
                error=error,
                elapsed_ms=elapsed_ms,
                bytes=bytes_,
            )
        )

    def relabel_last(self, outcome: str, error: str) -> None:
        self.items[-1] = replace(self.items[-1], outcome=outcome, error=error)


def hop_prefix(asked: str, url: str) -> str:
    """Names the redirect hop an error happened at, when it is not the URL asked for.

    >>> hop_prefix("http://a/1.html", "http://a/1.html"), hop_prefix("http://a/1.html", "http://a/2.html")
    ('', 'redirected to http://a/2.html: ')
    """
    return "" if url == asked else f"redirected to {url}: "


def restated(error: FetchError, asked: str, tries: int) -> FetchError:
    """``error`` as an error of the URL asked for, naming the hop and the attempts it took.

    A new error of the same class, with every attribute of ``error`` (``status``,
    ``reason``, ``target``, ``received``, the attempts, …) but the URL and message;
    ``error`` itself is left as it was.
    """
    if error.url == asked and tries == 1:
        return error
    message = hop_prefix(asked, error.url) + error.message
    if tries > 1:
        message = f"gave up after {tries} attempts: {message}"
    cls = type(error)
    # Subclasses have their own signatures (HTTPStatusError takes a status), and copy.copy
    # would call them with the str() args: build a bare instance, then fill it in through
    # FetchError.__init__, which owns how url and message make the error's text.
    again = cls.__new__(cls)
    extra = {k: v for k, v in vars(error).items() if k not in ("url", "message", "attempts")}
    FetchError.__init__(again, asked, message, attempts=error.attempts, **extra)
    again.__cause__ = error.__cause__
    return again
