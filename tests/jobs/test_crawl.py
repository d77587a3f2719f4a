"""A pass re-checks the URLs it knows while it reads the list pages, and records them as it always did.

The list pages are read one after another (each names the next); the known URLs due
a re-check need none of them, so their fetches start at once (``jobs.crawl._Early``).
What is recorded must not depend on it: each URL is recorded after discovery, with the
list entry discovery found for it, in the order of the targets. A stop while the list
pages are read leaves every request made in the fetch log.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.errors import PassInterrupted
from series_archiver.jobs import core
from series_archiver.jobs import crawl as crawl_module
from series_archiver.jobs.verify import verify_archive
from series_archiver.settings import Settings
from tests.support.db import reader, snapshot


class ListPagesAt(httpx.BaseTransport):
    """The replica, each list page answered after ``delay`` seconds; ``on_list_page(n)`` called before the n-th (from 1)."""

    def __init__(self, site: ReplicaSite, delay: float = 0.0, on_list_page: Any = None) -> None:
        self.inner = LoopbackTransport(site.origins)
        self.lists = _list_pages(site)
        self.delay = delay
        self.on_list_page = on_list_page
        self.seen = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) in self.lists:
            self.seen += 1
            if self.on_list_page is not None:
                self.on_list_page(self.seen)
            time.sleep(self.delay)
        return self.inner.handle_request(request)


def _list_pages(site: ReplicaSite) -> set[str]:
    return set(site.manifest["list_pages"]) | set(site.manifest["start_urls"])


def _unschemed(url: str) -> str:
    return url.partition("://")[2]


def _article_rows(db: Path) -> list[tuple[Any, ...]]:
    """Every version with its article's series fields: what a list entry decides when a page changed."""
    with reader(db) as conn:
        return conn.execute(
            "SELECT a.series, a.installment, a.label, a.title, a.status, a.versions, v.version, v.title, v.text, v.url "
            "FROM articles a JOIN versions v ON v.article_id = a.id ORDER BY a.installment, a.title, v.version"
        ).fetchall()


@pytest.mark.slow
def test_rechecks_of_known_urls_start_while_the_list_pages_are_read(replica: ReplicaSite, settings: Settings) -> None:
    core.crawl(settings, transport=LoopbackTransport(replica.origins))
    mark = len(replica.requests)
    result = core.crawl(settings, transport=ListPagesAt(replica, delay=0.15))
    assert result.ok and result.counts.new_versions == 0
    asked = [r.real_url for r in replica.requests[mark:]]
    lists = [i for i, url in enumerate(asked) if url in _list_pages(replica)]
    installments = [i for i, url in enumerate(asked) if url in {i["url"] for i in replica.manifest["installments"]}]
    assert len(lists) >= 4
    # With each list page taking 0.15 s, every known installment is re-checked before the last one is asked for.
    assert installments and max(installments) < max(lists), asked


@pytest.mark.slow
def test_what_a_pass_records_does_not_depend_on_rechecks_starting_early(
    replica: ReplicaSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    early = demo_settings(tmp_path / "early.db")
    later = demo_settings(tmp_path / "later.db")
    for settings in (early, later):
        core.crawl(settings, transport=LoopbackTransport(replica.origins))
    # A changed page is a new version whose series comes from the list entry found this pass.
    target = replica.manifest["edit_targets"][0]
    replica.edit(target["url"], target["text"], target["text"] + "（更正）")
    first = core.crawl(early, transport=ListPagesAt(replica, delay=0.05))
    monkeypatch.setattr(crawl_module, "EARLY_HELD", 0)  # every re-check waits for the list pages, as before
    second = core.crawl(later, transport=ListPagesAt(replica, delay=0.05))
    assert first.counts.as_dict() == second.counts.as_dict()
    assert first.counts.new_versions == 1
    assert _article_rows(early.archive.db) == _article_rows(later.archive.db)
    assert snapshot(early.archive.db) == snapshot(later.archive.db)


def test_a_stop_while_the_list_pages_are_read_logs_every_request_and_the_next_pass_completes(
    replica: ReplicaSite, settings: Settings, reference: list[tuple[Any, ...]]
) -> None:
    core.crawl(settings, transport=LoopbackTransport(replica.origins))
    stop = threading.Event()

    def stop_at_the_third(n: int) -> None:
        if n == 3:
            stop.set()

    mark = len(replica.requests)
    with pytest.raises(PassInterrupted):
        core.crawl(settings, transport=ListPagesAt(replica, delay=0.1, on_list_page=stop_at_the_third), stop=stop)
    # The replica names every request https (whichever scheme was asked): compared without it.
    asked = {_unschemed(r.real_url) for r in replica.requests[mark:] if not r.real_url.endswith("/robots.txt")}
    with sqlite3.connect(settings.archive.db) as conn:
        run_id, status = conn.execute("SELECT id, status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        logged = {_unschemed(r[0]) for r in conn.execute("SELECT url FROM fetch_log WHERE run_id = ?", (run_id,))}
    assert status == "interrupted"
    assert any(_unschemed(i["url"]) in asked for i in replica.manifest["installments"]), asked
    assert asked <= logged, asked - logged
    assert verify_archive(settings).ok

    done = core.crawl(settings, transport=LoopbackTransport(replica.origins))
    assert done.ok and (done.counts.new_articles, done.counts.new_versions) == (0, 0)
    assert snapshot(settings.archive.db) == reference


def test_readings_started_early_do_not_hold_back_the_next_fetches() -> None:
    from concurrent.futures import Future

    def done(url: str) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(url)
        return future

    started: list[str] = []

    def start(url: str) -> Future[Any]:
        started.append(url)
        return Future()

    targets = {f"u{i}": None for i in range(10)}
    early = {url: done(url) for url in ("u0", "u1", "u2", "u3", "u5")}
    pending = crawl_module._Pending(start, iter(targets.items()), early, 2)
    pending.fill()
    # The early ones in hand are taken over as their turn comes; two more are started besides them.
    assert started == ["u4", "u6"]
    assert [pending.popleft()[1].result() for _ in range(4)] == ["u0", "u1", "u2", "u3"]
    pending.fill()
    assert started == ["u4", "u6"]  # u4 and u6 still running: no third one
    pending.popleft()  # u4, recorded
    pending.fill()
    assert started == ["u4", "u6", "u7"]
    assert pending.popleft()[1].result() == "u5"  # still in the order of the targets
    assert not early
