"""The reading room's archive: three crawls of the replica with an edit, a removal, a return and a witness."""

from __future__ import annotations

import html
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.jobs import core

A1 = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"
A4 = "https://www.takungpao.com/news/232108/2025/1218/1050977.html"
INJECTION = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
ARCHIVED_AT = "2025-12-16T03:04:05+00:00"
WAYBACK = "https://web.archive.org/web/20251216030405/" + A1


@dataclass(frozen=True)
class Room:
    db: Path
    ids: dict[int, int]  # installment -> article id


def build_room(db: Path, site: ReplicaSite) -> Room:
    """Three crawls: ① edited twice (markup injected by the first edit), ④ removed, then back; one witness of ①."""
    settings = demo_settings(db)
    transport = LoopbackTransport(site.origins)
    assert core.crawl(settings, transport=transport).counts.new_articles == 4
    site.edit(A1, "1萬億元台階。", "1.2萬億元台階。讀者來信附上" + html.escape(INJECTION) + "一行。")
    site.remove(A4)
    second = core.crawl(settings, transport=transport)
    assert (second.counts.new_versions, second.counts.gone) == (1, 1), second.counts
    site.edit(A1, "一座灰白色廠房", "一座灰黑色廠房")
    site.restore(A4)
    assert core.crawl(settings, transport=transport).counts.new_versions == 1
    ids = {row["installment"]: row["id"] for row in core.list_articles(settings)}
    conn = sqlite3.connect(db)
    with conn:
        version_id = conn.execute("SELECT id FROM versions WHERE article_id = ? AND version = 2", (ids[1],)).fetchone()[0]
        conn.execute(
            "INSERT INTO witnesses (article_id, version_id, kind, url, requested_at, status, attempts, archived_url, archived_at) "
            "VALUES (?, ?, 'new_version', ?, ?, 'success', 1, ?, ?)",
            (ids[1], version_id, A1, ARCHIVED_AT, WAYBACK, ARCHIVED_AT),
        )
    conn.close()
    return Room(db, ids)
