"""The fetch stage against a real HTTP server on 127.0.0.1, scripted path by path.

Waits (politeness delays, backoff) go through an injected fake clock, so they are asserted
exactly and cost no time; only the timeout and the real-time delay tests actually wait.
"""

from __future__ import annotations

import gzip
import itertools
import random
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import brotli  # type: ignore[import-untyped]
import httpx
import pytest

from series_archiver.errors import (
    FetchError,
    GoneError,
    HostNotAllowed,
    HTTPStatusError,
    NetworkError,
    NotHTML,
    RobotsDisallowed,
    TooLarge,
    TruncatedBody,
    UndecodableText,
)
from series_archiver.fetch import Fetcher
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


# -- the scripted server ---------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = (("Content-Type", HTML),)
    content_length: int | None = None  # announce this instead of len(body)
    delay: float = 0.0  # seconds to sit on the request before answering
    mode: str = "normal"  # normal | reset | reset_mid_body | chunked | chunked_broken


Script = Reply | Callable[[dict[str, str]], Reply]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float


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

    def enter(self, path: str, headers: dict[str, str]) -> Reply:
        with self.lock:
            self.seen.append(Seen(path, headers, time.monotonic()))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            script = self.routes.get(path)
            if not script:
                return Reply(404, b"not found", (("Content-Type", "text/plain"),))
            item = script.pop(0) if len(script) > 1 else script[0]
        return item(headers) if callable(item) else item

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        site = self.server.site
        reply = site.enter(self.path, dict(self.headers.items()))
        try:
            if reply.delay:
                time.sleep(reply.delay)
            self._answer(reply)
        finally:
            site.leave()

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


@pytest.fixture
def site() -> Iterator[LocalSite]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.site = LocalSite(port=server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield server.site
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


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # Traffic must stay on 127.0.0.1 even where the environment sets a proxy.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def settings(**overrides: Any) -> FetchSettings:
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


@pytest.fixture
def make(fake: FakeTime) -> Iterator[Callable[..., Fetcher]]:
    made: list[Fetcher] = []

    def make_fetcher(**overrides: Any) -> Fetcher:
        fetcher = Fetcher(settings(**overrides), sleep=fake.sleep, clock=fake.clock)
        made.append(fetcher)
        return fetcher

    yield make_fetcher
    for fetcher in made:
        fetcher.close()


def html_reply(text: str = page(), **kw: Any) -> Reply:
    return Reply(200, text.encode("utf-8"), **kw)


def outcomes(exc_or_page: Any) -> list[str]:
    return [a.outcome for a in exc_or_page.attempts]


# -- happy path and what is recorded -----------------------------------------------------------------


def test_happy_path(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    headers = (("Content-Type", HTML), ("Set-Cookie", "a=1"), ("ETag", '"v1"'), ("Set-Cookie", "b=2"))
    url = site.route(ARTICLE, html_reply(headers=headers))
    got = make().fetch(url)
    assert got.status == 200
    assert got.url == got.final_url == url
    assert got.redirects == ()
    assert got.text == page()
    assert got.content == page().encode("utf-8")
    assert got.encoding == "utf-8"
    assert got.content_type == "text/html"
    assert got.http_version == "HTTP/1.1"
    assert got.fetched_at.tzinfo is not None and got.fetched_at.utcoffset() == timedelta(0)
    # as received: in order, duplicates kept
    names = [k.lower() for k, _ in got.response_headers]
    assert [v for k, v in got.response_headers if k.lower() == "set-cookie"] == ["a=1", "b=2"]
    assert names.index("set-cookie") < names.index("etag")
    assert got.header("etag") == '"v1"'
    assert {k.lower(): v for k, v in got.request_headers}["user-agent"] == UA
    [attempt] = got.attempts
    assert (attempt.url, attempt.attempt, attempt.status, attempt.outcome) == (url, 1, 200, "ok")
    assert attempt.bytes == len(got.content)
    assert attempt.started_at.tzinfo is not None


def test_user_agent_is_the_configured_one(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, html_reply())
    make(contact="mailto:archivist@example.org").fetch(url)
    agents = {s.path: s.headers.get("User-Agent") for s in site.seen}
    expected = f"{UA}; mailto:archivist@example.org"
    assert agents == {"/robots.txt": expected, ARTICLE: expected}
    encodings = site.seen[-1].headers["Accept-Encoding"]
    assert "gzip" in encodings and "br" in encodings


def test_contact_already_in_user_agent_is_not_repeated(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, html_reply())
    make(user_agent=f"{UA} (+mailto:a@example.org)", contact="mailto:a@example.org").fetch(url)
    assert site.seen[-1].headers["User-Agent"] == f"{UA} (+mailto:a@example.org)"


# -- robots.txt ----------------------------------------------------------------------------------------


def robots(text: str) -> Reply:
    return Reply(200, text.encode(), (("Content-Type", "text/plain"),))


def test_robots_disallow_sends_nothing(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    site.route("/robots.txt", robots("User-agent: *\nDisallow: /private/\n"))
    allowed = site.route(ARTICLE, html_reply())
    forbidden = site.route("/private/1234567.html", html_reply())
    fetcher = make()
    with pytest.raises(RobotsDisallowed) as info:
        fetcher.fetch(forbidden)
    assert fetcher.fetch(allowed).status == 200
    fetcher.fetch(allowed)
    assert "/private/1234567.html" not in site.paths()
    assert site.hits("/robots.txt") == 1  # cached for the Fetcher's lifetime
    [attempt] = info.value.attempts
    assert (attempt.status, attempt.outcome) == (None, "skipped")
    assert forbidden in str(info.value) and "robots.txt" in str(info.value)


def test_robots_group_for_our_agent(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    site.route(
        "/robots.txt", robots("User-agent: otherbot\nAllow: /\n\nUser-agent: series-archiver-test\nDisallow: /\n")
    )
    url = site.route(ARTICLE, html_reply())
    with pytest.raises(RobotsDisallowed):
        make().fetch(url)
    assert site.paths() == ["/robots.txt"]


def test_respect_robots_off(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    site.route("/robots.txt", robots("User-agent: *\nDisallow: /\n"))
    url = site.route(ARTICLE, html_reply())
    assert make(respect_robots=False).fetch(url).status == 200
    assert site.paths() == [ARTICLE]


@pytest.mark.parametrize("status", [503, 429])
def test_robots_server_error_closes_the_site_for_the_pass(site: LocalSite, make: Callable[..., Fetcher], status: int) -> None:
    # RFC 9309 2.3.1.4: an unreachable robots.txt (5xx) means complete disallow.
    site.route("/robots.txt", Reply(status, b"busy"))
    url = site.route(ARTICLE, html_reply())
    fetcher = make()
    with pytest.raises(RobotsDisallowed) as info:
        fetcher.fetch(url)
    assert f"HTTP {status}" in str(info.value) and "RFC 9309" in str(info.value)
    assert [(a.url, a.status, a.outcome) for a in info.value.attempts] == [(url, None, "skipped")]
    assert site.paths() == ["/robots.txt"]  # the article was never requested
    assert str(status) in fetcher.robots_notes[site.url("")]
    # The next pass (a new Fetcher) asks again, and a readable robots.txt opens the site.
    site.route("/robots.txt", robots("User-agent: *\nAllow: /\n"))
    assert make().fetch(url).status == 200


def test_robots_missing_allows_everything(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    site.route("/robots.txt", Reply(404, b"no such file"))
    url = site.route(ARTICLE, html_reply())
    fetcher = make()
    page_ = fetcher.fetch(url)
    assert page_.status == 200
    assert [a.url for a in page_.attempts] == [url]  # robots.txt is not an article attempt
    assert fetcher.robots_notes == {}


def test_crawl_delay_wins_over_a_shorter_delay(site: LocalSite, make: Callable[..., Fetcher], fake: FakeTime) -> None:
    site.route("/robots.txt", robots("User-agent: *\nCrawl-delay: 2\n"))
    url = site.route(ARTICLE, html_reply())
    fetcher = make(delay_seconds=0.5)
    fetcher.fetch(url)
    fetcher.fetch(url)
    assert fake.sleeps == [2.0, 2.0]  # robots.txt, then each article two seconds after the last start


def test_delay_wins_over_a_shorter_crawl_delay(site: LocalSite, make: Callable[..., Fetcher], fake: FakeTime) -> None:
    site.route("/robots.txt", robots("User-agent: *\nCrawl-delay: 1\n"))
    url = site.route(ARTICLE, html_reply())
    make(delay_seconds=3.0).fetch(url)
    assert fake.sleeps == [3.0]


# -- per-host politeness -------------------------------------------------------------------------------


def test_delay_between_request_starts(site: LocalSite, make: Callable[..., Fetcher], fake: FakeTime) -> None:
    url = site.route(ARTICLE, html_reply())
    fetcher = make(delay_seconds=1.5)
    for _ in range(3):
        fetcher.fetch(url)
    assert fake.sleeps == [1.5, 1.5, 1.5]


def test_delay_holds_across_threads_in_real_time(site: LocalSite) -> None:
    for i in range(4):
        site.route(f"/a/{i}.html", html_reply())
    fetcher = Fetcher(settings(delay_seconds=0.2, max_in_flight_per_host=2, respect_robots=False))
    with fetcher, ThreadPoolExecutor(4) as pool:
        pages = list(pool.map(fetcher.fetch, [site.url(f"/a/{i}.html") for i in range(4)]))
    assert all(p.status == 200 for p in pages)
    starts = sorted(s.at for s in site.seen)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.18, gaps


def test_in_flight_cap_per_host(site: LocalSite) -> None:
    for i in range(4):
        site.route(f"/a/{i}.html", html_reply(delay=0.1))
    fetcher = Fetcher(settings(max_in_flight_per_host=1, respect_robots=False))
    with fetcher, ThreadPoolExecutor(4) as pool:
        list(pool.map(fetcher.fetch, [site.url(f"/a/{i}.html") for i in range(4)]))
    assert site.max_in_flight == 1


def test_different_hosts_proceed_in_parallel() -> None:
    # Two hosts cannot both live on 127.0.0.1, so this one uses an in-memory transport.
    lock = threading.Lock()
    active: dict[str, int] = {}
    peak = {"all": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        with lock:
            active[host] = active.get(host, 0) + 1
            peak["all"] = max(peak["all"], sum(active.values()))
        time.sleep(0.15)
        with lock:
            active[host] -= 1
        return httpx.Response(200, headers={"Content-Type": HTML}, content=page().encode())

    s = settings(allowed_hosts=("a.test", "b.test"), respect_robots=False, max_in_flight_per_host=1)
    with Fetcher(s, transport=httpx.MockTransport(handler)) as fetcher, ThreadPoolExecutor(2) as pool:
        list(pool.map(fetcher.fetch, ["http://a.test/1234567.html", "http://b.test/1234567.html"]))
    assert peak["all"] == 2


# -- retries ---------------------------------------------------------------------------------------------


def test_503_then_200_honours_retry_after_seconds(
    site: LocalSite, make: Callable[..., Fetcher], fake: FakeTime
) -> None:
    url = site.route(ARTICLE, Reply(503, b"busy", (("Retry-After", "7"),)), html_reply())
    got = make().fetch(url)
    assert got.status == 200
    assert fake.sleeps == [7.0]
    assert outcomes(got) == ["retry", "ok"]
    assert [a.attempt for a in got.attempts] == [1, 2]
    assert got.attempts[0].status == 503 and "503" in (got.attempts[0].error or "")


def test_retry_after_http_date(site: LocalSite, make: Callable[..., Fetcher], fake: FakeTime) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    url = site.route(ARTICLE, Reply(503, b"", (("Retry-After", when),)), html_reply())
    make().fetch(url)
    [wait] = fake.sleeps
    assert 7.0 <= wait <= 10.0


def test_retry_after_is_capped(site: LocalSite, make: Callable[..., Fetcher], fake: FakeTime) -> None:
    url = site.route(ARTICLE, Reply(503, b"", (("Retry-After", "86400"),)), html_reply())
    make(backoff_max_seconds=12.0).fetch(url)
    assert fake.sleeps == [12.0]


def test_429_is_retried_with_jittered_backoff(site: LocalSite, make: Callable[..., Fetcher], fake: FakeTime) -> None:
    url = site.route(ARTICLE, Reply(429), Reply(429), html_reply())
    got = make(backoff_base_seconds=2.0).fetch(url)
    assert outcomes(got) == ["retry", "retry", "ok"]
    first, second = fake.sleeps
    assert 1.0 <= first <= 2.0 and 2.0 <= second <= 4.0  # base * 2**n, at least half of it


def test_5xx_gives_up_after_the_retries(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(500, b"oops"))
    with pytest.raises(HTTPStatusError) as info:
        make(retries=2).fetch(url)
    assert info.value.status == 500
    assert outcomes(info.value) == ["retry", "retry", "error"]
    assert site.hits(ARTICLE) == 3


@pytest.mark.parametrize("status", [404, 410])
def test_404_and_410_are_gone(site: LocalSite, make: Callable[..., Fetcher], status: int) -> None:
    url = site.route(ARTICLE, Reply(status, b"gone"))
    with pytest.raises(GoneError) as info:
        make().fetch(url)
    assert info.value.status == status
    assert outcomes(info.value) == ["gone"]
    assert site.hits(ARTICLE) == 1


def test_403_is_not_retried(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(403, b"no"))
    with pytest.raises(HTTPStatusError) as info:
        make().fetch(url)
    assert not isinstance(info.value, GoneError)
    assert info.value.status == 403
    assert site.hits(ARTICLE) == 1
    assert url in str(info.value) and "not retried" in str(info.value)


def test_timeouts_are_retried_then_network_error(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, html_reply(delay=1.0))
    started = time.monotonic()
    with pytest.raises(NetworkError) as info:
        make(timeout_seconds=0.3, retries=1).fetch(url)
    assert time.monotonic() - started < 1.5
    assert outcomes(info.value) == ["retry", "error"]
    assert all(a.status is None for a in info.value.attempts)
    assert "timed out" in str(info.value) and "fetch.timeout_seconds" in str(info.value)
    assert site.hits(ARTICLE) == 2


def test_connection_reset_is_retried(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(mode="reset"), html_reply())
    got = make().fetch(url)
    assert outcomes(got) == ["retry", "ok"]
    assert got.attempts[0].status is None


def test_connection_reset_every_time_is_a_network_error(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(mode="reset"))
    with pytest.raises(NetworkError) as info:
        make(retries=1).fetch(url)
    assert outcomes(info.value) == ["retry", "error"]


# -- broken and oversized bodies -------------------------------------------------------------------------


def test_reset_mid_body_is_truncated(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, b"x" * 50_000, mode="reset_mid_body"))
    with pytest.raises(TruncatedBody) as info:
        make(retries=0).fetch(url)
    assert outcomes(info.value) == ["truncated"]
    assert info.value.attempts[0].status == 200


def test_content_length_larger_than_body(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    body = page().encode()
    url = site.route(ARTICLE, Reply(200, body, content_length=len(body) + 500))
    with pytest.raises(TruncatedBody) as info:
        make(retries=1).fetch(url)
    assert outcomes(info.value) == ["retry", "truncated"]  # a broken stream may be a passing glitch
    assert url in str(info.value)


def test_truncated_once_then_whole(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    body = page().encode()
    url = site.route(ARTICLE, Reply(200, body, content_length=len(body) + 500), html_reply())
    assert make().fetch(url).text == page()


def test_broken_chunked_stream(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, page(TRAD * 100).encode(), mode="chunked_broken"))
    with pytest.raises(TruncatedBody):
        make(retries=0).fetch(url)


def test_whole_chunked_stream(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, page(TRAD * 100).encode(), mode="chunked"))
    assert make().fetch(url).text == page(TRAD * 100)


def test_max_bytes_refused_up_front_by_content_length(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, b"a" * 200_000))
    with pytest.raises(TooLarge) as info:
        make(max_bytes=100_000).fetch(url)
    assert outcomes(info.value) == ["too_large"]
    assert info.value.attempts[0].bytes == 0
    assert "fetch.max_bytes" in str(info.value)


def test_max_bytes_while_streaming(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, b"a" * 300_000, mode="chunked"))
    with pytest.raises(TooLarge) as info:
        make(max_bytes=100_000).fetch(url)
    assert info.value.attempts[0].bytes < 200_000


def test_gzip_bomb_stops_early(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    headers = (("Content-Type", HTML), ("Content-Encoding", "gzip"))
    url = site.route(ARTICLE, Reply(200, bomb, headers))
    with pytest.raises(TooLarge) as info:
        make(max_bytes=100_000).fetch(url)
    assert len(bomb) < 100_000  # Content-Length alone would have let it through
    assert outcomes(info.value) == ["too_large"]


@pytest.mark.parametrize(
    "coding, compress",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
        ("br", brotli.compress),
    ],
)
def test_compressed_pages(
    site: LocalSite, make: Callable[..., Fetcher], coding: str, compress: Callable[[bytes], bytes]
) -> None:
    text = page(TRAD * 50)
    url = site.route(
        ARTICLE, Reply(200, compress(text.encode()), (("Content-Type", HTML), ("Content-Encoding", coding)))
    )
    got = make().fetch(url)
    assert got.text == text
    assert got.content == text.encode()


def test_corrupt_gzip_is_truncated(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    data = gzip.compress(page(TRAD * 50).encode())
    headers = (("Content-Type", HTML), ("Content-Encoding", "gzip"))
    url = site.route(ARTICLE, Reply(200, data[: len(data) // 2], headers))
    with pytest.raises(TruncatedBody) as info:
        make(retries=0).fetch(url)
    assert "ends early" in str(info.value)


# -- content type and text ---------------------------------------------------------------------------------


def test_non_html_is_refused(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, b"%PDF-1.4 ...", (("Content-Type", "application/pdf"),)))
    with pytest.raises(NotHTML) as info:
        make().fetch(url)
    assert "application/pdf" in str(info.value)
    assert outcomes(info.value) == ["refused"]
    assert site.hits(ARTICLE) == 1


def test_xhtml_is_accepted(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, page().encode(), (("Content-Type", "application/xhtml+xml; charset=utf-8"),)))
    assert make().fetch(url).content_type == "application/xhtml+xml"


def test_missing_content_type_is_sniffed(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    html_url = site.route("/a/1234567.html", Reply(200, page().encode(), ()))
    png_url = site.route("/a/7654321.html", Reply(200, b"\x89PNG\r\n\x1a\n" + bytes(100), ()))
    fetcher = make()
    assert fetcher.fetch(html_url).content_type == "text/html"
    with pytest.raises(NotHTML):
        fetcher.fetch(png_url)


def test_big5_declared_only_in_meta(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    text = page("大公報記者攝：香港嘅市民喺屋邨度食緊嘢，佢哋話今年嘅經濟會好啲。", head='<meta charset="big5">')
    url = site.route(ARTICLE, Reply(200, text.encode("big5hkscs"), (("Content-Type", "text/html"),)))
    got = make().fetch(url)
    assert got.text == text
    assert got.encoding == "big5hkscs"


def test_big5_declared_in_http_equiv(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=big5">'
    text = page("香港嘅市民", head=head)
    url = site.route(ARTICLE, Reply(200, text.encode("big5hkscs"), (("Content-Type", "text/html"),)))
    assert make().fetch(url).text == text


SIMPLIFIED = "贸战下中国力量 志气篇：面对美国关税压力，中国企业坚持自主创新，以科技突破回应外部挑战。朱镕基曾经说过，改革开放是强国之路。"


def test_gbk_declared_in_header(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    text = page(SIMPLIFIED)  # 镕 is in GBK, not in GB2312: the declared gb2312 is read as gb18030
    url = site.route(ARTICLE, Reply(200, text.encode("gbk"), (("Content-Type", "text/html; charset=gb2312"),)))
    got = make().fetch(url)
    assert got.text == text
    assert got.encoding == "gb18030"


def test_gbk_undeclared_is_detected(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    text = page(SIMPLIFIED * 3)
    url = site.route(ARTICLE, Reply(200, text.encode("gbk"), (("Content-Type", "text/html"),)))
    got = make().fetch(url)
    assert got.text == text
    assert got.encoding == "gb18030"


def test_bom_beats_a_wrong_header(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    text = page()
    url = site.route(
        ARTICLE, Reply(200, b"\xef\xbb\xbf" + text.encode(), (("Content-Type", "text/html; charset=gbk"),))
    )
    got = make().fetch(url)
    assert got.text == text
    assert got.content.decode(got.encoding) == got.text


def test_binary_junk_is_undecodable(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    junk = random.Random(7).randbytes(20_000)
    url = site.route(ARTICLE, Reply(200, junk, (("Content-Type", "text/html"),)))
    with pytest.raises(UndecodableText) as info:
        make().fetch(url)
    assert outcomes(info.value) == ["error"]
    assert info.value.attempts[0].status == 200
    assert url in str(info.value)


# -- conditional requests --------------------------------------------------------------------------------


def test_conditional_request_304(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    def answer(headers: dict[str, str]) -> Reply:
        if headers.get("If-None-Match") == '"v1"':
            return Reply(304, b"", (("ETag", '"v1"'),))
        return html_reply(headers=(("Content-Type", HTML), ("ETag", '"v2"')))

    url = site.route(ARTICLE, answer)
    fetcher = make()
    got = fetcher.fetch(url, etag='"v1"', last_modified="Mon, 15 Dec 2025 04:24:25 GMT")
    assert got.status == 304 and got.not_modified
    assert got.content == b"" and got.text == ""
    assert outcomes(got) == ["not_modified"]
    sent = site.seen[-1].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 15 Dec 2025 04:24:25 GMT"
    assert fetcher.fetch(url, etag='"v0"').status == 200


# -- redirects -------------------------------------------------------------------------------------------


def redirect(to: str, status: int = 301) -> Reply:
    return Reply(status, b"", (("Location", to),))


def test_redirect_chain_is_recorded(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    start = site.route("/old/1234567.html", redirect("/mid/1234567.html"))
    mid = site.route("/mid/1234567.html", redirect(site.url(ARTICLE), 302))
    final = site.route(ARTICLE, html_reply())
    got = make().fetch(start)
    assert got.url == start
    assert got.final_url == final
    assert got.redirects == (mid, final)
    assert [(a.url, a.status, a.outcome) for a in got.attempts] == [
        (start, 301, "ok"),
        (mid, 302, "ok"),
        (final, 200, "ok"),
    ]


class RecordingTransport(httpx.HTTPTransport):
    """The real transport, noting every host a request is actually sent to."""

    def __init__(self) -> None:
        super().__init__()
        self.hosts: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        return super().handle_request(request)


def test_redirect_off_the_allowed_hosts_is_refused(site: LocalSite, fake: FakeTime) -> None:
    url = site.route(ARTICLE, redirect("http://example.invalid/1234567.html"))
    transport = RecordingTransport()
    fetcher = Fetcher(settings(), sleep=fake.sleep, clock=fake.clock, transport=transport)
    with fetcher, pytest.raises(HostNotAllowed) as info:
        fetcher.fetch(url)
    assert set(transport.hosts) == {"127.0.0.1"}  # refused before any connection to the other host
    assert info.value.url == url  # the error belongs to the URL asked for...
    assert "redirected to http://example.invalid/1234567.html" in str(info.value)  # ...and names the hop
    assert "fetch.allowed_hosts" in str(info.value)
    assert [(a.url, a.status, a.outcome) for a in info.value.attempts] == [
        (url, 301, "ok"),
        ("http://example.invalid/1234567.html", None, "refused"),
    ]


def test_error_on_a_redirect_hop_belongs_to_the_url_asked_for(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route("/old/1234567.html", redirect(ARTICLE))
    site.route(ARTICLE, Reply(500))
    with pytest.raises(HTTPStatusError) as info:
        make(retries=1).fetch(url)
    assert info.value.url == url and info.value.status == 500
    assert f"redirected to {site.url(ARTICLE)}" in str(info.value)
    assert outcomes(info.value) == ["ok", "retry", "error"]


def test_first_url_off_the_allowed_hosts_is_refused(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    with pytest.raises(HostNotAllowed) as info:
        make().fetch("http://example.invalid/1234567.html")
    assert outcomes(info.value) == ["refused"]
    assert site.paths() == []


@pytest.mark.parametrize("to", ["/", "/index.html", "/news/232108/index.html", "/news/232108/2.html"])
def test_redirect_to_home_or_list_page_is_a_takedown(site: LocalSite, make: Callable[..., Fetcher], to: str) -> None:
    url = site.route(ARTICLE, redirect(to, 302))
    with pytest.raises(GoneError) as info:
        make().fetch(url)
    assert "taken down" in str(info.value)
    assert info.value.status == 302
    assert outcomes(info.value) == ["gone"]
    assert to not in site.paths()


def test_list_page_may_redirect_home(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route("/news/232108/index.html", redirect("/"))
    site.route("/", html_reply())
    assert make().fetch(url).final_url == site.url("/")


def test_redirect_loop_gives_up(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route("/loop/1234567.html", redirect("/loop/1234567.html"))
    with pytest.raises(HTTPStatusError) as info:
        make().fetch(url)
    assert "redirects" in str(info.value)
    assert len(info.value.attempts) == 11


# -- every failure is a FetchError with attempts -----------------------------------------------------------


def test_failures_always_carry_attempts(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    site.route("/robots.txt", robots("User-agent: *\nDisallow: /private/\n"))
    cases = {
        site.route("/a/1.html", Reply(404)): GoneError,
        site.route("/a/2.html", Reply(200, b"{}", (("Content-Type", "application/json"),))): NotHTML,
        site.url("/private/3.html"): RobotsDisallowed,
        "http://example.invalid/": HostNotAllowed,
    }
    fetcher = make()
    for url, kind in cases.items():
        with pytest.raises(FetchError) as info:
            fetcher.fetch(url)
        assert isinstance(info.value, kind)
        assert info.value.url == url
        assert info.value.attempts and info.value.attempts[-1].outcome == info.value.outcome
