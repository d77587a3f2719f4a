"""Browsing the archive in Datasette: metadata, canned queries, Chinese search, safe diffs.

Everything goes through Datasette's own client (``Datasette(...).client``) on
a real archive of the replica: two crawls, with installment ① silently edited
in between (the edit adds markup), ④ taken down, and text in ③ that tries to
inject markup from the start.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from series_archiver.archive.search import fold_document, query_terms, search
from series_archiver.archive.store import Archive
from series_archiver.browse.plugin import safe_diff_html, safe_snippet_html
from series_archiver.browse.server import CANNED_QUERIES, metadata
from series_archiver.cli import cli
from series_archiver.decide.diff import diff_texts, render_html
from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.jobs import core
from tests.support.browse import ARTICLE_1, ARTICLE_4, INJECTION, Built, Client, build_archive, version_row_id


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    with ReplicaSite() as site:
        return build_archive(tmp_path_factory.mktemp("browse") / "series.db", site)


@pytest.fixture(scope="module")
def client(built: Built) -> Iterator[Client]:
    c = Client(built.db)
    yield c
    c.close()


def hits(client: Client, built: Built, q: str) -> list[int]:
    """Installment numbers the search canned query returns for ``q``, in order."""
    return [row["installment"] for row in client.rows(f"/{built.name}/search", q=q)]


# --- metadata -------------------------------------------------------------------------


def test_the_archive_has_a_title_and_a_description_that_links_the_views(client: Client, built: Built) -> None:
    meta = client.get("/-/metadata.json").json()
    assert meta["title"] == "「貿戰下中國力量」 archive"
    for query in ("installments", "search", "recent_edits", "removed_articles"):
        assert f'href="/{built.name}/{query}"' in meta["description_html"]
    page = client.get("/").text
    assert "「貿戰下中國力量」 archive" in page and f'href="/{built.name}/installments"' in page


def test_every_table_and_column_of_the_archive_is_described(built: Built) -> None:
    tables = metadata(built.db)["databases"][built.name]["tables"]
    conn = sqlite3.connect(f"file:{built.db}?mode=ro", uri=True)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'search_fts_%' AND name NOT LIKE 'search_bigrams_%'")]
    assert {"articles", "versions", "changes", "search_text", "search_fts"} <= set(names)
    for table in names:
        assert tables[table]["description"], table
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        missing = [c for c in columns if not tables[table]["columns"].get(c)]
        assert not missing, f"{table}: no description for {missing} in src/series_archiver/browse/datasette/metadata.json"
    conn.close()


def test_table_pages_show_the_descriptions_facets_and_default_sort(client: Client, built: Built) -> None:
    page = client.get(f"/{built.name}/articles").text
    assert "One row per installment" in page
    data = client.get(f"/{built.name}/articles.json").json()
    assert set(data["facet_results"]) == {"series", "installment", "status"}
    assert [r[data["columns"].index("installment")] for r in data["rows"]] == [1, 2, 3, 4]
    status = {f["value"]: f["count"] for f in data["facet_results"]["status"]["results"]}
    assert status == {"live": 3, "gone": 1}
    changes = client.get(f"/{built.name}/changes.json").json()
    assert set(changes["facet_results"]) == {"kind", "article_id"}
    # Newest change first.
    changed_at = [r[changes["columns"].index("changed_at")] for r in changes["rows"]]
    assert changed_at == sorted(changed_at, reverse=True)
    hidden = {t["name"]: t["hidden"] for t in client.get(f"/{built.name}.json").json()["tables"]}
    assert hidden["search_text"] and hidden["search_fts"] and not hidden["articles"]


def test_an_article_page_links_to_its_versions_and_changes(client: Client, built: Built) -> None:
    article = built.ids[1]
    page = client.get(f"/{built.name}/articles/{article}").text
    assert f'href="/{built.name}/versions?article_id={article}"' in page
    assert f'href="/{built.name}/changes?article_id={article}"' in page
    versions = client.rows(f"/{built.name}/versions", article_id=str(article), _sort="version")
    assert [v["version"] for v in versions] == [1, 2]
    # Foreign keys show the article's title, not its number.
    assert "貿戰下中國力量① 志氣篇" in client.get(f"/{built.name}/versions", article_id=str(article)).text


# --- canned queries ---------------------------------------------------------------------


def test_installments_in_order_with_latest_title_date_and_version_count(client: Client, built: Built) -> None:
    rows = client.rows(f"/{built.name}/installments")
    listed = core.list_articles(demo_settings(built.db))
    assert [(r["article_id"], r["installment"], r["label"], r["title"], r["published"], r["versions"], r["status"]) for r in rows] == [
        (a["id"], a["installment"], a["label"], a["title"], a["published"][:10], a["versions"], a["status"]) for a in listed
    ]
    assert [(r["installment"], r["versions"], r["status"]) for r in rows] == [(1, 2, "live"), (2, 1, "live"), (3, 1, "live"), (4, 1, "gone")]
    assert rows[0]["title"] == "貿戰下中國力量① 志氣篇｜門檻擋不住 星河芯挺起腰桿" and rows[0]["published"] == "2025-12-15"
    page = client.get(f"/{built.name}/installments").text
    assert f'<a href="/{built.name}/article_history?id={built.ids[1]}">history</a>' in page
    assert f'<a href="/{built.name}/articles/{built.ids[1]}">#{built.ids[1]}</a>' in page


def test_recent_edits_lists_the_edit_with_its_highlighted_diff(client: Client, built: Built) -> None:
    rows = client.rows(f"/{built.name}/recent_edits")
    assert [(r["installment"], r["kind"], r["from_version"], r["to_version"]) for r in rows] == [(1, "edit", 1, 2)]
    assert rows[0]["chars_removed"] > 0 and rows[0]["chars_added"] > rows[0]["chars_removed"]
    page = client.get(f"/{built.name}/recent_edits").text
    assert '<del class="diff-del">1萬億</del><ins class="diff-ins">1.2萬億</ins>元台階。' in page
    change = rows[0]["change_id"]
    assert f'<a href="/{built.name}/changes/{change}">change {change}</a>' in page
    # The change's own page shows the same diff.
    row_page = client.get(f"/{built.name}/changes/{change}").text
    assert '<del class="diff-del">1萬億</del><ins class="diff-ins">1.2萬億</ins>' in row_page


def test_removed_articles_lists_the_takedown(client: Client, built: Built) -> None:
    rows = client.rows(f"/{built.name}/removed_articles")
    assert [(r["installment"], r["label"], r["url"], r["why"]) for r in rows] == [(4, "硬氣篇", ARTICLE_4, "HTTP 404 Not Found")]
    assert rows[0]["gone_at"]


def test_article_history_shows_every_version_and_change_in_order(client: Client, built: Built) -> None:
    rows = client.rows(f"/{built.name}/article_history", id=str(built.ids[1]))
    assert [(r["event"], r["version"]) for r in rows] == [("first version", 1), ("edit", 2)]
    assert rows[0]["diff_html"] is None and '<ins class="diff-ins">1.2萬億</ins>' in rows[1]["diff_html"]
    gone = client.rows(f"/{built.name}/article_history", id=str(built.ids[4]))
    assert [(r["event"], r["version"]) for r in gone] == [("first version", 1), ("gone", 1)]
    assert gone[1]["summary"] == "HTTP 404 Not Found"
    assert client.rows(f"/{built.name}/article_history", id="999") == []


# --- search -------------------------------------------------------------------------------


def test_two_character_words_are_found(client: Client, built: Built) -> None:
    # Shorter than the trigram index can answer: 晶片 is in ① only, 光伏 in ② and ④.
    assert hits(client, built, "晶片") == [1]
    assert hits(client, built, "光伏") == [2, 4]
    assert hits(client, built, "示例") == [1, 2, 3, 4]


def test_simplified_finds_traditional_and_the_reverse(client: Client, built: Built) -> None:
    # The archive holds traditional script only: 關稅, 碼頭, 風機.
    assert hits(client, built, "关税") == hits(client, built, "關稅") == [1, 2, 3]
    assert hits(client, built, "码头") == hits(client, built, "碼頭") == [1, 2]
    assert hits(client, built, "风机") == hits(client, built, "風機") == [4]
    # Width folds too: full-width digits find half-width ones.
    assert hits(client, built, "２８６０万") == hits(client, built, "2860萬") == [2]


def test_mainland_words_find_hong_kong_and_taiwan_ones(client: Client, built: Built) -> None:
    assert hits(client, built, "芯片") == hits(client, built, "晶片") == [1]
    assert query_terms("芯片") == (("芯片", "晶片"),)


def test_huawei_in_either_script(client: Client, built: Built) -> None:
    # ① prints 華為 once; 华为 (simplified) and 華爲 (the other traditional form) find it too.
    assert hits(client, built, "华为") == hits(client, built, "華為") == hits(client, built, "華爲") == [1]


def test_long_queries_use_the_trigram_index_and_agree_with_a_scan(client: Client, built: Built) -> None:
    conn = sqlite3.connect(f"file:{built.db}?mode=ro", uri=True)
    indexed = conn.execute("""SELECT count(*) FROM search_fts WHERE search_fts MATCH '"外贸新路"'""").fetchone()[0]
    assert indexed == 1
    conn.close()
    assert hits(client, built, "外貿新路") == hits(client, built, "外贸新路") == [3]
    # Several words: all must be in the same version, in any order, short or long.
    assert hits(client, built, "關稅 碼頭") == [1, 2]
    assert hits(client, built, "码头 外贸新路") == []


def test_search_reaches_every_version_and_says_which(client: Client, built: Built) -> None:
    old = client.rows(f"/{built.name}/search", q="1万亿元")
    assert [(r["installment"], r["versions_matching"], r["current_version"]) for r in old] == [(1, "1", 2)]
    new = client.rows(f"/{built.name}/search", q="1.2萬億元")
    assert [(r["installment"], r["versions_matching"]) for r in new] == [(1, "2")]


def test_search_snippets_highlight_the_match_and_escape_the_text(client: Client, built: Built) -> None:
    rows = client.rows(f"/{built.name}/search", q="晶片")
    assert "<mark>晶片</mark>" in rows[0]["snippet_html"]
    # A simplified query marks the traditional characters as printed.
    assert "<mark>關稅</mark>" in client.rows(f"/{built.name}/search", q="关税")[0]["snippet_html"]
    page = client.get(f"/{built.name}/search", q="onerror").text
    assert "<mark>onerror</mark>" in page
    assert "&lt;img src=x <mark>onerror</mark>" in page


@pytest.mark.parametrize("q", ["", "   ", '"', "%", "_", "'", "晶片 OR", "NEAR(", "*", "关税 AND", "碼頭　光伏", "示例市企業"])
def test_queries_are_literal_text_never_syntax(client: Client, built: Built, q: str) -> None:
    # What a plain scan finds: every term, folded, in the folded text of some version.
    # FTS syntax (OR, NEAR, *) and LIKE wildcards (% _) are just characters.
    conn = sqlite3.connect(f"file:{built.db}?mode=ro", uri=True)
    found = set()
    for article_id, title, byline, text, captions in conn.execute("SELECT article_id, title, byline, text, captions FROM versions"):
        folded = fold_document(title, byline, text, captions)
        terms = query_terms(q)
        if terms and all(any(v in folded for v in variants) for variants in terms):
            found.add(article_id)
    conn.close()
    by_id = {article_id: n for n, article_id in built.ids.items()}
    assert hits(client, built, q) == sorted(by_id[a] for a in found)


def test_empty_and_syntax_only_queries_find_nothing(client: Client, built: Built) -> None:
    for q in ("", "   ", "NEAR(", "*"):
        assert hits(client, built, q) == [], q


def test_the_search_index_follows_every_version(built: Built) -> None:
    conn = sqlite3.connect(f"file:{built.db}?mode=ro", uri=True)
    versions = conn.execute("SELECT id, title, byline, text, captions FROM versions ORDER BY id").fetchall()
    indexed = dict(conn.execute("SELECT version_id, folded FROM search_text").fetchall())
    assert set(indexed) == {v[0] for v in versions}
    for vid, title, byline, text, captions in versions:
        assert indexed[vid] == fold_document(title, byline, text, captions)
    assert conn.execute("SELECT count(*) FROM search_fts").fetchone()[0] == len(versions)
    conn.close()


def test_an_archive_made_before_search_is_indexed_on_the_next_open(built: Built, tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copy(built.db, db)
    conn = sqlite3.connect(db)
    conn.executescript(
        "DROP TRIGGER versions_search_insert; DROP TRIGGER versions_search_update; DROP TRIGGER versions_search_delete;"
        "DROP TABLE search_fts; DROP TABLE search_text;"
    )
    conn.close()
    # Browsing never writes: without the index, the search query is simply not offered.
    assert "search" not in metadata(db)["databases"]["old"]["queries"]
    with Archive(db) as archive:
        assert [r["installment"] for r in search(archive.conn, "晶片").results] == [1]
        assert archive.conn.execute("SELECT count(*) FROM search_text").fetchone()[0] == 5
    with Archive(db) as archive:
        assert archive.conn.total_changes == 0, "opening an indexed archive must not write"


# --- untrusted text -----------------------------------------------------------------------


def test_injected_markup_is_shown_as_text_everywhere(client: Client, built: Built) -> None:
    raw = ("<img src=x", "<script>window.__pwned")
    pages = [
        f"/{built.name}/versions",
        f"/{built.name}/versions/{version_row_id(built, 3, 1)}",
        f"/{built.name}/changes",
        f"/{built.name}/recent_edits",
        f"/{built.name}/article_history?id={built.ids[1]}",
        f"/{built.name}/search?q=onerror",
        f"/{built.name}/search_text",
    ]
    for path in pages:
        page = client.get(path).text
        for needle in raw:
            assert needle not in page, path
    assert "&lt;img src=x onerror=&#34;window.__pwned=1" in client.get(f"/{built.name}/versions/{version_row_id(built, 3, 1)}").text
    edits = client.get(f"/{built.name}/recent_edits").text
    assert '<ins class="diff-ins">讀者來信附上&lt;img src=x onerror=&quot;window.__pwned=1' in edits


def test_only_the_projects_own_diff_markup_is_rendered() -> None:
    rendered = render_html(diff_texts("標題\n舊文字 <b>", "標題\n新文字 " + INJECTION))
    safe = safe_diff_html(rendered)
    assert safe is not None and "<style>" not in safe and "&lt;script&gt;" in safe
    for tampered in (
        '<div class="sa-diff"><p><img src=x onerror=alert(1)></p></div>',
        '<div class="sa-diff"><p><ins class="diff-ins" onmouseover="alert(1)">x</ins></p></div>',
        '<div class="sa-diff"><p>a <script>alert(1)</script></p></div>',
        '<div class="sa-diff"><p><ins class="diff-ins">x</p></ins></div>',
        '<div class="sa-diff"><p>x</p></div><script>alert(1)</script><div>',
        '<div class="sa-diff"><style>body{background:url(//x)}</style><p>x</p><style>*{}</style></div>',
        "<p>not a diff</p>",
        '<div class="sa-diff"><p>unterminated <img src=x onerror=alert(1)//</p></div>',
    ):
        assert safe_diff_html(tampered) is None, tampered
    assert safe_snippet_html("a <mark>b</mark> &lt;c&gt;") == "a <mark>b</mark> &lt;c&gt;"
    assert safe_snippet_html("a <mark onclick=x>b</mark>") is None
    assert safe_snippet_html("<b>x</b>") is None


def test_a_tampered_diff_in_the_database_is_shown_escaped(built: Built, tmp_path: Path) -> None:
    db = tmp_path / "tampered.db"
    shutil.copy(built.db, db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE changes SET diff_html = ? WHERE kind = 'edit'", ('<div class="sa-diff"><p><img src=x onerror=alert(1)></p></div>',))
    conn.commit()
    conn.close()
    c = Client(db)
    try:
        page = c.get("/tampered/changes").text
    finally:
        c.close()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


# --- read-only, never immutable ----------------------------------------------------------


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_browsing_never_writes_and_cannot_write(built: Built, tmp_path: Path) -> None:
    db = tmp_path / "series.db"
    shutil.copy(built.db, db)
    before = _sha256(db)
    c = Client(db)
    try:
        assert c.ds.databases["series"].is_mutable, "opened --immutable: new data would not show"
        for path in ("/", "/series", "/series/installments", "/series/articles", "/series/search?q=晶片", "/series/changes"):
            c.get(path)
        with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
            c.run(c.ds.databases["series"].execute_write("DELETE FROM runs"))
        refused = c.run(c.ds.client.get("/series.json", params={"sql": "DELETE FROM runs"}))
        assert refused.status_code == 400
    finally:
        c.close()
    assert _sha256(db) == before


@pytest.mark.slow
def test_a_crawl_commits_while_datasette_serves_and_the_new_version_shows(tmp_path: Path) -> None:
    with ReplicaSite() as site:
        settings = demo_settings(tmp_path / "series.db")
        transport = LoopbackTransport(site.origins)
        core.crawl(settings, transport=transport)
        c = Client(settings.archive.db)
        try:
            assert [r["versions"] for r in c.rows("/series/installments")] == [1, 1, 1, 1]
            assert hits(c, Built(settings.archive.db, {}, "series"), "1.3萬億元") == []
            site.edit(ARTICLE_1, "1萬億元", "1.3萬億元")
            result = core.crawl(settings, transport=transport)
            assert result.ok and result.counts.new_versions == 1
            assert [r["versions"] for r in c.rows("/series/installments")] == [2, 1, 1, 1]
            assert hits(c, Built(settings.archive.db, {}, "series"), "1.3萬億元") == [1]
        finally:
            c.close()


# --- the command ----------------------------------------------------------------------------


def test_browse_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["browse", "--help"])
    assert result.exit_code == 0
    assert "Example: series-archiver browse" in result.output and "--port" in result.output and "--host" in result.output


def test_browse_without_an_archive_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["browse", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "none.db: no archive here yet; run `series-archiver crawl` (or `demo`) first" in result.output


def test_browse_on_a_busy_port_names_the_flag(built: Built) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["browse", "--db", str(built.db), "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port" in result.output


def test_canned_queries_are_all_offered(client: Client, built: Built) -> None:
    offered = {q["name"]: q["title"] for q in client.get(f"/{built.name}.json").json()["queries"]}
    assert offered == {name: q["title"] for name, q in CANNED_QUERIES.items()}
