"""The reading room: an article and its edits read like a document, the front page like a paper's.

Through Datasette's own client, on a real archive of the replica crawled three
times: ① is edited twice (the first edit carries injected markup), ④ is taken
down, then comes back. A witness row says the Internet Archive captured ①'s
second version. The browser checks (widths, axe, screenshots) are in
test_reading_room_browser.py.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import sqlite3
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import markupsafe
import pytest
from datasette.app import Datasette

from series_archiver.archive.layout import decode_layout
from series_archiver.browse.diffview import inline_html, side_by_side_html
from series_archiver.browse.server import make_datasette
from series_archiver.decide.diff import diff_texts
from series_archiver.demo.replica import ReplicaSite
from series_archiver.errors import ConfigError
from series_archiver.settings import load_settings
from tests.support.paths import REPO
from tests.support.room import WAYBACK, Room, build_room

SQL_WORDS = ("Custom SQL query", "Run SQL", "Edit SQL")


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Room:
    with ReplicaSite() as site:
        return build_room(tmp_path_factory.mktemp("room") / "series.db", site)


class Client:
    """A Datasette's ASGI client, driven from synchronous tests on one event loop."""

    def __init__(self, ds: Datasette) -> None:
        self.ds = ds
        self.loop = asyncio.new_event_loop()

    def get(self, path: str, status: int = 200) -> httpx.Response:
        response: httpx.Response = self.loop.run_until_complete(self.ds.client.get(path))
        assert response.status_code == status, (path, response.status_code, response.text[:500])
        return response

    def close(self) -> None:
        for database in self.ds.databases.values():
            database.close()
        self.loop.close()


@pytest.fixture(scope="module")
def client(room: Room) -> Iterator[Client]:
    c = Client(make_datasette(room.db))
    yield c
    c.close()


_BLOCKS = {"p", "div", "dt", "dd", "li", "h1", "h2", "h3", "h4", "section", "article", "details", "summary", "br", "td", "th"}


class _Text(HTMLParser):
    """The text a reader sees: every text node outside <script>, <style> and <head>."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style", "head", "textarea"):
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "textarea") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return re.sub(r"\s+", " ", "".join(parser.parts))


def current_version(room: Room, installment: int) -> dict[str, Any]:
    conn = sqlite3.connect(f"file:{room.db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    row = conn.execute(
        "SELECT * FROM versions WHERE article_id = ? ORDER BY version DESC LIMIT 1", (room.ids[installment],)
    ).fetchone()
    conn.close()
    return dict(row)


def article(room: Room, installment: int) -> str:
    return f"/series/-/article/{room.ids[installment]}"


# --- the front page ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/series"])
def test_the_front_page_lists_installments_recent_changes_and_a_search_box(client: Client, room: Room, path: str) -> None:
    page = client.get(path).text
    text = visible_text(page)
    # Series and installments, in order, each with its status and last change.
    assert "Installments" in text and "貿戰下中國力量" in text
    links = re.findall(r'<a class="sa-title" href="(/series/-/article/\d+)"', page)
    assert links == [article(room, n) for n in (1, 2, 3, 4)]
    assert "live · edited 2 times · last change" in text
    assert "live · never edited" in text
    assert re.search(r"online again since \d{4}-\d\d-\d\d \d\d:\d\d HKT · never edited", text)
    # Recent edits and removals, newest first, each edit with its diff.
    assert "Recent edits and removals" in text
    assert '灰<del class="diff-del">白</del><ins class="diff-ins">黑</ins>色廠房' in page
    assert "removed: HTTP 404 Not Found" in text and "online again" in text
    assert 'href="/series/-/changes"' in page
    # A search box, and the tables below, still reachable.
    assert re.search(r'<form class="sa-search" action="/series/-/search" method="get"', page)
    for table in ("articles", "versions", "changes", "captures", "fetch_log", "_sqlite_migrations", "search_text"):
        assert f'href="/series/{table}"' in page, table
    assert text.index("Installments") < text.index("The archive's tables") < text.index("fetch_log")


def test_pages_people_read_speak_no_sql_while_table_pages_keep_it(client: Client, room: Room) -> None:
    for path in ("/", "/series", article(room, 1), article(room, 4), "/series/-/changes", "/series/-/search?q=晶片"):
        text = visible_text(client.get(path).text)
        assert not re.search(r"\bSQL\b", text), (path, [w for w in SQL_WORDS if w in text])
    # The table and SQL pages keep their tools.
    assert "SQL" in visible_text(client.get("/series/articles").text)
    assert "Custom SQL query" in visible_text(client.get("/series?sql=select+1").text)


# --- an article ------------------------------------------------------------------------------


def test_an_article_page_holds_its_facts_status_and_full_current_text(client: Client, room: Room) -> None:
    page = client.get(article(room, 1)).text
    text = visible_text(page)
    current = current_version(room, 1)
    assert f'<h1 lang="zh-Hant">{html.escape(current["title"], quote=False)}</h1>' in page
    assert "Series 貿戰下中國力量" in text and "Installment ① (1)" in text and "Label 志氣篇" in text
    assert "Status live · edited 2 times" in text
    # The whole current text, block by block, headings as headings; the captions too.
    body = page.split('<div class="sa-text" lang="zh-Hant">', 1)[1].split("</div>", 1)[0]
    blocks = decode_layout(current["text"], current["layout"])
    assert any(kind == "heading" for kind, _ in blocks)
    for kind, block in blocks:
        tag = "h3" if kind == "heading" else "p"
        assert f"<{tag}>{markupsafe.escape(block)}</{tag}>" in body, block
    for caption in json.loads(current["captions"]):
        assert f"<li>{markupsafe.escape(caption)}</li>" in page
    assert "一座灰黑色廠房" in body and "1.2萬億元台階" in body
    # Links to the article as JSON, its feed, and how to get WARC and WACZ.
    assert f'href="{article(room, 1)}.json"' in page
    assert f'href="/-/feeds/series/{room.ids[1]}.atom"' in page
    assert "WARC and WACZ are written for a whole series" in text and "--warc" in text and "--wacz" in text


def test_the_timeline_lists_versions_edits_removals_and_returns(client: Client, room: Room) -> None:
    one = visible_text(client.get(article(room, 1)).text).split("Timeline", 2)[2]
    assert re.search(r"HKT: first archived: version 1 .*HKT: edited: version 1 → 2 \(\+\d+ −\d+ characters\) .*HKT: edited: version 2 → 3", one)
    four = visible_text(client.get(article(room, 4)).text).split("Timeline", 2)[2]
    assert re.search(r"first archived: version 1 .*removed: HTTP 404 Not Found .*online again", four)
    assert "Status online again since" in visible_text(client.get(article(room, 4)).text)


def test_each_edit_shows_its_diff_inline_and_side_by_side(client: Client, room: Room) -> None:
    page = client.get(article(room, 1)).text
    edits = page.split('<section id="edits"', 1)[1].split('<section id="compare"', 1)[0]
    assert edits.count('<section class="sa-edit"') == 2
    assert '<del class="diff-del">1萬億</del><ins class="diff-ins">1.2萬億</ins>元台階。' in edits
    assert '灰<del class="diff-del">白</del><ins class="diff-ins">黑</ins>色廠房' in edits
    # Unchanged paragraphs fold into a <details> the reader can open; the side-by-side view is beside it.
    assert re.search(r'<details class="sa-fold"><summary>… \d+ unchanged paragraphs</summary>', edits)
    assert edits.count('<div class="sa-diff sa-sbs">') == 2
    # The injected markup is text, never markup.
    assert "<img src=x" not in page and "<script>window" not in page
    assert "讀者來信附上&lt;img src=x onerror=" in edits


def test_any_two_versions_compare_and_any_version_reads(client: Client, room: Room) -> None:
    page = client.get(article(room, 1) + "?from=1&to=3").text
    compared = page.split('<section id="compare"', 1)[1].split('<section id="captures"', 1)[0]
    assert "Version 1 → 3" in compared
    assert '<del class="diff-del">1萬億</del><ins class="diff-ins">1.2萬億</ins>' in compared
    assert '灰<del class="diff-del">白</del><ins class="diff-ins">黑</ins>色廠房' in compared
    assert '<option value="1" selected>' in compared and '<option value="3" selected>' in compared
    old = client.get(article(room, 1) + "?version=1").text
    body = old.split('<div class="sa-text" lang="zh-Hant">', 1)[1].split("</div>", 1)[0]
    assert "1萬億元台階" in body and "1.2萬億" not in body and "灰白色廠房" in body
    assert "The text of version 1 (not the current one)" in old
    # Nonsense asks for nothing.
    assert '<section class="sa-edit"' in client.get(article(room, 1) + "?from=9&to=x&version=zz").text


def test_the_captures_behind_each_version_with_sha256_and_witness(client: Client, room: Room) -> None:
    page = client.get(article(room, 1)).text
    captures = page.split('<section id="captures"', 1)[1]
    conn = sqlite3.connect(f"file:{room.db}?mode=ro", uri=True)
    rows = conn.execute("SELECT version, capture_ids FROM versions WHERE article_id = ?", (room.ids[1],)).fetchall()
    for version, capture_ids in rows:
        section = captures.split(f'id="version-{version}"', 1)[1].split('<section class="sa-version"', 1)[0]
        for capture_id in json.loads(capture_ids):
            sha256, url = conn.execute("SELECT sha256, coalesce(final_url, url) FROM captures WHERE id = ?", (capture_id,)).fetchone()
            assert f'<code class="sa-hash">{sha256}</code>' in section
            assert f'href="{html.escape(url)}"' in section and "Fetched from the site" in section
    conn.close()
    version_2 = captures.split('id="version-2"', 1)[1].split('<section class="sa-version"', 1)[0]
    assert f'<a href="{WAYBACK}">the Internet Archive\'s capture</a>' in version_2


def test_the_article_as_json_keeps_iso_times_with_offsets(client: Client, room: Room) -> None:
    data = client.get(article(room, 1) + ".json").json()
    assert data["article"]["id"] == room.ids[1] and data["article"]["edits"] == 2
    assert [v["version"] for v in data["versions"]] == [1, 2, 3]
    assert data["versions"][-1]["text"] == current_version(room, 1)["text"]
    assert all(c["sha256"] and c["url"] for v in data["versions"] for c in v["captures"])
    assert data["versions"][1]["witnesses"][0]["archived_url"] == WAYBACK
    assert [c["kind"] for c in data["changes"]] == ["edit", "edit"]
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")
    times = [data["article"]["first_seen"], data["article"]["published"], *(v["captured_at"] for v in data["versions"])]
    times += [c["changed_at"] for c in data["changes"]] + [c["fetched_at"] for v in data["versions"] for c in v["captures"]]
    assert all(iso.match(t) for t in times), times
    client.get("/series/-/article/999", status=404)
    client.get("/series/-/article/999.json", status=404)
    client.get("/nowhere/-/article/1", status=404)


# --- one labelled time zone -------------------------------------------------------------------


def test_times_show_in_the_series_zone_labelled(client: Client, room: Room) -> None:
    for path in ("/", article(room, 1), "/series/-/changes"):
        page = client.get(path).text
        assert "Times are Asia/Hong_Kong (HKT, UTC+08:00)." in visible_text(page), path
        shown = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', page)
        assert shown and all(at.endswith("+08:00") and text.endswith(" HKT") for at, text in shown), path
        assert "+00:00" not in visible_text(page), path


def test_display_timezone_is_a_setting_and_the_plugins_option(room: Room) -> None:
    assert load_settings().archive.display_timezone == "Asia/Hong_Kong"
    with pytest.raises(ConfigError, match=r"archive\.display_timezone"):
        load_settings(overrides={"archive.display_timezone": "Mars/Olympus_Mons"})
    with pytest.raises(ConfigError, match=r"archive\.display_timezone"):
        make_datasette(room.db, display_timezone="Mars/Olympus_Mons")
    for ds, label, suffix in (
        (make_datasette(room.db, display_timezone="UTC"), "Times are UTC (UTC+00:00).", " UTC"),
        (Datasette([str(room.db)], metadata={"plugins": {"series-archiver": {"display_timezone": "Europe/Berlin"}}}), "Times are Europe/Berlin", ""),
    ):
        c = Client(ds)
        try:
            page = c.get(article(room, 1)).text
        finally:
            c.close()
        assert label in visible_text(page)
        assert all(text.endswith(suffix) for text in re.findall(r"<time [^>]+>([^<]+)</time>", page))


# --- every change, search ---------------------------------------------------------------------


def test_the_changes_page_lists_every_change_newest_first_with_diffs(client: Client, room: Room) -> None:
    page = client.get("/series/-/changes").text
    text = visible_text(page)
    kinds = re.findall(r"HKT · (edited|removed|online again)", text)
    assert sorted(kinds) == sorted(["edited", "edited", "removed", "online again"])
    assert kinds.index("online again") < kinds.index("removed"), "newest first"
    assert page.count('<div class="sa-diff">') == 2
    for change_link in re.findall(r'<h2 id="card-\d+" class="sa-card-title" lang="zh-Hant"><a href="([^"]+)"', page):
        assert re.fullmatch(r"/series/-/article/\d+#change-\d+", change_link)
    assert "<img src=x" not in page


def test_search_finds_words_in_either_script_and_says_which_versions(client: Client, room: Room) -> None:
    page = client.get("/series/-/search?q=芯片").text
    assert re.findall(r'<h3 lang="zh-Hant"><a href="([^"]+)"', page) == [article(room, 1)]
    assert "<mark>晶片</mark>" in page
    removed = visible_text(client.get("/series/-/search?q=1万亿元台阶").text)
    assert "found in version 1 of 3: an edit has since taken it out" in removed
    both = visible_text(client.get("/series/-/search?q=灰白色").text)
    assert "found in versions 1, 2 of 3: an edit has since taken it out" in both
    assert "Nothing found" in visible_text(client.get("/series/-/search?q=沒有這個詞語").text)
    empty = client.get("/series/-/search").text
    assert '<ol class="sa-hits">' not in empty and 'name="q"' in empty
    injected = client.get("/series/-/search?q=onerror").text
    assert "&lt;img src=x <mark>onerror</mark>" in injected and "<img src=x" not in injected


def test_search_pages_through_the_articles_with_a_total_and_next_and_previous_links(client: Client, room: Room) -> None:
    everything = client.get("/series/-/search?q=的").text
    listed = re.findall(r'<h3 lang="zh-Hant"><a href="([^"]+)"', everything)
    assert len(listed) == 4 and "4 articles found" in visible_text(everything) and 'rel="next"' not in everything
    seen: list[str] = []
    url: str | None = "/series/-/search?q=的&limit=3"
    while url:
        page = client.get(url.replace("&amp;", "&")).text
        text = visible_text(page)
        assert "4 articles found" in text
        found = re.findall(r'<h3 lang="zh-Hant"><a href="([^"]+)"', page)
        # A page of one article names it alone (4 of 4), a longer one its first and last (1–3 of 4).
        span = f"{len(seen) + 1}" if len(found) == 1 else f"{len(seen) + 1}–{len(seen) + len(found)}"
        assert f"{span} of 4" in text
        seen += found
        following = re.search(r'<a href="([^"]+)" rel="next">Next</a>', page)
        assert bool(re.search(r'rel="prev">Previous</a>', page)) == (len(seen) > 3)
        url = following.group(1) if following else None
    assert seen == listed, "the pages end to end are the whole answer, in order"
    past = visible_text(client.get("/series/-/search?q=的&limit=3&page=9").text)
    assert "4 articles found" in past and "past the last" in past
    canned = client.get("/series/search.json?q=的&limit=3&page=2&_shape=array").json()
    assert [r["article_id"] for r in canned] == [int(listed[3].rsplit("/", 1)[1])] and canned[0]["total"] == 4


# --- one plugin for browse and plain datasette -------------------------------------------------


def test_plain_datasette_gives_the_same_pages_as_browse(client: Client, room: Room) -> None:
    plain = Client(Datasette([str(room.db)]))
    try:
        for path in ("/", "/series", article(room, 1), article(room, 4), "/series/-/changes", "/series/-/search?q=關稅", article(room, 1) + ".json"):
            # The same but for the footer's "Queries took 12.3ms".
            timing = re.compile(r"Queries took [\d.]+ms")
            assert timing.sub("", plain.get(path).text) == timing.sub("", client.get(path).text), path
    finally:
        plain.close()


def test_row_pages_and_feeds_lead_to_the_article_page(client: Client, room: Room) -> None:
    assert f'href="{article(room, 1)}">Read this article' in client.get(f"/series/articles/{room.ids[1]}").text
    conn = sqlite3.connect(f"file:{room.db}?mode=ro", uri=True)
    change = conn.execute("SELECT id FROM changes WHERE article_id = ? AND kind = 'gone'", (room.ids[4],)).fetchone()[0]
    conn.close()
    assert f'href="{article(room, 4)}">Read this article' in client.get(f"/series/changes/{change}").text
    feed = client.get("/-/feeds/series.atom").text
    links = set(re.findall(r'<link rel="alternate" type="text/html" href="([^"]+)"', feed))
    assert links >= {f"http://localhost{article(room, n)}" for n in (1, 2, 3, 4)}
    assert not [link for link in links if "article_history" in link]


def test_our_base_template_is_datasettes_with_a_language() -> None:
    import datasette

    ours = (REPO / "src/series_archiver/browse/templates/base.html").read_text(encoding="utf-8")
    theirs = (Path(datasette.__file__).parent / "templates/base.html").read_text(encoding="utf-8")
    assert ours.split("#}", 1)[1] == theirs.replace("<html>", '<html lang="en">', 1)


# --- the diff views --------------------------------------------------------------------------


def test_diff_views_fold_far_paragraphs_and_escape_everything() -> None:
    old = "\n".join(f"第{n}段。" for n in range(8))
    new = old.replace("第4段。", "第4段<b>改</b>。")
    diff = diff_texts(old, new)
    inline = str(inline_html(diff))
    assert inline.count("<details") == 2 and "… 3 unchanged paragraphs" in inline and "… 2 unchanged paragraphs" in inline
    assert '<ins class="diff-ins">&lt;b&gt;改&lt;/b&gt;</ins>' in inline and "<b>" not in inline
    side = str(side_by_side_html(diff, before="version 1", after="version 2"))
    assert '<div class="sa-old"><p>第4段。</p></div><div class="sa-new"><p>第4段<ins class="diff-ins">&lt;b&gt;改&lt;/b&gt;</ins>。</p></div>' in side
    assert '<div class="sa-sbs-head">version 1</div>' in side
