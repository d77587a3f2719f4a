"""A stop (Ctrl-C, the daemon's SIGTERM) seen from the site: nothing sent after it, nothing waited for.

Real time here: the site on 127.0.0.1 answers slowly (headers after 10 s, a body trickling
or stalled), the stop comes from a timer, and every test asserts how soon ``fetch`` gave up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from series_archiver.errors import PassInterrupted
from series_archiver.models import FetchedPage
from series_archiver.sources import inflight
from series_archiver.sources.live import Fetcher
from tests.support.scripted import ARTICLE, LocalSite, Reply, fetch_settings, html_reply, outcomes, page

# The request's helper threads are named so: none may outlive an abandoned request for long.
HELPER = "fetch-request"


@pytest.fixture
def thread_errors(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """What would have printed "Exception in thread …": it must stay empty."""
    seen: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", seen.append)
    yield seen


def stop_after(seconds: float) -> threading.Event:
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.daemon = True
    timer.start()
    return stop


def helpers_gone(within: float = 1.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(t.name == HELPER and t.is_alive() for t in threading.enumerate()):
            return True
        time.sleep(0.02)
    return False


@pytest.mark.parametrize(
    "slow",
    [
        Reply(200, page().encode(), (("Content-Type", "text/html"),), delay=10.0),
        html_reply(mode="trickle", trickle=0.4),
        html_reply(mode="trickle", trickle=10.0),
    ],
    ids=["headers-after-10s", "body-trickling", "body-stalled"],
)
def test_a_stop_abandons_the_request_in_flight(site: LocalSite, slow: Reply, thread_errors: list[Any]) -> None:
    url = site.route(ARTICLE, slow)
    stop = stop_after(0.3)
    with Fetcher(fetch_settings(timeout_seconds=30.0, respect_robots=False), stop=stop) as fetcher:
        t0 = time.monotonic()
        with pytest.raises(PassInterrupted) as info:
            fetcher.fetch(url)
        took = time.monotonic() - t0
    assert took < 2.0, took
    [attempt] = info.value.attempts
    assert (attempt.url, attempt.status, attempt.outcome) == (url, None, "interrupted")
    assert attempt.error and "stop requested" in attempt.error and attempt.elapsed_ms > 0
    assert site.hits(ARTICLE) == 1
    assert helpers_gone(), "the abandoned request's connection is cut, so its thread ends too"
    assert thread_errors == []


@pytest.fixture
def helpers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The requests sent from a helper thread (those that opened a connection), by URL path."""
    sent: list[str] = []
    real = inflight._in_helper

    def counted(stop: threading.Event, send: Any, name: str) -> Any:
        sent.append(name)
        return real(stop, send, name)

    monkeypatch.setattr(inflight, "_in_helper", counted)
    return sent


@pytest.mark.parametrize(
    "slow",
    [
        Reply(200, page().encode(), (("Content-Type", "text/html"),), delay=10.0),
        html_reply(mode="trickle", trickle=0.4),
        html_reply(mode="trickle", trickle=10.0),
    ],
    ids=["headers-after-10s", "body-trickling", "body-stalled"],
)
def test_a_stop_abandons_a_request_on_a_connection_kept_alive(
    site: LocalSite, slow: Reply, thread_errors: list[Any], helpers: list[str]
) -> None:
    """Most requests of a pass reuse a connection and run in their worker's own thread: the stop ends them as soon."""
    first = site.route("/a/1.html", html_reply())
    url = site.route(ARTICLE, slow)
    stop = threading.Event()
    with Fetcher(fetch_settings(timeout_seconds=30.0, respect_robots=False), stop=stop) as fetcher:
        assert fetcher.fetch(first).status == 200
        assert len(helpers) == 1  # the first request opened the connection, from a helper thread
        threading.Timer(0.3, stop.set).start()
        t0 = time.monotonic()
        with pytest.raises(PassInterrupted) as info:
            fetcher.fetch(url)
        took = time.monotonic() - t0
    assert took < 2.0, took
    assert len(helpers) == 1  # the second ran in this thread, on the connection kept alive
    [attempt] = info.value.attempts
    assert (attempt.url, attempt.status, attempt.outcome) == (url, None, "interrupted")
    assert attempt.error and "stop requested" in attempt.error
    assert site.hits(ARTICLE) == 1
    assert thread_errors == []


def test_requests_on_a_kept_alive_connection_start_no_thread(site: LocalSite, helpers: list[str]) -> None:
    """A helper thread a request costs ~0.25 ms, as much as a 304 itself: only a new connection has one."""
    paths = [site.route(f"/a/{i}.html", html_reply()) for i in range(20)]
    with Fetcher(fetch_settings(respect_robots=False), stop=threading.Event()) as fetcher:
        assert [fetcher.fetch(p).status for p in paths] == [200] * 20
    assert len(helpers) == 1
    assert site.hits("/a/19.html") == 1


def test_nothing_is_sent_once_stop_is_set(site: LocalSite) -> None:
    url = site.route(ARTICLE, html_reply())
    stop = threading.Event()
    stop.set()
    with Fetcher(fetch_settings(), stop=stop) as fetcher, pytest.raises(PassInterrupted) as info:
        fetcher.fetch(url)
    assert site.seen == [] and info.value.attempts == ()  # not even robots.txt


def test_a_retry_is_not_sent_after_a_stop(site: LocalSite) -> None:
    url = site.route(ARTICLE, Reply(503, b"busy", (("Retry-After", "20"),)), html_reply())
    stop = stop_after(0.3)
    with Fetcher(fetch_settings(respect_robots=False), stop=stop) as fetcher:
        t0 = time.monotonic()
        with pytest.raises(PassInterrupted, match="while waiting") as info:
            fetcher.fetch(url)
    assert time.monotonic() - t0 < 1.5  # the 20 s backoff ends with the stop
    assert site.hits(ARTICLE) == 1 and outcomes(info.value) == ["retry"]


def test_a_stop_during_a_politeness_wait_sends_nothing_more(site: LocalSite) -> None:
    first = site.route("/a/1.html", html_reply())
    second = site.route("/a/2.html", html_reply())
    stop = threading.Event()
    with Fetcher(fetch_settings(delay_seconds=20.0, respect_robots=False), stop=stop) as fetcher:
        assert fetcher.fetch(first).status == 200
        threading.Timer(0.3, stop.set).start()
        t0 = time.monotonic()
        with pytest.raises(PassInterrupted):
            fetcher.fetch(second)
    assert time.monotonic() - t0 < 1.5
    assert site.paths() == ["/a/1.html"]


def test_closing_the_fetcher_under_its_workers_shows_no_traceback(
    site: LocalSite, thread_errors: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A second Ctrl-C: the stop is set, then the fetcher is closed while its workers still run."""
    for i in range(6):
        site.route(f"/a/{i}.html", Reply(200, page().encode(), (("Content-Type", "text/html"),), delay=10.0))
    stop = threading.Event()
    fetcher = Fetcher(fetch_settings(timeout_seconds=30.0, respect_robots=False, max_in_flight_per_host=3), stop=stop)
    caplog.set_level(logging.DEBUG)
    with ThreadPoolExecutor(6) as pool:
        futures = [pool.submit(fetcher.fetch, site.url(f"/a/{i}.html")) for i in range(6)]
        time.sleep(0.3)
        t0 = time.monotonic()
        stop.set()
        fetcher.close()
        errors = [f.exception(timeout=5) for f in futures]
    assert time.monotonic() - t0 < 2.0
    assert all(isinstance(e, PassInterrupted) for e in errors), errors
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert thread_errors == []
    assert site.hits("/a/3.html") + site.hits("/a/4.html") + site.hits("/a/5.html") <= 3  # at most 3 were in flight


def test_a_closed_fetcher_raises_pass_interrupted_not_runtime_error(site: LocalSite, thread_errors: list[Any]) -> None:
    """Without a stop too: a worker asking a closed fetcher (or asking as it closes) ends quietly."""
    for i in range(4):
        site.route(f"/a/{i}.html", Reply(200, page().encode(), (("Content-Type", "text/html"),), delay=0.3))
    fetcher = Fetcher(fetch_settings(respect_robots=False, max_in_flight_per_host=4))
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(fetcher.fetch, site.url(f"/a/{i}.html")) for i in range(4)]
        time.sleep(0.1)
        fetcher.close()
        results = [f.exception(timeout=5) or f.result() for f in futures]
    assert all(isinstance(r, (FetchedPage, PassInterrupted)) for r in results), results
    with pytest.raises(PassInterrupted, match="closed"):
        fetcher.fetch(site.url("/a/0.html"))
    assert thread_errors == []
