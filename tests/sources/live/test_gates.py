"""Per-host politeness: the delay between starts and the cap on requests in flight."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from series_archiver.sources.live import Fetcher
from series_archiver.sources.live.gates import HostGate, HostGates
from tests.support.scripted import (
    ARTICLE,
    HTML,
    FakeTime,
    LocalSite,
    fetch_settings,
    html_reply,
    page,
)

# -- per-host politeness -------------------------------------------------------------------------------


def test_delay_between_request_starts(site: LocalSite, make: Callable[..., Fetcher], fake: FakeTime) -> None:
    url = site.route(ARTICLE, html_reply())
    fetcher = make(delay_seconds=1.5)
    for _ in range(3):
        fetcher.fetch(url)
    assert fake.sleeps == [1.5, 1.5, 1.5]


@pytest.mark.slow
def test_delay_holds_across_threads_in_real_time(site: LocalSite) -> None:
    for i in range(4):
        site.route(f"/a/{i}.html", html_reply())
    fetcher = Fetcher(fetch_settings(delay_seconds=0.2, max_in_flight_per_host=2, respect_robots=False))
    with fetcher, ThreadPoolExecutor(4) as pool:
        pages = list(pool.map(fetcher.fetch, [site.url(f"/a/{i}.html") for i in range(4)]))
    assert all(p.status == 200 for p in pages)
    starts = sorted(s.at for s in site.seen)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.18, gaps


@pytest.mark.slow
def test_in_flight_cap_per_host(site: LocalSite) -> None:
    for i in range(4):
        site.route(f"/a/{i}.html", html_reply(delay=0.1))
    fetcher = Fetcher(fetch_settings(max_in_flight_per_host=1, respect_robots=False))
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

    s = fetch_settings(allowed_hosts=("a.test", "b.test"), respect_robots=False, max_in_flight_per_host=1)
    with Fetcher(s, transport=httpx.MockTransport(handler)) as fetcher, ThreadPoolExecutor(2) as pool:
        list(pool.map(fetcher.fetch, ["http://a.test/1234567.html", "http://b.test/1234567.html"]))
    assert peak["all"] == 2


# -- one host's gate on its own ----------------------------------------------------------------------------


def test_gate_books_starts_a_delay_apart() -> None:
    gate = HostGate(1.0, max_in_flight=1)
    assert gate.reserve(10.0) == 0.0
    assert gate.reserve(10.0) == 1.0  # booked for 11.0
    assert gate.reserve(13.5) == 0.0  # the host was idle long enough


def test_a_longer_crawl_delay_counts_from_the_last_start() -> None:
    gate = HostGate(1.0, max_in_flight=1)
    gate.reserve(10.0)  # robots.txt itself, at 10.0
    gate.raise_delay(3.0)
    assert gate.reserve(10.0) == 3.0  # 13.0, not 11.0
    gate.raise_delay(0.5)  # a shorter one changes nothing
    assert gate.reserve(13.0) == 3.0


def test_hold_off_only_ever_pushes_the_next_start_later() -> None:
    gate = HostGate(1.0, max_in_flight=1)
    gate.reserve(10.0)
    gate.hold_off(20.0)
    gate.hold_off(15.0)
    assert gate.reserve(10.0) == 10.0


def test_gates_are_per_host_and_hold_off_uses_the_clock() -> None:
    fake = FakeTime()
    gates = HostGates(0.0, 1, sleep=fake.sleep, clock=fake.clock)
    assert gates.gate("a.test") is gates.gate("a.test") is not gates.gate("b.test")
    gates.hold_off("a.test", 5.0)
    with gates.slot("b.test"):
        pass
    with gates.slot("a.test"):
        pass
    assert fake.sleeps == [5.0]
