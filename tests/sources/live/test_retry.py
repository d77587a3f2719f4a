"""What is retried, how long the waits are, and what is given up on at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from series_archiver.errors import FetchError, GoneError, HTTPStatusError, NetworkError, TooLarge, TruncatedBody
from series_archiver.sources.http import backoff_seconds, is_retried, parse_retry_after
from series_archiver.sources.live import Fetcher
from tests.support.scripted import (
    ARTICLE,
    FakeTime,
    LocalSite,
    Reply,
    html_reply,
    outcomes,
)

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


@pytest.mark.slow
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


# -- the rules on their own ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error, retried",
    [
        (NetworkError("u", "timed out"), True),
        (TruncatedBody("u", "broke", received=3), True),
        (TooLarge("u", "too large"), False),
        (GoneError("u", 404, "gone"), False),
        (HTTPStatusError("u", 403, "no"), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else str(v),
)
def test_which_failures_are_retried(error: FetchError, retried: bool) -> None:
    assert is_retried(error) is retried


def test_retry_after_date_counts_from_now() -> None:
    now = datetime(2025, 12, 15, 4, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Mon, 15 Dec 2025 04:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Mon, 15 Dec 2025 03:59:00 GMT", now=now) == 0.0  # already past: no wait
    assert parse_retry_after(" 5 ", now=now) == 5.0
    assert parse_retry_after(None) is None and parse_retry_after("") is None and parse_retry_after("-3") is None


def test_backoff_doubles_under_the_cap_with_equal_jitter() -> None:
    for retry, ceiling in enumerate([1.0, 2.0, 4.0, 8.0, 10.0, 10.0]):
        for _ in range(50):
            wait = backoff_seconds(retry, None, base=1.0, cap=10.0)
            assert ceiling / 2 <= wait <= ceiling


def test_backoff_takes_retry_after_under_the_cap() -> None:
    assert backoff_seconds(0, "7", base=1.0, cap=30.0) == 7.0
    assert backoff_seconds(3, "86400", base=1.0, cap=12.0) == 12.0
    assert 0.5 <= backoff_seconds(0, "whenever", base=1.0, cap=30.0) <= 1.0  # unreadable: plain backoff
