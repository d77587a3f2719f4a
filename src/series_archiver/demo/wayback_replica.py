"""A replica of a web archive on 127.0.0.1: the CDX API and playback, with older captures of the replica site.

The response shapes are those of the Wayback Machine (learnt from recorded
real responses in public test suites; the data here is this project's own):

- ``GET /cdx/search/cdx?url=…&output=json&fl=…`` answers a JSON list whose
  first row names the fields; ``from``/``to``, ``matchType`` (exact, prefix),
  ``filter`` (``[!]field:regex``), ``collapse`` (``field`` or ``field:N``, on
  consecutive rows), ``limit`` and ``showResumeKey`` (an empty row, then the
  key; ``resumeKey`` continues). Nothing found: an empty body. A blocked URL:
  HTTP 403, ``text/plain``, an ``AdministrativeAccessControlException`` body.
- ``GET /web/<14 digits>id_/<url>`` replays a capture: its own status, its
  bytes, ``Memento-Datetime``, ``Link`` (original, timegate, timemap, memento),
  ``X-Archive-Src``, the original headers as ``x-archive-orig-*``; a captured
  redirect's ``Location`` points into the archive. A timestamp that is not a
  capture's answers 302 to the nearest one, without ``Memento-Datetime``; an
  unarchived URL answers 404 without it: the archive's own answers, not captures.

``WaybackReplica(shape="pywb")`` answers as pywb 2.10 does instead (learnt by
running it): the CDX API at ``/<collection>/cdx`` answers one JSON object per
line under pywb's names (``url``, ``mime``, ``status``, with ``offset``,
``filename``, ``source``), takes ``fl`` by those names only (others are left
out), ignores ``collapse`` and ``showResumeKey``, and filters by substring
(``~`` regex, ``=`` exact); playback at ``/<collection>/<ts>id_/<url>`` answers
a time that is no capture's with the nearest capture at once (named in
``Content-Location``), sends a captured redirect's ``Location`` as captured and
the original headers as they were (``Server`` and ``Date`` as
``X-Archive-Orig-*``), and has no ``X-Archive-Src``.

``WaybackReplica()`` holds ``default_captures()``: what a web archive would
hold of the replica site before the archive began (``HISTORY`` says which).
``rate_limit(n)`` makes the next ``n`` requests answer 429 (tests).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

__all__ = ["WaybackCapture", "WaybackReplica", "default_captures", "HISTORY", "surt"]

A1 = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"
A2 = "https://www.takungpao.com/news/232108/2025/1216/1050318.html"
LIST = "https://www.takungpao.com/news/232108/index.html"
REMOVED = "https://www.takungpao.com/news/232108/2025/1219/1051111.html"
BLOCKED_PREFIX = "https://www.takungpao.com/private/"

# What the replica archive holds, for the demo and the tests (times UTC).
HISTORY: dict[str, Any] = {
    "earlier_text": {"url": A1, "at": "2025-12-15T01:10:00+00:00", "old": "0.9萬億元", "new": "1萬億元", "new_at": "2025-12-16T02:00:00+00:00"},
    "removed": {
        "url": REMOVED,
        "installment": 5,
        "title": "貿戰下中國力量⑤ 銳氣篇｜小作坊闖出新天地 示例鞋業走向世界",
        "listed_at": "2025-12-19T03:00:00+00:00",
        "captured_at": "2025-12-19T03:05:00+00:00",
        "gone_at": "2025-12-20T04:00:00+00:00",
    },
    "list": LIST,
    "blocked_prefix": BLOCKED_PREFIX,
}


def surt(url: str) -> str:
    """The CDX ``urlkey`` of a URL: host reversed, no scheme, no ``www.``, lower case.

    >>> surt("https://www.takungpao.com/news/232108/index.html")
    'com,takungpao)/news/232108/index.html'
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    key = ",".join(reversed(host.split("."))) + ")" + (parts.path or "/").lower()
    return key + (f"?{parts.query.lower()}" if parts.query else "")


def _digest(body: bytes) -> str:
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


@dataclass(frozen=True)
class WaybackCapture:
    """One capture the replica archive holds."""

    url: str  # as captured (http or https)
    timestamp: str  # 14 digits, UTC
    status: int | None  # None: a revisit record, "-" in the index
    body: bytes = b""
    mimetype: str = "text/html"
    location: str | None = None  # a captured redirect's target (an original URL; pywb's shape sends it as it is)
    warc: str = "REPLICA-CRAWL-20251215-00000.warc.gz"

    @property
    def urlkey(self) -> str:
        return surt(self.url)

    @property
    def digest(self) -> str:
        return _digest(self.body)

    @property
    def captured_at(self) -> datetime:
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)

    def cdx_row(self) -> dict[str, str]:
        return {
            "urlkey": self.urlkey,
            "timestamp": self.timestamp,
            "original": self.url,
            "mimetype": self.mimetype,
            "statuscode": "-" if self.status is None else str(self.status),
            "digest": self.digest,
            "length": "-" if self.status is None else str(len(self.body) + 400),
        }


def _page(url: str) -> bytes:
    parts = urlsplit(url)
    path = (parts.hostname or "") + parts.path
    return resources.files("series_archiver.demo").joinpath("replica_site", *path.split("/")).read_bytes()


def _removed_page() -> bytes:
    """Installment ⑤, written for this replica: listed, captured once, then taken down."""
    html = _page(A2).decode("utf-8")
    title = HISTORY["removed"]["title"]
    paragraphs = [
        "一雙鞋從設計到出廠，過去要三個月，如今只要三周。示例鞋業的樣品間裏，擺滿了今年新開發的八百多款鞋樣。",
        "　　十年前，示例鞋業還只是城郊一間二十人的小作坊，靠替海外品牌代工維持生計。外部訂單一收緊，作坊幾乎停工。創辦人溫樣本說，那一年他第一次意識到，只會代工的企業沒有退路。",
        "　　此後，公司把利潤的一成投入研發，自建鞋楦數據庫，收集了超過十萬組腳型數據。靠着這套數據，公司推出的舒適系列在東南亞和中東市場打開銷路，自主品牌收入佔比由零升至四成。",
        "　　示例市輕工業協會的數據顯示，全市鞋業企業今年自主品牌出口額按年增長兩成以上，遠高於代工出口的增幅。協會秘書長柏設想認為，從代工走向品牌，是中小企業應對外部壓力最有效的辦法之一。",
        "　　如今，示例鞋業在海外開設了十二家門店，員工增至六百人。溫樣本說：「小作坊也可以有銳氣，關鍵是敢不敢走出自己的路。」（本文人物、企業及數字均為虛構）",
    ]
    body = "\n".join(f"      <p>{p}</p>" for p in paragraphs)
    html = re.sub(r'(<div class="tkp_content">\n).*?(\n\s*<p style="text-align: right;">)', lambda m: m.group(1) + body + m.group(2), html, count=1, flags=re.S)
    html = re.sub(r"(<h1 class=\"tkp_con_title\">).*?(</h1>)", lambda m: m.group(1) + title + m.group(2), html, count=1)
    html = re.sub(r"<title>.*?</title>", f"<title>{title}_大公网</title>", html, count=1)
    html = html.replace("2025-12-16 04:24:11", "2025-12-19 04:24:30")
    return html.encode("utf-8")


def _list_with_removed() -> bytes:
    """The list page as it was on 19 December: ⑤ still linked."""
    html = _page(LIST).decode("utf-8")
    title = HISTORY["removed"]["title"]
    item = f'<li><a href="{REMOVED}" title="{title}" target="_blank">{title}</a></li>\n      '
    return _insert_first_item(html, item).encode("utf-8")


def _insert_first_item(html: str, item: str) -> str:
    marker = html.find("<li><a href=\"https://www.takungpao.com/news/232108/2025/")
    return html[:marker] + item + html[marker:] if marker >= 0 else html


def default_captures() -> list[WaybackCapture]:
    """Older captures of the replica's pages: see ``HISTORY``."""
    a1 = _page(A1)
    earlier = a1.decode("utf-8").replace(HISTORY["earlier_text"]["new"], HISTORY["earlier_text"]["old"], 1).encode("utf-8")
    a2 = _page(A2)
    listing = _page(LIST)
    not_found = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1></body></html>"
    return [
        # ①: an earlier text, then today's (twice: one digest, collapsed), and once over http.
        WaybackCapture(A1, "20251215011000", 200, earlier),
        WaybackCapture(A1, "20251216020000", 200, a1),
        WaybackCapture(A1, "20251217020000", 200, a1),
        WaybackCapture(A1.replace("https://", "http://"), "20251216030000", 301, b"", mimetype="text/html", location=A1),
        # ②: a capture, and a revisit record the index lists with "-" for status and length.
        WaybackCapture(A2, "20251216050000", 200, a2),
        WaybackCapture(A2, "20251217050000", None, b"", mimetype="warc/revisit"),
        # The list pages: on 19 December the first still links ⑤.
        WaybackCapture(LIST, "20251216010000", 200, listing),
        WaybackCapture(LIST.replace("index.html", "2.html"), "20251216010100", 200, _page(LIST.replace("index.html", "2.html"))),
        WaybackCapture(LIST.replace("index.html", "3.html"), "20251216010200", 200, _page(LIST.replace("index.html", "3.html"))),
        WaybackCapture(LIST, "20251219030000", 200, _list_with_removed()),
        # ⑤: captured once, then a 404.
        WaybackCapture(REMOVED, "20251219030500", 200, _removed_page()),
        WaybackCapture(REMOVED, "20251220040000", 404, not_found),
    ]


class WaybackReplica:
    """Serve ``captures`` as a Wayback Machine would, on 127.0.0.1::

        with WaybackReplica() as archive:
            archive.cdx_url, archive.playback_url
    """

    def __init__(self, captures: Sequence[WaybackCapture] | None = None, *, shape: str = "wayback", collection: str = "replica") -> None:
        if shape not in ("wayback", "pywb"):
            raise ValueError(f"shape is wayback or pywb, not {shape!r}")
        self.shape = shape
        self.collection = collection
        self.captures = sorted(default_captures() if captures is None else captures, key=lambda c: (c.urlkey, c.timestamp, c.url))
        self.requests: list[tuple[str, dict[str, str]]] = []  # (path, headers) of every request, for tests
        self._throttle = 0
        self._throttle_retry_after: str | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="wayback-replica", daemon=True)
        host, port = self._server.server_address[:2]
        self.origin = f"http://{host!s}:{port}"
        if shape == "pywb":
            self.cdx_url = f"{self.origin}/{collection}/cdx"
            self.playback_url = f"{self.origin}/{collection}/"
        else:
            self.cdx_url = f"{self.origin}/cdx/search/cdx"
            self.playback_url = f"{self.origin}/web/"

    def __enter__(self) -> WaybackReplica:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()

    def rate_limit(self, count: int, retry_after: str | None = None) -> None:
        """The next ``count`` requests answer 429 (with ``Retry-After`` when given)."""
        with self._lock:
            self._throttle, self._throttle_retry_after = count, retry_after

    def _throttled(self) -> str | bool | None:
        with self._lock:
            if self._throttle > 0:
                self._throttle -= 1
                return self._throttle_retry_after or True
        return False

    # --- CDX -------------------------------------------------------------------------------

    def cdx(self, query: list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
        params: dict[str, list[str]] = {}
        for key, value in query:
            params.setdefault(key, []).append(value)
        url = params.get("url", [""])[0]
        if not url:
            return 400, {"Content-Type": "text/plain;charset=UTF-8"}, b"java.lang.IllegalArgumentException: url is required\n"
        full = url if "://" in url else "https://" + url
        if full.replace("http://", "https://", 1).startswith(BLOCKED_PREFIX):
            error = "org.archive.util.io.RuntimeIOException: org.archive.wayback.exception.AdministrativeAccessControlException: Blocked Site Error"
            return 403, {"Content-Type": "text/plain;charset=UTF-8", "x-archive-wayback-runtime-error": error}, (error + "\n").encode()
        key = surt(full)
        if self.shape == "pywb":
            return self._pywb_cdx(key, params)
        match_type = params.get("matchType", ["exact"])[0]
        rows = [c.cdx_row() for c in self.captures if (c.urlkey.startswith(key) if match_type == "prefix" else c.urlkey == key)]
        low = (params.get("from", [""])[0] + "00000101000000"[len(params.get("from", [""])[0]) :])[:14] if params.get("from") else None
        high = (params.get("to", [""])[0] + "99991231235959"[len(params.get("to", [""])[0]) :])[:14] if params.get("to") else None
        rows = [r for r in rows if (low is None or r["timestamp"] >= low) and (high is None or r["timestamp"] <= high)]
        for spec in params.get("filter", []):
            negate = spec.startswith("!")
            name, _, pattern = spec.lstrip("!").partition(":")
            rows = [r for r in rows if bool(re.fullmatch(pattern, r.get(name, ""))) != negate]
        for spec in params.get("collapse", []):
            name, _, width = spec.partition(":")
            kept: list[dict[str, str]] = []
            for r in rows:
                value = r.get(name, "")[: int(width)] if width else r.get(name, "")
                previous = kept[-1].get(name, "")[: int(width)] if kept and width else (kept[-1].get(name, "") if kept else None)
                if kept and value == previous and r["urlkey"] == kept[-1]["urlkey"]:
                    continue
                kept.append(r)
            rows = kept
        resume = params.get("resumeKey", [None])[0]
        if resume:
            after = unquote(resume).split(" ")
            rows = [r for r in rows if (r["urlkey"], r["timestamp"]) > (after[0], after[1] if len(after) > 1 else "")]
        limit = int(params.get("limit", ["0"])[0] or 0)
        more = bool(limit) and len(rows) > limit
        if limit:
            rows = rows[:limit]
        fields = (params.get("fl", [""])[0] or "urlkey,timestamp,original,mimetype,statuscode,digest,length").split(",")
        headers = {"Content-Type": "application/json" if params.get("output", [""])[0] == "json" else "text/plain"}
        if not rows:
            return 200, headers, b""
        if params.get("output", [""])[0] != "json":
            text = "".join(" ".join(r.get(f, "") for f in fields) + "\n" for r in rows)
            return 200, headers, text.encode()
        table: list[list[str]] = [fields, *[[r.get(f, "") for f in fields] for r in rows]]
        if more and params.get("showResumeKey", ["false"])[0] == "true":
            last = rows[-1]
            table += [[], [quote(f"{last['urlkey']} {last['timestamp']}")]]
        return 200, headers, ("[" + ",\n".join(json.dumps(row, ensure_ascii=False) for row in table) + "]\n").encode("utf-8")

    def _pywb_cdx(self, key: str, params: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        prefix = params.get("matchType", ["exact"])[0] == "prefix"
        rows = [self._pywb_row(c) for c in self.captures if (c.urlkey.startswith(key) if prefix else c.urlkey == key)]
        low = params.get("from", [""])[0]
        high = params.get("to", [""])[0]
        low = (low + "00000101000000"[len(low) :])[:14] if low else ""
        high = (high + "99991231235959"[len(high) :])[:14] if high else ""
        rows = [r for r in rows if (not low or r["timestamp"] >= low) and (not high or r["timestamp"] <= high)]
        for spec in params.get("filter", []):
            rows = [r for r in rows if _pywb_filter(spec, r)]
        limit = int(params.get("limit", ["100000"])[0] or 100000)
        rows = rows[:limit]
        fields = params.get("fl", [""])[0].split(",") if params.get("fl", [""])[0] else None
        if fields is not None:
            rows = [{f: r[f] for f in fields if f in r} for r in rows]  # pywb keeps the names it has
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        return 200, {"Content-Type": "text/x-ndjson"}, body.encode("utf-8")

    def _pywb_row(self, c: WaybackCapture) -> dict[str, str]:
        row = {
            "urlkey": c.urlkey,
            "timestamp": c.timestamp,
            "url": c.url,
            "mime": c.mimetype,
            "status": "-" if c.status is None else str(c.status),
            "digest": c.digest,
            "length": "-" if c.status is None else str(len(c.body) + 400),
            "offset": "0",
            "filename": c.warc,
            "source": f"{self.collection}/indexes/index.cdxj",
            "source-coll": self.collection,
            "access": "allow",
        }
        return row

    # --- playback ----------------------------------------------------------------------------

    def playback(self, stamp: str, url: str) -> tuple[int, dict[str, str], bytes]:
        key = surt(url)
        candidates = [c for c in self.captures if c.urlkey == key and c.status is not None]
        if not candidates:
            body = b"<html><body><p>Hrm. The Wayback Machine has not archived that URL.</p></body></html>"
            return 404, {"Content-Type": "text/html; charset=utf-8"}, body
        asked = (stamp + "00000101000000"[len(stamp) :])[:14]
        # The URL as asked (its scheme too) first: an http capture redirecting to https is not the https page.
        same = [c for c in candidates if c.url == url] or candidates
        exact = next((c for c in same if c.timestamp == asked), None)
        if exact is None and self.shape == "pywb":
            target = datetime.strptime(asked, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            return self._replay(min(same, key=lambda c: abs((c.captured_at - target).total_seconds())))
        if exact is None:
            target = datetime.strptime(asked, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            nearest = min(same, key=lambda c: abs((c.captured_at - target).total_seconds()))
            headers = {
                "Location": f"{self.playback_url}{nearest.timestamp}id_/{nearest.url}",
                "Content-Type": "text/plain; charset=utf-8",
                "x-archive-redirect-reason": f"found capture at {nearest.timestamp}",
            }
            return 302, headers, b""
        return self._replay(exact)

    def _replay(self, c: WaybackCapture) -> tuple[int, dict[str, str], bytes]:
        if self.shape == "pywb":
            return self._pywb_replay(c)
        when = format_datetime(c.captured_at, usegmt=True)
        memento = f"{self.playback_url}{c.timestamp}/{c.url}"
        headers = {
            "Content-Type": "text/html; charset=utf-8" if c.mimetype == "text/html" else c.mimetype,
            "Memento-Datetime": when,
            "Link": (
                f'<{c.url}>; rel="original", <{self.playback_url}timemap/link/{c.url}>; rel="timemap"; type="application/link-format", '
                f'<{self.playback_url}{c.url}>; rel="timegate", <{memento}>; rel="memento"; datetime="{when}"'
            ),
            "X-Archive-Src": f"replica-crawl-20251215/{c.warc}",
            "x-archive-orig-date": when,
            "x-archive-orig-server": "nginx",
            "x-archive-orig-content-length": str(len(c.body)),
        }
        if c.location:
            headers["Location"] = f"{self.playback_url}{c.timestamp}id_/{c.location}"
            headers["x-archive-orig-location"] = c.location
        return c.status or 200, headers, c.body

    def _pywb_replay(self, c: WaybackCapture) -> tuple[int, dict[str, str], bytes]:
        when = format_datetime(c.captured_at, usegmt=True)
        base = self.playback_url
        headers = {
            "Content-Type": "text/html; charset=utf-8" if c.mimetype == "text/html" else c.mimetype,
            "X-Archive-Orig-Server": "nginx",
            "Memento-Datetime": when,
            "Link": (
                f'<{c.url}>; rel="original", <{base}{c.url}>; rel="timegate", '
                f'<{base}timemap/link/{c.url}>; rel="timemap"; type="application/link-format", '
                f'<{base}{c.timestamp}mp_/{c.url}>; rel="memento"; datetime="{when}"; collection="{self.collection}"'
            ),
            "Content-Location": f"{base}{c.timestamp}id_/{c.url}",
        }
        if c.location:
            headers["Location"] = c.location  # as captured, relative or not
        return c.status or 200, headers, c.body


def _pywb_filter(spec: str, row: dict[str, str]) -> bool:
    """pywb's ``filter``: ``[!][=|~]field:value``, a substring by default, ``~`` a regex from the start, ``=`` exact."""
    invert = spec.startswith("!")
    spec = spec[1:] if invert else spec
    mode = spec[0] if spec[:1] in ("=", "~") else ""
    spec = spec[1:] if mode else spec
    name, _, value = spec.partition(":")
    name = {"original": "url", "mimetype": "mime", "statuscode": "status"}.get(name, name)
    have = row.get(name, "")
    matched = have == value if mode == "=" else bool(re.match(value, have)) if mode == "~" else value in have
    return matched != invert


def _handler(archive: WaybackReplica) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # the replica never writes to stderr

        def do_GET(self) -> None:
            archive.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            throttled = archive._throttled()
            if throttled:
                headers = {"Content-Type": "text/html"}
                if isinstance(throttled, str):
                    headers["Retry-After"] = throttled
                self._send(429, headers, b"<html><body><h1>429 Too Many Requests</h1></body></html>")
                return
            parts = urlsplit(self.path)
            if parts.path == urlsplit(archive.cdx_url).path:
                self._send(*archive.cdx(parse_qsl(parts.query, keep_blank_values=True)))
                return
            match = re.match(rf"^{re.escape(urlsplit(archive.playback_url).path)}(\d{{1,14}})id_/(.+)$", self.path)
            if match:
                self._send(*archive.playback(match.group(1), match.group(2)))
                return
            self._send(404, {"Content-Type": "text/plain"}, b"not found\n")

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def captures_from(items: Iterable[tuple[str, str, int | None, bytes]]) -> list[WaybackCapture]:
    """Captures from ``(url, timestamp, status, body)`` tuples, for tests that build their own archive."""
    return [WaybackCapture(url, stamp, status, body) for url, stamp, status, body in items]
