"""The fetch stage: one URL in, one ``FetchedPage`` out, politely and faithfully.

A fetch goes through these gates, in order, for the URL and every redirect hop:

1. the host must be on ``fetch.allowed_hosts``           else ``HostNotAllowed``, nothing sent;
2. robots.txt of the host (read once per ``Fetcher``)     else ``RobotsDisallowed``, nothing sent;
3. a per-host slot: at most ``max_in_flight_per_host`` requests at once, starts at least
   ``delay_seconds`` (or the site's Crawl-delay, whichever is longer) apart;
4. the request, retried on timeouts, resets, broken bodies, 5xx and 429 with capped
   exponential backoff and jitter, honouring Retry-After; a retry holds off the whole host.

A 200 body is streamed and bounded by ``max_bytes`` of *decoded* bytes (a gzip bomb stops
early), checked against Content-Length, refused unless it is HTML, and decoded strictly.
Everything else raises a ``FetchError`` carrying one ``Attempt`` per request made.
"""

from __future__ import annotations

import codecs
import email.utils
import logging
import random
import re
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, Self

import charset_normalizer
import httpx
from protego import Protego

from ..errors import (
    FetchError,
    GoneError,
    HostNotAllowed,
    HTTPStatusError,
    NetworkError,
    NotHTML,
    RobotsDisallowed,
    TooLarge,
    TruncatedBody,
    UndecodableText,
)
from ..models import Attempt, FetchedPage
from ..sites import has_article_id
from ..settings import FetchSettings

try:
    import brotli  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover - brotli is a dependency, but br is only advertised if it imports
    brotli = None

__all__ = ["MAX_REDIRECTS", "Fetcher"]

log = logging.getLogger(__name__)

MAX_REDIRECTS = 10
_ROBOTS_MAX_REDIRECTS = 5
_ROBOTS_MAX_BYTES = 512 * 1024  # Google reads the first 500 KiB; no honest robots.txt is bigger
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_GONE_STATUSES = frozenset({404, 410})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_DRAIN_MAX_BYTES = 64 * 1024  # bodies of non-200 answers read to keep the connection (see _drain)
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
_ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
_RETRYABLE_ERRORS = (NetworkError, TruncatedBody)
_DECODE_ERRORS: tuple[type[Exception], ...] = (zlib.error,) + ((brotli.error,) if brotli is not None else ())


class Fetcher:
    """Fetches pages for the pipeline; safe to share between worker threads.

    ``sleep`` and ``clock`` are injectable so tests can record waits instead of waiting.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._clock = clock
        self.user_agent = _user_agent(settings)
        # robots.txt groups are matched on the product token ("series-archiver"), as RFC 9309 asks.
        self._robots_token = re.split(r"[/\s;(]", self.user_agent.strip(), maxsplit=1)[0]
        self._client = httpx.Client(
            transport=transport,
            headers={"User-Agent": self.user_agent, "Accept": _ACCEPT, "Accept-Encoding": _ACCEPT_ENCODING},
            timeout=httpx.Timeout(settings.timeout_seconds),
            follow_redirects=False,  # every hop must pass the host and robots gates first
        )
        self._lock = threading.Lock()  # guards the two dicts below, not what is in them
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, _Robots] = {}

    # -- public API ---------------------------------------------------------------------------

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchedPage:
        """GET ``url``: a 200 page, or a 304 when ``etag`` / ``last_modified`` still match."""
        attempts = _Attempts()
        conditional = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        try:
            return self._follow(url, conditional, attempts)
        except FetchError as exc:
            raise exc.with_attempts(attempts.items)

    @property
    def robots_notes(self) -> dict[str, str]:
        """Origins whose robots.txt could not be read, with why (allow-all, or closed this pass)."""
        with self._lock:
            return {origin: r.note for origin, r in self._robots.items() if r.note}

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- one fetch: hops, retries, attempts -----------------------------------------------------

    def _follow(self, asked: str, conditional: dict[str, str], attempts: _Attempts) -> FetchedPage:
        current = asked
        redirects: list[str] = []
        for _ in range(MAX_REDIRECTS + 1):
            url = self._admit(asked, current, attempts)
            reply = self._get_with_retries(asked, url, conditional, attempts)
            if reply.status not in _REDIRECT_STATUSES:
                return self._page(asked, reply, redirects, attempts)
            current = self._next_hop(asked, reply, attempts)
            redirects.append(current)
        raise HTTPStatusError(
            asked,
            reply.status,
            f"more than {MAX_REDIRECTS} redirects (last to {current}); the site is looping, open the URL in a browser",
        )

    def _admit(self, asked: str, url: str, attempts: _Attempts) -> str:
        """Refuse, without sending anything, a URL off the allowed hosts or forbidden by robots.txt."""
        parsed, problem = self._parse_allowed(url)
        if parsed is None:
            attempts.add(url, status=None, outcome="refused", error=problem)
            raise HostNotAllowed(asked, _at(asked, url) + problem)

        if self._settings.respect_robots:
            robots = self._robots_for(parsed)
            if robots.closed:
                message = f"{robots.note}; it is not fetched this pass (set fetch.respect_robots = false only with the site's permission)"
                attempts.add(url, status=None, outcome="skipped", error=message)
                raise RobotsDisallowed(asked, _at(asked, url) + message)
            if robots.parser is not None and not robots.parser.can_fetch(str(parsed), self._robots_token):
                message = (
                    f"robots.txt of {_origin(parsed)} disallows it for {self._robots_token!r}; it is not fetched "
                    "(set fetch.respect_robots = false only with the site's permission)"
                )
                attempts.add(url, status=None, outcome="skipped", error=message)
                raise RobotsDisallowed(asked, _at(asked, url) + message)
        return str(parsed)

    def _parse_allowed(self, url: str) -> tuple[httpx.URL | None, str]:
        """The parsed URL, or None and why it is refused."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            return None, f"is not a valid URL ({exc}); fix the link where it was found"
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return None, "is not an http(s) URL; only web pages are fetched"
        if not self._settings.host_allowed(parsed.host):
            return None, (
                f"host {parsed.host!r} is not in fetch.allowed_hosts; add it there if it really belongs to the series"
            )
        return parsed, ""

    def _get_with_retries(self, asked: str, url: str, conditional: dict[str, str], attempts: _Attempts) -> _Reply:
        """One URL (``asked`` or a redirect hop of it), no redirects followed: a 200, 304 or 3xx reply.

        Errors are raised for ``asked``, naming the hop if it is one: the pipeline logs per URL asked.
        """
        tries = self._settings.retries + 1
        for n in range(1, tries + 1):
            reply, error, record = self._try_once(url, conditional)
            retry_after: str | None = None
            if error is not None:
                if not isinstance(error, _RETRYABLE_ERRORS) or n == tries:
                    attempts.add(url, **record, outcome=_outcome_of(error), error=error.message)
                    raise _restated(error, asked, n)
                why = error.message
            elif reply.status == 429 or reply.status >= 500:
                if n == tries:
                    message = (
                        f"HTTP {reply.status} {reply.reason} after {n} attempts; the site is struggling or "
                        "throttling us, it is retried on the next pass (raise fetch.delay_seconds if it persists)"
                    )
                    attempts.add(url, **record, outcome="error", error=message)
                    raise HTTPStatusError(asked, reply.status, _at(asked, url) + message)
                why = f"HTTP {reply.status} {reply.reason}"
                retry_after = reply.headers.get("retry-after")
            else:
                return self._settle(asked, reply, record, conditional, attempts)

            wait = self._backoff(n - 1, retry_after)
            attempts.add(url, **record, outcome="retry", error=f"{why}; retrying in {wait:.2f}s")
            log.info("%s: %s; retry %d of %d in %.2fs", url, why, n, tries - 1, wait)
            # Trouble on one URL is a sign the server is struggling: the whole host waits, not just us.
            self._gate(reply.host).hold_off(self._clock() + wait)
        raise AssertionError("unreachable: the last try returns or raises")

    def _settle(
        self, asked: str, reply: _Reply, record: dict[str, Any], conditional: dict[str, str], attempts: _Attempts
    ) -> _Reply:
        """Record a reply that is not retried; return it if it is a page, a 304 or a redirect."""
        url, status = reply.url, reply.status
        if status == 200 or status in _REDIRECT_STATUSES:
            attempts.add(url, **record, outcome="ok")
            return reply
        if status == 304 and conditional:
            attempts.add(url, **record, outcome="not_modified")
            return reply
        if status in _GONE_STATUSES:
            message = f"HTTP {status} {reply.reason}: the page is gone; the article is marked gone, its versions kept"
            attempts.add(url, **record, outcome="gone", error=message)
            raise GoneError(asked, status, _at(asked, url) + message, reason=reply.reason)
        message = f"HTTP {status} {reply.reason}, not retried"
        if status in (401, 403):
            message += (
                "; check in a browser whether the site blocks the crawler (fetch.user_agent, fetch.delay_seconds)"
            )
        elif status == 304:
            message += "; the server answered 304 to a request that was not conditional"
        attempts.add(url, **record, outcome="error", error=message)
        raise HTTPStatusError(asked, status, _at(asked, url) + message)

    def _try_once(self, url: str, conditional: dict[str, str]) -> tuple[_Reply, FetchError | None, dict[str, Any]]:
        """One request in a host slot.

        A failure is returned, not raised, with what the attempt record needs (status, timing,
        bytes); the reply is a stand-in with status 0 when no response came at all.
        """
        host = httpx.URL(url).host
        with self._slot(host):
            started_at, t0 = _utcnow(), self._clock()
            try:
                reply = self._exchange(url, conditional, body_limit=self._settings.max_bytes, html_only=True)
            except FetchError as exc:
                reply = _Reply.none(url, host, exc)
            elapsed_ms = (self._clock() - t0) * 1000
        if reply.error is None and reply.status == 200:
            try:
                _decode_page(reply)  # CPU work: done after the slot is given back
            except FetchError as exc:
                reply.error = exc
        record = {
            "started_at": started_at,
            "status": reply.status or None,
            "elapsed_ms": elapsed_ms,
            "bytes_": reply.raw_bytes or getattr(reply.error, "received", 0),
        }
        return reply, reply.error, record

    def _exchange(self, url: str, headers: dict[str, str], *, body_limit: int, html_only: bool) -> _Reply:
        """Send one GET; read the body only for a 200. A failed body is kept in ``.error``."""
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                content, raw, error = b"", 0, None
                if response.status_code == 200:
                    try:
                        if html_only:
                            _refuse_non_html(url, response.headers)
                        content, raw = _read_body(url, response, body_limit)
                    except FetchError as exc:
                        error = exc
                else:
                    _drain(response)
                return _Reply(
                    url=url,
                    host=response.url.host,
                    status=response.status_code,
                    reason=response.reason_phrase,
                    headers=response.headers,
                    request_headers=_header_pairs(response.request.headers),
                    response_headers=_header_pairs(response.headers),
                    http_version=response.http_version,
                    content=content,
                    raw_bytes=raw,
                    error=error,
                )
        except httpx.TimeoutException as exc:
            raise NetworkError(
                url,
                f"timed out after {self._settings.timeout_seconds:g}s ({type(exc).__name__}); "
                "check the connection, or raise fetch.timeout_seconds if the site is slow",
            ) from exc
        except httpx.TransportError as exc:
            raise NetworkError(
                url, f"connection failed ({_describe(exc)}); check the network and that the site is up"
            ) from exc

    def _next_hop(self, asked: str, reply: _Reply, attempts: _Attempts) -> str:
        location = reply.headers.get("location", "").strip()
        if not location:
            message = f"HTTP {reply.status} redirect without a Location header; open the URL in a browser"
            attempts.relabel_last("error", message)
            raise HTTPStatusError(asked, reply.status, message)
        try:
            target = str(httpx.URL(reply.url).join(location))
        except httpx.InvalidURL:
            message = f"HTTP {reply.status} redirect to an invalid Location {location!r}; open the URL in a browser"
            attempts.relabel_last("error", message)
            raise HTTPStatusError(asked, reply.status, message) from None
        if has_article_id(asked) and not has_article_id(target):
            # takungpao answers a removed article with a redirect to the home or column page
            message = (
                f"redirected to {target}, a home or list page, not an article: the article was taken down; "
                "it is marked gone, its versions kept"
            )
            attempts.relabel_last("gone", message)
            raise GoneError(asked, reply.status, message, target=target)
        return target

    def _page(self, asked: str, reply: _Reply, redirects: list[str], attempts: _Attempts) -> FetchedPage:
        return FetchedPage(
            url=asked,
            final_url=reply.url,
            status=reply.status,
            fetched_at=attempts.items[-1].started_at,
            content=reply.content,
            text=reply.text,
            encoding=reply.encoding,
            content_type=reply.content_type,
            request_headers=reply.request_headers,
            response_headers=reply.response_headers,
            http_version=reply.http_version,
            redirects=tuple(redirects),
            attempts=tuple(attempts.items),
        )

    def _backoff(self, retry: int, retry_after: str | None) -> float:
        cap = self._settings.backoff_max_seconds
        asked = _parse_retry_after(retry_after)
        if asked is not None:
            return min(asked, cap)
        ceiling = min(cap, self._settings.backoff_base_seconds * 2.0**retry)
        # "Equal jitter": at least half the backoff, so workers that failed together spread out.
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    # -- politeness -----------------------------------------------------------------------------

    def _gate(self, host: str) -> _HostGate:
        with self._lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = self._gates[host] = _HostGate(
                    self._settings.delay_seconds, self._settings.max_in_flight_per_host
                )
            return gate

    @contextmanager
    def _slot(self, host: str) -> Iterator[None]:
        gate = self._gate(host)
        # Take the in-flight slot before booking a start time, so a booking is never stale.
        with gate.slots:
            wait = gate.reserve(self._clock())
            if wait > 0:
                self._sleep(wait)
            yield

    def _robots_for(self, url: httpx.URL) -> _Robots:
        origin = _origin(url)
        with self._lock:
            robots = self._robots.setdefault(origin, _Robots())
        with robots.lock:  # the first caller reads it; the others wait for that one read
            if not robots.loaded:
                robots.parser, robots.note, robots.closed = self._load_robots(url)
                robots.loaded = True
                if robots.note:
                    log.warning("%s: %s", origin, robots.note)
                if robots.parser is not None:
                    self._gate(url.host).raise_delay(self._robots_delay(robots.parser))
        return robots

    def _robots_delay(self, parser: Protego) -> float:
        delay = parser.crawl_delay(self._robots_token) or 0.0
        rate = parser.request_rate(self._robots_token)
        if rate is not None and rate.requests:
            delay = max(delay, rate.seconds / rate.requests)
        return float(delay)

    def _load_robots(self, url: httpx.URL) -> tuple[Protego | None, str | None, bool]:
        """robots.txt of ``url``'s origin: (parser, note, closed).

        (parser, None, False) when read; (None, None, False) when there is none
        (4xx: allow all); (None, why, False) when unusable (allow all, noted);
        (None, why, True) when unreachable or 5xx/429 (closed this pass).
        """
        robots_url = url.copy_with(path="/robots.txt", query=None, fragment=None)
        for _ in range(_ROBOTS_MAX_REDIRECTS + 1):
            if robots_url.scheme not in ("http", "https") or not self._settings.host_allowed(robots_url.host):
                return None, f"robots.txt redirects off the allowed hosts ({robots_url}); treated as allow-all", False
            try:
                with self._slot(robots_url.host):
                    reply = self._exchange(str(robots_url), {}, body_limit=_ROBOTS_MAX_BYTES, html_only=False)
            except FetchError as exc:
                reply = _Reply.none(str(robots_url), robots_url.host, exc)
            if reply.error is not None:
                return None, f"robots.txt could not be read ({reply.error.message}); {_CLOSED}", True
            location = reply.headers.get("location")
            if reply.status in _REDIRECT_STATUSES and location:
                try:
                    robots_url = robots_url.join(location)
                except httpx.InvalidURL:
                    return None, f"robots.txt redirects to an invalid Location {location!r}; treated as allow-all", False
                continue
            if 200 <= reply.status < 300:
                return Protego.parse(reply.content.decode("utf-8", errors="replace")), None, False
            if reply.status == 429 or reply.status >= 500:
                return None, f"robots.txt answered HTTP {reply.status}; {_CLOSED}", True
            return None, None, False  # 4xx: there is no robots.txt, so everything is allowed (RFC 9309 2.3.1.3)
        return None, f"robots.txt redirects more than {_ROBOTS_MAX_REDIRECTS} times; treated as allow-all", False


# -- small value holders ------------------------------------------------------------------------


@dataclass
class _Reply:
    """One HTTP response, its body read (200) or not (anything else)."""

    url: str
    host: str
    status: int
    reason: str
    headers: httpx.Headers
    request_headers: tuple[tuple[str, str], ...]
    response_headers: tuple[tuple[str, str], ...]
    http_version: str
    content: bytes
    raw_bytes: int
    error: FetchError | None = None  # the body failed: too large, truncated, not HTML, undecodable
    text: str = ""
    encoding: str = ""
    content_type: str = ""

    @classmethod
    def none(cls, url: str, host: str, error: FetchError) -> _Reply:
        """Stands for a response that never came (timeout, refused or reset connection)."""
        empty = httpx.Headers()
        return cls(url, host, 0, "", empty, (), (), "", b"", 0, error)


class _Attempts:
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
                started_at=started_at or _utcnow(),
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


# RFC 9309 2.3.1.4: a robots.txt that cannot be reached or answers 5xx means the
# crawler must assume complete disallow. The Fetcher lives for one pass, so the
# next pass asks again.
_CLOSED = "the site is treated as closed to crawlers until it can be read (RFC 9309)"


@dataclass
class _Robots:
    lock: threading.Lock = field(default_factory=threading.Lock)
    parser: Protego | None = None
    loaded: bool = False
    note: str | None = None
    closed: bool = False  # unreachable or 5xx: assume complete disallow (RFC 9309)


class _HostGate:
    """Per-host politeness: a cap on requests in flight and a minimum gap between their starts."""

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
        with self._lock:
            if self._next_start is None or until > self._next_start:
                self._next_start = until


# -- the body: bounded, complete, decompressed ----------------------------------------------------


class _Decoder(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes: ...

    def complete(self) -> bool: ...


class _Identity:
    def feed(self, data: bytes, limit: int) -> bytes:
        return data

    def complete(self) -> bool:
        return True


class _Zlib:
    """gzip or deflate, never inflated past ``limit``, so a bomb cannot fill memory."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._obj = zlib.decompressobj(31 if gzip else 15)
        self._produced = False

    def feed(self, data: bytes, limit: int) -> bytes:
        if self._obj.eof:
            return b""  # bytes after the end of the stream are ignored, as httpx and browsers do
        try:
            out = self._obj.decompress(data, max(limit, 1))  # max_length=0 would mean "no limit"
        except zlib.error:
            if self._gzip or self._produced:
                raise
            # Some servers send "deflate" without the zlib wrapper; retry the same bytes as raw deflate.
            self._obj = zlib.decompressobj(-15)
            out = self._obj.decompress(data, max(limit, 1))
        self._produced = self._produced or bool(out)
        return out

    def complete(self) -> bool:
        return self._obj.eof


class _Brotli:
    def __init__(self) -> None:
        assert brotli is not None
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes, limit: int) -> bytes:
        # Output may overshoot the limit by one buffer; the caller stops at the first overshoot.
        return bytes(self._obj.process(data, output_buffer_limit=max(limit, 1)))

    def complete(self) -> bool:
        return bool(self._obj.is_finished())


def _decoder_for(url: str, content_encoding: str) -> _Decoder:
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip().lower() not in ("", "identity")]
    if not codings:
        return _Identity()
    if len(codings) == 1:
        coding = codings[0]
        if coding in ("gzip", "x-gzip"):
            return _Zlib(gzip=True)
        if coding == "deflate":
            return _Zlib(gzip=False)
        if coding == "br" and brotli is not None:
            return _Brotli()
    raise UndecodableText(
        url, f"served with Content-Encoding {content_encoding!r}, which was not asked for and cannot be undone"
    )


def _read_body(url: str, response: httpx.Response, max_bytes: int) -> tuple[bytes, int]:
    """The whole decoded body and the raw byte count, or an error: never a partial body."""
    declared = _content_length(response.headers)
    if declared is not None and declared > max_bytes:
        raise TooLarge(
            url,
            f"Content-Length announces {declared:,} bytes, more than fetch.max_bytes ({max_bytes:,}); "
            "not downloaded. Raise fetch.max_bytes if the page is genuine",
            received=0,
        )
    if response.is_stream_consumed:
        # A Response built from ``content=`` (httpx.MockTransport in tests) was read, and
        # decoded, when it was made: only the size can still be checked.
        if len(response.content) > max_bytes:
            raise TooLarge(url, f"body is larger than fetch.max_bytes ({max_bytes:,} bytes decoded)")
        return response.content, len(response.content)
    coding = response.headers.get("content-encoding", "")
    decoder = _decoder_for(url, coding)
    body = bytearray()
    raw = 0
    try:
        for chunk in response.iter_raw():
            raw += len(chunk)
            body += decoder.feed(chunk, max_bytes + 1 - len(body))
            if len(body) > max_bytes:
                raise TooLarge(
                    url,
                    f"body is larger than fetch.max_bytes ({max_bytes:,} bytes decoded); stopped after "
                    f"{raw:,} bytes received. Raise fetch.max_bytes if the page is genuine",
                    received=raw,
                )
    except httpx.TimeoutException as exc:
        raise NetworkError(
            url,
            f"timed out reading the body after {raw:,} bytes; raise fetch.timeout_seconds if the site is slow",
            received=raw,
        ) from exc
    except httpx.TransportError as exc:  # reset, or closed before Content-Length / the last chunk
        raise TruncatedBody(
            url,
            f"the connection broke after {raw:,} bytes of the body ({_describe(exc)}); nothing is kept",
            received=raw,
        ) from exc
    except _DECODE_ERRORS as exc:
        raise TruncatedBody(
            url, f"the {coding} body is corrupt after {raw:,} bytes ({exc}); nothing is kept", received=raw
        ) from exc
    if declared is not None and raw != declared:
        raise TruncatedBody(
            url, f"received {raw:,} bytes but Content-Length announced {declared:,}; nothing is kept", received=raw
        )
    if raw and not decoder.complete():
        raise TruncatedBody(url, f"the {coding} stream ends early after {raw:,} bytes; nothing is kept", received=raw)
    return bytes(body), raw


def _drain(response: httpx.Response) -> None:
    """Read and drop the small body of a 304, redirect or error page, so its connection is reused.

    A response left unread closes its connection: without this every 304 of a
    re-check pass costs a new TCP (on the live site, TLS) handshake. Only a
    body known to be small is read; anything else closes the connection as before.
    """
    length = _content_length(response.headers)
    if response.is_stream_consumed:
        return  # built from content= (httpx.MockTransport): nothing on the wire
    if response.status_code != 304 and (length is None or length > _DRAIN_MAX_BYTES):
        return
    try:
        for _ in response.iter_raw():
            pass
    except (httpx.HTTPError, httpx.StreamError):
        pass  # the status is what counts; a broken small body only costs the connection


def _content_length(headers: httpx.Headers) -> int | None:
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


# -- content type and text decoding -----------------------------------------------------------------


def _parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media_type = value.split(";", 1)[0].strip().lower() or None
    match = re.search(r"charset\s*=\s*[\"']?([^\"';\s]+)", value, re.IGNORECASE)
    return media_type, match.group(1) if match else None


def _refuse_non_html(url: str, headers: httpx.Headers) -> None:
    """Refuse a declared non-HTML type before any of its body is downloaded."""
    media_type, _ = _parse_content_type(headers.get("content-type"))
    if media_type is not None and media_type not in _HTML_TYPES:
        raise NotHTML(
            url,
            f"content type {media_type!r} is not a web page (only text/html and application/xhtml+xml "
            "are archived); check that the URL points at an article",
            content_type=media_type,
        )


# WHATWG MIME sniffing: what a page without a Content-Type must start with to count as HTML.
_HTML_START = re.compile(
    rb"\s*(?:<!doctype\s+html|<(?:html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|meta)"
    rb"[\s>/]|<!--)",
    re.IGNORECASE,
)
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.IGNORECASE)
# Control characters (bar tab, newlines, form feed), C1 controls and U+FFFD: what junk decodes into.
_JUNK = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
# Any 8-bit codec turns random bytes into ~11% control characters; real pages have next to none.
_JUNK_RATIO = 0.05
# gb2312/gbk pages routinely use characters only their superset has; same for big5 in Hong Kong.
# Browsers also read "latin-1" and "ascii" as windows-1252.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "ascii": "cp1252", "iso8859-1": "cp1252"}
_WEB_LABELS = {"x-gbk": "gbk", "x-big5": "big5", "x-sjis": "shift_jis", "x-euc-tw": "euc_tw"}


def _decode_page(reply: _Reply) -> None:
    """Fill ``reply.text``, ``.encoding`` and ``.content_type`` from its body, or raise."""
    media_type, charset = _parse_content_type(reply.headers.get("content-type"))
    if media_type is None:
        if not _HTML_START.match(reply.content.removeprefix(b"\xef\xbb\xbf")[:1024]):
            raise NotHTML(
                reply.url,
                "no Content-Type, and the body does not look like HTML; check that the URL points at an article",
                received=reply.raw_bytes,
                content_type=None,
            )
        media_type = "text/html"
    try:
        reply.text, reply.encoding = _decode_html(reply.content, charset)
    except ValueError as exc:
        raise UndecodableText(
            reply.url,
            f"no encoding gives clean text (tried {exc}); the body looks binary or damaged, "
            "open the URL in a browser to check",
            received=reply.raw_bytes,
        ) from None
    reply.content_type = media_type


def _decode_html(content: bytes, header_charset: str | None) -> tuple[str, str]:
    """Strictly decoded text and the codec used; ``ValueError`` naming the codecs tried."""
    tried: list[str] = []
    for label, source in _encoding_candidates(content, header_charset):
        codec = _codec(label, source)
        if codec is None or codec in tried:
            continue
        tried.append(codec)
        try:
            text = content.decode(codec)
        except UnicodeDecodeError:
            continue
        if len(_JUNK.findall(text)) <= len(text) * _JUNK_RATIO:
            return text, codec
    raise ValueError(", ".join(tried) or "none")


def _encoding_candidates(content: bytes, header_charset: str | None) -> Iterator[tuple[str, str]]:
    """Labels to try, most authoritative first; lazy, so detection only runs when needed."""
    # A BOM beats the header (as in browsers): it cannot be there by accident, a header can be stale.
    if content.startswith(b"\xef\xbb\xbf"):
        yield "utf-8-sig", "bom"
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield "utf-16", "bom"
    if header_charset:
        yield header_charset, "header"
    meta = _META_CHARSET.search(content[:4096])
    if meta:
        yield meta.group(1).decode("ascii", errors="replace"), "meta"
    # Valid UTF-8 with non-ASCII bytes is almost never anything else, and it is cheap to try.
    yield "utf-8", "guess"
    best = charset_normalizer.from_bytes(content).best()
    if best is not None:
        yield best.encoding, "detected"


def _codec(label: str, source: str) -> str | None:
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(_WEB_LABELS.get(label, label)).name
    except LookupError:
        return None
    if source == "meta" and name.startswith("utf-16"):
        return "utf-8"  # a page that can state its charset in ASCII is not UTF-16 (WHATWG)
    return _SUPERSETS.get(name, name)


# -- small helpers -------------------------------------------------------------------------------


def _user_agent(settings: FetchSettings) -> str:
    agent = settings.user_agent.strip()
    contact = settings.contact.strip()
    if contact and contact not in agent:
        agent = f"{agent}; {contact}"
    return agent


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: either a number of seconds or an HTTP date."""
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
    return max(0.0, (when - _utcnow()).total_seconds())


def _at(asked: str, url: str) -> str:
    """Names the redirect hop an error happened at, when it is not the URL asked for."""
    return "" if url == asked else f"redirected to {url}: "


def _restated(error: FetchError, asked: str, tries: int) -> FetchError:
    """``error`` as an error of the URL asked for, naming the hop and the attempts it took."""
    if error.url == asked and tries == 1:
        return error
    message = _at(asked, error.url) + error.message
    if tries > 1:
        message = f"gave up after {tries} attempts: {message}"
    extra = {k: v for k, v in vars(error).items() if k not in ("url", "message", "attempts")}
    restated = type(error)(asked, message, **extra)
    restated.__cause__ = error.__cause__
    return restated


def _outcome_of(error: FetchError) -> str:
    if isinstance(error, TooLarge):
        return "too_large"
    if isinstance(error, TruncatedBody):
        return "truncated"
    return error.outcome


def _origin(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"


def _header_pairs(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    # .raw keeps the order and the duplicates (two Set-Cookie headers stay two), as WARC needs.
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw)


def _describe(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _utcnow() -> datetime:
    return datetime.now(UTC)
