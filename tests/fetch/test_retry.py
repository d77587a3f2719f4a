"""What is retried, how long the waits are, and what is given up on at once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from series_archiver.errors import (
    GoneError,
    HTTPStatusError,
    NetworkError,
)
from series_archiver.fetch import Fetcher

from .scripted import (
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
