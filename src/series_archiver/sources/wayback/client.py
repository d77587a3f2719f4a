"""A client of the two protocols a web archive serves: the CDX API and playback.

Why httpx rather than EDGI's ``wayback`` package (a well-kept client of both,
whose cassettes taught the response shapes used by the replica): it is built on
requests and its own session, with rate limits and retries of its own. Here
every request must be logged as an ``Attempt`` (the fetch log is the record of
every HTTP request the archive made), must send ``Accept-Encoding: identity``
(the bytes stored are the bytes the archive holds), must go through an
injectable transport (tests reach a replica on 127.0.0.1) and an injectable
sleep (a 429 waits 60 s: tests must not), and its rate limits come from
``[wayback]``. That is the same httpx stack the live ``Fetcher`` uses:
``sources.http`` makes the client (the one User-Agent, with the contact),
paces each endpoint with its gates and gives the backoff.

- ``search(url, …)``: ``output=json``, ``fl``, ``from``/``to``, ``filter``,
  ``collapse``, ``limit``, ``matchType``, paged with ``showResumeKey``/``resumeKey``;
  at most ``cdx_requests_per_minute`` (each started that long after the
  previous one ended). A blocked URL answers an error body
  (``AdministrativeAccessControlException``): ``WaybackBlocked``. Any CDX
  server's answer is read (``cdx.parse_cdx``: the Wayback Machine's array,
  pywb's JSON lines). A server that took ``fl`` by names of its own and left
  the URL out (pywb) is asked again without ``fl``, and never sent it again; one
  that stops at ``limit`` without a resume key (pywb has none) is asked once for
  its whole answer. What it ignores (``collapse``) the caller does again.
- ``memento(timestamp, url)``: ``<playback_url><timestamp>id_/<url>``, at most
  ``playback_requests_per_second``. A response with ``Memento-Datetime`` is a
  capture (whatever its status: a captured 404 or redirect is evidence); one
  without is the archive's own answer: a redirect to the nearest capture is
  followed, anything else is ``NoMemento``. The two servers differ in the
  rest, and both are read: the Wayback Machine redirects to the capture
  nearest the time asked, pywb answers with it at once and names it in
  ``Content-Location`` (the memento URL recorded is the capture's either way);
  the Wayback Machine sends a captured redirect's ``Location`` into the archive
  and the original headers as ``x-archive-orig-*``, pywb sends the ``Location``
  as captured (perhaps relative to the original URL, ``Link: rel="original"``)
  and most original headers as they were.
- 429 waits ``Retry-After``, or 60 s without it; 5xx and network errors are
  retried with the one backoff (``fetch.retries``, ``fetch.backoff_*``); either
  holds off every request to that endpoint.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self
from urllib.parse import urljoin

import httpx

from series_archiver.errors import FetchError
from series_archiver.models import Attempt
from series_archiver.settings import FetchSettings, WaybackSettings
from series_archiver.sources.http import HostGates, backoff_seconds, is_retried_status, open_client, parse_retry_after
from series_archiver.sources.wayback.cdx import FIELDS, CdxPage, CdxRecord, original_of, parse_cdx
from series_archiver.sources.wayback.cdx import memento_url as build_memento_url

__all__ = ["WaybackClient", "Memento", "WaybackError", "WaybackBlocked", "NoMemento", "RATE_LIMIT_WAIT_SECONDS"]

logger = logging.getLogger("series_archiver")

# The keys of the two endpoints' gates.
_CDX, _PLAYBACK = "cdx", "playback"

# What a 429 without Retry-After waits: the Internet Archive's limits are per minute.
RATE_LIMIT_WAIT_SECONDS = 60.0
MAX_ARCHIVE_REDIRECTS = 5

# Headers of a capture that pywb passes through as they were captured and the Wayback Machine
# sends as its own: they describe the bytes, so they are the capture's whichever sent them.
_ENTITY_HEADERS = ("content-type", "content-language", "content-disposition")
_LINK_ORIGINAL = re.compile(r'<([^>]+)>\s*;\s*rel="?original"?')


class WaybackError(FetchError):
    """The web archive could not answer (after retries), or answered something unreadable."""

    hint = "check [wayback] cdx_url and playback_url; it is tried again on the next backfill"


class WaybackBlocked(WaybackError):
    """The archive refuses this URL (its operator excluded it)."""

    @property
    def outcome(self) -> str:
        return "refused"


class NoMemento(WaybackError):
    """No capture at that URL and time: the archive's own error page, not a capture."""


@dataclass(frozen=True)
class Memento:
    """One capture as the archive replays it with ``id_``: the original status, headers and bytes."""

    url: str  # the original URL asked for
    memento_url: str  # the playback URL that answered (after the archive's own redirects)
    captured_at: datetime  # Memento-Datetime
    status: int  # the captured status (200, 404, 301, …)
    content: bytes
    headers: tuple[tuple[str, str], ...]  # the original response's headers (x-archive-orig-*), and Content-Type
    archive_src: str | None  # X-Archive-Src: the WARC the archive read it from
    location: str | None  # for a captured redirect: where it led, as an original URL
    links: str | None  # the Link header (original, timegate, timemap, prev/next memento)
    attempts: tuple[Attempt, ...] = field(default=(), repr=False)

    def header(self, name: str) -> str | None:
        lname = name.lower()
        return next((v for k, v in self.headers if k.lower() == lname), None)


class WaybackClient:
    """CDX queries and playback of one web archive; ``sleep``, ``clock`` and ``transport`` are injectable."""

    def __init__(
        self,
        settings: WaybackSettings,
        fetch: FetchSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self._fetch = fetch
        self._clock = clock
        # No redirect is followed by httpx: a captured redirect is evidence, not something to follow blindly.
        self._client = open_client(fetch, headers={"Accept-Encoding": "identity"}, transport=transport)
        # The archive's limits are per endpoint (CDX and playback on one host), so the gates are keyed by endpoint.
        self._gates = HostGates(0.0, 1, sleep=sleep, clock=clock)
        self._gates.gate(_CDX).raise_delay(60.0 / settings.cdx_requests_per_minute)
        self._gates.gate(_PLAYBACK).raise_delay(1.0 / settings.playback_requests_per_second)
        # Cleared for good once the server shows it takes ``fl`` by names of its own (pywb).
        self._send_fl = True

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # --- CDX ----------------------------------------------------------------------------

    def search(
        self,
        url: str,
        *,
        match_type: str = "exact",
        from_: str | None = None,
        to: str | None = None,
        filters: Sequence[str] = (),
        collapse: str | None = "digest",
        limit: int = 500,
        attempts: list[Attempt] | None = None,
    ) -> Iterator[CdxRecord]:
        """Every capture of ``url`` (or under it, ``match_type="prefix"``), page by page.

        Each request made is appended to ``attempts`` as it is made, so a
        caller logs them even when a later page fails.
        """
        log = attempts if attempts is not None else []
        resume: str | None = None
        whole = False  # asked without limit: a server without resume keys stopped at it
        while True:
            params: list[tuple[str, str]] = [("url", url), ("output", "json")]
            if self._send_fl:
                params.append(("fl", ",".join(FIELDS)))
            if match_type != "exact":
                params.append(("matchType", match_type))
            if from_:
                params.append(("from", from_))
            if to:
                params.append(("to", to))
            params += [("filter", f) for f in filters]
            if collapse:
                params.append(("collapse", collapse))
            if not whole:
                params += [("limit", str(limit)), ("showResumeKey", "true")]
            if resume:
                params.append(("resumeKey", resume))
            page = self._cdx_page(str(httpx.URL(self.settings.cdx_url, params=params)), log, asked=url)
            if page.lacks_urls and self._send_fl:
                # pywb keeps of ``fl`` only the names it knows (url, mime and status are not the
                # Wayback's): its whole rows, asked without ``fl``, name every field.
                logger.info("CDX server %s took fl by names of its own; asking it again without fl", self.settings.cdx_url)
                self._send_fl = False
                continue
            if page.lacks_urls:
                message = "CDX answer names no URL captured in some rows; is cdx_url a CDX server?"
                log[-1] = _relabel(log[-1], "error", message)
                raise WaybackError(url, message, attempts=log)
            if resume is None and not whole and page.resume_key is None and limit and len(page.records) >= limit:
                # A server without resume keys (pywb) stopped at ``limit``: more may follow that
                # no key asks for, so its whole answer is asked for once (within its own cap).
                whole = True
                continue
            yield from page.records
            if not page.resume_key or page.resume_key == resume or whole:
                return
            resume = page.resume_key

    def _cdx_page(self, request_url: str, log: list[Attempt], *, asked: str) -> CdxPage:
        response = self._get(request_url, _CDX, log, asked=asked)
        if response.status_code == 403 or "AccessControlException" in response.text[:2000]:
            log[-1] = _relabel(log[-1], "refused", f"the archive blocks this URL: {_first_line(response.text)}")
            raise WaybackBlocked(asked, f"the web archive blocks this URL ({_first_line(response.text)}); nothing can be read from it", attempts=log)
        if response.status_code != 200:
            message = f"CDX server answered HTTP {response.status_code}: {_first_line(response.text)}"
            log[-1] = _relabel(log[-1], "error", message)
            raise WaybackError(asked, message, attempts=log)
        try:
            return parse_cdx(response.text, FIELDS if self._send_fl else ())
        except ValueError as exc:
            message = f"CDX answer is not the JSON asked for ({exc}); is cdx_url a CDX server?"
            log[-1] = _relabel(log[-1], "error", message)
            raise WaybackError(asked, message, attempts=log) from None

    # --- playback -------------------------------------------------------------------------

    def memento_url(self, timestamp: str, url: str) -> str:
        return build_memento_url(self.settings.playback_url, timestamp, url)

    def memento(self, timestamp: str, url: str) -> Memento:
        """The capture of ``url`` at (or, as the archive resolves it, nearest) ``timestamp``."""
        attempts: list[Attempt] = []
        request_url = self.memento_url(timestamp, url)
        for _ in range(MAX_ARCHIVE_REDIRECTS + 1):
            response = self._get(request_url, _PLAYBACK, attempts, asked=url)
            when = response.headers.get("memento-datetime")
            if when is not None:
                try:
                    captured_at = parsedate_to_datetime(when).astimezone(UTC)
                except (TypeError, ValueError):
                    message = f"unreadable Memento-Datetime {when!r}"
                    attempts[-1] = _relabel(attempts[-1], "error", message)
                    raise WaybackError(url, message, attempts=attempts) from None
                return self._memento(url, request_url, captured_at, response, attempts)
            location = response.headers.get("location")
            if response.status_code in (301, 302, 303, 307, 308) and location:
                # The archive's own redirect (no Memento-Datetime): to the capture nearest the time asked.
                request_url = str(httpx.URL(request_url).join(location))
                continue
            message = f"no capture: the archive answered HTTP {response.status_code} without Memento-Datetime ({_first_line(response.text)})"
            attempts[-1] = _relabel(attempts[-1], "error", message)
            raise NoMemento(url, message, attempts=attempts)
        message = f"the archive redirected more than {MAX_ARCHIVE_REDIRECTS} times without a capture"
        raise NoMemento(url, message, attempts=attempts)

    def _memento(self, url: str, request_url: str, captured_at: datetime, response: httpx.Response, attempts: list[Attempt]) -> Memento:
        original: list[tuple[str, str]] = []
        for key, value in response.headers.multi_items():
            if key.lower().startswith("x-archive-orig-"):
                original.append((key[len("x-archive-orig-") :], value))
        present = {k.lower() for k, _ in original}
        for key, value in response.headers.multi_items():
            if key.lower() in _ENTITY_HEADERS and key.lower() not in present:
                original.append(("-".join(part.capitalize() for part in key.split("-")), value))
        links = response.headers.get("link")
        location = None
        raw = response.headers.get("location")
        if response.status_code in (301, 302, 303, 307, 308) and raw:
            # The Wayback Machine's Location points into the archive; pywb's is the one captured,
            # perhaps relative to the URL captured (its Link rel="original").
            inside = original_of(self.settings.playback_url, str(httpx.URL(request_url).join(raw)))
            location = urljoin(_link_original(links) or url, raw if inside is None else inside)
            if "location" not in present:
                original.append(("Location", location))
        # pywb answers a time that is no capture's with the nearest capture at once, and names it here.
        named = response.headers.get("content-location")
        memento = str(httpx.URL(request_url).join(named)) if named else request_url
        return Memento(
            url=url,
            memento_url=memento if self._in_archive(memento) else request_url,
            captured_at=captured_at,
            status=response.status_code,
            content=response.content,
            headers=tuple(original),
            archive_src=response.headers.get("x-archive-src"),
            location=location,
            links=links,
            attempts=tuple(attempts),
        )

    def _in_archive(self, url: str) -> bool:
        """Whether ``url`` is a playback URL of this archive (``…/<timestamp>[mod_]/<url>``)."""
        return original_of(self.settings.playback_url, url) is not None

    def original_of(self, playback: str) -> str:
        """The original URL inside a playback URL (``…/20251215020304id_/https://x/y`` → ``https://x/y``); others as given."""
        return original_of(self.settings.playback_url, playback) or playback

    # --- one request: pacing, 429, retries, attempts --------------------------------------

    def _get(self, request_url: str, endpoint: str, attempts: list[Attempt], *, asked: str) -> httpx.Response:
        tries = self._fetch.retries + 1
        for n in range(1, tries + 1):
            failure: httpx.HTTPError | None = None
            with self._gates.slot(endpoint):
                started, t0 = datetime.now(UTC), self._clock()
                try:
                    response = self._client.get(request_url)
                except httpx.HTTPError as exc:
                    failure = exc
                elapsed = (self._clock() - t0) * 1000
            if failure is not None:
                why = f"{type(failure).__name__}: {failure}"
                if n == tries:
                    attempts.append(Attempt(request_url, started, len(attempts) + 1, None, "error", f"{why} after {n} attempts", elapsed))
                    raise WaybackError(asked, f"the web archive did not answer ({why}) after {n} attempts", attempts=attempts) from None
                wait = backoff_seconds(n - 1, None, base=self._fetch.backoff_base_seconds, cap=self._fetch.backoff_max_seconds)
                attempts.append(Attempt(request_url, started, len(attempts) + 1, None, "retry", f"{why}; retrying in {wait:.2f}s", elapsed))
                self._gates.hold_off(endpoint, wait)  # the next slot waits it
                continue
            status = response.status_code
            record = Attempt(request_url, started, len(attempts) + 1, status, "ok", None, elapsed, len(response.content))
            if is_retried_status(status):
                retry_after = response.headers.get("retry-after")
                asked_wait = parse_retry_after(retry_after)
                if status == 429:
                    # The archive's limits are per minute; what it asks is waited whole, beyond the backoff cap.
                    wait = asked_wait if asked_wait is not None else RATE_LIMIT_WAIT_SECONDS
                else:
                    wait = backoff_seconds(n - 1, retry_after, base=self._fetch.backoff_base_seconds, cap=self._fetch.backoff_max_seconds)
                if n == tries:
                    attempts.append(_relabel(record, "error", f"HTTP {status} after {n} attempts"))
                    raise WaybackError(asked, f"the web archive answered HTTP {status} after {n} attempts; try again later", attempts=attempts)
                attempts.append(_relabel(record, "retry", f"HTTP {status}; retrying in {wait:.2f}s"))
                self._gates.hold_off(endpoint, wait)  # holds off every request to that endpoint; the next slot waits it
                continue
            attempts.append(record)
            return response
        raise AssertionError("unreachable: the last try returns or raises")


def _relabel(attempt: Attempt, outcome: str, error: str | None) -> Attempt:
    return Attempt(attempt.url, attempt.started_at, attempt.attempt, attempt.status, outcome, error, attempt.elapsed_ms, attempt.bytes)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line[:200]


def _link_original(links: str | None) -> str | None:
    """The URL a memento is of, from its ``Link`` header (``<…>; rel="original"``)."""
    match = _LINK_ORIGINAL.search(links or "")
    return match[1] if match else None
