"""Shared fixtures: the replica on 127.0.0.1, archives in tmp_path, the seed.

Every crawl in the tests goes through ``LoopbackTransport``: requests for the
real URLs reach the replica's loopback servers, and any other host is refused
before a socket opens. Helpers that are not fixtures live in ``tests/support``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from series_archiver.demo import demo_settings, replica_manifest
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.jobs import core
from series_archiver.settings import Settings
from tests.support.crawl import Crawler
from tests.support.db import snapshot
from tests.support.paths import SEED
from tests.support.tools import Offline


@pytest.fixture
def replica() -> Iterator[ReplicaSite]:
    """A replica of its own for each test, so edits do not leak between tests."""
    with ReplicaSite() as site:
        yield site


@pytest.fixture(scope="session")
def manifest() -> dict:
    return replica_manifest()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Packaged settings pointed at the replica, archive in tmp_path, no politeness delay."""
    return demo_settings(tmp_path / "series.db")


@pytest.fixture
def crawler(replica: ReplicaSite, settings: Settings) -> Crawler:
    return Crawler(replica, settings)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Any, ...]]:
    """The archive one uninterrupted pass makes of the replica."""
    db = tmp_path_factory.mktemp("reference") / "series.db"
    with ReplicaSite() as site:
        result = core.crawl(demo_settings(db), transport=LoopbackTransport(site.origins))
    assert result.ok, result.counts.failures
    return snapshot(db)


@pytest.fixture(scope="session")
def seed_text() -> str:
    """Installment ① as printed (../shared/seed). Read at run time, never copied."""
    if not SEED.exists():
        if os.environ.get("SA_REQUIRE_SEED"):
            pytest.fail(f"{SEED} is missing but SA_REQUIRE_SEED is set")
        pytest.skip(f"the printed seed is not beside the repository ({SEED})")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[Offline]:
    tools = Offline(tmp_path)
    yield tools
    assert tools.attempts() == [], "a tool tried to reach beyond 127.0.0.0/8"
