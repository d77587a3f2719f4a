"""The Fetcher end to end against the scripted site: what a page records, conditional requests,
redirects and their gates, takedowns, and that every failure carries its attempts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from series_archiver.errors import FetchError, GoneError, HostNotAllowed, HTTPStatusError, NotHTML, RobotsDisallowed
from series_archiver.sources.live import Fetcher
from tests.support.scripted import (
    ARTICLE,
    HTML,
    UA,
    FakeTime,
    LocalSite,
    Reply,
    fetch_settings,
    html_reply,
    outcomes,
    page,
    redirect,
    robots,
)

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
    fetcher = Fetcher(fetch_settings(), sleep=fake.sleep, clock=fake.clock, transport=transport)
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
