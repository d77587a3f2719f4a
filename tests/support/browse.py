"""The archive the browse tests read (two crawls of the replica, markup injected), and Datasette's own client."""

from __future__ import annotations

import asyncio
import html
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from series_archiver.browse.server import database_name, make_datasette
from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.jobs import core

# Untrusted text: if any page ran it, window.__pwned would be set and the title changed.
INJECTION = (
    '<img src=x onerror="window.__pwned=1;document.title=\'pwned\'">'
    '<script>window.__pwned=2;document.title="pwned"</script>'
)
ARTICLE_1 = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"
ARTICLE_3 = "https://www.takungpao.com/news/232108/2025/1217/1050642.html"
ARTICLE_4 = "https://www.takungpao.com/news/232108/2025/1218/1050977.html"


@dataclass(frozen=True)
class Built:
    db: Path
    ids: dict[int, int]  # installment -> article id
    name: str  # the database's name in Datasette URLs


def build_archive(db: Path, site: ReplicaSite) -> Built:
    """Crawl the replica twice: ③ carries injected markup from the start; ① is edited and ④ removed before the second pass."""
    settings = demo_settings(db)
    transport = LoopbackTransport(site.origins)
    site.edit(
        ARTICLE_3,
        "一口氣談下了4家新客戶。</p>",
        "一口氣談下了4家新客戶。</p>\n<p>示例留言板上有人貼出一段代碼：" + html.escape(INJECTION) + "，編輯部已經刪除。</p>",
    )
    first = core.crawl(settings, transport=transport)
    assert first.ok and first.counts.new_articles == 4, first.counts
    site.edit(ARTICLE_1, "1萬億元台階。", "1.2萬億元台階。讀者來信附上" + html.escape(INJECTION) + "一行。")
    site.remove(ARTICLE_4)
    second = core.crawl(settings, transport=transport)
    assert (second.counts.new_versions, second.counts.gone) == (1, 1), second.counts
    ids = {row["installment"]: row["id"] for row in core.list_articles(settings)}
    return Built(db, ids, database_name(db))


class Client:
    """Datasette's own ASGI client, driven from synchronous tests on one event loop."""

    def __init__(self, db: Path) -> None:
        self.ds = make_datasette(db)
        self.loop = asyncio.new_event_loop()

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def get(self, path: str, **params: str) -> httpx.Response:
        response: httpx.Response = self.run(self.ds.client.get(path, params=params or None))
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return response

    def rows(self, path: str, **params: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get(path + ".json", _shape="array", **params).json()
        return found

    def close(self) -> None:
        for database in self.ds.databases.values():
            database.close()
        self.loop.close()


def version_row_id(built: Built, installment: int, version: int) -> int:
    """versions.id of an installment's version: the row page /series/versions/<id> shows its whole text."""
    conn = sqlite3.connect(f"file:{built.db}?mode=ro", uri=True)
    row = conn.execute("SELECT id FROM versions WHERE article_id = ? AND version = ?", (built.ids[installment], version)).fetchone()
    conn.close()
    return int(row[0])
