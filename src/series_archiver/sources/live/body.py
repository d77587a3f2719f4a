"""Reading a response body: whole, bounded and decompressed, or an error, never a partial body.

The limit counts *decoded* bytes, and decompression (``sources.encoding``: gzip,
deflate, br, zstd and chains of them) never inflates far past it, so a gzip bomb
stops early. The body is checked against Content-Length and against the end of
its compressed stream. Bodies of answers that are not read
(304, redirects, errors) are drained when small, so their connection is reused.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from series_archiver.errors import NetworkError, TooLarge, TruncatedBody
from series_archiver.sources.encoding import ACCEPT_ENCODING, Decoding

__all__ = ["ACCEPT_ENCODING", "content_length", "describe", "drain", "read_body"]

_DRAIN_MAX_BYTES = 64 * 1024  # bodies of non-200 answers read to keep the connection (see drain)


def read_body(url: str, response: httpx.Response, max_bytes: int, *, between: Callable[[], None] | None = None) -> tuple[bytes, int]:
    """The whole decoded body and the raw byte count, or an error: never a partial body.

    ``between`` is called after each chunk: it raises to give up (a stop asked for mid-body).
    """
    declared = content_length(response.headers)
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
    decoding = Decoding(url, response.headers.get("content-encoding", ""), max_bytes)
    raw = 0
    try:
        for chunk in response.iter_raw():
            if between is not None:
                between()
            raw += len(chunk)
            decoding.feed(chunk, received=raw)
    except httpx.TimeoutException as exc:
        raise NetworkError(
            url,
            f"timed out reading the body after {raw:,} bytes; raise fetch.timeout_seconds if the site is slow",
            received=raw,
        ) from exc
    except httpx.TransportError as exc:  # reset, or closed before Content-Length / the last chunk
        raise TruncatedBody(
            url,
            f"the connection broke after {raw:,} bytes of the body ({describe(exc)}); nothing is kept",
            received=raw,
        ) from exc
    if declared is not None and raw != declared:
        raise TruncatedBody(
            url, f"received {raw:,} bytes but Content-Length announced {declared:,}; nothing is kept", received=raw
        )
    return decoding.body(received=raw), raw


def drain(response: httpx.Response) -> None:
    """Read and drop the small body of a 304, redirect or error page, so its connection is reused.

    A response left unread closes its connection: without this every 304 of a
    re-check pass costs a new TCP (on the live site, TLS) handshake. Only a
    body known to be small is read; anything else closes the connection as before.
    """
    length = content_length(response.headers)
    if response.is_stream_consumed:
        return  # built from content= (httpx.MockTransport): nothing on the wire
    if response.status_code != 304 and (length is None or length > _DRAIN_MAX_BYTES):
        return
    try:
        for _ in response.iter_raw():
            pass
    except (httpx.HTTPError, httpx.StreamError):
        pass  # the status is what counts; a broken small body only costs the connection


def content_length(headers: httpx.Headers) -> int | None:
    """The announced Content-Length, or None when absent or not a plain number."""
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


def describe(exc: Exception) -> str:
    """An httpx error in a few words, for a message: its class, and its text if it has one."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
