"""Per-host politeness: the delay after each start and each end, and the cap on requests in flight."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from series_archiver.errors import PassInterrupted
from series_archiver.sources.http import FairSlots, HostGate, HostGates
from series_archiver.sources.live import Fetcher
from tests.support.scripted import (
    ARTICLE,
    HTML,
    FakeTime,
    LocalSite,
    Reply,
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


# -- the gap the site sees, in real time ------------------------------------------------------------------


@pytest.mark.parametrize(
    "slow",
    [Reply(200, page().encode(), delay=0.5), html_reply(mode="trickle", trickle=0.06)],
    ids=["slow-to-answer", "trickling-body"],
)
def test_the_delay_counts_from_the_end_of_the_previous_response(site: LocalSite, slow: Reply) -> None:
    """A slow answer does not eat into the gap: the site sees delay_seconds of quiet after it."""
    first = site.route("/a/slow.html", slow)
    second = site.route("/a/next.html", html_reply())
    with Fetcher(fetch_settings(delay_seconds=0.4, respect_robots=False)) as fetcher:
        assert fetcher.fetch(first).status == 200
        assert fetcher.fetch(second).status == 200
    slow_seen, next_seen = site.seen
    assert slow_seen.ended is not None and slow_seen.ended - slow_seen.at >= 0.45  # the answer did take its time
    assert next_seen.at - slow_seen.ended >= 0.4, (slow_seen, next_seen)


def test_the_gap_after_each_end_holds_across_threads(site: LocalSite) -> None:
    for i in range(3):
        site.route(f"/a/{i}.html", Reply(200, page().encode(), delay=0.15))
    settings = fetch_settings(delay_seconds=0.2, max_in_flight_per_host=1, respect_robots=False)
    with Fetcher(settings) as fetcher, ThreadPoolExecutor(3) as pool:
        list(pool.map(fetcher.fetch, [site.url(f"/a/{i}.html") for i in range(3)]))
    seen = sorted(site.seen, key=lambda s: s.at)
    gaps = [b.at - a.ended for a, b in itertools.pairwise(seen) if a.ended is not None]
    assert len(gaps) == 2 and min(gaps) >= 0.2, gaps


# -- one host's gate on its own (an injected clock) -------------------------------------------------------


def test_the_next_start_waits_a_delay_after_the_previous_end() -> None:
    gate = HostGate(1.0, max_in_flight=1)
    assert gate.admit(10.0) == 0.0
    gate.ended(12.5)  # a slow answer: 2.5 s from start to end
    assert gate.admit(12.5) == 1.0  # 13.5: a delay after the end, not 11.0 after the start
    assert gate.admit(13.5) == 0.0


def test_starts_stay_a_delay_apart_however_quick_the_answer() -> None:
    gate = HostGate(1.0, max_in_flight=2)
    assert gate.admit(10.0) == 0.0
    assert gate.admit(10.0) == 1.0  # a second one in flight still starts a delay later
    gate.ended(10.2)
    assert gate.admit(10.2) == pytest.approx(1.0)  # 11.2, the later of 11.0 (start) and 11.2 (end)
    assert gate.admit(13.0) == 0.0  # the host was quiet long enough


def test_a_longer_crawl_delay_counts_from_the_end_of_robots_txt() -> None:
    gate = HostGate(1.0, max_in_flight=1)
    gate.admit(10.0)  # robots.txt itself, from 10.0...
    gate.ended(10.5)  # ...to 10.5
    gate.raise_delay(3.0)
    assert gate.admit(10.5) == 3.0  # 13.5, not 11.5
    gate.raise_delay(0.5)  # a shorter one changes nothing
    assert gate.admit(13.0) == 0.5


def test_hold_off_only_ever_pushes_the_next_start_later() -> None:
    gate = HostGate(1.0, max_in_flight=1)
    gate.admit(10.0)
    gate.ended(10.0)
    gate.hold_off(20.0)
    gate.hold_off(15.0)
    assert gate.admit(10.0) == 10.0


def test_a_slot_counts_its_end_on_the_clock() -> None:
    fake = FakeTime()
    gates = HostGates(1.0, 1, sleep=fake.sleep, clock=fake.clock)
    with gates.slot("a.test"):
        fake.now += 4.0  # the answer takes 4 s
    with gates.slot("a.test"):
        pass
    assert fake.sleeps == [1.0]  # a delay after the end: with starts alone it would not have waited


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


def test_a_stop_ends_a_politeness_wait_and_gives_no_slot() -> None:
    stop = threading.Event()
    gates = HostGates(30.0, 1, stop=stop)
    with gates.slot("a.test"):
        pass
    threading.Timer(0.2, stop.set).start()
    t0 = time.monotonic()
    with pytest.raises(PassInterrupted, match="while waiting"), gates.slot("a.test"):
        raise AssertionError("no slot is given after a stop")
    assert time.monotonic() - t0 < 1.0
    with pytest.raises(PassInterrupted), gates.slot("b.test"):  # a host never waited for: no slot either
        raise AssertionError("no slot is given after a stop")


# -- slots: first come, first served ----------------------------------------------------------------


def _waiting(slots: FairSlots, name: str, order: list[str], entered: threading.Event | None = None) -> threading.Thread:
    """A thread that takes a slot, notes its name and gives the slot back."""

    def run() -> None:
        with slots:
            order.append(name)
            if entered is not None:
                entered.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _until_waiting(slots: FairSlots, n: int) -> None:
    deadline = time.monotonic() + 5
    while len(slots._waiters) < n:
        assert time.monotonic() < deadline, "the thread never came to wait"
        time.sleep(0.005)


def test_a_slot_given_back_goes_to_the_longest_waiter_before_anyone_else() -> None:
    # With threading.Semaphore the holder, asking again at once, took the slot back from a waiter
    # that was woken but not yet running: the crawl's list pages waited behind a run of re-checks.
    slots = FairSlots(1)
    order: list[str] = []
    slots.__enter__()
    first = _waiting(slots, "first", order)
    _until_waiting(slots, 1)
    second = _waiting(slots, "second", order)
    _until_waiting(slots, 2)
    slots.__exit__()
    slots.__enter__()  # the holder asks again at once: it comes after both waiters
    order.append("holder again")
    slots.__exit__()
    first.join(5)
    second.join(5)
    assert order == ["first", "second", "holder again"]


def test_no_more_holders_than_slots_and_every_slot_comes_back() -> None:
    slots = FairSlots(2)
    inside = 0
    most = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        for _ in range(200):
            with slots:
                with lock:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0)
                with lock:
                    inside -= 1

    with ThreadPoolExecutor(5) as pool:
        for f in [pool.submit(work) for _ in range(5)]:
            f.result()
    assert most == 2
    assert slots._free == 2 and not slots._waiters
    with pytest.raises(ValueError, match="never taken"):
        slots.__exit__()


def test_a_waiter_interrupted_while_waiting_leaves_no_slot_behind() -> None:
    slots = FairSlots(1)
    slots.__enter__()

    class Turn:
        """The lock a waiter sleeps on, as when a signal handler raises (KeyboardInterrupt) while it sleeps."""

        calls = 0

        def acquire(self) -> bool:
            Turn.calls += 1
            if Turn.calls == 1:
                return True  # taken at once, before the waiter is queued
            raise KeyboardInterrupt

        def release(self) -> None:
            raise AssertionError("nothing hands a slot to a waiter that left")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(threading, "Lock", Turn)
        with pytest.raises(KeyboardInterrupt):
            slots.__enter__()
    assert Turn.calls == 2
    assert not slots._waiters
    slots.__exit__()
    assert slots._free == 1


def test_a_waiter_interrupted_just_as_it_was_handed_a_slot_gives_it_back() -> None:
    slots = FairSlots(1)
    slots.__enter__()

    class Turn:
        calls = 0

        def acquire(self) -> bool:
            Turn.calls += 1
            if Turn.calls == 1:
                return True
            slots.__exit__()  # the holder hands its slot over (Turn.release), then the signal lands
            raise KeyboardInterrupt

        def release(self) -> None:
            pass

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(threading, "Lock", Turn)
        with pytest.raises(KeyboardInterrupt):
            slots.__enter__()
    assert not slots._waiters
    assert slots._free == 1
