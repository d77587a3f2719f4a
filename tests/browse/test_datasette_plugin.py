"""Plain Datasette: installing series-archiver makes `datasette archive/series.db` show the views.

The plugin is found through the package's entry point (the `datasette` group),
with no metadata file and no flags: the metadata, the canned queries, the CSS
and the safe cells all come from its hooks. One test drives Datasette in
process, one runs the real `datasette` command on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from series_archiver.demo.replica import ReplicaSite
from series_archiver.settings import Settings
from tests.support.crawl import Crawler

pytestmark = pytest.mark.slow

A1 = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"


@pytest.fixture
def archive(replica: ReplicaSite, settings: Settings) -> Path:
    crawler = Crawler(replica, settings)
    crawler.crawl()
    replica.edit(A1, "一座灰白色廠房", "一座灰黑色廠房")
    crawler.crawl()
    return settings.archive.db


def test_plain_datasette_finds_the_plugin_by_its_entry_point(archive: Path, tmp_path: Path) -> None:
    from datasette.app import Datasette

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    ds = Datasette([str(archive), str(other)])

    async def get(path: str) -> Any:
        response = await ds.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        return response

    async def run() -> None:
        plugins = (await get("/-/plugins.json")).json()
        assert any(p["name"] == "series-archiver" for p in plugins)
        rows = (await get("/series/installments.json?_shape=array")).json()
        assert [r["installment"] for r in rows] == [1, 2, 3, 4]
        found = (await get("/series/search.json?q=華為&_shape=array")).json()
        assert [r["installment"] for r in found] == [1]
        edits = (await get("/series/recent_edits.json?_shape=array")).json()
        assert len(edits) == 1
        history = await get("/series/article_history?id=1")
        assert '<del class="diff-del">' in history.text, "the diff is rendered as HTML"
        table = (await get("/series/articles.json?_extra=metadata")).json()
        assert "installment" in str(table)
        css = await get("/-/static-plugins/series-archiver/browse.css")
        assert "diff-del" in css.text
        page = await get("/series")
        assert "browse.css" in page.text and "installments" in page.text
        # A database that is no archive is served as it is.
        queries = (await get("/other.json")).json()
        assert not queries.get("queries")

    asyncio.run(run())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_datasette_command_serves_the_views(archive: Path) -> None:
    port = _free_port()
    datasette = Path(sys.executable).with_name("datasette")
    proc = subprocess.Popen(
        [str(datasette), "serve", str(archive), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(f"{base}/series/installments.json?_shape=array", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError(f"datasette did not start: {proc.stderr.read() if proc.stderr else ''}") from None
                time.sleep(0.2)
        assert response.status_code == 200
        assert [r["installment"] for r in response.json()] == [1, 2, 3, 4]
        front = httpx.get(f"{base}/", timeout=5)
        assert "貿戰下中國力量" in front.text, "the archive's title, from the plugin's metadata"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_atom_feeds_parse_keep_their_ids_and_their_links_resolve(archive: Path, replica: ReplicaSite, settings: Settings) -> None:
    feedparser = pytest.importorskip("feedparser", reason="feedparser is in the test extra")
    from datasette.app import Datasette

    replica.remove("https://www.takungpao.com/news/232108/2025/1218/1050977.html")
    Crawler(replica, settings).crawl()

    async def run() -> tuple[Any, Any, Any, list[str]]:
        ds = Datasette([str(archive)])
        front = await ds.client.get("/series")
        article_page = await ds.client.get("/series/articles/1")
        whole = await ds.client.get("/-/feeds/series.atom")
        one = await ds.client.get("/-/feeds/series/1.atom")
        missing = await ds.client.get("/-/feeds/series/999.atom")
        assert whole.status_code == 200 and whole.headers["content-type"].startswith("application/atom+xml")
        assert missing.status_code == 404
        assert 'type="application/atom+xml"' in front.text and "/-/feeds/series.atom" in front.text
        assert "/-/feeds/series/1.atom" in article_page.text
        index = await ds.client.get("/")
        assert "/-/feeds/series.atom" in index.text
        parsed = feedparser.parse(whole.content)
        statuses = []
        for entry in parsed.entries:
            link = entry.link.split("://", 1)[1].split("/", 1)[1]
            statuses.append(str((await ds.client.get("/" + link)).status_code))
        again = feedparser.parse((await ds.client.get("/-/feeds/series.atom")).content)
        return parsed, feedparser.parse(one.content), again, statuses

    whole, one, again, statuses = asyncio.run(run())
    assert whole.bozo == 0, whole.get("bozo_exception")
    kinds = [e.title.rsplit(" — ", 1)[1].split(" (")[0] for e in whole.entries]
    assert kinds[0] == "removed" and kinds.count("new installment") == 4 and "edited" in kinds
    assert [e.updated for e in whole.entries] == sorted((e.updated for e in whole.entries), reverse=True), "newest first"
    edit = next(e for e in whole.entries if "edited" in e.title)
    assert "diff-del" in edit.content[0].value, "an edit's entry carries its diff"
    assert [e.id for e in again.entries] == [e.id for e in whole.entries], "ids stay the same from one run to the next"
    assert one.bozo == 0 and {e.link for e in one.entries} == {e.link for e in whole.entries if e.link.endswith("/-/article/1")}
    assert set(statuses) == {"200"}, "every entry's link resolves"
