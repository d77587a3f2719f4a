"""What to witness, and when to ask: pure functions of values, no I/O.

- ``witness_requests``: the committed events of one URL's recording become
  at most one capture request for that URL (a return with a new text is one
  capture, witnessing both); a removal asks ``capture_all`` so the 404 itself
  is captured.
- ``is_transient``: which ``status_ext`` refusals are about the moment
  (the service or the site busy) and asked again later, after the one
  backoff (``sources.http.backoff_seconds``); every other one is about the
  page and recorded for good.
- ``next_submit_at``: the rate limit, as a sliding minute over the stored
  submission times, so it holds across passes and processes.
- ``not_archived_within``: an existing capture stands for the witness only if
  it was made after the change was seen (so it shows the new text, not the
  one before the edit), and at most ``[witness] if_not_archived_within`` ago.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from series_archiver.models import Event, WitnessRequest

__all__ = [
    "SERVICE",
    "TRANSIENT_STATUS_EXT",
    "WitnessRequest",
    "archived_url",
    "is_transient",
    "next_submit_at",
    "not_archived_within",
    "parse_timestamp",
    "witness_requests",
]

SERVICE = "spn2"

# Events worth a witness, most telling first: a text is what the archive exists to keep,
# a removal what it exists to show.
_RANK = {"new_article": 0, "new_version": 0, "restored": 0, "gone": 1, "back": 2}
_CAPTURE_ALL = frozenset({"gone"})

# Refusals about the moment, not the page (the SPN2 documentation's error table):
# the service, its browsers or the site are busy or slow; asked again later.
TRANSIENT_STATUS_EXT = frozenset(
    {
        "error:bad-gateway",
        "error:bandwidth-limit-exceeded",
        "error:browsing-timeout",
        "error:cannot-fetch",
        "error:capture-location-error",
        "error:celery",
        "error:gateway-timeout",
        "error:internal-server-error",
        "error:invalid-server-response",
        "error:job-failed",
        "error:max-daily-bandwidth",
        "error:max-daily-bandwidth-from-ip",
        "error:max-daily-bandwidth-host",
        "error:no-browsers-available",
        "error:protocol-error",
        "error:proxy-error",
        "error:read-timeout",
        "error:service-unavailable",
        "error:soft-time-limit-exceeded",
        "error:too-many-daily-captures",
        "error:too-many-requests",
        "error:user-session-limit",
        # Not the service's: the request did not get an answer (network error, 5xx, 429).
        "network",
        "rate-limited",
    }
)




def witness_requests(events: Iterable[Event]) -> list[WitnessRequest]:
    """One request per URL among ``events``, for the most telling of its events; others ask nothing.

    >>> [r.kind for r in witness_requests([Event("back", 1, "u", "t"), Event("new_version", 1, "u", "t", 2)])]
    ['new_version']
    >>> witness_requests([Event("gone", 1, "u", "t")])[0].capture_all
    True
    """
    best: dict[str, Event] = {}
    for event in events:
        if event.kind not in _RANK:
            continue
        held = best.get(event.url)
        if held is None or _RANK[event.kind] < _RANK[held.kind]:
            best[event.url] = event
    return [WitnessRequest(e.kind, e.article_id, e.url, e.version, e.kind in _CAPTURE_ALL) for e in best.values()]


def is_transient(status_ext: str | None) -> bool:
    """True for a refusal worth asking again later; False for one about the page (blocked, not found, …)."""
    return status_ext in TRANSIENT_STATUS_EXT


def next_submit_at(recent: Sequence[datetime], now: datetime, per_minute: float) -> datetime:
    """When the next capture may be asked for: ``now``, or when the oldest of the last minute's leaves it.

    ``recent`` are the submission times of the last minute (any order).

    >>> t = datetime(2025, 12, 19, tzinfo=UTC)
    >>> next_submit_at([t, t + timedelta(seconds=10)], t + timedelta(seconds=20), 2) == t + timedelta(seconds=61)
    True
    """
    # Times are stored to the second: a minute of 61 s keeps the true minute whatever was cut off.
    minute = timedelta(seconds=61)
    window = sorted(r for r in recent if r > now - minute)
    allowed = max(1, int(per_minute))
    if len(window) < allowed:
        return now
    return window[len(window) - allowed] + minute


def not_archived_within(requested_at: datetime, now: datetime, cap_seconds: int) -> int:
    """Seconds to send as ``if_not_archived_within``: the time since the change was seen, at most the cap.

    At least 1: SPN2 reads an empty or zero value as its default, an hour.

    >>> t = datetime(2025, 12, 19, tzinfo=UTC)
    >>> not_archived_within(t, t + timedelta(seconds=90), 3600), not_archived_within(t, t, 3600)
    (90, 1)
    """
    return max(1, min(cap_seconds, int((now - requested_at).total_seconds())))


def archived_url(endpoint: str, timestamp: str, original_url: str) -> str:
    """``<endpoint>/web/<timestamp>/<original_url>``, where the capture is replayed."""
    return f"{endpoint.rstrip('/')}/web/{timestamp}/{original_url}"


def parse_timestamp(timestamp: str) -> datetime | None:
    """A Wayback timestamp (``20251219031500``) as a UTC time; None when it is not one.

    >>> parse_timestamp("20251219031500").isoformat(), parse_timestamp("soon")
    ('2025-12-19T03:15:00+00:00', None)
    """
    try:
        return datetime.strptime(timestamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None
