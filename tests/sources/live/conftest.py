"""Fixtures of the fetch tests: the scripted site, the fake clock, and Fetchers made on them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from series_archiver.sources.live import Fetcher
from tests.support.scripted import (
    FakeTime,
    LocalSite,
    fetch_settings,
    serving,
)


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with serving() as site:
        yield site


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # Traffic must stay on 127.0.0.1 even where the environment sets a proxy.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make(fake: FakeTime) -> Iterator[Callable[..., Fetcher]]:
    made: list[Fetcher] = []

    def make_fetcher(**overrides: Any) -> Fetcher:
        fetcher = Fetcher(fetch_settings(**overrides), sleep=fake.sleep, clock=fake.clock)
        made.append(fetcher)
        return fetcher

    yield make_fetcher
    for fetcher in made:
        fetcher.close()
