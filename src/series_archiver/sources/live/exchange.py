"""One GET on the wire, no redirect followed, and what came back as a ``Reply``.

Only a 200 body is read (see ``body``), and the small body of an error that may be a block
page (a 403, 429, 503 …: ``read.pagekind``); any other body is drained. A failure to read
the body is kept in ``Reply.error`` with the status and headers that did arrive, so the
attempt record says what was seen; no response at all raises ``NetworkError``. Once
``stop`` is set the GET is not sent, or is abandoned in flight: ``PassInterrupted``
(see ``inflight.interruptible``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from series_archiver.errors import FetchError, NetworkError
from series_archiver.read.charset import refuse_non_html
from series_archiver.read.pagekind import may_be_block
from series_archiver.read.response import GONE_STATUSES
from series_archiver.sources.inflight import InFlight, interruptible
from series_archiver.sources.live.body import content_length, describe, drain, read_body

__all__ = ["Reply", "exchange"]

_ERROR_BODY_MAX_BYTES = 256 * 1024  # block pages are a few KiB; a bigger error body is no block page


@dataclass(frozen=True)
class Reply:
    """One HTTP response, its body read (200, or a small 4xx/5xx) or not (anything else)."""

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
    replaced_bytes: int = 0

    @property
    def location(self) -> str | None:
        location: str | None = self.headers.get("location")
        return location

    @classmethod
    def none(cls, url: str, host: str, error: FetchError) -> Reply:
        """Stands for a response that never came (timeout, refused or reset connection)."""
        empty = httpx.Headers()
        return cls(url, host, 0, "", empty, (), (), "", b"", 0, error)


def exchange(
    client: httpx.Client,
    url: str,
    headers: Mapping[str, str],
    *,
    body_limit: int,
    html_only: bool,
    timeout_seconds: float,
    stop: threading.Event | None = None,
    target: httpx.URL | None = None,
) -> Reply:
    """Send one GET; read the body only for a 200. A failed body is kept in ``.error``.

    ``target`` is ``url`` already parsed (the Fetcher's gates parse it): httpx parses a URL
    string in Python, again for every request, and hands a parsed one on as it is.
    """

    def send(request: InFlight) -> Reply:
        return _get(
            client, url, url if target is None else target, headers, request,
            body_limit=body_limit, html_only=html_only, timeout_seconds=timeout_seconds,
        )

    return interruptible(stop, send, name="fetch-request")


def _get(
    client: httpx.Client,
    url: str,
    target: str | httpx.URL,
    headers: Mapping[str, str],
    request: InFlight,
    *,
    body_limit: int,
    html_only: bool,
    timeout_seconds: float,
) -> Reply:
    try:
        with client.stream("GET", target, headers=headers, extensions=request.extensions) as response:
            request.holds(response)
            content, raw, error = b"", 0, None
            if response.status_code == 200:
                try:
                    if html_only:
                        refuse_non_html(url, response.headers)
                    content, raw = read_body(
                        url, response, body_limit, between=lambda: request.check("while the body was read")
                    )
                except FetchError as exc:
                    error = exc
            elif may_be_block(response.status_code) or response.status_code in GONE_STATUSES:
                # A block page is told by its body; a removal page (404, 410) is kept as evidence of the takedown.
                content, raw = _error_body(url, response, request)
            else:
                drain(response)
            return Reply(
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
            f"timed out after {timeout_seconds:g}s ({type(exc).__name__}); "
            "check the connection, or raise fetch.timeout_seconds if the site is slow",
        ) from exc
    except httpx.TransportError as exc:
        raise NetworkError(url, f"connection failed ({describe(exc)}); check the network and that the site is up") from exc


def _error_body(url: str, response: httpx.Response, request: InFlight) -> tuple[bytes, int]:
    """An error's body, when small: a challenge or captcha comes as a 403, 429 or 503, a removal page as a 404 or 410;
    nothing when too big or broken."""
    length = content_length(response.headers)
    if length is not None and length > _ERROR_BODY_MAX_BYTES:
        return b"", 0
    try:
        return read_body(url, response, _ERROR_BODY_MAX_BYTES, between=lambda: request.check("while the body was read"))
    except FetchError:
        return b"", 0


def _header_pairs(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    # .raw keeps the order and the duplicates (two Set-Cookie headers stay two), as WARC needs.
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers.raw)
