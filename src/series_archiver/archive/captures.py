"""How a capture's bytes are stored: zstd, each one a delta against the capture of its URL before it.

A page re-fetched with only its furniture changed (a view counter, the ranking
box, a timestamp) differs from the capture before it by a few dozen bytes, and
kept whole it costs the archive 5–20 KB every pass. So a capture is compressed
with zstd using the previous capture of the same URL as a raw-content
dictionary (``ZstdCompressionDict(previous, dict_type=DICT_TYPE_RAWCONTENT)``):
zstd then finds every unchanged run in the previous page, and the frame holds
little more than the changed bytes. Measured on a 47 KB synthetic page with a
new view count and ranking box: 100 bytes (level 9, 0.2 ms) where zlib stored
8 KB. A binary delta (bsdiff4, xdelta3) cannot do much better than "these
bytes changed at these offsets", would be a second compiled dependency and
still needs a compressor for the first capture; zstd is one library for both.

Codecs (``captures.codec``):

* ``zstd``: a whole capture, zstd level 9, no dictionary (``chain`` 0);
* ``zstd-delta``: zstd with the bytes of ``base_capture_id`` as dictionary:
  the last whole capture of the same URL. ``chain`` counts the captures of the
  URL since that whole one (1, 2, …);
* ``zlib``: a whole capture as release 0.1 stored them (schema step 6
  converts those; still read, so a half-understood row never blocks a reader).

Every delta is against a whole capture, never against another delta, so any
capture is rebuilt from at most two frames, whatever the order it is read in
(an export reads captures by id, all URLs interleaved). A new whole capture
is stored after ``DELTA_CHAIN - 1`` deltas on one (so one damaged whole frame
spoils at most that many captures after it), or sooner when the page has
drifted from it: a delta larger than a quarter of the whole frame. Why not
deltas against the previous capture, a whole one every N: with N = 16 the
whole frames (7 KB each, against ~200 bytes a delta) were two thirds of what a
furniture-only re-fetch cost, and a larger N makes a read walk N frames.

``CaptureChains`` rebuilds captures through their chains and remembers the
last whole capture rebuilt per URL, so a writer adding captures in turn and
``verify`` reading them chain by chain decompress each frame once.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import zstandard

__all__ = [
    "DELTA_CHAIN",
    "CaptureChains",
    "Encoded",
    "Rebuilt",
    "StoredPayload",
    "UnreadableCapture",
    "decode",
    "encode",
    "encode_headers",
    "encode_whole",
    "headers_json",
]

# A whole capture at least every DELTA_CHAIN captures of a URL: a damaged
# whole frame spoils at most the DELTA_CHAIN - 1 deltas on it, and a whole
# frame (~7 KB) costs each of them ~110 bytes.
DELTA_CHAIN = 64
# A delta larger than this part of its base's whole frame: store a new whole one.
DRIFT = 0.25
# Level 9 for both. On a 56 KB page: 7.3 KB whole in 1 ms, where zlib -6
# gave 8.1 KB in 0.7 ms and level 19 7.1 KB in 68 ms (a first crawl stores a
# whole capture per page: 19 would triple its time); deltas as small as at
# level 19 within 15 bytes, 20 times faster.
WHOLE_LEVEL = 9
DELTA_LEVEL = 9
# How many URLs' last rebuilt capture a CaptureChains keeps (~50 KB each). It
# saves reading and decompressing a base again when the same URL is stored or
# read twice in a row (a page and its re-fetch, an export's header then body);
# a pass over more URLs than this evicts each before its next fetch anyway, so a
# larger cache only raised a 1,000-page crawl's peak RSS (by 12 MB at 256).
CACHE_URLS = 32


class UnreadableCapture(Exception):
    """A capture whose stored frames cannot be rebuilt (damaged, or its base is missing)."""

    def __init__(self, capture_id: int, detail: str) -> None:
        super().__init__(f"capture {capture_id}: {detail}")
        self.capture_id = capture_id
        self.detail = detail


@dataclass(frozen=True)
class Encoded:
    codec: str
    base_capture_id: int | None
    chain: int
    raw: bytes
    headers: bytes


@dataclass(frozen=True)
class Rebuilt:
    """A capture's bytes and its headers JSON as stored, rebuilt through its chain."""

    capture_id: int
    url: str
    sha256: str
    body: bytes
    headers: bytes  # JSON {"request": [[name, value], ...], "response": [...]}

    def request_headers(self) -> str:
        return json.dumps(json.loads(self.headers)["request"], ensure_ascii=False)

    def response_headers(self) -> str:
        return json.dumps(json.loads(self.headers)["response"], ensure_ascii=False)


def headers_json(request: Sequence[Sequence[str]] | None, response: Sequence[Sequence[str]] | None) -> bytes:
    """The headers of a capture as the bytes ``captures.headers`` compresses."""
    return json.dumps({"request": [list(p) for p in request or ()], "response": [list(p) for p in response or ()]}, ensure_ascii=False).encode()


# A compressor without a dictionary, one per thread and level (a ZstdCompressor serves one thread at
# a time): making its context anew took 0.1 ms of a page's 0.6 (the same frames either way).
_plain = threading.local()


def _compressor(level: int, base: bytes | None) -> zstandard.ZstdCompressor:
    # The content size and checksum go in the frame: a reader checks both. The
    # dictionary id does not (raw-content dictionaries have none).
    if base is None:
        made: dict[int, zstandard.ZstdCompressor] = _plain.__dict__.setdefault("by_level", {})
        if level not in made:
            made[level] = zstandard.ZstdCompressor(level=level, write_checksum=True, write_content_size=True)
        return made[level]
    dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
    return zstandard.ZstdCompressor(level=level, dict_data=dictionary, write_checksum=True, write_content_size=True, write_dict_id=False)


def encode(body: bytes, headers: bytes, base: Rebuilt | None, base_chain: int, base_size: int = 0, *, whole: Encoded | None = None) -> Encoded:
    """The frames to store for a capture: a delta against ``base``, or whole.

    ``base``: the URL's last whole capture, rebuilt; ``base_chain``: the
    ``chain`` of the URL's latest capture (how many captures since ``base``);
    ``base_size``: the length of ``base``'s stored frame. Whole when there is
    no base, after ``DELTA_CHAIN - 1`` deltas, or when the delta would be
    larger than ``DRIFT`` of ``base_size``. ``whole``: these bytes compressed
    whole already (``encode_whole``, in an import's reader process).
    """
    if base is not None and base_chain + 1 < DELTA_CHAIN:
        raw = _compressor(DELTA_LEVEL, base.body).compress(body)
        if not base_size or len(raw) <= DRIFT * base_size:
            return Encoded("zstd-delta", base.capture_id, base_chain + 1, raw, _compressor(DELTA_LEVEL, base.headers).compress(headers))
    return whole if whole is not None else encode_whole(body, headers)


def encode_whole(body: bytes, headers: bytes) -> Encoded:
    """A capture's frames stored whole: the same bytes wherever they are compressed (zstd is deterministic)."""
    c = _compressor(WHOLE_LEVEL, None)
    return Encoded("zstd", None, 0, c.compress(body), c.compress(headers))


def encode_headers(headers: bytes, base_headers: bytes | None) -> bytes:
    """The headers frame alone (the migration from 0.1 stores the body and headers it read)."""
    return _compressor(DELTA_LEVEL if base_headers is not None else WHOLE_LEVEL, base_headers).compress(headers)


def decode(codec: str, frame: bytes | None, base: bytes | None) -> bytes:
    """One stored frame's bytes; ``base``: the base capture's rebuilt bytes, for a delta. Raises ValueError."""
    if frame is None:
        raise ValueError("no bytes stored")
    try:
        if codec == "zlib":
            return zlib.decompress(frame)
        if codec == "zstd":
            return zstandard.ZstdDecompressor().decompress(frame)
        if codec == "zstd-delta":
            if base is None:
                raise ValueError("a delta without its base")
            dictionary = zstandard.ZstdCompressionDict(base, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
            return zstandard.ZstdDecompressor(dict_data=dictionary).decompress(frame)
    except zstandard.ZstdError as exc:
        raise ValueError(f"zstd: {exc}") from exc
    except zlib.error as exc:
        raise ValueError(f"zlib: {exc}") from exc
    raise ValueError(f"unknown codec {codec!r}")


# --- rebuilding through the chains ------------------------------------------------------

_ROW = "SELECT id, url, sha256, codec, base_capture_id, raw, headers FROM captures"
_META = "SELECT id, url, fetched_at, sha256, size FROM captures"
# An archive before schema step 6 (read by ``rederive --dry-run`` before it is upgraded).
_ROW_BEFORE_STEP_6 = "SELECT id, url, sha256, 'zlib', NULL, raw_zlib, NULL FROM captures"


@dataclass(frozen=True)
class _Row:
    id: int
    url: str
    sha256: str
    codec: str
    base_capture_id: int | None
    raw: bytes | None
    headers: bytes | None


@dataclass(frozen=True)
class StoredPayload:
    """A capture's bytes rebuilt from its frames, with the SHA-256 and size recorded beside them.

    ``body`` is None when the frames cannot be rebuilt; ``error`` says why.
    """

    capture_id: int
    url: str
    fetched_at: str
    sha256: str
    size: int
    body: bytes | None
    error: str | None = None


class CaptureChains:
    """Rebuilds captures through their delta chains, remembering the last whole capture rebuilt per URL.

    One per connection; ``forget()`` after a rolled-back transaction (a row id
    may be given again to other bytes).
    """

    def __init__(self, conn: Any, cache_urls: int = CACHE_URLS) -> None:
        self.conn = conn
        self.cache_urls = cache_urls
        self._last: OrderedDict[str, Rebuilt] = OrderedDict()
        # The capture rebuilt last, whatever its kind: an export reads a
        # capture's headers, then its payload.
        self._recent: Rebuilt | None = None
        self._select: str | None = None
        self._prepared: dict[int, tuple[bytes, bytes, Encoded]] = {}  # by id(body): see prepare_whole

    def forget(self) -> None:
        self._last.clear()
        self._recent = None

    def prepare_whole(self, body: bytes, headers: bytes, whole: Encoded) -> None:
        """``whole`` is ``encode_whole(body, headers)``, made elsewhere: taken if the capture of ``body`` is stored whole.

        Kept for the capture being recorded only (``whole_for`` hands it out once;
        ``clear_prepared`` drops the rest), by the very ``body`` object.
        """
        self._prepared[id(body)] = (body, headers, whole)

    def whole_for(self, body: bytes, headers: bytes) -> Encoded | None:
        found = self._prepared.pop(id(body), None)
        return found[2] if found is not None and found[0] is body and found[1] == headers else None

    def clear_prepared(self) -> None:
        self._prepared.clear()

    def remember(self, rebuilt: Rebuilt) -> None:
        self._last[rebuilt.url] = rebuilt
        self._last.move_to_end(rebuilt.url)
        while len(self._last) > self.cache_urls:
            self._last.popitem(last=False)

    def _cached(self, capture_id: int, url: str, sha256: str) -> Rebuilt | None:
        for hit in (self._recent, self._last.get(url)):
            if hit is not None and hit.capture_id == capture_id and hit.sha256 == sha256:
                return hit
        return None

    def _row(self, capture_id: int) -> _Row | None:
        if self._select is None:
            columns = {r[1] for r in self.conn.execute("PRAGMA table_info(captures)")}
            self._select = _ROW if "codec" in columns else _ROW_BEFORE_STEP_6
        row = self.conn.execute(f"{self._select} WHERE id = ?", (capture_id,)).fetchone()
        return _Row(*row) if row is not None else None

    def rebuild(self, capture_id: int) -> Rebuilt:
        """The capture's bytes and headers; raises UnreadableCapture naming it (and the base that failed, if another)."""
        try:
            return self._rebuild(capture_id)
        except UnreadableCapture as exc:
            if exc.capture_id == capture_id:
                raise
            raise UnreadableCapture(capture_id, f"its base capture {exc.capture_id} cannot be rebuilt ({exc.detail})") from None

    def _rebuild(self, capture_id: int) -> Rebuilt:
        row = self._row(capture_id)
        if row is None:
            raise UnreadableCapture(capture_id, "does not exist")
        # Walk back to a whole capture, or to one already rebuilt, then forward.
        pending: list[_Row] = []
        base: Rebuilt | None = None
        seen: set[int] = set()
        while row is not None:
            hit = self._cached(row.id, row.url, row.sha256)
            if hit is not None:
                base = hit
                break
            pending.append(row)
            seen.add(row.id)
            if row.codec != "zstd-delta":
                break
            if row.base_capture_id is None or row.base_capture_id in seen:
                raise UnreadableCapture(row.id, "a delta whose base capture is not recorded")
            parent = self._row(row.base_capture_id)
            if parent is None:
                raise UnreadableCapture(row.id, f"its base capture {row.base_capture_id} does not exist")
            row = parent
        for step in reversed(pending):
            base = self._apply(step, base)
        assert base is not None
        self._recent = base
        return base

    def _apply(self, row: _Row, base: Rebuilt | None) -> Rebuilt:
        if row.codec == "zstd-delta" and (base is None or base.capture_id != row.base_capture_id):
            raise UnreadableCapture(row.id, f"its base capture {row.base_capture_id} could not be rebuilt")
        try:
            body = decode(row.codec, row.raw, base.body if base else None)
        except ValueError as exc:
            raise UnreadableCapture(row.id, str(exc)) from None
        if row.headers is None:
            headers = headers_json(None, None)
        else:
            try:
                headers = decode("zlib" if row.codec == "zlib" else row.codec, row.headers, base.headers if base else None)
            except ValueError as exc:
                raise UnreadableCapture(row.id, f"headers: {exc}") from None
        rebuilt = Rebuilt(row.id, row.url, row.sha256, body, headers)
        if row.codec != "zstd-delta":
            self.remember(rebuilt)  # a base for the URL's deltas; a delta is no one's base
        return rebuilt

    def payload(self, capture_id: int) -> StoredPayload | None:
        """The capture as stored, rebuilt (or why not); None when there is no such capture."""
        meta = self.conn.execute(f"{_META} WHERE id = ?", (capture_id,)).fetchone()
        return None if meta is None else self._payload(meta)

    def payloads(self) -> Iterator[StoredPayload]:
        """Every capture, rebuilt, chain by chain (URL, then id): each frame is decompressed once.

        The rows are read a URL at a time, so memory holds one URL's frames.
        """
        urls = [r[0] for r in self.conn.execute("SELECT DISTINCT url FROM captures ORDER BY url")]
        for url in urls:
            for meta in self.conn.execute(f"{_META} WHERE url = ? ORDER BY id", (url,)).fetchall():
                yield self._payload(meta)

    def _payload(self, meta: tuple[int, str, str, str, int]) -> StoredPayload:
        capture_id, url, fetched_at, sha256, size = meta
        try:
            return StoredPayload(capture_id, url, fetched_at, sha256, size, self.rebuild(capture_id).body)
        except UnreadableCapture as exc:
            return StoredPayload(capture_id, url, fetched_at, sha256, size, None, exc.detail)
