"""A real HTTP server on 127.0.0.1 that answers each path as scripted, and helpers to script it.

Waits (politeness delays, backoff) go through ``FakeTime``, so they are asserted exactly and cost
no time; only the timeout, stop and real-time delay tests actually wait. The site notes when each
request arrived and when its answer was sent in full, so a test sees the gaps the site saw.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from series_archiver.settings import FetchSettings

ARTICLE = "/news/232108/2025/1215/1234567.html"
UA = "series-archiver-test/1.0"
TRAD = "貿戰下中國力量① 志氣篇：面對關稅壓力，中國企業堅持自主創新，以科技突破回應外部挑戰。"
HTML = "text/html; charset=utf-8"


def page(text: str = TRAD, head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head>{head}<title>貿戰下中國力量</title></head>"
        f"<body><div class='tkp_content'><p>{text}</p></div></body></html>"
    )


SIMPLIFIED = "贸战下中国力量 志气篇：面对美国关税压力，中国企业坚持自主创新，以科技突破回应外部挑战。朱镕基曾经说过，改革开放是强国之路。"


# -- the scripted server ---------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", HTML),)
    content_length: int | None = None  # announce this instead of len(body)
    delay: float = 0.0  # seconds to sit on the request before answering
    mode: str = "normal"  # normal | reset | reset_mid_body | chunked | chunked_broken | trickle
    trickle: float = 0.0  # mode trickle: seconds between two of the body's ten pieces


Script = Reply | Callable[[dict[str, str]], Reply]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived
    ended: float | None = None  # ... and when its answer had been sent (or the handler gave up)


@dataclass
class LocalSite:
    """Each path answers its scripted replies in turn, the last one forever; others get 404."""

    port: int = 0
    routes: dict[str, list[Script]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, path: str, *replies: Script) -> str:
        self.routes[path] = list(replies)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        with self.lock:
            return [s.path for s in self.seen]

    def hits(self, path: str) -> int:
        return self.paths().count(path)

    def enter(self, path: str, headers: dict[str, str]) -> tuple[Reply, Seen]:
        seen = Seen(path, headers, time.monotonic())
        with self.lock:
            self.seen.append(seen)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            script = self.routes.get(path) or self.routes.get(path.split("?")[0])
            if not script:
                return Reply(404, b"not found", (("Content-Type", "text/plain"),)), seen
            item = script.pop(0) if len(script) > 1 else script[0]
        return (item(headers) if callable(item) else item), seen

    def leave(self, seen: Seen) -> None:
        with self.lock:
            self.in_flight -= 1
            seen.ended = time.monotonic()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        site = self.server.site
        reply, seen = site.enter(self.path, dict(self.headers.items()))
        try:
            if reply.delay:
                time.sleep(reply.delay)
            self._answer(reply)
        finally:
            site.leave(seen)

    def _answer(self, reply: Reply) -> None:
        if reply.mode == "reset":
            return self._reset()
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        body = reply.body
        if reply.mode in ("chunked", "chunked_broken"):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i in range(0, len(body), 1000):
                part = body[i : i + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            if reply.mode == "chunked":
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.close_connection = True  # no last chunk: the stream just stops
            return None
        length = len(body) if reply.content_length is None else reply.content_length
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if reply.mode == "reset_mid_body":
            self.wfile.write(body[: len(body) // 2])
            return self._reset()
        if reply.mode == "trickle":
            step = max(1, -(-len(body) // 10))
            for i in range(0, len(body), step):
                if i:
                    time.sleep(reply.trickle)
                self.wfile.write(body[i : i + step])
            return None
        self.wfile.write(body)
        if length != len(body):
            self.close_connection = True
        return None

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send a RST: a real "connection reset by peer".
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: LocalSite

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hang up on purpose here (timeouts, refused bodies)


@contextmanager
def serving() -> Iterator[LocalSite]:
    """A scripted site on a free port of 127.0.0.1, served from a thread until the block ends."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.site = LocalSite(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server.site
    finally:
        server.shutdown()
        server.server_close()


class FakeTime:
    """A clock that only moves when slept on; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def fetch_settings(**overrides: Any) -> FetchSettings:
    base: dict[str, Any] = {
        "user_agent": UA,
        "contact": "",
        "delay_seconds": 0.0,
        "timeout_seconds": 2.0,
        "retries": 2,
        "backoff_base_seconds": 1.0,
        "backoff_max_seconds": 30.0,
        "max_bytes": 1_000_000,
        "allowed_hosts": ("127.0.0.1",),
    }
    return FetchSettings(**{**base, **overrides})


def html_reply(text: str = page(), **kw: Any) -> Reply:
    return Reply(200, text.encode("utf-8"), **kw)


def outcomes(exc_or_page: Any) -> list[str]:
    return [a.outcome for a in exc_or_page.attempts]


def robots(text: str) -> Reply:
    return Reply(200, text.encode(), (("Content-Type", "text/plain"),))


def redirect(to: str, status: int = 301) -> Reply:
    return Reply(status, b"", (("Location", to),))
