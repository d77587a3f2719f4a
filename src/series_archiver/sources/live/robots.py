"""robots.txt: read once per origin and ``Fetcher``, parsed with protego, asked before every hop.

What a robots.txt answer means follows RFC 9309: read (2xx) gives its rules and its
Crawl-delay / Request-rate, which lengthen the host's delay; missing (4xx) allows all;
unreachable or 5xx/429 closes the site for this pass (a ``Fetcher`` lives for one
pass, so the next pass asks again); one that cannot be used (off the allowed hosts,
too many redirects) allows all, with a note. Groups are matched on the product token
of the User-Agent.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from protego import Protego

from series_archiver.errors import FetchError
from series_archiver.read.response import REDIRECT_STATUSES
from series_archiver.sources.http import HostGates
from series_archiver.sources.live.exchange import Reply

__all__ = ["RobotsRules", "origin", "robots_token"]

log = logging.getLogger(__name__)

_ROBOTS_MAX_REDIRECTS = 5
_ROBOTS_MAX_BYTES = 512 * 1024  # Google reads the first 500 KiB; no honest robots.txt is bigger
_CLOSED = "the site is treated as closed to crawlers until it can be read (RFC 9309)"
_OVERRIDE = "set fetch.respect_robots = false only with the site's permission"

# One GET of a robots.txt URL, reading at most that many bytes of body; may raise FetchError.
Get = Callable[[str, int], Reply]


def robots_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched on, as RFC 9309 asks.

    >>> robots_token("series-archiver/0.1 (+https://example.org/contact)")
    'series-archiver'
    """
    return re.split(r"[/\s;(]", user_agent.strip(), maxsplit=1)[0]


def origin(url: httpx.URL) -> str:
    """``scheme://host[:port]``: what one robots.txt covers.

    >>> origin(httpx.URL("http://127.0.0.1:8080/news/1.html?x=1"))
    'http://127.0.0.1:8080'
    """
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


@dataclass(frozen=True)
class _Verdict:
    """What one origin's robots.txt says: its rules, or why there are none and whether the site is closed."""

    parser: Protego | None = None
    note: str | None = None
    closed: bool = False  # unreachable or 5xx: assume complete disallow (RFC 9309 2.3.1.4)


@dataclass
class _Origin:
    lock: threading.Lock = field(default_factory=threading.Lock)  # the first caller reads; the others wait
    verdict: _Verdict | None = None  # None until read


class RobotsRules:
    """The robots.txt of every origin one ``Fetcher`` meets; safe to share between threads."""

    def __init__(self, token: str, *, host_allowed: Callable[[str], bool], gates: HostGates, get: Get) -> None:
        self.token = token
        self._host_allowed = host_allowed
        self._gates = gates
        self._get = get
        self._lock = threading.Lock()  # guards the dict, not what is in it
        self._origins: dict[str, _Origin] = {}

    def refusal(self, url: httpx.URL) -> str | None:
        """Why robots.txt keeps ``url`` from being fetched this pass, or None if it may be."""
        verdict = self._verdict(url)
        if verdict.closed:
            return f"{verdict.note}; it is not fetched this pass ({_OVERRIDE})"
        if verdict.parser is not None and not verdict.parser.can_fetch(str(url), self.token):
            return f"robots.txt of {origin(url)} disallows it for {self.token!r}; it is not fetched ({_OVERRIDE})"
        return None

    @property
    def notes(self) -> dict[str, str]:
        """Origins whose robots.txt could not be read, with why (allow-all, or closed this pass)."""
        with self._lock:
            return {
                name: o.verdict.note for name, o in self._origins.items() if o.verdict is not None and o.verdict.note
            }

    def _verdict(self, url: httpx.URL) -> _Verdict:
        name = origin(url)
        with self._lock:
            entry = self._origins.setdefault(name, _Origin())
        with entry.lock:
            if entry.verdict is None:
                verdict = self._load(url)
                if verdict.note:
                    log.warning("%s: %s", name, verdict.note)
                if verdict.parser is not None:
                    self._gates.gate(url.host).raise_delay(self._crawl_delay(verdict.parser))
                # Published last: notes() reads verdicts without taking the origin's lock.
                entry.verdict = verdict
            return entry.verdict

    def _crawl_delay(self, parser: Protego) -> float:
        delay = parser.crawl_delay(self.token) or 0.0
        rate = parser.request_rate(self.token)
        if rate is not None and rate.requests:
            delay = max(delay, rate.seconds / rate.requests)
        return float(delay)

    def _load(self, url: httpx.URL) -> _Verdict:
        """Read robots.txt of ``url``'s origin, following its redirects on the allowed hosts."""
        robots_url = url.copy_with(path="/robots.txt", query=None, fragment=None)
        for _ in range(_ROBOTS_MAX_REDIRECTS + 1):
            if robots_url.scheme not in ("http", "https") or not self._host_allowed(robots_url.host):
                return _Verdict(note=f"robots.txt redirects off the allowed hosts ({robots_url}); treated as allow-all")
            try:
                with self._gates.slot(robots_url.host):
                    reply = self._get(str(robots_url), _ROBOTS_MAX_BYTES)
            except FetchError as exc:
                reply = Reply.none(str(robots_url), robots_url.host, exc)
            if reply.error is not None:
                return _Verdict(note=f"robots.txt could not be read ({reply.error.message}); {_CLOSED}", closed=True)
            location = reply.headers.get("location")
            if reply.status in REDIRECT_STATUSES and location:
                try:
                    robots_url = robots_url.join(location)
                except httpx.InvalidURL:
                    return _Verdict(note=f"robots.txt redirects to an invalid Location {location!r}; treated as allow-all")
                continue
            if 200 <= reply.status < 300:
                return _Verdict(parser=Protego.parse(reply.content.decode("utf-8", errors="replace")))
            if reply.status == 429 or reply.status >= 500:
                return _Verdict(note=f"robots.txt answered HTTP {reply.status}; {_CLOSED}", closed=True)
            return _Verdict()  # 4xx: there is no robots.txt, so everything is allowed (RFC 9309 2.3.1.3)
        return _Verdict(note=f"robots.txt redirects more than {_ROBOTS_MAX_REDIRECTS} times; treated as allow-all")
