"""Per-host politeness: how many requests may be in flight at once, and how far apart they start.

Every request, robots.txt included, runs in a host slot: at most ``max_in_flight``
at once, starts at least ``delay`` seconds apart. The delay can only grow (a longer
Crawl-delay), and a retry holds off the whole host. ``sleep`` and ``clock`` are
injected so tests record waits instead of waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["HostGate", "HostGates"]


class HostGate:
    """One host: a cap on requests in flight and a minimum gap between their starts."""

    def __init__(self, delay: float, max_in_flight: int) -> None:
        self.slots = threading.BoundedSemaphore(max_in_flight)
        self._lock = threading.Lock()
        self._delay = delay
        self._last_start: float | None = None
        self._next_start: float | None = None

    def reserve(self, now: float) -> float:
        """Book the next start time; return how long to wait for it."""
        with self._lock:
            start = now if self._next_start is None else max(now, self._next_start)
            self._last_start = start
            self._next_start = start + self._delay
            return start - now

    def raise_delay(self, seconds: float) -> None:
        """A longer delay (Crawl-delay) counts from the request already made, robots.txt itself."""
        with self._lock:
            self._delay = max(self._delay, seconds)
            if self._last_start is not None and self._next_start is not None:
                self._next_start = max(self._next_start, self._last_start + self._delay)

    def hold_off(self, until: float) -> None:
        """No request to this host starts before ``until`` (a clock reading)."""
        with self._lock:
            if self._next_start is None or until > self._next_start:
                self._next_start = until


class HostGates:
    """The gates of every host one ``Fetcher`` meets; safe to share between threads."""

    def __init__(
        self, delay: float, max_in_flight: int, *, sleep: Callable[[float], None], clock: Callable[[], float]
    ) -> None:
        self._delay = delay
        self._max_in_flight = max_in_flight
        self._sleep = sleep
        self._clock = clock
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
        """Wait for a slot on ``host`` and for its next start time; hold the slot inside."""
        gate = self.gate(host)
        # Take the in-flight slot before booking a start time, so a booking is never stale.
        with gate.slots:
            wait = gate.reserve(self._clock())
            if wait > 0:
                self._sleep(wait)
            yield

    def hold_off(self, host: str, seconds: float) -> None:
        """Trouble on one URL is a sign the server is struggling: the whole host waits, not just one URL."""
        self.gate(host).hold_off(self._clock() + seconds)
