"""Export as WARC 1.1, for web-archive tools.

WARC (``export_warc``), written with warcio, one gzip member per record::

    warcinfo   one, first: the tool, its version, the export's filters and the configuration
    request    one per capture fetched live, the request headers as sent
    response   one per stored capture: WARC-Date = captures.fetched_at, the payload as stored
    metadata   one per capture not fetched live (``captures.source`` wayback or warc), concurrent
               to its response: where it came from (memento URL and X-Archive-Src, or file and record)
    revisit    one per later fetch-log row naming that capture (a re-fetch that got it again)
    resource   one per screenshot of an exported capture (``screenshots``), as Browsertrix stores
               them: ``urn:view:<url>``, image/png, WARC-Date = when it was taken, referring to its response

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

Record ids are made in ``record_ids``; the snapshot, the filters, the ``.part``
file and the payload check are ``snapshot``'s, shared with JSON Lines and verify.
The export streams: one row, one record at a time, read in one snapshot of the
archive, written to ``FILE.part`` and renamed when complete.
"""

from __future__ import annotations

import dataclasses
import http
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from series_archiver.archive import views
from series_archiver.archive.store import Archive
from series_archiver.export.jsonl import JsonlExport, export_jsonl
from series_archiver.export.record_ids import (
    metadata_record_id,
    request_record_id,
    response_record_id,
    revisit_record_id,
    screenshot_record_id,
)
from series_archiver.export.snapshot import check_series, output, parse_since, read_snapshot, stored_time, trusted_payload
from series_archiver.settings import Settings

# JsonlExport, export_jsonl and parse_since are not WARC's: they are named here
# too because cli.py and the package __init__ import them from this module.
__all__ = [
    "REVISIT_IDENTICAL",
    "REVISIT_NOT_MODIFIED",
    "JsonlExport",
    "WarcExport",
    "export_jsonl",
    "export_warc",
    "parse_since",
    "response_record_id",
    "screenshot_target",
    "stored_response_headers",
]

REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"

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
    metadata: int = 0  # one beside each response not fetched live (a web archive's memento, an imported record)
    resources: int = 0  # one per screenshot of an exported capture

    @property
    def revisits(self) -> int:
        return self.revisits_identical + self.revisits_not_modified

    @property
    def records(self) -> int:
        return 1 + self.requests + self.responses + self.revisits + self.metadata + self.resources


def _warc_date(stored: str) -> str:
    """An archive timestamp as WARC-Date (UTC, Z; fractions only when stored)."""
    when = stored_time(stored).astimezone(UTC)
    text = when.replace(tzinfo=None).isoformat(timespec="microseconds" if when.microsecond else "seconds")
    return text + "Z"


def _response_id(capture: views.WarcCapture) -> str:
    return response_record_id(capture.id, capture.target, capture.fetched_at, capture.sha256)


# --- HTTP blocks ---------------------------------------------------------------------------------


class _ReceivedHeaders(StatusAndHeaders):  # type: ignore[misc]  # warcio has no type hints
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


# --- WARC ------------------------------------------------------------------------------------------


def _warcinfo_fields(settings: Settings, archive: Archive, series: str | None, since: datetime | None) -> dict[str, str]:
    config = {
        "fetch": dataclasses.asdict(settings.fetch),
        "quality": dataclasses.asdict(settings.quality),
        "dedupe": dataclasses.asdict(settings.dedupe),
        "series": [dataclasses.asdict(s) for s in settings.series],
    }
    from series_archiver._version import __version__  # here, not at the top: __init__ imports this module

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


def export_warc(
    settings: Settings, path: Path, *, series: str | None = None, since: datetime | None = None, article: int | None = None
) -> WarcExport:
    """Write the archive's captures and re-fetches (of ``series``, or of one ``article``) to ``path`` as WARC 1.1 (gzip per record if it ends in .gz)."""
    counts = {"request": 0, "response": 0, "identical": 0, "not_modified": 0, "metadata": 0, "resource": 0}
    with read_snapshot(settings.archive.db) as archive:
        check_series(archive, settings, series)
        with output(path) as fh:
            writer = WARCWriter(fh, gzip=path.name.endswith(".gz"), warc_version="1.1")
            writer.write_record(
                writer.create_warcinfo_record(path.name, _warcinfo_fields(settings, archive, series, since))
            )
            current: views.WarcCapture | None = None
            digest = ""
            for capture, refetch in views.captures_with_refetches(archive.conn, series, archive.chains, article=article):
                if current is None or capture.id != current.id:
                    # The first row naming a capture is the fetch that stored it.
                    current, digest = capture, ""
                    if since is None or stored_time(capture.fetched_at) >= since:
                        digest = _write_exchange(writer, archive, capture)
                        counts["request" if capture.source == "live" else "metadata"] += 1
                        counts["response"] += 1
                        counts["resource"] += _write_screenshot(writer, archive, capture)
                    continue
                if refetch is None or (since is not None and stored_time(refetch.requested_at) < since):
                    continue
                if capture.source != "live":
                    continue  # reading a memento again is no re-fetch from the site: no revisit
                if not digest:
                    digest = _payload_digest(trusted_payload(archive, capture.id))
                profile = _write_revisit(writer, capture, refetch, digest)
                counts["not_modified" if profile == REVISIT_NOT_MODIFIED else "identical"] += 1
            size = fh.tell()
    return WarcExport(
        path, counts["request"], counts["response"], counts["identical"], counts["not_modified"], size, counts["metadata"], counts["resource"]
    )


def _payload_digest(body: bytes) -> str:
    digester = Digester("sha1")  # what warcio writes for responses: sha1, base32
    digester.update(body)
    return str(digester)


def _write_exchange(writer: WARCWriter, archive: Archive, capture: views.WarcCapture) -> str:
    """Request and response of one capture; returns the payload digest."""
    body = trusted_payload(archive, capture.id)
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
        warc_headers_dict={"WARC-Record-ID": _response_id(capture), "WARC-Date": date},
    )
    if capture.source != "live":
        # Not fetched from the site by this tool: no request record (none was sent), and a
        # metadata record beside the response says where the payload came from.
        writer.write_record(response)
        writer.write_record(_provenance_record(writer, capture))
        return str(response.rec_headers.get_header("WARC-Payload-Digest"))
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
            "WARC-Record-ID": request_record_id(capture.id, capture.target, capture.fetched_at, capture.sha256),
            "WARC-Date": date,
        },
    )
    writer.write_request_response_pair(request, response)
    return str(response.rec_headers.get_header("WARC-Payload-Digest"))


def _provenance_record(writer: WARCWriter, capture: views.WarcCapture) -> Any:
    """A ``metadata`` record (application/warc-fields) concurrent to the response: its source and origin."""
    fields = [("source", capture.source)]
    if capture.source == "wayback":
        fields += [("memento-url", capture.memento_url or ""), ("archive-src", capture.archive_src or "")]
    else:
        fields += [
            ("warc-file", capture.warc_file or ""),
            ("warc-record-id", capture.warc_record_id or ""),
            ("warc-offset", "" if capture.warc_offset is None else str(capture.warc_offset)),
        ]
    body = "".join(f"{k}: {v}\r\n" for k, v in fields if v).encode("utf-8")
    return writer.create_warc_record(
        capture.target,
        "metadata",
        payload=io.BytesIO(body),
        length=len(body),
        warc_content_type="application/warc-fields",
        warc_headers_dict={
            "WARC-Record-ID": metadata_record_id(capture.id, capture.target, capture.fetched_at, capture.sha256),
            "WARC-Date": _warc_date(capture.fetched_at),
            "WARC-Concurrent-To": _response_id(capture),
        },
    )


def screenshot_target(url: str) -> str:
    """The WARC-Target-URI of a page's screenshot, as Browsertrix names its page screenshots."""
    return f"urn:view:{url}"


def _write_screenshot(writer: WARCWriter, archive: Archive, capture: views.WarcCapture) -> int:
    """The capture's screenshot as a ``resource`` record referring to its response; 1 if written."""
    shot = archive.screenshot_of(capture.id)
    png = archive.screenshot_png(capture.id) if shot is not None else None
    if shot is None or png is None:
        return 0
    record = writer.create_warc_record(
        screenshot_target(capture.target),
        "resource",
        payload=io.BytesIO(png),
        length=len(png),
        warc_content_type="image/png",
        warc_headers_dict={
            "WARC-Record-ID": screenshot_record_id(shot.id, capture.target, shot.taken_at, shot.sha256),
            "WARC-Date": _warc_date(shot.taken_at),
            "WARC-Refers-To": _response_id(capture),
        },
    )
    writer.write_record(record)
    return 1


def _write_revisit(writer: WARCWriter, capture: views.WarcCapture, refetch: views.Refetch, digest: str) -> str:
    """One re-fetch of a stored capture: a revisit with an empty block. Returns the profile used.

    The block is empty (WARC 1.1 allows it for both profiles) because the fetch
    log keeps no headers of a re-fetch, and a status line alone would read as a
    response without headers. Replay tools then serve the original's headers
    and payload; pywb does, where a 304 status line would replay as an empty 304.
    """
    not_modified = refetch.outcome == "not_modified" or refetch.status == 304
    profile = REVISIT_NOT_MODIFIED if not_modified else REVISIT_IDENTICAL
    warc_headers = {
        "WARC-Record-ID": revisit_record_id(refetch.id, refetch.url, refetch.requested_at, capture.sha256),
        "WARC-Date": _warc_date(refetch.requested_at),
        "WARC-Profile": profile,
        "WARC-Refers-To": _response_id(capture),
        "WARC-Refers-To-Target-URI": capture.target,
        "WARC-Refers-To-Date": _warc_date(capture.fetched_at),
        # For both profiles the payload is the original's (WARC 1.1, revisit profiles).
        "WARC-Payload-Digest": digest,
    }
    record = writer.create_warc_record(refetch.url, "revisit", warc_headers_dict=warc_headers)
    record.content_type = None  # an empty block has no Content-Type
    writer.write_record(record)
    return profile
