"""The CDX API's answers, read as values: pure functions, no network.

Two CDX servers answer ``output=json`` in two shapes, under two sets of names:

- the Wayback Machine (``/cdx/search/cdx``; OpenWayback and OutbackCDX alike): one
  JSON array of rows, the first naming the fields, in the order ``fl`` asked
  for. With ``showResumeKey=true`` a page that stops at ``limit`` ends with an
  empty row and a one-item row holding the key for the next page::

    [["urlkey","timestamp","original","mimetype","statuscode","digest","length"],
     ["com,example)/a", "20251215020304", "https://example.com/a", "text/html", "200", "ABC…", "5120"],
     [],
     ["com%2Cexample%29%2Fa+20251215020304"]]

- pywb (``/<collection>/cdx``): one JSON object per line, under its own names
  (``url``, ``mime``, ``status``), with ``offset``, ``filename`` and ``source``
  besides; no resume key. It takes ``fl`` by its own names, so the Wayback
  names keep ``urlkey``, ``timestamp``, ``digest`` and ``length`` and drop the
  URL (the client then asks again without ``fl``)::

    {"urlkey": "com,example)/a", "timestamp": "20251215020304", "url": "https://example.com/a",
     "mime": "text/html", "status": "200", "digest": "ABC…", "length": "5120", "offset": "0", ...}

A server that ignores ``output=json`` answers CDX text lines (the 7 fields of
the public format, or the 11 of CDX files, or ``fl``'s), or CDXJ (``urlkey
timestamp {json}``): read too. ``statuscode`` and ``length`` may be ``-`` (a
revisit record, an unknown status) or missing: they read as ``None``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "CdxRecord",
    "CdxPage",
    "FIELDS",
    "FIELD_NAMES",
    "parse_cdx",
    "parse_cdx_json",
    "parse_timestamp",
    "format_timestamp",
    "memento_url",
    "original_of",
    "dedupe_digests",
]

# The fields asked for (``fl``), in this order: the Wayback Machine's names.
FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")

# Every name a server may give a field, by the name used here: the Wayback Machine's
# first, then pywb's (its CDXObject), then the one-letter names both take in ``fl``.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "urlkey": ("urlkey", "k"),
    "timestamp": ("timestamp", "t"),
    "original": ("original", "url", "u"),
    "mimetype": ("mimetype", "mime", "m"),
    "statuscode": ("statuscode", "status"),
    "digest": ("digest", "d"),
    "length": ("length", "l"),
}

# The space-separated formats of CDX text, by their number of fields (pywb's CDXObject knows
# the same; the names are this module's). "-" stands for an empty field.
_TEXT_FORMATS: dict[int, tuple[str, ...]] = {
    7: FIELDS,
    9: ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "redirect", "offset", "filename"),
    10: ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "redirect", "robotflags", "offset", "filename"),
    11: ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "redirect", "robotflags", "length", "offset", "filename"),
}


@dataclass(frozen=True)
class CdxRecord:
    """One capture in a CDX index."""

    urlkey: str
    timestamp: str  # 14 digits, UTC
    original: str  # the URL as it was captured ("" when the server left it out)
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

    @property
    def lacks_urls(self) -> bool:
        """Records without the URL captured: the server took ``fl`` by names of its own."""
        return any(not r.original for r in self.records)


def _int_or_none(value: Any) -> int | None:
    text = str(value).strip()
    if text in ("", "-"):
        return None
    try:
        return int(text)
    except ValueError:
        return None


def _record(values: Mapping[str, Any]) -> CdxRecord:
    """A record from one row's fields, by whichever of a field's names the server used."""

    def field(name: str) -> Any:
        for alias in FIELD_NAMES[name]:
            if alias in values and values[alias] is not None:
                return values[alias]
        return None

    def text(name: str) -> str:
        value = field(name)
        return "" if value is None or value == "-" else str(value)

    status, length = field("statuscode"), field("length")
    return CdxRecord(
        urlkey=text("urlkey"),
        timestamp=text("timestamp"),
        original=text("original"),
        mimetype=text("mimetype"),
        statuscode=_int_or_none("-" if status is None else status),
        digest=text("digest"),
        length=_int_or_none("-" if length is None else length),
    )


def parse_cdx(text: str, fields: Sequence[str] = FIELDS) -> CdxPage:
    """The records and resume key of one CDX answer, in whichever shape the server gave it.

    ``fields`` are the names asked for with ``fl``: what the columns of a text
    answer with that many columns are.

    >>> page = parse_cdx('[["timestamp","original","statuscode","length"],'
    ...                  '["20251215020304","https://a.example/x","-","-"],[],["k1"]]')
    >>> page.records[0].statuscode is None, page.records[0].length is None, page.resume_key
    (True, True, 'k1')
    >>> pywb = parse_cdx('{"urlkey": "example,a)/x", "timestamp": "20251215020304", "url": "https://a.example/x",'
    ...                  ' "mime": "text/html", "status": "200", "digest": "D", "length": "9", "offset": "0"}')
    >>> pywb.records[0].original, pywb.records[0].statuscode, pywb.records[0].is_html
    ('https://a.example/x', 200, True)
    >>> parse_cdx("").records
    ()
    """
    text = text.strip()
    if not text:
        return CdxPage((), None)  # no captures: both servers answer an empty body
    if text.startswith("["):
        return _parse_array(json.loads(text))
    if text.startswith("{"):
        return CdxPage(tuple(_record(_object(line)) for line in text.splitlines() if line.strip()), None)
    return CdxPage(tuple(_text_record(line, fields) for line in text.splitlines() if line.strip()), None)


def _parse_array(rows: Any) -> CdxPage:
    """The Wayback Machine's array: a header row, the rows, and perhaps an empty row and the resume key."""
    if not isinstance(rows, list) or not rows:
        return CdxPage((), None)
    if all(isinstance(row, dict) for row in rows):
        return CdxPage(tuple(_record(row) for row in rows), None)  # an array of objects: named already
    if not isinstance(rows[0], list):
        raise ValueError("the first row of a CDX array is not the list of field names")
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
        if isinstance(row, dict):
            records.append(_record(row))
        elif isinstance(row, list):
            records.append(_record(dict(zip(header, row, strict=False))))
        else:
            raise ValueError(f"a CDX row is neither a list nor an object: {row!r:.80}")
    return CdxPage(tuple(records), resume_key)


def _object(line: str) -> dict[str, Any]:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError(f"a line of a JSON-lines CDX answer is not an object: {line[:80]!r}")
    return value


def _text_record(line: str, fields: Sequence[str]) -> CdxRecord:
    """One line of CDX text (space-separated fields) or of CDXJ (``urlkey timestamp {json}``)."""
    head = line.split(" ", 2)
    if len(head) == 3 and head[2].lstrip().startswith("{"):
        return _record({"urlkey": head[0], "timestamp": head[1], **_object(head[2])})
    parts = line.split()
    names = tuple(fields) if len(parts) == len(fields) else _TEXT_FORMATS.get(len(parts))
    if names is None or not re.fullmatch(r"\d{1,14}", parts[1] if len(parts) > 1 else ""):
        raise ValueError(f"a line of {len(parts)} fields is no CDX format known: {line[:80]!r}")
    return _record(dict(zip(names, parts, strict=True)))


def parse_cdx_json(text: str) -> CdxPage:
    """``parse_cdx`` under its earlier name (the answers to ``output=json`` it was written for)."""
    return parse_cdx(text)


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

    The same form for the Wayback Machine (``…/web/``) and pywb (``…/<collection>/``).

    >>> memento_url("https://web.archive.org/web/", "20251215020304", "https://a.example/x")
    'https://web.archive.org/web/20251215020304id_/https://a.example/x'
    >>> memento_url("http://127.0.0.1:8080/coll/", "20251215020304", "https://a.example/x")
    'http://127.0.0.1:8080/coll/20251215020304id_/https://a.example/x'
    """
    return f"{playback_url.rstrip('/')}/{timestamp}id_/{url}"


# <timestamp>[<modifier>_]/<url>: id_ (the original bytes), mp_ (pywb's Link rel=memento), none (a frame).
_PLAYBACK_PATH = re.compile(r"^(?P<stamp>\d{1,14})(?:[a-z]{2}_)?/(?P<url>.+)$")


def original_of(playback_url: str, url: str) -> str | None:
    """The original URL inside a playback URL of the archive at ``playback_url``; None when it is not one.

    Every form both servers write: with a modifier (``id_``, ``mp_``) or none, a
    timestamp of up to 14 digits, or no timestamp at all (a timegate, pywb's
    ``…/coll/https://…``); ``https:/x`` with its slashes collapsed is ``https://x``;
    a relative reference after a timestamp is given as it is (the caller joins it
    to the URL captured).

    >>> original_of("https://web.archive.org/web/", "https://web.archive.org/web/20251215020304id_/https://a.example/x?q=1")
    'https://a.example/x?q=1'
    >>> original_of("http://127.0.0.1:8080/coll/", "http://127.0.0.1:8080/coll/20251215020304mp_/http:/a.example/")
    'http://a.example/'
    >>> original_of("http://127.0.0.1:8080/coll/", "http://127.0.0.1:8080/coll/https://a.example/x")
    'https://a.example/x'
    >>> original_of("https://web.archive.org/web/", "https://web.archive.org/web/20251215020304id_//news/x.html")
    '/news/x.html'
    >>> original_of("http://127.0.0.1:8080/coll/", "http://127.0.0.1:8080/static/a.css") is None
    True
    """
    prefix = playback_url.rstrip("/") + "/"
    if not url.startswith(prefix):
        return None
    rest = url[len(prefix) :]
    match = _PLAYBACK_PATH.match(rest)
    if match:
        rest = match["url"]
    scheme = re.match(r"^(https?):/+", rest)
    if scheme is None:
        # After a timestamp, a reference as it was captured (relative to the URL captured); else no playback URL.
        return rest if match else None
    return f"{scheme[1]}://{rest[scheme.end() :]}"


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
