"""Reading a response body: whole, bounded and decompressed, or an error, never a partial body.

The limit counts *decoded* bytes, and decompression (gzip, deflate, br) never inflates
past it, so a gzip bomb stops early. The body is checked against Content-Length and
against the end of its compressed stream. Bodies of answers that are not read
(304, redirects, errors) are drained when small, so their connection is reused.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Protocol

import httpx

from series_archiver.errors import NetworkError, TooLarge, TruncatedBody, UndecodableText

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is a dependency, but br is only advertised if it imports
    brotli = None

__all__ = ["ACCEPT_ENCODING", "content_length", "describe", "drain", "read_body"]

ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
_DRAIN_MAX_BYTES = 64 * 1024  # bodies of non-200 answers read to keep the connection (see drain)
_DECODE_ERRORS: tuple[type[Exception], ...] = (zlib.error,) + ((brotli.error,) if brotli is not None else ())


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
    coding = response.headers.get("content-encoding", "")
    decoder = _decoder_for(url, coding)
    body = bytearray()
    raw = 0
    try:
        for chunk in response.iter_raw():
            if between is not None:
                between()
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
            f"the connection broke after {raw:,} bytes of the body ({describe(exc)}); nothing is kept",
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
