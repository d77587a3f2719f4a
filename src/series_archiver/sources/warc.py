"""WARC, ARC and WACZ files as a source: their records indexed, and read back as the pages they captured.

A file is read twice, streaming, so memory stays flat however large it is:

1. ``WarcFile.index`` (``framing.scan``: headers only) notes each ``response``
   and ``revisit`` record of an http(s) URL of an allowed host: its date,
   offset, id and payload digest (a hundred bytes a record); other records are
   counted and passed over; damage (a record that cannot be read, a bad gzip
   member, a cut) is kept with its byte offset, and the index goes on at the
   next record. An ARC file (v1, and v2) is read the same way, its records
   given a stable id made of the file's name and the record's offset;
2. ``RecordPages`` reads a record by offset as the ``FetchedPage`` a live fetch
   gives: its transfer and content codings undone by the fetcher's own bounded
   decoder (``encoding``: gzip, deflate, br, zstd, chains of them), its header
   bytes read as UTF-8, else ISO-8859-1. What its status means (a page, a
   redirect to follow in the file, a removal, a takedown) is
   ``read.response``'s, as for every source; a redirect is followed to the
   file's record of its target nearest in time, under either twin of its URL.

A revisit is resolved (``Originals``) to the response it refers to: by
``WARC-Refers-To``, by ``WARC-Refers-To-Target-URI`` and ``-Date``, then by
payload digest, in its own file first, then in every file of the same import.
Against the archive (captures already there) the import resolves it itself.

A WACZ is a zip: ``warc_files`` copies each WARC under ``archive/`` out to a
temporary file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import shutil
import sys
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from warcio.statusandheaders import StatusAndHeadersParser

from series_archiver import urls
from series_archiver.errors import DamagedFile, DamagedRecord, ExportError, FetchError, HTTPStatusError, TooLarge, UndecodableText
from series_archiver.models import FetchedPage, Provenance
from series_archiver.read.charset import decode_page, refuse_non_html
from series_archiver.read.response import check_block, follow
from series_archiver.sites import BUILT_IN, Registry
from series_archiver.sources.encoding import codings, decode_content
from series_archiver.sources.framing import Head, block_chunks, scan

__all__ = [
    "ARCHIVE_SUFFIXES", "Originals", "RecordPages", "Stored", "WarcEntry", "WarcFile", "archive_paths", "digest_of", "warc_files",
]

ARCHIVE_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz", ".wacz")
_HTTP_HEAD_MAX = 1 << 16  # an HTTP status line and headers longer than this are no response
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://series-archiver/arc-record")
_HTML_START = re.compile(rb"\s*(?:<!doctype|<html|<head|<body|<meta|<!--)", re.IGNORECASE)
_DIGEST_SIZES = {"sha1": 20, "sha256": 32, "sha512": 64, "md5": 16}


@dataclass(frozen=True, slots=True)  # one per record of every file, in the writer and each reader process
class WarcEntry:
    """One response or revisit record of a WARC (or ARC) file, as its index pass noted it."""

    date: datetime
    offset: int
    uri: str
    kind: str  # response or revisit
    record_id: str
    digest: str | None
    refers_to: str | None
    head_length: int
    block_length: int
    refers_to_uri: str | None = None
    refers_to_date: datetime | None = None


@dataclass(frozen=True)
class Stored:
    """A record's HTTP response, as ``read.response`` judges it: its payload with every coding undone."""

    url: str
    status: int
    location: str | None
    headers: tuple[tuple[str, str], ...]
    payload: bytes
    protocol: str
    entry: WarcEntry


def _warc_date(text: str | None) -> datetime:
    value = (text or "").strip().replace("Z", "+00:00")
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def digest_of(text: str | None) -> tuple[str, bytes] | None:
    """A ``WARC-Payload-Digest`` as (algorithm, raw bytes), whatever its spelling (base32, hex, base64); None if unreadable.

    >>> digest_of("sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ")[0]
    'sha1'
    """
    algo, sep, value = (text or "").strip().partition(":")
    algo = algo.lower().replace("-", "")
    size = _DIGEST_SIZES.get(algo)
    if not sep or size is None:
        return None
    value = value.strip()
    decoders: tuple[Callable[[str], bytes], ...] = (
        lambda v: base64.b32decode(v.upper() + "=" * (-len(v) % 8)),
        bytes.fromhex,
        lambda v: base64.b64decode(v + "=" * (-len(v) % 4), validate=True),
    )
    for decode in decoders:
        try:
            raw = decode(value)
        except (ValueError, binascii.Error):
            continue
        if len(raw) == size:
            return algo, raw
    return None


def _http_head(block: bytes) -> tuple[int, bytes] | None:
    """Where the HTTP headers of a block end, and the block's first bytes up to there; None if they do not end."""
    ends = [(i, n) for i, n in ((block.find(b"\r\n\r\n"), 4), (block.find(b"\n\n"), 2)) if i >= 0]
    if not ends:
        return None
    at, n = min(ends)
    return at + n, block[: at + n]


def _dechunk(payload: bytes) -> bytes | None:
    """A chunked body joined; None if it is not chunked at all (stored already joined)."""
    out = bytearray()
    pos = 0
    while True:
        eol = payload.find(b"\n", pos)
        size_text = payload[pos:eol].split(b";", 1)[0].strip() if eol >= 0 else b""
        try:
            size = int(size_text, 16)
        except ValueError:
            if pos == 0:
                return None
            raise ValueError(f"a broken chunked body (a chunk size of {size_text[:20]!r} at byte {pos})") from None
        start = eol + 1
        if size == 0:
            return bytes(out)
        if start + size > len(payload):
            raise ValueError(f"a chunked body cut inside a chunk ({len(payload) - start:,} of {size:,} bytes)")
        out += payload[start : start + size]
        pos = start + size
        pos += 2 if payload[pos : pos + 2] == b"\r\n" else 1 if payload[pos : pos + 1] == b"\n" else 0


def headers_for_httpx(pairs: Sequence[tuple[str, str]]) -> httpx.Headers:
    """Stored headers as ``httpx.Headers``, which takes ASCII text only: values are handed over as their UTF-8 bytes."""
    return httpx.Headers([(k.encode("utf-8", "replace"), v.encode("utf-8", "replace")) for k, v in pairs])


class WarcFile:
    """One WARC or ARC file: its index, its damage, and its records read by offset."""

    def __init__(self, path: Path, name: str, *, keep: Callable[[str], bool] = lambda _uri: True) -> None:
        self.path = path
        self.name = name
        self.keep = keep  # whether a record's URL is worth noting (an allowed host)
        self.size = path.stat().st_size
        self.entries: list[WarcEntry] = []
        # By urls.key (a record of either twin answers for both): a URL's one record, or a list of its
        # records; one per record of a big file, so the common case holds no list.
        self._by_key: dict[str, WarcEntry | list[WarcEntry]] = {}
        # By record id and by payload digest: what a revisit refers to. Made when first asked
        # (``lookups``), so an import of files without revisits never holds them.
        self._by_id: dict[str, WarcEntry] | None = None
        self._by_digest: dict[tuple[str, bytes], WarcEntry] | None = None
        self._lookups_lock = threading.Lock()
        self.revisits = 0
        self.records = 0
        self.passed_over = 0
        self.damage: list[DamagedFile] = []
        self.originals: Originals | None = None  # set when the file is one of several of an import
        self._digests: dict[tuple[int, str], bytes | None] = {}  # payload digests computed, by (offset, algorithm)

    def index(self, progress: Callable[[int], None] | None = None) -> None:
        """Note the file's records (``progress`` gets the bytes read so far); ``DamagedFile`` if it is no archive at all."""
        for found in scan(self.path, self.name):
            if isinstance(found, DamagedFile):
                self.damage.append(found)
                continue
            self.records += 1
            if progress is not None:
                progress(found.offset)
            try:
                entry = self._entry(found)
            except ValueError as exc:
                self.damage.append(DamagedFile(self.name, str(exc), offset=found.offset))
                continue
            if entry is None:
                self.passed_over += 1
                continue
            self.entries.append(entry)
            self.revisits += entry.kind == "revisit"
            key = urls.key(entry.uri)
            known = self._by_key.setdefault(key, entry)
            if known is not entry:
                if isinstance(known, list):
                    known.append(entry)
                else:
                    self._by_key[key] = [known, entry]
        if progress is not None:
            progress(self.size)

    def with_key(self, key: str) -> Sequence[WarcEntry]:
        """The file's records whose URL has ``urls.key`` ``key``, in file order."""
        found = self._by_key.get(key)
        return () if found is None else found if isinstance(found, list) else (found,)

    @property
    def by_id(self) -> dict[str, WarcEntry]:
        """The file's records by ``WARC-Record-ID`` (the first of an id)."""
        return self.lookups()[0]

    @property
    def by_digest(self) -> dict[tuple[str, bytes], WarcEntry]:
        """The file's responses by payload digest (``digest_of``; the first of a digest)."""
        return self.lookups()[1]

    def lookups(self) -> tuple[dict[str, WarcEntry], dict[tuple[str, bytes], WarcEntry]]:
        """The lookups by id and by digest, made once from the index."""
        if self._by_id is None or self._by_digest is None:
            with self._lookups_lock:
                if self._by_id is None or self._by_digest is None:
                    by_id: dict[str, WarcEntry] = {}
                    by_digest: dict[tuple[str, bytes], WarcEntry] = {}
                    for entry in self.entries:
                        by_id.setdefault(entry.record_id, entry)
                        parsed = digest_of(entry.digest) if entry.kind == "response" else None
                        if parsed is not None:
                            by_digest.setdefault(parsed, entry)
                    self._by_id, self._by_digest = by_id, by_digest
        return self._by_id, self._by_digest

    def _entry(self, head: Head) -> WarcEntry | None:
        kind = sys.intern((head.get("WARC-Type") or "").strip().lower())  # one string for every record of a kind
        uri = (head.get("WARC-Target-URI") or "").strip().removeprefix("<").removesuffix(">")
        if kind not in ("response", "revisit") or not uri.startswith(("http://", "https://")) or not self.keep(uri):
            return None
        try:
            date = _warc_date(head.get("WARC-Date"))
        except ValueError:
            raise ValueError(f"a record dated {head.get('WARC-Date')!r}, which is no date; passed over") from None
        # An ARC record has no id (nor has a careless WARC writer's): its file and offset stand for one.
        record_id = (head.get("WARC-Record-ID") or "").strip() or f"<urn:uuid:{uuid.uuid5(_ID_NAMESPACE, f'{self.name}#{head.offset}')}>"
        refers_date = head.get("WARC-Refers-To-Date")
        try:
            refers_at = _warc_date(refers_date) if refers_date else None
        except ValueError:
            refers_at = None
        return WarcEntry(
            date, head.offset, uri, kind, record_id, head.get("WARC-Payload-Digest"), head.get("WARC-Refers-To"),
            head.head_length, head.block_length, head.get("WARC-Refers-To-Target-URI"), refers_at,
        )

    def _block(self, entry: WarcEntry, limit: int | None = None) -> Iterator[bytes]:
        try:
            yield from block_chunks(self.path, self.name, entry.offset, entry.head_length, entry.block_length, limit=limit)
        except DamagedFile as exc:
            raise DamagedRecord(entry.uri, self.name, entry.offset, exc.problem) from None

    def read(self, entry: WarcEntry, max_bytes: int) -> Stored:
        """The record's status, headers, payload (transfer and content codings undone) and protocol; a revisit's original's."""
        if entry.kind == "revisit":
            found = self.originals.find(self, entry) if self.originals is not None else Originals.alone(self, entry)
            if found is None:
                raise HTTPStatusError(entry.uri, 0, f"revisit {entry.record_id} in {self.name} refers to no response of the files imported")
            warc, original = found
            stored = warc.read(original, max_bytes)
            return Stored(entry.uri, stored.status, stored.location, stored.headers, stored.payload, stored.protocol, entry)
        return self._read_response(entry, max_bytes)

    def _damaged(self, entry: WarcEntry, problem: str) -> DamagedRecord:
        return DamagedRecord(entry.uri, self.name, entry.offset, problem)

    def _read_response(self, entry: WarcEntry, max_bytes: int) -> Stored:
        start = b"".join(self._block(entry, _HTTP_HEAD_MAX))
        found = _http_head(start)
        if found is None:
            raise self._damaged(entry, "no HTTP status line and headers at the start of its block")
        head_length, head = found
        parsed = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False).parse(io.BytesIO(head))
        protocol = (parsed.protocol or "").strip()
        try:
            status = int((parsed.statusline or "").split(" ", 1)[0])
        except ValueError:
            status = 0
        if not protocol.upper().startswith("HTTP/") or not 100 <= status <= 599:
            raise self._damaged(entry, f"no HTTP status line (it begins {start[:40]!r})")
        headers = tuple((str(k), str(v)) for k, v in parsed.headers)
        location = next((v for k, v in headers if k.lower() == "location"), None)
        if status != 200:
            return Stored(entry.uri, status, location, headers, b"", protocol, entry)
        httpx_headers = headers_for_httpx(headers)
        refuse_non_html(entry.uri, httpx_headers)
        size = entry.block_length - head_length
        if size > max_bytes + max_bytes // 16 + 65536:  # compressed, it would still decode past the limit
            raise TooLarge(entry.uri, f"a payload of {size:,} bytes in {self.name}, more than fetch.max_bytes ({max_bytes:,})")
        payload = b"".join(self._block(entry))[head_length:]
        return Stored(entry.uri, status, location, headers, self._decoded(entry, httpx_headers, payload, max_bytes), protocol, entry)

    def _decoded(self, entry: WarcEntry, headers: httpx.Headers, payload: bytes, max_bytes: int) -> bytes:
        """The payload with its transfer codings (chunked, and any other) and content codings undone."""
        transfer = codings(headers.get("transfer-encoding", ""))
        if transfer and transfer[-1] == "chunked":
            try:
                joined = _dechunk(payload)
            except ValueError as exc:
                raise self._damaged(entry, str(exc)) from None
            payload = payload if joined is None else joined
            transfer = transfer[:-1]
        content = ", ".join([*transfer, *codings(headers.get("content-encoding", ""))])
        if not content:
            return payload
        try:
            return decode_content(entry.uri, content, payload, max_bytes)
        except FetchError as exc:
            if isinstance(exc, TooLarge | UndecodableText) or not _HTML_START.match(payload[:1024]):
                raise
            # A known coding that fails at once on a body that is HTML as it stands: browser-based
            # crawlers may store the body as the browser gave it, decoded, under the server's header.
            return payload

    def payload_digest(self, entry: WarcEntry, algo: str) -> bytes | None:
        """The digest of a response's payload as stored (what ``WARC-Payload-Digest`` covers); None if it has no HTTP headers."""
        key = (entry.offset, algo)
        if key not in self._digests:
            self._digests[key] = self._payload_digest(entry, algo)
        return self._digests[key]

    def _payload_digest(self, entry: WarcEntry, algo: str) -> bytes | None:
        hasher = hashlib.new(algo)
        start = b""
        hashing = False
        for chunk in self._block(entry):
            if hashing:
                hasher.update(chunk)
                continue
            start += chunk
            found = _http_head(start[:_HTTP_HEAD_MAX])
            if found is None:
                if len(start) >= _HTTP_HEAD_MAX:
                    return None
                continue
            hashing = True
            hasher.update(start[found[0] :])
        return hasher.digest() if hashing else None

    def nearest(self, uri: str, when: datetime) -> WarcEntry | None:
        """The file's record of ``uri`` (or a twin of it) nearest in time to ``when``."""
        candidates = self.with_key(urls.key(uri))
        return min(candidates, key=lambda e: abs((e.date - when).total_seconds()), default=None)


class Originals:
    """The responses of every file of one import, by id, by URL and date, by payload digest: what a revisit refers to."""

    def __init__(self) -> None:
        self.files: list[WarcFile] = []

    def add(self, warc: WarcFile) -> None:
        self.files.append(warc)
        warc.originals = self

    @staticmethod
    def alone(warc: WarcFile, entry: WarcEntry) -> tuple[WarcFile, WarcEntry] | None:
        return Originals._in([warc], entry)

    def find(self, warc: WarcFile, entry: WarcEntry) -> tuple[WarcFile, WarcEntry] | None:
        """The response a revisit's payload is that of: in its own file first, then in the others."""
        return self._in([warc, *(f for f in self.files if f is not warc)], entry)

    @staticmethod
    def _in(files: Sequence[WarcFile], entry: WarcEntry) -> tuple[WarcFile, WarcEntry] | None:
        checks: list[Callable[[WarcFile], WarcEntry | None]] = []
        if entry.refers_to:
            checks.append(lambda f: f.by_id.get(entry.refers_to or ""))
        if entry.refers_to_date is not None:
            uri = entry.refers_to_uri or entry.uri
            checks.append(lambda f: next((e for e in f.with_key(urls.key(uri)) if e.date == entry.refers_to_date), None))
        parsed = digest_of(entry.digest)
        if parsed is not None:
            checks.append(lambda f: f.by_digest.get(parsed))
            checks.append(lambda f: _same_payload(f, entry, parsed))
        for check in checks:
            for f in files:
                found = check(f)
                if found is not None and found.kind == "response":
                    return f, found
        return None


def _same_payload(warc: WarcFile, entry: WarcEntry, digest: tuple[str, bytes]) -> WarcEntry | None:
    """A response of the revisit's URL that names no digest of its own, whose payload has the revisit's."""
    uri = entry.refers_to_uri or entry.uri
    for candidate in warc.with_key(urls.key(uri)):
        if candidate.kind == "response" and digest_of(candidate.digest) is None:
            try:
                if warc.payload_digest(candidate, digest[0]) == digest[1]:
                    return candidate
            except DamagedRecord:
                continue
    return None


class RecordPages:
    """A page source: the record asked for first, the file's other records for further pages and redirects.

    ``original``: the response a revisit's payload is, when the import found it
    outside the files (a capture already in the archive).
    """

    def __init__(
        self, warc: WarcFile, entry: WarcEntry, registry: Registry = BUILT_IN, *, max_bytes: int = 8 << 20, original: Stored | None = None
    ) -> None:
        self.warc = warc
        self.entry = entry
        self.registry = registry
        self.max_bytes = max_bytes
        self.original = original

    def __call__(self, url: str) -> FetchedPage:
        first = self.entry if url == self.entry.uri else self.warc.nearest(url, self.entry.date)
        if first is None:
            raise HTTPStatusError(url, 0, f"{self.warc.name} holds no record of {url}")
        when = [first.date]  # a redirect's target is looked for near the redirect's own capture

        def hop(hop_url: str) -> Stored:
            entry = first if hop_url == url else self.warc.nearest(hop_url, when[-1])
            if entry is None:
                raise HTTPStatusError(url, 0, f"redirected to {hop_url}, which {self.warc.name} does not hold")
            when.append(entry.date)
            if entry is self.entry and self.original is not None:
                return self.original
            return self.warc.read(entry, self.max_bytes)

        def where(answer: Stored) -> str:
            return f" in {self.warc.name} (record {answer.entry.record_id}, {answer.entry.date.isoformat()})"

        answer, redirects = follow(url, hop, where=where, replays=True, registry=self.registry)
        decoded = decode_page(answer.url, headers_for_httpx(answer.headers), answer.payload, len(answer.payload))
        check_block(url, answer.url, 200, decoded.text, headers=answer.headers, where=where(answer), registry=self.registry)
        return FetchedPage(
            url=url, final_url=answer.url, status=200, fetched_at=first.date, content=answer.payload, text=decoded.text,
            encoding=decoded.encoding, content_type=decoded.content_type, response_headers=answer.headers,
            http_version=answer.protocol, redirects=redirects,
            provenance=Provenance("warc", warc_file=self.warc.name, warc_record_id=first.record_id, warc_offset=first.offset),
        )


def archive_paths(paths: Sequence[Path]) -> tuple[list[Path], list[DamagedFile]]:
    """The files to import: each file given, and the archive files of each folder given, in name order.

    A folder with none is said as damage; a path that does not exist is an error before anything is read.
    """
    out: list[Path] = []
    empty: list[DamagedFile] = []
    for path in paths:
        if path.is_dir():
            found = sorted((p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(ARCHIVE_SUFFIXES)), key=lambda p: p.name)
            if not found:
                empty.append(DamagedFile(str(path), f"a folder with no {', '.join(ARCHIVE_SUFFIXES)} file in it"))
            out += found
        elif path.is_file():
            out.append(path)
        else:
            raise ExportError(str(path), "no such file or folder; give .warc, .warc.gz, .arc, .arc.gz or .wacz files, or a folder of them")
    return out, empty


@contextmanager
def warc_files(path: Path) -> Iterator[list[tuple[Path, str]]]:
    """The WARC files of ``path``: itself, or those inside a WACZ, copied out to a temporary directory.

    ``DamagedFile`` for a WACZ that is no zip, or holds no WARC.
    """
    if not path.is_file():
        raise ExportError(str(path), "no such file; give a .warc, .warc.gz, .arc, .arc.gz or .wacz file")
    if path.suffix.lower() != ".wacz":
        yield [(path, path.name)]
        return
    with tempfile.TemporaryDirectory(prefix="series-archiver-wacz-") as tmp:
        try:
            wacz = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DamagedFile(path.name, f"a WACZ must be a zip file, and this is not ({exc})") from None
        out: list[tuple[Path, str]] = []
        with wacz:
            members = [m for m in wacz.namelist() if m.startswith("archive/") and m.lower().endswith((".warc", ".warc.gz"))]
            if not members:
                raise DamagedFile(path.name, "a WACZ with no WARC file under archive/")
            for i, member in enumerate(members):
                target = Path(tmp) / f"{i:04d}-{Path(member).name}"
                try:
                    with wacz.open(member) as src, target.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                except (zipfile.BadZipFile, OSError, EOFError) as exc:
                    raise DamagedFile(f"{path.name}#{member}", f"cannot be taken out of the WACZ ({exc})") from None
                out.append((target, f"{path.name}#{member}"))
        yield out
