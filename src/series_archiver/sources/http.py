"""The one HTTP layer every service is spoken to through: the live sites, a web archive, Save Page Now.

- ``user_agent`` and ``open_client``: the one ``httpx.Client`` recipe, so every request names
  the project and its contact, keeps ``fetch.timeout_seconds`` and follows no redirect
  (each caller decides what a redirect means); ``transport`` reaches a replica in tests;
- ``is_retried``, ``is_retried_status``, ``backoff_seconds``, ``parse_retry_after``: which
  failures are tried again, and the one backoff (capped, doubling, "equal jitter", or what
  Retry-After asks, under the same cap);
- ``HostGates``: per-host (or per-endpoint) politeness: at most ``max_in_flight`` requests
  at once, each started ``delay`` seconds after the previous start *and* after the end of
  the previous response, so a slow answer never shortens the quiet gap the site sees;
- (``inflight.py``: one request that a ``stop`` event abandons within a fraction of a
  second, and that is never sent once ``stop`` is set.)

Every wait goes through an injectable ``sleep`` and ``clock``, so tests record waits
instead of waiting.
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx

from series_archiver.errors import FetchError, NetworkError, PassInterrupted, TruncatedBody
from series_archiver.settings import FetchSettings

__all__ = [
    "user_agent",
    "open_client",
    "is_retried",
    "is_retried_status",
    "backoff_seconds",
    "parse_retry_after",
    "FairSlots",
    "HostGate",
    "HostGates",
]

# -- the client ---------------------------------------------------------------------------------


def user_agent(fetch: FetchSettings) -> str:
    """``fetch.user_agent`` with ``fetch.contact`` appended (unless it already names it).

    >>> user_agent(FetchSettings(user_agent="series-archiver/0.3", contact="https://example.org/about"))
    'series-archiver/0.3; https://example.org/about'
    """
    agent = fetch.user_agent.strip()
    contact = fetch.contact.strip()
    if contact and contact not in agent:
        agent = f"{agent}; {contact}"
    return agent


def open_client(
    fetch: FetchSettings,
    *,
    headers: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An ``httpx.Client`` as every service is asked: one User-Agent, ``fetch.timeout_seconds``, no redirect followed.

    ``headers`` are the service's own (Accept, Accept-Encoding, Authorization); they
    cannot replace the User-Agent.
    """
    client = httpx.Client(
        transport=transport,
        headers={**(headers or {}), "User-Agent": user_agent(fetch)},
        timeout=httpx.Timeout(fetch.timeout_seconds),
        follow_redirects=False,
    )
    client._cookies = _SetCookies(client.cookies)  # (httpx has no public way to give a client its jar's class)
    return client


class _SetCookies(httpx.Cookies):
    """httpx's cookies, looked for only in an answer that sets one.

    httpx hands every response to ``http.cookiejar``, wrapped in a ``urllib`` request it builds
    for the purpose, which finds nothing when there is no ``Set-Cookie`` (or ``Set-Cookie2``)
    header: 7% of a re-check pass's CPU (a 304 apiece). Cookies set are kept and sent as before.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        if "set-cookie" in response.headers or "set-cookie2" in response.headers:
            super().extract_cookies(response)


# -- retries and the backoff ----------------------------------------------------------------------

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
    """Seconds to wait before retry number ``retry`` (0 for the first), at most ``cap``.

    What Retry-After asks, if it is readable; else ``base`` doubling with each retry, of
    which at least half is waited ("equal jitter"), so clients that failed together spread out.
    """
    asked = parse_retry_after(retry_after)
    if asked is not None:
        return min(asked, cap)
    ceiling = min(cap, base * 2.0 ** max(0, retry))
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


# -- per-host politeness ----------------------------------------------------------------------------


class FairSlots:
    """At most ``n`` holders at once, the waiters let in in the order they came.

    A slot given back goes to the thread that has waited longest, handed over before any other
    thread can take it: with ``threading.Semaphore`` a thread that gives a slot back and asks
    again at once (a fetch worker going on to its next URL) takes it again before the waiter,
    woken but not yet running, can, and the crawl's own list pages waited behind a whole run
    of re-checks.
    """

    def __init__(self, n: int) -> None:
        self._lock = threading.Lock()
        self._free = n
        self._n = n
        self._waiters: deque[threading.Lock] = deque()

    def __enter__(self) -> None:
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        try:
            turn.acquire()  # released by the holder whose slot this thread is handed
        except BaseException:  # a signal handler raised (KeyboardInterrupt) while waiting
            with self._lock:
                handed = turn not in self._waiters
                if not handed:
                    self._waiters.remove(turn)
            if handed:
                self.__exit__()
            raise

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()
            elif self._free < self._n:
                self._free += 1
            else:
                raise ValueError("a slot given back that was never taken")


class HostGate:
    """One host: a cap on requests in flight, and the earliest time the next one may start.

    A start is counted when the request is let go (``admit``), an end when its response
    has been read or has failed (``ended``); the next start is ``delay`` after the later
    of the two. A site therefore sees at least ``delay`` of quiet between the end of one
    answer and the next request, however slowly the answer came.
    """

    def __init__(self, delay: float, max_in_flight: int) -> None:
        self.slots = FairSlots(max_in_flight)
        self._lock = threading.Lock()
        self._delay = delay
        self._last: float | None = None  # the latest start or end seen
        self._next_start: float | None = None

    def admit(self, now: float) -> float:
        """0 if a request may start at ``now`` (and it is counted as started), else how long to wait first."""
        with self._lock:
            if self._next_start is not None and self._next_start > now:
                return self._next_start - now
            self._last = now
            self._next_start = now + self._delay
            return 0.0

    def ended(self, now: float) -> None:
        """A response from this host ended (read or failed) at ``now``: the next start is a delay after it."""
        with self._lock:
            self._last = now if self._last is None else max(self._last, now)
            self._next_start = max(self._next_start or now, now + self._delay)

    def raise_delay(self, seconds: float) -> None:
        """A longer delay (Crawl-delay) counts from the request already made, robots.txt itself."""
        with self._lock:
            self._delay = max(self._delay, seconds)
            if self._last is not None and self._next_start is not None:
                self._next_start = max(self._next_start, self._last + self._delay)

    def hold_off(self, until: float) -> None:
        """No request to this host starts before ``until`` (a clock reading)."""
        with self._lock:
            if self._next_start is None or until > self._next_start:
                self._next_start = until


class HostGates:
    """The gates of every host (or endpoint) one client meets; safe to share between threads.

    ``sleep`` defaults to waiting on ``stop`` when there is one, so a stop ends a
    politeness wait at once; once ``stop`` is set no slot is given, and nothing is sent.
    A fake ``sleep`` must move the fake ``clock`` on.
    """

    def __init__(
        self,
        delay: float,
        max_in_flight: int,
        *,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        stop: threading.Event | None = None,
    ) -> None:
        self._delay = delay
        self._max_in_flight = max_in_flight
        self._sleep = sleep if sleep is not None else (time.sleep if stop is None else stop.wait)
        self._clock = clock
        self._stop = stop
        self._lock = threading.Lock()  # guards the dict, not the gates in it
        self._gates: dict[str, HostGate] = {}

    def gate(self, host: str) -> HostGate:
        with self._lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = self._gates[host] = HostGate(self._delay, self._max_in_flight)
            return gate

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Wait for a slot on ``host`` and for its next start; hold the slot inside; the block's end is the response's."""
        gate = self.gate(host)
        with gate.slots:
            # Asked again after each wait: with more than one in flight, a response may end meanwhile.
            while (wait := gate.admit(self._clock())) > 0:
                self._check_stop(f"while waiting to ask {host}")
                self._sleep(wait)
            self._check_stop(f"before asking {host}")
            try:
                yield
            finally:
                gate.ended(self._clock())

    def hold_off(self, host: str, seconds: float) -> None:
        """Trouble on one URL is a sign the server is struggling: the whole host waits, not just one URL."""
        self.gate(host).hold_off(self._clock() + seconds)

    def _check_stop(self, when: str) -> None:
        if self._stop is not None and self._stop.is_set():
            raise PassInterrupted(f"stop requested {when}")
