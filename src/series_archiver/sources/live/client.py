"""The ``Fetcher``: the order of the gates, redirects, and the request/attempt loop.

A fetch goes through these gates, in order, for the URL and every redirect hop:

1. the host must be on ``fetch.allowed_hosts``           else ``HostNotAllowed``, nothing sent;
2. robots.txt of the host (read once per ``Fetcher``)     else ``RobotsDisallowed``, nothing sent;
3. a per-host slot: at most ``max_in_flight_per_host`` requests at once, each started
   ``delay_seconds`` (or the site's Crawl-delay, whichever is longer) after the previous
   start and after the end of the previous response from that host;
4. the request, retried on timeouts, resets, broken bodies, 5xx and 429 with capped
   exponential backoff and jitter, honouring Retry-After; a retry holds off the whole host.

Once ``stop`` is set no request is sent, a politeness wait ends at once, and a request
in flight is abandoned within a fraction of a second: ``PassInterrupted``, carrying the
attempts so far, the abandoned one last (outcome ``interrupted``).

A 200 body is streamed and bounded by ``max_bytes`` of *decoded* bytes (a gzip bomb stops
early), checked against Content-Length, refused unless it is HTML, and decoded strictly.
A block page (a challenge, a captcha, a maintenance page: ``read.response.check_block``),
as a 200 or as an error, is ``Blocked``, never retried: its attempt is logged ``blocked``.
Everything else raises a ``FetchError`` carrying one ``Attempt`` per request made.
How each gate and check works is in its own module (``robots``, ``sources.http`` for the
client, gates, retries and stops, ``body``, ``charset``); this one decides what happens in which order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from types import TracebackType
from typing import Any, Self

import httpx

from series_archiver.errors import Blocked, FetchError, GoneError, HostNotAllowed, HTTPStatusError, PassInterrupted, RobotsDisallowed
from series_archiver.models import FetchedPage
from series_archiver.read.charset import decode_page
from series_archiver.read.pagekind import may_be_block
from series_archiver.read.response import check_block, follow
from series_archiver.settings import FetchSettings
from series_archiver.sites import BUILT_IN, Registry
from series_archiver.sources.http import HostGates, backoff_seconds, is_retried, is_retried_status, open_client, user_agent
from series_archiver.sources.live.attempts import Attempts, hop_prefix, restated, utcnow
from series_archiver.sources.live.body import ACCEPT_ENCODING
from series_archiver.sources.live.exchange import Reply, exchange
from series_archiver.sources.live.robots import RobotsRules, robots_token

__all__ = ["Fetcher"]

log = logging.getLogger(__name__)

_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"


class Fetcher:
    """Fetches pages for the pipeline; safe to share between worker threads.

    ``sleep`` and ``clock`` are injectable so tests can record waits instead of waiting
    (by default the waits end when ``stop`` is set). ``stop``: see the module docstring.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        registry: Registry = BUILT_IN,
        stop: threading.Event | None = None,
    ) -> None:
        self._settings = settings
        self._registry = registry
        self._clock = clock
        self._stop = stop
        self._closed = False
        self.user_agent = user_agent(settings)
        # No redirect is followed by httpx: every hop must pass the host and robots gates first.
        self._client = open_client(settings, headers={"Accept": _ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}, transport=transport)
        self._gates = HostGates(
            settings.delay_seconds, settings.max_in_flight_per_host, sleep=sleep, clock=clock, stop=stop
        )
        self._robots = RobotsRules(
            robots_token(self.user_agent), host_allowed=settings.host_allowed, gates=self._gates, get=self._get_robots
        )

    # -- public API ---------------------------------------------------------------------------

    def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> FetchedPage:
        """GET ``url``: a 200 page, or a 304 when ``etag`` / ``last_modified`` still match."""
        attempts = Attempts()
        conditional = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        try:
            self._check_running(f"before {url}")
            return self._follow(url, conditional, attempts)
        except FetchError as exc:
            exc.with_attempts(attempts.items)
            raise
        except PassInterrupted as exc:
            exc.attempts = tuple(attempts.items)
            raise

    @property
    def robots_notes(self) -> dict[str, str]:
        """Origins whose robots.txt could not be read, with why (allow-all, or closed this pass)."""
        return self._robots.notes

    def close(self) -> None:
        """Close the client; a fetch still running (or started) in another thread ends in ``PassInterrupted``."""
        self._closed = True
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- one fetch: hops, retries, attempts -----------------------------------------------------

    def _follow(self, asked: str, conditional: dict[str, str], attempts: Attempts) -> FetchedPage:
        """Every hop passes the gates; what an answer means (page, next hop, removal, takedown) is ``read.response``'s."""

        answers: list[Reply] = []

        def hop(url: str) -> Reply:
            admitted = self._admit(asked, url, attempts)
            answers.append(self._get_with_retries(asked, admitted, conditional, attempts))
            return answers[-1]

        try:
            reply, redirects = follow(asked, hop, conditional=bool(conditional), registry=self._registry)
        except GoneError as exc:
            attempts.relabel_last("gone", exc.message)
            if exc.target is None and answers and answers[-1].content:
                exc.page = self._removal_page(asked, answers[-1], attempts)
            raise
        except HTTPStatusError as exc:
            attempts.relabel_last("error", exc.message)
            raise
        return self._page(asked, reply, list(redirects), attempts)

    def _admit(self, asked: str, url: str, attempts: Attempts) -> httpx.URL:
        """Refuse, without sending anything, a URL off the allowed hosts or forbidden by robots.txt; the URL parsed."""
        parsed, problem = self._parse_allowed(url)
        if parsed is None:
            attempts.add(url, status=None, outcome="refused", error=problem)
            raise HostNotAllowed(asked, hop_prefix(asked, url) + problem)
        if self._settings.respect_robots:
            refusal = self._robots.refusal(parsed)
            if refusal is not None:
                attempts.add(url, status=None, outcome="skipped", error=refusal)
                raise RobotsDisallowed(asked, hop_prefix(asked, url) + refusal)
        return parsed

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

    def _get_with_retries(self, asked: str, target: httpx.URL, conditional: dict[str, str], attempts: Attempts) -> Reply:
        """One URL (``asked`` or a redirect hop of it), no redirects followed: a 200, 304 or 3xx reply.

        Errors are raised for ``asked``, naming the hop if it is one: the pipeline logs per URL asked.
        """
        url = str(target)
        tries = self._settings.retries + 1
        for n in range(1, tries + 1):
            reply, record = self._try_once(url, target, conditional, attempts)
            error = reply.error
            retry_after: str | None = None
            if error is not None:
                if not is_retried(error) or n == tries:
                    attempts.add(url, **record, outcome=error.outcome, error=error.message)
                    raise restated(error, asked, n)
                why = error.message
            elif is_retried_status(reply.status):
                self._refuse_block(asked, reply, record, attempts)  # a challenge answers the same on a retry
                if n == tries:
                    message = (
                        f"HTTP {reply.status} {reply.reason} after {n} attempts; the site is struggling or "
                        "throttling us, it is retried on the next pass (raise fetch.delay_seconds if it persists)"
                    )
                    attempts.add(url, **record, outcome="error", error=message)
                    raise HTTPStatusError(asked, reply.status, hop_prefix(asked, url) + message)
                why = f"HTTP {reply.status} {reply.reason}"
                retry_after = reply.headers.get("retry-after")
            else:
                return self._settle(asked, reply, record, conditional, attempts)

            wait = backoff_seconds(
                n - 1, retry_after, base=self._settings.backoff_base_seconds, cap=self._settings.backoff_max_seconds
            )
            attempts.add(url, **record, outcome="retry", error=f"{why}; retrying in {wait:.2f}s")
            log.info("%s: %s; retry %d of %d in %.2fs", url, why, n, tries - 1, wait)
            self._gates.hold_off(reply.host, wait)
        raise AssertionError("unreachable: the last try returns or raises")

    def _settle(
        self, asked: str, reply: Reply, record: dict[str, Any], conditional: dict[str, str], attempts: Attempts
    ) -> Reply:
        """Record a reply that is not retried, and hand it on: ``follow`` says what it means."""
        if reply.status == 304 and conditional:
            attempts.add(reply.url, **record, outcome="not_modified")
        else:
            self._refuse_block(asked, reply, record, attempts)
            # A removal or no page is relabelled by _follow with the reason read.response gives.
            attempts.add(reply.url, **record, outcome="ok")
        return reply

    def _refuse_block(self, asked: str, reply: Reply, record: dict[str, Any], attempts: Attempts) -> None:
        """A block page is no answer to the URL: ``Blocked``, its attempt logged ``blocked`` with the reason."""
        if not may_be_block(reply.status):
            return
        try:
            check_block(asked, reply.url, reply.status, _text(reply), headers=reply.response_headers, registry=self._registry)
        except Blocked as exc:
            attempts.add(reply.url, **record, outcome="blocked", error=exc.message)
            raise

    def _try_once(self, url: str, target: httpx.URL, conditional: dict[str, str], attempts: Attempts) -> tuple[Reply, dict[str, Any]]:
        """One request in a host slot, and what its attempt record needs (status, timing, bytes).

        A failure is returned in ``Reply.error``, not raised; the reply is a stand-in
        with status 0 when no response came at all. A stop raises ``PassInterrupted``,
        after recording the abandoned attempt if the request had been let go.
        """
        self._check_running(f"before {url}")  # the slot checks the stop, not a close
        host = target.host
        with self._gates.slot(host):
            started_at, t0 = utcnow(), self._clock()
            try:
                reply = self._exchange(url, conditional, body_limit=self._settings.max_bytes, html_only=True, target=target)
            except FetchError as exc:
                reply = Reply.none(url, host, exc)
            except PassInterrupted as exc:
                message = f"{exc.reason}; nothing of it is kept, it is fetched again on the next pass"
                attempts.add(
                    url, status=None, outcome="interrupted", error=message, started_at=started_at,
                    elapsed_ms=(self._clock() - t0) * 1000,
                )
                log.info("%s: abandoned (%s)", url, exc.reason)
                raise
            elapsed_ms = (self._clock() - t0) * 1000
        if reply.error is None and reply.status == 200:
            try:
                # CPU work: done after the slot is given back
                page = decode_page(reply.url, reply.headers, reply.content, reply.raw_bytes)
            except FetchError as exc:
                reply = replace(reply, error=exc)
            else:
                reply = replace(
                    reply, text=page.text, encoding=page.encoding, content_type=page.content_type, replaced_bytes=page.replaced_bytes
                )
        record = {
            "started_at": started_at,
            "status": reply.status or None,
            "elapsed_ms": elapsed_ms,
            "bytes_": reply.raw_bytes or getattr(reply.error, "received", 0),
        }
        return reply, record

    def _exchange(
        self, url: str, headers: dict[str, str], *, body_limit: int, html_only: bool, target: httpx.URL | None = None
    ) -> Reply:
        self._check_running(f"before {url}")
        try:
            return exchange(
                self._client,
                url,
                headers,
                target=target,
                body_limit=body_limit,
                html_only=html_only,
                timeout_seconds=self._settings.timeout_seconds,
                stop=self._stop,
            )
        except (FetchError, RuntimeError) as exc:
            # httpx's "the client has been closed", or a connection closed under the request:
            # the owner is tearing down (a second Ctrl-C), not a failure of the URL.
            if self._closed:
                raise PassInterrupted("the fetcher was closed while a request was made") from exc
            raise

    def _check_running(self, when: str) -> None:
        if self._stop is not None and self._stop.is_set():
            raise PassInterrupted(f"stop requested {when}")
        if self._closed:
            raise PassInterrupted(f"the fetcher was closed {when}")

    def _get_robots(self, url: str, body_limit: int) -> Reply:
        return self._exchange(url, {}, body_limit=body_limit, html_only=False)

    def _removal_page(self, asked: str, reply: Reply, attempts: Attempts) -> FetchedPage | None:
        """A 404's or 410's page as served, when it is a web page: the evidence of the takedown."""
        try:
            decoded = decode_page(reply.url, reply.headers, reply.content, reply.raw_bytes)
        except FetchError:
            return None
        reply = replace(reply, text=decoded.text, encoding=decoded.encoding, content_type=decoded.content_type, replaced_bytes=decoded.replaced_bytes)
        return self._page(asked, reply, [], attempts)

    def _page(self, asked: str, reply: Reply, redirects: list[str], attempts: Attempts) -> FetchedPage:
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
            replaced_bytes=reply.replaced_bytes,
        )


def _text(reply: Reply) -> str:
    """A reply's body as text: decoded strictly for a 200, as well as it goes for an error page (Cloudflare's may be plain text)."""
    if reply.status == 200 or not reply.content:
        return reply.text
    try:
        return decode_page(reply.url, reply.headers, reply.content, reply.raw_bytes).text
    except FetchError:
        return reply.content.decode("utf-8", "replace")
