"""robots.txt as the site sees it: read once, obeyed, its Crawl-delay kept, RFC 9309 on failures."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from series_archiver.errors import RobotsDisallowed
from series_archiver.sources.live import Fetcher
from series_archiver.sources.live.robots import origin, robots_token
from tests.support.scripted import (
    ARTICLE,
    FakeTime,
    LocalSite,
    Reply,
    html_reply,
    robots,
)

# -- robots.txt ----------------------------------------------------------------------------------------


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


# -- names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "agent, token",
    [
        ("series-archiver/0.1 (+mailto:a@example.org)", "series-archiver"),
        ("  series-archiver-test/1.0; mailto:a@example.org", "series-archiver-test"),
        ("series-archiver", "series-archiver"),
        ("series-archiver (bot)", "series-archiver"),
    ],
)
def test_groups_are_matched_on_the_product_token(agent: str, token: str) -> None:
    assert robots_token(agent) == token


def test_one_robots_txt_per_origin() -> None:
    assert origin(httpx.URL("https://www.takungpao.com/news/1.html?x=1#y")) == "https://www.takungpao.com"
    assert origin(httpx.URL("http://127.0.0.1:8123/robots.txt")) == "http://127.0.0.1:8123"
