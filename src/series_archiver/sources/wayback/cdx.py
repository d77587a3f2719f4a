"""The CDX API's answers, read as values: pure functions, no network.

A CDX server (the Wayback Machine's ``/cdx/search/cdx``, pywb's ``/<coll>/cdx``)
answers ``output=json`` with a list of rows, the first naming the fields
(``fl``). With ``showResumeKey=true`` a page that stops at ``limit`` ends with an
empty row and a one-item row holding the key for the next page::

    [["urlkey","timestamp","original","mimetype","statuscode","digest","length"],
     ["com,example)/a", "20251215020304", "https://example.com/a", "text/html", "200", "ABC…", "5120"],
     [],
     ["com%2Cexample%29%2Fa+20251215020304"]]

``statuscode`` and ``length`` may be ``-`` (a revisit record, an unknown
status): they read as ``None``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["CdxRecord", "CdxPage", "FIELDS", "parse_cdx_json", "parse_timestamp", "format_timestamp", "memento_url", "dedupe_digests"]

# The fields asked for (``fl``), in this order.
FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")


@dataclass(frozen=True)
class CdxRecord:
    """One capture in a CDX index."""

    urlkey: str
    timestamp: str  # 14 digits, UTC
    original: str  # the URL as it was captured
    mimetype: str
    statuscode: int | None  # None for "-"
    digest: str
    length: int | None  # None for "-"

    @property
    def captured_at(self) -> datetime:
        return parse_timestamp(self.timestamp)

    @property
    def is_html(self) -> bool:
        return self.mimetype.split(";")[0].strip().lower() in ("text/html", "application/xhtml+xml")

    @property
    def is_redirect(self) -> bool:
        return self.statuscode in (301, 302, 303, 307, 308)

    @property
    def is_removal(self) -> bool:
        """A 404 or 410, or a redirect: evidence that the page went (the redirect's target decides)."""
        return self.statuscode in (404, 410) or self.is_redirect


@dataclass(frozen=True)
class CdxPage:
    records: tuple[CdxRecord, ...]
    resume_key: str | None


def _int_or_none(value: Any) -> int | None:
    text = str(value).strip()
    if text in ("", "-"):
        return None
    try:
        return int(text)
    except ValueError:
        return None


def parse_cdx_json(text: str) -> CdxPage:
    """The records and resume key of one ``output=json`` answer.

    >>> page = parse_cdx_json('[["timestamp","original","statuscode","length"],'
    ...                       '["20251215020304","https://a.example/x","-","-"],[],["k1"]]')
    >>> page.records[0].statuscode is None, page.records[0].length is None, page.resume_key
    (True, True, 'k1')
    >>> parse_cdx_json("").records
    ()
    """
    text = text.strip()
    if not text:
        return CdxPage((), None)  # no captures: the Wayback Machine answers an empty body
    rows = json.loads(text)
    if not isinstance(rows, list) or not rows:
        return CdxPage((), None)
    header = [str(h) for h in rows[0]]
    records: list[CdxRecord] = []
    resume_key: str | None = None
    body = rows[1:]
    for i, row in enumerate(body):
        if not row:
            # The empty row that precedes the resume key.
            rest = body[i + 1 :]
            if rest and rest[0]:
                resume_key = str(rest[0][0])
            break
        values = dict(zip(header, row, strict=False))
        records.append(
            CdxRecord(
                urlkey=str(values.get("urlkey", "")),
                timestamp=str(values.get("timestamp", "")),
                original=str(values.get("original", "")),
                mimetype=str(values.get("mimetype", "")),
                statuscode=_int_or_none(values.get("statuscode", "-")),
                digest=str(values.get("digest", "")),
                length=_int_or_none(values.get("length", "-")),
            )
        )
    return CdxPage(tuple(records), resume_key)


def parse_timestamp(timestamp: str) -> datetime:
    """A CDX timestamp (up to 14 digits, padded like the servers pad a lower bound) as a UTC time.

    >>> parse_timestamp("20251215020304").isoformat()
    '2025-12-15T02:03:04+00:00'
    >>> parse_timestamp("2025121502").isoformat()
    '2025-12-15T02:00:00+00:00'
    """
    digits = (timestamp + "00000101000000"[len(timestamp) :])[:14]
    return datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def format_timestamp(when: datetime) -> str:
    """A time as the 14 digits CDX servers and playback URLs use (UTC).

    >>> from datetime import timezone, timedelta
    >>> format_timestamp(datetime(2025, 12, 15, 10, 3, 4, tzinfo=timezone(timedelta(hours=8))))
    '20251215020304'
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def memento_url(playback_url: str, timestamp: str, url: str) -> str:
    """``<playback_url><timestamp>id_/<url>``: the original bytes, not the archive's rewritten page.

    >>> memento_url("https://web.archive.org/web/", "20251215020304", "https://a.example/x")
    'https://web.archive.org/web/20251215020304id_/https://a.example/x'
    """
    return f"{playback_url.rstrip('/')}/{timestamp}id_/{url}"


def dedupe_digests(records: list[CdxRecord]) -> list[CdxRecord]:
    """Captures of one URL in time order with consecutive identical digests collapsed (the first kept).

    What ``collapse=digest`` asks of the server, done again here because a
    server's pages (or several queries' answers) may each start a new run.
    """
    out: list[CdxRecord] = []
    last: dict[str, tuple[str, int | None]] = {}
    for record in sorted(records, key=lambda r: (r.timestamp, r.original)):
        key = (record.digest, record.statuscode)
        if last.get(record.original) == key:
            continue
        last[record.original] = key
        out.append(record)
    return out
