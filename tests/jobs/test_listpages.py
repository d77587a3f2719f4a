"""List pages are asked for with the validators of their last answer; a 304 reuses what was read from it.

What discovery finds must be what it would find reading every list page whole: after a 304,
after a restart that lost the kept readings, when a list page changed, and when the server
ignores conditional requests.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.jobs import core, listpages
from series_archiver.jobs.listpages import ListPages, lists_path
from series_archiver.models import Candidate, FetchedPage
from series_archiver.read.discovery import ListReading
from series_archiver.settings import FetchSettings, SeriesSettings
from tests.support.db import reader

LIST = "https://www.takungpao.com/news/232108/3.html"
FIRST = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"


class Unconditional(httpx.BaseTransport):
    """The replica behind a server that ignores If-None-Match and If-Modified-Since."""

    def __init__(self, site: ReplicaSite) -> None:
        self.inner = LoopbackTransport(site.origins)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for name in ("if-none-match", "if-modified-since"):
            request.headers.pop(name, None)
        return self.inner.handle_request(request)


def _list_statuses(site: ReplicaSite, since: int) -> dict[str, int]:
    lists = set(site.manifest["list_pages"]) | set(site.manifest["start_urls"])
    return {r.real_url: r.status for r in site.requests[since:] if r.real_url in lists}


def _urls(db: Path) -> set[str]:
    with reader(db) as conn:
        return {url for (url,) in conn.execute("SELECT url FROM article_urls")}


@pytest.mark.slow
def test_an_unchanged_list_page_is_not_read_again_and_gives_the_same_links(replica: ReplicaSite, tmp_path: Path) -> None:
    settings = demo_settings(tmp_path / "series.db")
    cold = core.crawl(settings, transport=LoopbackTransport(replica.origins))
    path = lists_path(settings.archive.db)
    assert path is not None and path.exists()
    mark = len(replica.requests)
    again = core.crawl(settings, transport=LoopbackTransport(replica.origins))
    statuses = _list_statuses(replica, mark)
    assert statuses and set(statuses.values()) == {304}
    assert again.ok and again.counts.found == cold.counts.found and again.counts.new_versions == 0
    # Every list page's request is in the fetch log, the 304s included.
    with reader(settings.archive.db) as conn:
        logged = conn.execute("SELECT count(*) FROM fetch_log WHERE run_id = ? AND status = 304", (again.run_id,)).fetchone()[0]
    assert logged >= len(statuses)

    # A restart that lost the kept readings (or never had them) reads every list page whole.
    path.unlink()
    mark = len(replica.requests)
    restarted = core.crawl(settings, transport=LoopbackTransport(replica.origins))
    assert set(_list_statuses(replica, mark).values()) == {200}
    assert restarted.counts.found == cold.counts.found
    path.write_text("{not json", encoding="utf-8")  # unreadable: no readings, full GETs
    mark = len(replica.requests)
    assert core.crawl(settings, transport=LoopbackTransport(replica.origins)).counts.found == cold.counts.found
    assert set(_list_statuses(replica, mark).values()) == {200}


@pytest.mark.slow
def test_a_changed_list_page_is_read(replica: ReplicaSite, tmp_path: Path) -> None:
    settings = demo_settings(tmp_path / "series.db")
    page = replica.text(LIST)
    replica.set_page(LIST, page.replace("貿戰下中國力量① 志氣篇", "示例 志氣篇"))
    core.crawl(settings, transport=LoopbackTransport(replica.origins))
    assert FIRST not in _urls(settings.archive.db)
    replica.restore(LIST)  # the list names installment ① again
    mark = len(replica.requests)
    result = core.crawl(settings, transport=LoopbackTransport(replica.origins))
    assert _list_statuses(replica, mark)[LIST] == 200
    assert result.ok and result.counts.new_articles >= 1
    assert FIRST in _urls(settings.archive.db)


@pytest.mark.slow
def test_a_server_that_ignores_conditional_requests(replica: ReplicaSite, tmp_path: Path) -> None:
    settings = demo_settings(tmp_path / "series.db")
    cold = core.crawl(settings, transport=LoopbackTransport(replica.origins))
    mark = len(replica.requests)
    again = core.crawl(settings, transport=Unconditional(replica))
    assert set(_list_statuses(replica, mark).values()) == {200}
    assert again.ok and again.counts.found == cold.counts.found and again.counts.new_versions == 0


def _series(pattern: str = "貿戰下中國力量") -> SeriesSettings:
    return SeriesSettings(name="s", pattern=pattern, start_urls=(LIST,))


def _page(headers: tuple[tuple[str, str], ...], status: int = 200) -> FetchedPage:
    return FetchedPage(
        url=LIST, final_url=LIST, status=status, fetched_at=datetime.now(UTC), content=b"", text="", encoding="utf-8",
        response_headers=headers,
    )


def test_readings_are_kept_with_their_validators_and_only_for_the_same_settings(tmp_path: Path) -> None:
    path = tmp_path / "a.db.lists.json"
    fetch = FetchSettings()
    reading = ListReading((Candidate(url=FIRST, title="t", series="s", installment=1, found_on=LIST),), "https://www.takungpao.com/news/232108/4.html")
    lists = ListPages(path)
    lists.read(_series(), fetch, LIST, _page((("ETag", '"x"'),)), reading)
    lists.read(_series(), fetch, LIST + "?none", _page(()), reading)  # no validators: nothing to ask with
    lists.save()
    again = ListPages(path)
    known = again.known(_series(), fetch, LIST)
    assert known is not None and known.etag == '"x"' and known.last_modified is None and known.reading == reading
    assert again.known(_series(), fetch, LIST + "?none") is None
    assert again.known(_series("別的系列"), fetch, LIST) is None  # another pattern: its own reading
    assert again.known(_series(), FetchSettings(allowed_hosts=("example.org",)), LIST) is None
    # Pages not reached in a pass are dropped when it saves.
    again.save()
    assert json.loads(path.read_text(encoding="utf-8"))["entries"] == {}
    assert lists_path(":memory:") is None


def test_a_change_to_discovery_or_the_sites_reads_every_list_page_whole_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.db.lists.json"
    fetch = FetchSettings()
    reading = ListReading((Candidate(url=FIRST, title="t", series="s", installment=1, found_on=LIST),), None)
    lists = ListPages(path)
    lists.read(_series(), fetch, LIST, _page((("ETag", '"x"'),)), reading)
    lists.save()
    assert ListPages(path).known(_series(), fetch, LIST) is not None
    # Another link rule (a site's article URLs, a fixed discovery) is another code digest: nothing kept applies.
    monkeypatch.setattr(listpages, "_code_digest", lambda: "another reading of list pages")
    assert ListPages(path).known(_series(), fetch, LIST) is None
