"""Export: the archive as WARC 1.1 for web-archive tools, and as JSON Lines for analysis.

WARC (``export_warc``), written with warcio, one gzip member per record::

    warcinfo   one, first: the tool, its version, the export's filters and the configuration
    request    one per stored capture, the request headers as sent
    response   one per stored capture: WARC-Date = captures.fetched_at, the payload as stored
    revisit    one per later fetch-log row naming that capture (a re-fetch that got it again)

Which fetch-log rows become which record: every row that names a capture
(``fetch_log.capture_id``) is one record. The first row naming a capture is the
fetch that stored it: its request and response pair. Every later row is a
re-fetch that found the same bytes: a ``revisit`` that refers to that response
(``WARC-Refers-To``, ``-Target-URI``, ``-Date``) and repeats its payload digest.
A 304 (outcome ``not_modified``) is a revisit with the ``server-not-modified``
profile, since no payload was received to compare; any other row (``unchanged``,
``duplicate``, a multi-page article's page fetched again, …) is a revisit with
the ``identical-payload-digest`` profile. Rows without a capture (list pages,
``gone``, ``skipped``, errors, retries) are no record: nothing was kept.

Payloads are stored decoded (fetch.py undoes gzip and br), so the response's
HTTP headers are adjusted to describe the bytes in the record: Content-Encoding
and Transfer-Encoding are renamed X-Crawler-Content-Encoding and
X-Crawler-Transfer-Encoding, a Content-Length that does not fit becomes
X-Crawler-Content-Length, and Content-Length gives the stored length (Common
Crawl's convention). The payload's SHA-256 is ``captures.sha256``. Re-fetches
keep no headers of their own, so a revisit's block is empty (Content-Length 0).

Record ids are derived from the archive (uuid5 of the capture or fetch-log row),
so exporting again gives the same ids and a revisit in an ``--since`` export
refers to its response in an earlier file.

JSON Lines (``export_jsonl``): one object per version, the article's fields,
the version's and its text, in installment order.

Both stream: one row, one record at a time, read in one snapshot of the archive,
written to ``FILE.part`` and renamed when complete.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http
import io
import json
import os
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version as package_version
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from ..errors import ConfigError, ExportError, StoreError
from ..settings import Settings
from ..archive.store import Archive

__all__ = [
    "export_warc",
    "export_jsonl",
    "parse_since",
    "WarcExport",
    "JsonlExport",
    "response_record_id",
    "stored_response_headers",
    "REVISIT_IDENTICAL",
    "REVISIT_NOT_MODIFIED",
]

REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"

# The namespace of every record id this tool derives (uuid5 of a fixed name).
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://series-archiver/warc-record")
# Headers that describe the bytes on the wire, not the decoded bytes stored.
_MASKED = ("content-encoding", "transfer-encoding")
_MASK_PREFIX = "X-Crawler-"


@dataclass(frozen=True)
class WarcExport:
    """What ``export_warc`` wrote."""

    path: Path
    requests: int
    responses: int
    revisits_identical: int
    revisits_not_modified: int
    bytes: int

    @property
    def revisits(self) -> int:
        return self.revisits_identical + self.revisits_not_modified

    @property
    def records(self) -> int:
        return 1 + self.requests + self.responses + self.revisits


@dataclass(frozen=True)
class JsonlExport:
    """What ``export_jsonl`` wrote."""

    path: Path
    versions: int
    bytes: int


# --- filters -----------------------------------------------------------------------------


def parse_since(text: str) -> datetime:
    """``--since``: a date (midnight UTC) or an ISO time; a time without offset is UTC."""
    value = text.strip()
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            "--since", f"{text!r} is not a date; use YYYY-MM-DD (UTC) or an ISO time such as 2025-12-15T08:00:00+08:00"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def _check_series(archive: Archive, settings: Settings, series: str | None) -> None:
    if series is None:
        return
    known = {r[0] for r in archive.conn.execute("SELECT DISTINCT series FROM articles")}
    known.update(s.name for s in settings.series)
    if series not in known:
        names = ", ".join(sorted(known)) or "none yet"
        raise ConfigError("--series", f"no series named {series!r} in the archive or the config (series: {names})")


def _at(stored: str) -> datetime:
    when = datetime.fromisoformat(stored)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _warc_date(stored: str) -> str:
    """An archive timestamp as WARC-Date (UTC, Z; fractions only when stored)."""
    when = _at(stored).astimezone(timezone.utc)
    text = when.replace(tzinfo=None).isoformat(timespec="microseconds" if when.microsecond else "seconds")
    return text + "Z"


# --- record ids ------------------------------------------------------------------------------


def _record_id(*parts: object) -> str:
    return f"<urn:uuid:{uuid.uuid5(_ID_NAMESPACE, ' '.join(str(p) for p in parts))}>"


def response_record_id(capture_id: int, url: str, fetched_at: str, sha256: str) -> str:
    """The WARC-Record-ID of a capture's response record (the same in every export)."""
    return _record_id("response", capture_id, url, fetched_at, sha256)


def _request_record_id(capture_id: int, url: str, fetched_at: str, sha256: str) -> str:
    return _record_id("request", capture_id, url, fetched_at, sha256)


def _revisit_record_id(log_id: int, url: str, requested_at: str, sha256: str) -> str:
    return _record_id("revisit", log_id, url, requested_at, sha256)


# --- HTTP blocks ---------------------------------------------------------------------------------


class _ReceivedHeaders(StatusAndHeaders):
    """Headers written back as the bytes received.

    fetch.py keeps header names and values decoded as latin-1, byte for byte;
    warcio would %-encode anything outside ASCII, which is not what the server sent.
    """

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        self.headers_buff = self.to_bytes(header_filter, "latin-1")


def stored_response_headers(received: list[tuple[str, str]], stored_length: int) -> list[tuple[str, str]]:
    """The response headers as received, adjusted to describe the decoded bytes stored.

    Content-Encoding and Transfer-Encoding are kept under X-Crawler-…; a
    Content-Length other than the stored length likewise, and Content-Length
    states the stored length.
    """
    out: list[tuple[str, str]] = []
    length_ok = False
    for name, value in received:
        low = name.lower()
        if low in _MASKED and not (low == "content-encoding" and value.strip().lower() == "identity"):
            out.append((_MASK_PREFIX + name, value))
        elif low == "content-length":
            if value.strip() == str(stored_length) and not length_ok:
                out.append((name, value))
                length_ok = True
            else:
                out.append((_MASK_PREFIX + name, value))
        else:
            out.append((name, value))
    if not length_ok:
        out.append(("Content-Length", str(stored_length)))
    return out


def _status_line(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _protocol(http_version: str | None) -> str:
    return http_version if http_version and http_version.upper().startswith("HTTP/") else "HTTP/1.1"


def _request_line(url: str) -> str:
    parts = urlsplit(url)
    return "GET " + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _pairs(stored: str | None) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in json.loads(stored or "[]")]


# --- the archive, read in one snapshot -----------------------------------------------------------


@contextmanager
def _snapshot(settings: Settings) -> Iterator[Archive]:
    """The archive read-only, every query in one read transaction (a crawl may be writing)."""
    archive = Archive(settings.archive.db, readonly=True)
    try:
        archive.conn.execute("BEGIN")
        try:
            yield archive
        finally:
            archive.conn.execute("COMMIT")
    finally:
        archive.close()


@contextmanager
def _output(path: Path) -> Iterator[IO[bytes]]:
    """``path.part``, renamed to ``path`` only once complete; removed on failure."""
    part = path.with_name(path.name + ".part")
    try:
        fh = open(part, "wb")
    except OSError as exc:
        raise ExportError(str(path), f"cannot be written ({exc.strerror or exc}); check that its folder exists and is writable") from exc
    try:
        with fh:
            yield fh
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


# The capture's article, for --series: the capture's own, its URL's, the version
# that read it, or the fetch that stored it (page 2 of an article has no URL row).
_ARTICLE_OF_CAPTURE = """coalesce(
    c.article_id,
    (SELECT u.article_id FROM article_urls u WHERE u.url = c.url),
    (SELECT v.article_id FROM versions v, json_each(v.capture_ids) j WHERE j.value = c.id LIMIT 1),
    (SELECT g.article_id FROM fetch_log g WHERE g.capture_id = c.id AND g.article_id IS NOT NULL ORDER BY g.id LIMIT 1))"""


@dataclass(frozen=True)
class _Capture:
    id: int
    url: str
    final_url: str
    fetched_at: str
    status: int
    http_version: str | None
    request_headers: str | None
    response_headers: str | None
    sha256: str

    @property
    def target(self) -> str:
        return self.final_url or self.url

    @property
    def response_id(self) -> str:
        return response_record_id(self.id, self.target, self.fetched_at, self.sha256)


@dataclass(frozen=True)
class _Refetch:
    id: int
    url: str
    requested_at: str
    status: int | None
    outcome: str


def _warc_rows(archive: Archive, series: str | None) -> Iterator[tuple[_Capture, _Refetch | None]]:
    """Every capture with each fetch-log row naming it, capture by capture, rows in order."""
    where = ""
    params: tuple[str, ...] = ()
    if series is not None:
        # Resolved once per capture (SQLite builds the IN list once), not per log row.
        where = (
            f"WHERE c.id IN (SELECT c.id FROM captures c WHERE {_ARTICLE_OF_CAPTURE} "
            "IN (SELECT id FROM articles WHERE series = ?))"
        )
        params = (series,)
    cursor = archive.conn.execute(
        "SELECT c.id, c.url, c.final_url, c.fetched_at, c.status, c.http_version, c.request_headers, "
        "c.response_headers, c.sha256, f.id, f.url, f.requested_at, f.status, f.outcome "
        f"FROM captures c LEFT JOIN fetch_log f ON f.capture_id = c.id {where} ORDER BY c.id, f.id",
        params,
    )
    for row in cursor:
        capture = _Capture(*row[:9])
        yield capture, (_Refetch(*row[9:]) if row[9] is not None else None)


def _payload(archive: Archive, capture: _Capture) -> bytes:
    """The stored bytes, checked against their SHA-256: a WARC never carries damaged bytes unnoticed."""
    blob = archive.conn.execute("SELECT raw_zlib FROM captures WHERE id = ?", (capture.id,)).fetchone()[0]
    try:
        body = zlib.decompress(blob)
    except zlib.error as exc:
        raise StoreError(
            str(archive.path), f"capture {capture.id} ({capture.url}) cannot be decompressed ({exc}); run `series-archiver verify`"
        ) from exc
    if hashlib.sha256(body).hexdigest() != capture.sha256:
        raise StoreError(
            str(archive.path), f"capture {capture.id} ({capture.url}) no longer matches its SHA-256; run `series-archiver verify`"
        )
    return body


# --- WARC ------------------------------------------------------------------------------------------


def _warcinfo_fields(settings: Settings, archive: Archive, series: str | None, since: datetime | None) -> dict[str, str]:
    config = {
        "fetch": dataclasses.asdict(settings.fetch),
        "quality": dataclasses.asdict(settings.quality),
        "dedupe": dataclasses.asdict(settings.dedupe),
        "series": [dataclasses.asdict(s) for s in settings.series],
    }
    from .. import __version__  # here, not at the top: __init__ imports this module

    fields = {
        "software": f"series-archiver/{__version__} (warcio/{package_version('warcio')})",
        "format": "WARC File Format 1.1",
        "conformsTo": CONFORMS_TO,
        "operator": settings.fetch.contact,
        "robots": "classic" if settings.fetch.respect_robots else "none",
        "description": (
            f"Captures from the series-archiver archive {archive.path.name}: a request and a response record per "
            "stored capture, a revisit per re-fetch that found the same bytes (server-not-modified for a 304). "
            "Payloads are stored decoded: Content-Encoding, Transfer-Encoding and a Content-Length that no longer "
            "fits are kept as X-Crawler-* headers, and Content-Length gives the stored length. Revisit blocks are "
            "empty (the re-fetch's headers are not kept). Redirect hops and list pages are not stored."
        ),
        "export-filter": json.dumps(
            {"series": series, "since": since.isoformat() if since else None}, ensure_ascii=False
        ),
        # The configuration when this file was written, not necessarily when each capture was made.
        "configuration": json.dumps(config, ensure_ascii=False, default=str),
    }
    return {k: v for k, v in fields.items() if v}


def export_warc(settings: Settings, path: Path, *, series: str | None = None, since: datetime | None = None) -> WarcExport:
    """Write the archive's captures and re-fetches to ``path`` as WARC 1.1 (gzip per record if it ends in .gz)."""
    counts = {"request": 0, "response": 0, "identical": 0, "not_modified": 0}
    with _snapshot(settings) as archive:
        _check_series(archive, settings, series)
        with _output(path) as fh:
            writer = WARCWriter(fh, gzip=path.name.endswith(".gz"), warc_version="1.1")
            writer.write_record(
                writer.create_warcinfo_record(path.name, _warcinfo_fields(settings, archive, series, since))
            )
            current: _Capture | None = None
            digest = ""
            for capture, refetch in _warc_rows(archive, series):
                if current is None or capture.id != current.id:
                    # The first row naming a capture is the fetch that stored it.
                    current, digest = capture, ""
                    if since is None or _at(capture.fetched_at) >= since:
                        digest = _write_exchange(writer, archive, capture)
                        counts["request"] += 1
                        counts["response"] += 1
                    continue
                if refetch is None or (since is not None and _at(refetch.requested_at) < since):
                    continue
                if not digest:
                    digest = _payload_digest(_payload(archive, capture))
                profile = _write_revisit(writer, capture, refetch, digest)
                counts["not_modified" if profile == REVISIT_NOT_MODIFIED else "identical"] += 1
            size = fh.tell()
    return WarcExport(path, counts["request"], counts["response"], counts["identical"], counts["not_modified"], size)


def _payload_digest(body: bytes) -> str:
    digester = Digester("sha1")  # what warcio writes for responses: sha1, base32
    digester.update(body)
    return str(digester)


def _write_exchange(writer: WARCWriter, archive: Archive, capture: _Capture) -> str:
    """Request and response of one capture; returns the payload digest."""
    body = _payload(archive, capture)
    date = _warc_date(capture.fetched_at)
    http_headers = _ReceivedHeaders(
        _status_line(capture.status),
        stored_response_headers(_pairs(capture.response_headers), len(body)),
        protocol=_protocol(capture.http_version),
    )
    response = writer.create_warc_record(
        capture.target,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=http_headers,
        warc_headers_dict={"WARC-Record-ID": capture.response_id, "WARC-Date": date},
    )
    request_headers = _ReceivedHeaders(
        f"{_request_line(capture.target)} {_protocol(capture.http_version)}",
        _pairs(capture.request_headers),
        is_http_request=True,
    )
    request = writer.create_warc_record(
        capture.target,
        "request",
        http_headers=request_headers,
        warc_headers_dict={
            "WARC-Record-ID": _request_record_id(capture.id, capture.target, capture.fetched_at, capture.sha256),
            "WARC-Date": date,
        },
    )
    writer.write_request_response_pair(request, response)
    return str(response.rec_headers.get_header("WARC-Payload-Digest"))


def _write_revisit(writer: WARCWriter, capture: _Capture, refetch: _Refetch, digest: str) -> str:
    """One re-fetch of a stored capture: a revisit with an empty block. Returns the profile used.

    The block is empty (WARC 1.1 allows it for both profiles) because the fetch
    log keeps no headers of a re-fetch, and a status line alone would read as a
    response without headers. Replay tools then serve the original's headers
    and payload; pywb does, where a 304 status line would replay as an empty 304.
    """
    not_modified = refetch.outcome == "not_modified" or refetch.status == 304
    profile = REVISIT_NOT_MODIFIED if not_modified else REVISIT_IDENTICAL
    warc_headers = {
        "WARC-Record-ID": _revisit_record_id(refetch.id, refetch.url, refetch.requested_at, capture.sha256),
        "WARC-Date": _warc_date(refetch.requested_at),
        "WARC-Profile": profile,
        "WARC-Refers-To": capture.response_id,
        "WARC-Refers-To-Target-URI": capture.target,
        "WARC-Refers-To-Date": _warc_date(capture.fetched_at),
        # For both profiles the payload is the original's (WARC 1.1, revisit profiles).
        "WARC-Payload-Digest": digest,
    }
    record = writer.create_warc_record(refetch.url, "revisit", warc_headers_dict=warc_headers)
    record.content_type = None  # an empty block has no Content-Type
    writer.write_record(record)
    return profile


# --- JSON Lines ------------------------------------------------------------------------------------


_VERSION_ROWS = """
SELECT a.id, a.series, a.installment, a.label, a.title, a.url, a.status, a.first_seen, a.last_checked,
       a.last_changed, a.gone_at, a.versions,
       v.version, v.captured_at, v.title, v.published, v.byline, v.url, v.restores, v.content_hash, v.chars,
       v.text, v.paragraphs, v.headings, v.captions, v.blocks, v.capture_ids
FROM versions v JOIN articles a ON a.id = v.article_id
WHERE (?1 IS NULL OR a.series = ?1) AND (?2 IS NULL OR julianday(v.captured_at) >= julianday(?2))
ORDER BY a.series, a.installment IS NULL, a.installment, a.published, a.id, v.version
"""


def export_jsonl(settings: Settings, path: Path, *, series: str | None = None, since: datetime | None = None) -> JsonlExport:
    """Write one JSON object per version to ``path``: the article's fields, the version's, its text."""
    written = 0
    with _snapshot(settings) as archive:
        _check_series(archive, settings, series)
        with _output(path) as fh:
            rows = archive.conn.execute(_VERSION_ROWS, (series, since.isoformat() if since else None))
            for row in rows:
                fh.write(json.dumps(_version_object(archive, row), ensure_ascii=False).encode("utf-8") + b"\n")
                written += 1
            size = fh.tell()
    return JsonlExport(path, written, size)


def _version_object(archive: Archive, row: tuple[Any, ...]) -> dict[str, Any]:
    (article_id, series, installment, label, article_title, article_url, status, first_seen, last_checked,
     last_changed, gone_at, versions, version, captured_at, title, published, byline, url, restores,
     content_hash, chars, text, paragraphs, headings, captions, blocks, capture_ids) = row
    captures = []
    for capture_id in json.loads(capture_ids or "[]"):
        found = archive.conn.execute(
            "SELECT id, url, final_url, fetched_at, sha256 FROM captures WHERE id = ?", (capture_id,)
        ).fetchone()
        if found is not None:
            cid, curl, final_url, fetched_at, sha256 = found
            captures.append(
                {
                    "id": cid,
                    "url": final_url or curl,
                    "fetched_at": fetched_at,
                    "sha256": sha256,
                    "warc_record_id": response_record_id(cid, final_url or curl, fetched_at, sha256),
                }
            )
    return {
        "article_id": article_id,
        "series": series,
        "installment": installment,
        "label": label,
        "article_title": article_title,
        "article_url": article_url,
        "urls": archive.article_urls(article_id),
        "status": status,
        "first_seen": first_seen,
        "last_checked": last_checked,
        "last_changed": last_changed,
        "gone_at": gone_at,
        "versions": versions,
        "version": version,
        "captured_at": captured_at,
        "restores": restores,
        "content_hash": content_hash,
        "title": title,
        "published": published,
        "byline": byline,
        "url": url,
        "chars": chars,
        "headings": json.loads(headings),
        "paragraphs": json.loads(paragraphs),
        "captions": json.loads(captions),
        "blocks": [{"kind": k, "text": t} for k, t in json.loads(blocks)],
        "text": text,
        "captures": captures,
    }
