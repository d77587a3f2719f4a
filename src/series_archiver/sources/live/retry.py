"""Which failures are retried, and how long to wait before the next try.

Timeouts, resets and broken bodies are retried, and so are 5xx and 429 answers;
everything else (a 404, a 403, a page too large or not HTML) would fail the same way
again. The wait is capped exponential backoff with "equal jitter", or what the
server asked for in Retry-After (seconds or an HTTP date), under the same cap.
"""

from __future__ import annotations

import email.utils
import random
from datetime import UTC, datetime

from series_archiver.errors import FetchError, NetworkError, TruncatedBody

__all__ = ["backoff_seconds", "is_retried", "is_retried_status", "parse_retry_after"]

_RETRIED_ERRORS = (NetworkError, TruncatedBody)


def is_retried(error: FetchError) -> bool:
    """A failure that may well not happen again: no answer, or a body that broke on the way."""
    return isinstance(error, _RETRIED_ERRORS)


def is_retried_status(status: int) -> bool:
    """A status that says "not now": the server is struggling (5xx) or throttling us (429).

    >>> [is_retried_status(s) for s in (200, 404, 429, 500, 503)]
    [False, False, True, True, True]
    """
    return status == 429 or status >= 500


def backoff_seconds(retry: int, retry_after: str | None, *, base: float, cap: float) -> float:
    """Seconds to wait before retry number ``retry`` (0 for the first), at most ``cap``."""
    asked = parse_retry_after(retry_after)
    if asked is not None:
        return min(asked, cap)
    ceiling = min(cap, base * 2.0**retry)
    # "Equal jitter": at least half the backoff, so workers that failed together spread out.
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After in seconds: either a number of seconds or an HTTP date; None if absent or unreadable.

    >>> parse_retry_after("120"), parse_retry_after("soon")
    (120.0, None)
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
