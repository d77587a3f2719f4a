"""Content codings undone, bounded: gzip, deflate, br, zstd, and chains of them.

One decoder for every source: the fetcher feeds it a body as it arrives
(``live.body``), the WARC source a record's stored payload (``warc``). The limit
counts *decoded* bytes, and no stage inflates far past it, so a compression
bomb stops early. A coding not listed here is ``UndecodableText``; a corrupt
stream, or one that ends early, is ``TruncatedBody``: never a partial body.

It lives beside ``http.py`` rather than in ``live`` so that the WARC source
uses it without reaching into the fetcher.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import zstandard

from series_archiver.errors import TooLarge, TruncatedBody, UndecodableText

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is a dependency, but br is only advertised if it imports
    brotli = None

__all__ = ["ACCEPT_ENCODING", "Decoding", "codings", "decode_content"]

ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
_ERRORS: tuple[type[Exception], ...] = (zlib.error, zstandard.ZstdError) + ((brotli.error,) if brotli is not None else ())
# zstd cannot be told to stop at a length: it is fed this many bytes at a time, each of which
# inflates to 32 KiB at most (an RLE block), so a bomb overshoots the limit by 8 MiB at worst.
_ZSTD_STEP = 256


class _Stage(Protocol):
    def feed(self, data: bytes, limit: int) -> bytes: ...

    def complete(self) -> bool: ...


class _Zlib:
    """gzip or deflate, never inflated past ``limit``."""

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


class _Zstd:
    def __init__(self) -> None:
        self._obj = zstandard.ZstdDecompressor().decompressobj()

    def feed(self, data: bytes, limit: int) -> bytes:
        out = bytearray()
        for i in range(0, len(data), _ZSTD_STEP):
            if self._obj.eof:
                break
            out += self._obj.decompress(data[i : i + _ZSTD_STEP])
            if len(out) >= limit:
                break
        return bytes(out)

    def complete(self) -> bool:
        return bool(self._obj.eof)


def codings(content_encoding: str) -> list[str]:
    """The codings of a Content-Encoding (or Transfer-Encoding) value, in the order applied, ``identity`` left out.

    >>> codings("gzip, BR")
    ['gzip', 'br']
    """
    return [c.strip().lower() for c in content_encoding.split(",") if c.strip().lower() not in ("", "identity")]


def _stage(coding: str) -> _Stage | None:
    if coding in ("gzip", "x-gzip"):
        return _Zlib(gzip=True)
    if coding == "deflate":
        return _Zlib(gzip=False)
    if coding == "br" and brotli is not None:
        return _Brotli()
    if coding == "zstd":
        return _Zstd()
    return None


class Decoding:
    """One body being decoded: its codings undone in turn (the last applied first), never past ``max_bytes``.

    An inner stage's output is compressed data of the next one, so it is allowed a
    little more than what is left of the limit; past that the body is too large.
    """

    def __init__(self, url: str, content_encoding: str, max_bytes: int) -> None:
        self.url = url
        self.coding = content_encoding
        self.max_bytes = max_bytes
        self._stages: list[_Stage] = []
        for coding in reversed(codings(content_encoding)):
            stage = _stage(coding)
            if stage is None:
                raise UndecodableText(url, f"Content-Encoding {content_encoding!r}: {coding!r} is no coding this tool can undo")
            self._stages.append(stage)
        self._body = bytearray()

    def feed(self, data: bytes, *, received: int) -> None:
        """Decode the next raw bytes; ``received`` raw bytes so far, for the message of an error."""
        left = self.max_bytes + 1 - len(self._body)
        try:
            for i, stage in enumerate(self._stages):
                last = i == len(self._stages) - 1
                budget = left if last else left + left // 16 + 65536
                data = stage.feed(data, budget)
                if not last and len(data) >= budget:
                    self._too_large(received)
        except _ERRORS as exc:
            raise TruncatedBody(
                self.url, f"the {self.coding} body is corrupt after {received:,} bytes ({exc}); nothing is kept", received=received
            ) from exc
        self._body += data
        if len(self._body) > self.max_bytes:
            self._too_large(received)

    def _too_large(self, received: int) -> None:
        raise TooLarge(
            self.url,
            f"body is larger than fetch.max_bytes ({self.max_bytes:,} bytes decoded); stopped after "
            f"{received:,} bytes received. Raise fetch.max_bytes if the page is genuine",
            received=received,
        )

    def body(self, *, received: int) -> bytes:
        """The whole decoded body; ``TruncatedBody`` if a compressed stream did not reach its end."""
        if received and not all(stage.complete() for stage in self._stages):
            raise TruncatedBody(self.url, f"the {self.coding} stream ends early after {received:,} bytes; nothing is kept", received=received)
        return bytes(self._body)


def decode_content(url: str, content_encoding: str, data: bytes, max_bytes: int) -> bytes:
    """A whole stored body with its content codings undone (``UndecodableText``, ``TruncatedBody``, ``TooLarge``)."""
    decoding = Decoding(url, content_encoding, max_bytes)
    step = 1 << 16  # fed in slices, so a bomb stops within one slice of the limit
    for i in range(0, len(data), step):
        decoding.feed(data[i : i + step], received=min(i + step, len(data)))
    return decoding.body(received=len(data))
