"""Export as WACZ 1.1.1: the WARC export, its CDXJ index and one page per version, in one zip.

A WACZ (https://specs.webrecorder.net/wacz/1.1.1/) is what ReplayWeb.page opens
from a URL or a file, and what pywb (``wb-manager add --unpack-wacz``) and
``series-archiver import`` read::

    archive/NAME.warc.gz     the WARC export (``export_warc``), stored as it is (ZIP_STORED)
    indexes/index.cdx.gz     its CDXJ index, sorted, 1,024 lines per gzip member (stored)
    indexes/index.idx        the first line of each member and its offset: ReplayWeb.page
                             reads only the members a lookup needs
    pages/pages.jsonl        a header line, then one page per archived version: url and
                             ts of its page's response record, title, the version's text
    datapackage.json         every file above with its SHA-256 and size
    datapackage-digest.json  the SHA-256 of datapackage.json, signed with ``--sign KEYFILE``
                             (evidence/signing.py: the key-based signature of the WACZ signing
                             spec, with an RFC 3161 timestamp when ``evidence.tsa_url`` is set)

Why written here and not by py-wacz (``wacz create``): py-wacz pulls in
frictionless, pydantic, typer and boilerpy3 to package a WARC it would read
back to guess the pages, while this archive knows them: each version's page is
its capture's response record (record ids are derived, ``record_ids``), with
the title and text the archive read. So the export writes the zip with the
standard library, the index with warcio (already needed for the WARC) and surt
(the URL keys every replay tool computes), and the tests check the result
with py-wacz's own ``wacz validate`` and replay it with pywb.

The WARC is written first, to a temporary file beside the output, then indexed
by reading it back: the index points at the bytes as written. Pages are listed
for versions whose page's response record is in that WARC, so a crawl writing
meanwhile (the WARC is read in one snapshot, the pages in another) never gives
a page without its record. Everything streams but the index, held and sorted
in memory (about 300 bytes a record); pages.jsonl is written to a temporary file too.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import httpx
from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import iso_date_to_timestamp

from series_archiver.archive import views
from series_archiver.evidence.signing import SPEC_VERSION, load_signing_key, public_key_b64, sign_hash
from series_archiver.evidence.tsa import load_roots, request_token
from series_archiver.export.record_ids import response_record_id
from series_archiver.export.snapshot import output, read_snapshot
from series_archiver.export.warc import WarcExport, export_warc
from series_archiver.settings import Settings
from series_archiver.sources.http import user_agent

__all__ = ["WACZ_VERSION", "WaczExport", "cdxj_lines", "export_wacz"]

WACZ_VERSION = "1.1.1"
PAGES_FORMAT = "json-pages-1.0"

# Index lines per gzip member of index.cdx.gz: what py-wacz writes, so a
# lookup in ReplayWeb.page fetches a member of a few dozen kilobytes.
_LINES_PER_MEMBER = 1024
# Record types a CDXJ index lists (as cdxj-indexer does): the replayable ones.
_INDEXED = ("response", "revisit", "resource", "metadata")
_MIME_END = re.compile(r"[;\s]")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class WaczExport:
    """What ``export_wacz`` wrote."""

    path: Path
    warc: WarcExport  # the WARC inside it (its path is the member's name, archive/…)
    pages: int  # one per version whose page's response is in the WARC
    index_lines: int
    bytes: int
    signed: bool = False


def export_wacz(
    settings: Settings,
    path: Path,
    *,
    series: str | None = None,
    since: datetime | None = None,
    article: int | None = None,
    sign_key: Path | None = None,
    transport: httpx.BaseTransport | None = None,
) -> WaczExport:
    """Write the archive (or one ``article``) to ``path`` as a WACZ 1.1.1 package (the WARC export inside, indexed, one page per version).

    ``sign_key`` (an EC private key in PEM) signs ``datapackage-digest.json``;
    ``transport`` is for a replica TSA (tests).
    """
    created = datetime.now(UTC).replace(microsecond=0)
    member = "archive/" + _warc_name(path)
    key = load_signing_key(sign_key) if sign_key is not None else None  # a bad key fails before any work
    with output(path) as fh, tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as tmp:
        warc_path = Path(tmp) / Path(member).name
        warc = export_warc(settings, warc_path, series=series, since=since, article=article)
        entries, responses = _index_warc(warc_path, Path(member).name)
        pages_path = Path(tmp) / "pages.jsonl"
        count, first = _write_pages(pages_path, _pages(settings, series, since, responses, article))
        with zipfile.ZipFile(fh, "w", allowZip64=True) as wacz:
            package = _Package(wacz, created)
            package.add_file(member, warc_path)
            cdx, idx = _compressed_index(entries)
            package.add_bytes("indexes/index.cdx.gz", cdx, compress=False)
            package.add_bytes("indexes/index.idx", idx)
            package.add_file("pages/pages.jsonl", pages_path, compress=True)
            datapackage = _datapackage(package.resources, created, series, first)
            package.add_bytes("datapackage.json", datapackage, listed=False)
            digest: dict[str, Any] = {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(datapackage).hexdigest()}
            if key is not None:
                digest["signedData"] = _signed_data(settings, key, digest["hash"], created, transport)
            package.add_bytes("datapackage-digest.json", _json_bytes(digest), listed=False)
        size = fh.tell()
    inside = WarcExport(Path(member), warc.requests, warc.responses, warc.revisits_identical,
                        warc.revisits_not_modified, warc.bytes, warc.metadata, warc.resources)
    return WaczExport(path, inside, count, len(entries), size, signed=key is not None)


def _signed_data(
    settings: Settings, key: Any, hash_text: str, created: datetime, transport: httpx.BaseTransport | None
) -> dict[str, Any]:
    """The key-based ``signedData`` (evidence/signing.py), with the spec's timestamp fields when a TSA is configured."""
    from series_archiver._version import __version__  # here, not at the top: __init__ imports this package

    signature = sign_hash(key, hash_text)
    signed: dict[str, Any] = {
        "hash": hash_text,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "software": f"series-archiver/{__version__}",
        "version": SPEC_VERSION,
        "signature": signature,
        "publicKey": public_key_b64(key),
    }
    evidence = settings.evidence
    if evidence.tsa_url:
        token = request_token(
            evidence.tsa_url, signature.encode("ascii"), timeout=evidence.tsa_timeout_seconds,
            user_agent=user_agent(settings.fetch), roots=load_roots(evidence.tsa_ca_file), transport=transport,
        )
        signed["timeSignature"] = base64.b64encode(token.response).decode("ascii")
        signed["timestampCert"] = token.chain_pem
    return signed


def _warc_name(path: Path) -> str:
    """The WARC's name inside the package: the WACZ's own stem, in the characters a resource name allows."""
    stem = re.sub(r"[^a-z0-9._-]+", "-", path.name.removesuffix(".wacz").lower()).strip("-.")
    return (stem or "data") + ".warc.gz"


# --- the CDXJ index -------------------------------------------------------------------------


def cdxj_lines(warc: Path, filename: str) -> Iterator[tuple[str, tuple[str, str] | None]]:
    """The CDXJ line of each replayable record of ``warc``, in file order; for a response also its (WARC-Record-ID, WARC-Date).

    A line is ``SURT TIMESTAMP JSON``, the JSON holding url, mime, status,
    digest, length, offset and filename: the fields cdxj-indexer writes (and
    as it writes them), so pywb and ReplayWeb.page read it as they read
    theirs. ``metadata`` and ``resource`` records of ``application/warc-fields``
    (this export's provenance notes) are no replayable content: left out, as
    cdxj-indexer leaves them out.
    """
    import surt  # here: only a WACZ export needs it

    with warc.open("rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            kind, headers, http = record.rec_type, record.rec_headers, record.http_headers
            if kind not in _INDEXED or (
                kind in ("metadata", "resource") and headers.get_header("Content-Type") == "application/warc-fields"
            ):
                continue
            url = headers.get_header("WARC-Target-URI")
            fields: dict[str, str] = {"url": url}
            mime = _mime(record)
            if mime is not None:
                fields["mime"] = mime
            if kind in ("response", "revisit") and http:
                fields["status"] = http.get_statuscode()
            digest = headers.get_header("WARC-Payload-Digest")
            if digest:
                fields["digest"] = digest
            records.read_to_end(record)
            fields["length"] = str(records.get_record_length())
            fields["offset"] = str(records.get_record_offset())
            fields["filename"] = filename
            try:
                key = surt.surt(url)
            except Exception:  # a URL surt cannot read is keyed as itself, as cdxj-indexer keys it
                key = url
            date = headers.get_header("WARC-Date")
            line = f"{key} {iso_date_to_timestamp(date)} {json.dumps(fields)}"
            yield line, ((headers.get_header("WARC-Record-ID"), date) if kind == "response" else None)


def _mime(record: Any) -> str | None:
    """The media type alone: an HTTP record's Content-Type, a revisit's ``warc/revisit``, else the record's."""
    if record.rec_type == "revisit":
        return "warc/revisit"
    if record.rec_type in ("response", "request"):
        value = record.http_headers.get_header("Content-Type") if record.http_headers else None
    else:
        value = record.rec_headers.get_header("Content-Type")
    return _MIME_END.split(value, 1)[0].strip() if value else value


def _index_warc(warc: Path, filename: str) -> tuple[list[str], dict[str, str]]:
    """The index lines sorted (by SURT, then time: what a lookup's binary search needs), and each response's WARC-Date by its id."""
    lines: list[str] = []
    responses: dict[str, str] = {}
    for line, response in cdxj_lines(warc, filename):
        lines.append(line)
        if response is not None:
            responses[response[0]] = response[1]
    lines.sort()
    return lines, responses


def _compressed_index(lines: list[str]) -> tuple[bytes, bytes]:
    """index.cdx.gz (gzip members of up to 1,024 lines) and index.idx (the first line's key, offset and length of each)."""
    cdx = bytearray()
    idx = [f"!meta 0 {json.dumps({'format': 'cdxj-gzip-1.0', 'filename': 'index.cdx.gz'})}\n"]
    for start in range(0, len(lines), _LINES_PER_MEMBER):
        block = lines[start:start + _LINES_PER_MEMBER]
        compressed = gzip.compress("".join(line + "\n" for line in block).encode("utf-8"), mtime=0)
        prefix = block[0].split(" {", 1)[0]
        where = {"offset": len(cdx), "length": len(compressed), "digest": "sha256:" + hashlib.sha256(compressed).hexdigest()}
        idx.append(f"{prefix} {json.dumps(where)}\n")
        cdx += compressed
    return bytes(cdx), "".join(idx).encode("utf-8")


# --- pages ------------------------------------------------------------------------------------


def _pages(
    settings: Settings, series: str | None, since: datetime | None, responses: dict[str, str], article: int | None = None
) -> Iterator[dict[str, Any]]:
    """One page per version whose first page's response record is in the WARC, in installment order."""
    with read_snapshot(settings.archive.db) as archive:
        for v in views.exported_versions(archive.conn, series, since.isoformat() if since else None, article=article):
            refs = views.capture_refs(archive.conn, v.capture_ids[:1])
            if not refs:
                continue
            page = refs[0]
            date = responses.get(response_record_id(page.id, page.url, page.fetched_at, page.sha256))
            if date is None:
                continue  # captured after the WARC's snapshot: in the next export
            yield {
                "id": f"article-{v.article_id}-version-{v.version}",
                "url": page.url,
                "ts": date,  # the record's WARC-Date, so replay finds this very capture
                "title": v.title or v.article_title or page.url,
                "text": v.text,
                "article_id": v.article_id,
                "version": v.version,
            }


def _write_pages(path: Path, pages: Iterable[dict[str, Any]]) -> tuple[int, dict[str, Any] | None]:
    """pages.jsonl, a line at a time (the texts are most of it); returns how many pages, and the first."""
    header = {"format": PAGES_FORMAT, "id": "pages", "title": "Archived versions", "hasText": True}
    count, first = 0, None
    with path.open("wb") as fh:
        fh.write(_json_line(header))
        for page in pages:
            fh.write(_json_line(page))
            count += 1
            first = first or page
    return count, first


def _json_line(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n"


# --- the package ------------------------------------------------------------------------------


class _Package:
    """The zip being written, and the resources datapackage.json will list (path, SHA-256, size)."""

    def __init__(self, wacz: zipfile.ZipFile, created: datetime) -> None:
        self.wacz = wacz
        self.stamp = created.timetuple()[:6]
        self.resources: list[dict[str, Any]] = []

    def add_file(self, name: str, source: Path, *, compress: bool = False) -> None:
        """A file copied in, a chunk at a time; stored as it is unless ``compress`` (a WARC is compressed already: ZIP_STORED)."""
        info = zipfile.ZipInfo.from_file(source, name)
        info.date_time = self.stamp
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        digest, size = hashlib.sha256(), 0
        with source.open("rb") as src, self.wacz.open(info, "w") as dst:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                dst.write(chunk)
        self._list(name, digest.hexdigest(), size)

    def add_bytes(self, name: str, data: bytes, *, compress: bool = True, listed: bool = True) -> None:
        info = zipfile.ZipInfo(name, self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        self.wacz.writestr(info, data)
        if listed:
            self._list(name, hashlib.sha256(data).hexdigest(), len(data))

    def _list(self, name: str, sha256: str, size: int) -> None:
        # Frictionless requires lower-case names of [-a-z0-9._/]; every member name here is one.
        self.resources.append({"name": Path(name).name.lower(), "path": name, "hash": f"sha256:{sha256}", "bytes": size})


def _datapackage(resources: list[dict[str, Any]], created: datetime, series: str | None, first: dict[str, Any] | None) -> bytes:
    from series_archiver._version import __version__  # here, not at the top: __init__ imports this package

    package: dict[str, Any] = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": f"series-archiver: {series}" if series else "series-archiver archive",
        "description": (
            "Every stored capture of a series-archiver archive as WARC 1.1 (request, response, revisit and "
            "provenance records), with one page per archived version of each article: its title and text "
            "as the archive read them."
        ),
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "software": f"series-archiver/{__version__} (warcio/{package_version('warcio')})",
        "resources": resources,
    }
    if first is not None:
        package["mainPageUrl"], package["mainPageDate"] = first["url"], first["ts"]
    return _json_bytes(package)


def _json_bytes(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
