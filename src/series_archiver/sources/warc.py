"""WARC and WACZ files as a source: their records indexed, and read back as the pages they captured.

A file is read twice, streaming, so memory stays flat however large it is:

1. ``WarcFile.index`` (warcio's ``ArchiveIterator``, WARC headers only) notes
   each ``response`` and ``revisit`` record of an http(s) URL: its date,
   offset, id and payload digest (a hundred bytes a record); ``request``,
   ``metadata``, ``warcinfo`` and ``resource`` records are counted and passed over;
2. ``RecordPages`` reads a record by offset as the ``FetchedPage`` a live fetch
   gives. A revisit is resolved to the payload of the response it refers to
   (``WARC-Refers-To``, else the payload digest); what the record's status
   means (a page, a redirect to follow in the file, a removal, a takedown) is
   ``read.response``'s, as for every source; a redirect is followed to the
   file's record of its target nearest in time, under either twin of its URL.

A WACZ is a zip: ``warc_files`` copies each WARC under ``archive/`` out to a
temporary file.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from warcio.archiveiterator import ArchiveIterator

from series_archiver import urls
from series_archiver.errors import ExportError, HTTPStatusError
from series_archiver.models import FetchedPage, Provenance
from series_archiver.read.charset import decode_page
from series_archiver.read.response import check_block, follow
from series_archiver.sites import BUILT_IN, Registry

__all__ = ["RecordPages", "WarcEntry", "WarcFile", "warc_files"]


@dataclass(frozen=True)
class WarcEntry:
    """One response or revisit record of a WARC file, as its index pass noted it."""

    date: datetime
    offset: int
    uri: str
    kind: str  # response or revisit
    record_id: str
    digest: str | None
    refers_to: str | None


@dataclass(frozen=True)
class _Stored:
    """A record's HTTP response, as ``read.response`` judges it."""

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


class WarcFile:
    """One WARC file: its index, and its records read by offset."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self.entries: list[WarcEntry] = []
        self.by_id: dict[str, WarcEntry] = {}
        self.by_digest: dict[str, WarcEntry] = {}
        self.by_key: dict[str, list[WarcEntry]] = {}  # by urls.key: a record of either twin answers for both
        self.records = 0
        self.passed_over = 0

    def index(self) -> None:
        with self.path.open("rb") as fh:
            # The index needs the WARC headers alone: the HTTP headers are parsed when the record is read.
            it = ArchiveIterator(fh, no_record_parse=True)
            for record in it:
                self.records += 1
                h = record.rec_headers
                uri = h.get_header("WARC-Target-URI") or ""
                if record.rec_type not in ("response", "revisit") or not uri.startswith(("http://", "https://")):
                    self.passed_over += 1
                    continue
                entry = WarcEntry(
                    _warc_date(h.get_header("WARC-Date")), it.get_record_offset(), uri, record.rec_type,
                    h.get_header("WARC-Record-ID") or "", h.get_header("WARC-Payload-Digest"), h.get_header("WARC-Refers-To"),
                )
                self.entries.append(entry)
                self.by_id[entry.record_id] = entry
                if entry.kind == "response" and entry.digest:
                    self.by_digest.setdefault(entry.digest, entry)
                self.by_key.setdefault(urls.key(uri), []).append(entry)

    def read(self, entry: WarcEntry) -> _Stored:
        """The record's status, headers, payload (transfer and content encodings undone) and protocol; a revisit's original's."""
        original = self.original(entry)
        with self.path.open("rb") as fh:
            fh.seek(original.offset)
            record = next(iter(ArchiveIterator(fh)))
            if record.http_headers is None:
                raise HTTPStatusError(entry.uri, 0, f"record {original.record_id} in {self.name} has no HTTP response")
            status = int(record.http_headers.get_statuscode() or 0)
            headers = tuple(record.http_headers.headers)
            protocol = record.http_headers.protocol or "HTTP/1.1"
            location = next((v for k, v in headers if k.lower() == "location"), None)
            return _Stored(entry.uri, status, location, headers, record.content_stream().read(), protocol, entry)

    def original(self, entry: WarcEntry) -> WarcEntry:
        """The response a revisit's payload is that of."""
        if entry.kind == "response":
            return entry
        target = self.by_id.get(entry.refers_to or "") or self.by_digest.get(entry.digest or "")
        if target is None or target.kind != "response":
            raise HTTPStatusError(entry.uri, 0, f"revisit {entry.record_id} in {self.name} refers to no response in the file")
        return target

    def nearest(self, uri: str, when: datetime) -> WarcEntry | None:
        """The file's record of ``uri`` (or a twin of it) nearest in time to ``when``."""
        candidates = self.by_key.get(urls.key(uri), [])
        return min(candidates, key=lambda e: abs((e.date - when).total_seconds()), default=None)


class RecordPages:
    """A page source: the record asked for first, the file's other records for further pages and redirects."""

    def __init__(self, warc: WarcFile, entry: WarcEntry, registry: Registry = BUILT_IN) -> None:
        self.warc = warc
        self.entry = entry
        self.registry = registry

    def __call__(self, url: str) -> FetchedPage:
        first = self.entry if url == self.entry.uri else self.warc.nearest(url, self.entry.date)
        if first is None:
            raise HTTPStatusError(url, 0, f"{self.warc.name} holds no record of {url}")
        when = [first.date]  # a redirect's target is looked for near the redirect's own capture

        def hop(hop_url: str) -> _Stored:
            entry = first if hop_url == url else self.warc.nearest(hop_url, when[-1])
            if entry is None:
                raise HTTPStatusError(url, 0, f"redirected to {hop_url}, which {self.warc.name} does not hold")
            when.append(entry.date)
            return self.warc.read(entry)

        def where(answer: _Stored) -> str:
            return f" in {self.warc.name} (record {answer.entry.record_id}, {answer.entry.date.isoformat()})"

        answer, redirects = follow(url, hop, where=where, replays=True, registry=self.registry)
        decoded = decode_page(answer.url, httpx.Headers(list(answer.headers)), answer.payload, len(answer.payload))
        check_block(url, answer.url, 200, decoded.text, headers=answer.headers, where=where(answer), registry=self.registry)
        return FetchedPage(
            url=url, final_url=answer.url, status=200, fetched_at=first.date, content=answer.payload, text=decoded.text,
            encoding=decoded.encoding, content_type=decoded.content_type, response_headers=answer.headers,
            http_version=answer.protocol, redirects=redirects,
            provenance=Provenance("warc", warc_file=self.warc.name, warc_record_id=first.record_id, warc_offset=first.offset),
        )


@contextmanager
def warc_files(path: Path) -> Iterator[list[tuple[Path, str]]]:
    """The WARC files of ``path``: itself, or those inside a WACZ, copied out to a temporary directory."""
    if not path.is_file():
        raise ExportError(str(path), "no such file; give a .warc, .warc.gz or .wacz file")
    if path.suffix.lower() != ".wacz":
        yield [(path, path.name)]
        return
    with tempfile.TemporaryDirectory(prefix="series-archiver-wacz-") as tmp, zipfile.ZipFile(path) as wacz:
        out: list[tuple[Path, str]] = []
        for i, member in enumerate(m for m in wacz.namelist() if m.startswith("archive/") and m.endswith((".warc", ".warc.gz"))):
            target = Path(tmp) / f"{i:04d}-{Path(member).name}"
            with wacz.open(member) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            out.append((target, f"{path.name}#{member}"))
        yield out
