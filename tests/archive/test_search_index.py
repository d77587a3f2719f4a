"""Search answered from an index for every query length, with the results a scan gives, page by page.

The reference is the search as it was before the two-character index: every
version's folded text tested for every term (``scan_search`` below, its own
SQL, kept here on purpose). The indexed search must give the same articles,
the same versions matching and the same snippets, in the same order, on the
replica's archive, on an archive of 0.1.0 upgraded, and on generated texts,
for queries of 1, 2, 3, 4 and more characters in both scripts, full width,
Latin, digits and punctuation. Since the search is paged (schema step 11),
every page must be that slice of the scan, the pages end to end the whole
scan, the total its length: whichever way a page is found (walking the
articles in order or sorting the matches), and in Datasette's canned query.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from series_archiver.archive import search as search_module
from series_archiver.archive import searchtext, searchwrite
from series_archiver.archive.search import SEARCH_SQL, SearchPage, bigram_tokens, fold_document, query_terms, register_functions, search
from series_archiver.archive.store import Archive
from series_archiver.archive.views import INSTALLMENT_ORDER
from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.jobs import core
from series_archiver.models import Article, Block
from series_archiver.textfold import fold, to_simplified, to_traditional
from tests.support.paths import FIXTURE

ARTICLE_1 = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"

# The search before step 9: a scan of every version's folded text.
SCAN_SQL = f"""WITH hits AS (
    SELECT s.article_id, s.version FROM search_text AS s WHERE sa_match(s.folded, :q)
),
per_article AS (
    SELECT article_id, group_concat(version, ', ') AS versions_matching, max(version) AS latest_match
    FROM (SELECT article_id, version FROM hits ORDER BY article_id, version)
    GROUP BY article_id
)
SELECT
    a.id AS article_id, a.series, a.installment, a.label, a.title, substr(a.published, 1, 10) AS published,
    a.status, p.versions_matching, a.current_version, sa_snippet(v.title, v.text, v.captions, :q) AS snippet_html
FROM per_article AS p
JOIN articles AS a ON a.id = p.article_id
JOIN versions AS v ON v.article_id = p.article_id AND v.version = p.latest_match
ORDER BY {INSTALLMENT_ORDER}"""


def scan_search(conn: sqlite3.Connection, query: str) -> list[dict[str, Any]]:
    register_functions(conn)
    cur = conn.execute(SCAN_SQL, {"q": query})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def brute_hits(conn: sqlite3.Connection, query: str) -> dict[int, list[int]]:
    """Article -> versions whose folded text holds every term in some variant, computed in Python."""
    terms = query_terms(query)
    out: dict[int, list[int]] = {}
    if not terms:
        return out
    for article_id, version, folded in conn.execute("SELECT article_id, version, folded FROM search_text ORDER BY article_id, version"):
        if all(any(v in folded for v in variants) for variants in terms):
            out.setdefault(article_id, []).append(version)
    return out


def pages(conn: sqlite3.Connection, query: str, limit: int) -> list[SearchPage]:
    """Every page of a search, following next_offset from the first."""
    out = [search(conn, query, limit)]
    while (after := out[-1].next_offset) is not None:
        out.append(search(conn, query, limit, after))
    return out


def canned_pages(conn: sqlite3.Connection, query: str, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of Datasette's canned query (``:page`` from 1), until one comes back empty."""
    out: list[list[dict[str, Any]]] = []
    while True:
        cur = conn.execute(SEARCH_SQL, {"q": query, "limit": str(limit), "page": str(len(out) + 1)})
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        if not rows:
            return out
        out.append(rows)


def assert_pages_are_the_scan(conn: sqlite3.Connection, query: str, scanned: list[dict[str, Any]], limit: int) -> None:
    found = pages(conn, query, limit)
    assert [r for p in found for r in p.results] == scanned, query
    for p in found:
        assert p.total == len(scanned) and p.limit == limit, query
        assert list(p.results) == scanned[p.offset : p.offset + limit], (query, p.offset)


def assert_same(conn: sqlite3.Connection, queries: list[str], *, limit: int = 7, canned: int = 0) -> int:
    """Indexed search == scan == brute force for every query, page by page; how many queries found something.

    ``canned``: also Datasette's canned query, for that many of the queries.
    """
    found = 0
    register_functions(conn)
    for n, q in enumerate(queries):
        scanned = scan_search(conn, q)
        assert_pages_are_the_scan(conn, q, scanned, limit)
        whole = search(conn, q, limit=max(1, len(scanned)))
        assert list(whole.results) == scanned and whole.next_offset is None, q
        expected = brute_hits(conn, q)
        assert {r["article_id"]: [int(v) for v in r["versions_matching"].split(", ")] for r in scanned} == expected, q
        if n < canned:
            rows = canned_pages(conn, q, limit)
            assert all(r.pop("total") == len(scanned) for page in rows for r in page), q
            assert rows == [scanned[i : i + limit] for i in range(0, len(scanned), limit)], q
        found += bool(scanned)
    return found


def queries_from(conn: sqlite3.Connection, rng: random.Random, count: int) -> list[str]:
    """Queries cut from the stored texts (as printed and as folded), in both scripts, and some that miss."""
    lines = [
        line
        for title, text in conn.execute("SELECT title, text FROM versions")
        for line in [title, *text.split("\n")]
        if len(line) >= 8
    ]
    out: list[str] = []
    for _ in range(count):
        line = rng.choice(lines)
        length = rng.choice((1, 1, 2, 2, 2, 2, 3, 3, 4, 5, 7))
        start = rng.randrange(0, len(line) - length + 1)
        piece = line[start : start + length]
        form = rng.randrange(5)
        if form == 1:
            piece = to_simplified(piece)
        elif form == 2:
            piece = to_traditional(piece)
        elif form == 3:
            piece = fold(piece) or piece
        elif form == 4:  # full width, as a reader with a Chinese input method may type Latin and digits
            piece = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in piece)
        out.append(piece)
    # Several terms, short and long mixed, each from anywhere.
    for _ in range(count // 4):
        out.append(" ".join(rng.choice(out) for _ in range(rng.randint(2, 3))))
    out += ["", "  ", "不存在的詞語", "zz", "Ｚ", "。", "，", '"', "OR", "*", "%", "_", "a NEAR b", "华为", "華為", "芯片", "晶片", "12", "１２"]
    return out


# --- the replica ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def replica_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The replica crawled twice, ① edited in between: two versions of one article."""
    db = tmp_path_factory.mktemp("search-index") / "series.db"
    settings = demo_settings(db)
    with ReplicaSite() as site:
        transport = LoopbackTransport(site.origins)
        assert core.crawl(settings, transport=transport).ok
        site.edit(ARTICLE_1, "1萬億元台階。", "1.2萬億元台階，XYZ鑫龜公司與華為合作。")
        second = core.crawl(settings, transport=transport)
        assert second.counts.new_versions == 1, second.counts
    return db


@pytest.mark.slow
def test_on_the_replica_the_index_answers_as_the_scan_did(replica_db: Path) -> None:
    conn = sqlite3.connect(f"file:{replica_db}?mode=ro", uri=True)
    queries = queries_from(conn, random.Random(15), 240)
    found = assert_same(conn, queries, canned=60)
    assert found > len(queries) // 2, "the queries cut from the texts must mostly find something"
    # The edit's words: only in version 2 of ①, found in either script.
    for q in ("鑫龜", "鑫龟", "龟", "xyz", "ＸＹＺ鑫龜公司", "1.2萬 龜公"):
        rows = search(conn, q).results
        assert [(r["installment"], r["versions_matching"]) for r in rows] == [(1, "2")], q
    conn.close()


def test_the_index_holds_every_pair_of_every_version(replica_db: Path) -> None:
    conn = sqlite3.connect(f"file:{replica_db}?mode=ro", uri=True)
    assert_index_matches_text(conn)
    conn.close()


def assert_index_matches_text(conn: sqlite3.Connection) -> None:
    """Each token finds exactly the versions whose folded text yields it (a sample of tokens)."""
    holders: dict[str, set[int]] = {}
    for version_id, folded in conn.execute("SELECT version_id, folded FROM search_text"):
        for token in bigram_tokens(folded).split():
            holders.setdefault(token, set()).add(version_id)
    rng = random.Random(3)
    sample = rng.sample(sorted(holders), min(300, len(holders)))
    articles = dict(conn.execute("SELECT version_id, article_id FROM search_text").fetchall())
    for token in sample:
        # Each row's rowid is its version's article and id (schema step 11): article_id << 32 | version_id.
        found = {r[0] for r in conn.execute("SELECT rowid FROM search_bigrams WHERE search_bigrams MATCH ?", (token,))}
        assert found == {articles[v] << 32 | v for v in holders[token]}, token
    # One row a version, and the table can be counted like any other (Datasette and sqlite3 shells do).
    assert conn.execute("SELECT count(*) FROM search_bigrams").fetchone()[0] == conn.execute("SELECT count(*) FROM search_text").fetchone()[0]
    # And a token no version yields finds nothing.
    assert not conn.execute("SELECT rowid FROM search_bigrams WHERE search_bigrams MATCH '0000fffd0000fffd'").fetchall()
    # So does each of a sample of three-character pieces in the trigram index; and no row waits to be
    # indexed once its transaction has ended (schema step 12).
    if searchtext.HAS_TRIGRAM:
        texts = dict(conn.execute("SELECT version_id, folded FROM search_text").fetchall())
        pieces = sorted({line[i:i + 3] for folded in texts.values() for line in folded.split("\n") for i in range(len(line) - 2)})
        for piece in rng.sample(pieces, min(200, len(pieces))):
            found = {r[0] for r in conn.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH ?", ('"' + piece.replace('"', '""') + '"',))}
            assert found == {v for v, folded in texts.items() if any(piece in line for line in folded.split("\n"))}, piece
    assert conn.execute("SELECT count(*) FROM search_pending").fetchone()[0] == 0


@pytest.mark.slow
@pytest.mark.parametrize("walk", [0, 10**9], ids=["sorting the matches", "walking the articles"])
def test_either_way_of_finding_a_page_gives_the_scan(replica_db: Path, walk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "WALK_ARTICLES", walk)
    conn = sqlite3.connect(f"file:{replica_db}?mode=ro", uri=True)
    queries = queries_from(conn, random.Random(16), 120)
    for limit in (1, 3):
        assert assert_same(conn, queries, limit=limit) > len(queries) // 2
    conn.close()


def test_a_page_past_the_last_is_empty_and_limits_are_kept_within_bounds(replica_db: Path) -> None:
    conn = sqlite3.connect(f"file:{replica_db}?mode=ro", uri=True)
    everything = search(conn, "的", 500)
    assert everything.total == len(everything.results) > 3 and everything.next_offset is None
    past = search(conn, "的", 2, everything.total)
    assert past.results == () and past.total == everything.total and past.previous_offset == everything.total - 2
    assert search(conn, "的", 0).limit == 1 and search(conn, "的", 10**6).limit == search_module.MAX_LIMIT
    assert search(conn, "的", 2, -5).offset == 0
    empty = search(conn, "  ")
    assert (empty.total, empty.results, empty.next_offset) == (0, (), None)
    assert search(conn, "的", 2).as_json()["next_offset"] == 2
    conn.close()


def test_two_character_queries_read_the_index_not_every_version(replica_db: Path) -> None:
    conn = sqlite3.connect(f"file:{replica_db}?mode=ro", uri=True)
    register_functions(conn)
    for query in ("芯片", "華", "芯片 外贸新路"):
        plan = [str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + SEARCH_SQL, {"q": query, "limit": "", "page": ""})]
        # search_text is only ever looked up by the rowids an index gave or by the page's articles, never scanned.
        assert not [p for p in plan if p.split(" ")[:2] in (["SCAN", "s"], ["SCAN", "t"], ["SCAN", "m"])], plan
        assert "SEARCH m USING INTEGER PRIMARY KEY (rowid=?)" in plan and any("search_bigrams VIRTUAL TABLE" in p for p in plan), plan
        # The Python search's own statements: counting reads the map of versions, never a text or an article.
        found = search_module._plan(query)
        assert found is not None
        params = {"q": query, "fq": found.fts, "bq": found.bigrams, "limit": 20, "offset": 0}
        for sql in (found.count_sql(), found.sorted_page_sql(), found.walked_page_sql()):
            steps = [str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
            scans = [p for p in steps if p.split(" ")[:2] in (["SCAN", "s"], ["SCAN", "t"], ["SCAN", "m"], ["SCAN", "a"])]
            assert scans in ([], ["SCAN a USING COVERING INDEX idx_articles_order"]), steps
        walked = [str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + found.walked_page_sql(), params)]
        assert "SCAN a USING COVERING INDEX idx_articles_order" in walked and not [p for p in walked if "TEMP B-TREE" in p], walked
    conn.close()


# --- generated texts ------------------------------------------------------------------------------

# Characters whose simplified and traditional forms differ, some that do not, full and half width,
# Latin in both cases, digits and punctuation: a small alphabet, so that short queries often hit.
_ALPHABET = "華为為國国發发與与體体中人的在了台灣湾芯片晶貿贸易ＡＢａｂAbcZ０１２3４5，。、！?.-:（）「」"


def _generated_article(rng: random.Random, n: int) -> Article:
    def line() -> str:
        return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 40)))

    blocks = tuple(Block("paragraph", line()) for _ in range(rng.randint(1, 6)))
    return Article(url=f"http://127.0.0.1/g/{n}.html", profile="takungpao", title=line(), blocks=blocks,
                   byline=rng.choice([None, line()]), captions=tuple(line() for _ in range(rng.randint(0, 2))))


def _generated_archive(db: Path, rng: random.Random, articles: int) -> Archive:
    archive = Archive(db)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with archive.transaction():
        derivation = archive.derivation_id("test", "{}", now)
        for n in range(1, articles + 1):
            first = _generated_article(rng, n)
            article_id = archive.create_article(series="貿戰", installment=n, label=None, article=first, url=first.url, now=now)
            for k in range(rng.randint(1, 3)):
                version = first if k == 0 else _generated_article(rng, n)
                archive.add_version(article_id, version, content_hash=f"{n}-{k}", captured_at=now + timedelta(minutes=k),
                                    url=first.url, capture_ids=[], derivation_id=derivation)
    return archive


def _add_generated_version(archive: Archive, rng: random.Random, article_id: int, content_hash: str, at: datetime,
                           derivation: int) -> None:
    """A new generated version of an article of ``_generated_archive``."""
    article = _generated_article(rng, article_id)
    archive.add_version(article_id, article, content_hash=content_hash, captured_at=at, url=article.url, capture_ids=[],
                        derivation_id=derivation)


def _generated_queries(rng: random.Random, count: int) -> list[str]:
    out = ["".join(rng.choice(_ALPHABET) for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 4, 6)))) for _ in range(count)]
    return out + [" ".join(rng.sample(out, 2)) for _ in range(count // 5)]


@pytest.mark.slow
def test_on_generated_texts_the_index_answers_as_the_scan_did(tmp_path: Path) -> None:
    rng = random.Random(8)
    archive = _generated_archive(tmp_path / "gen.db", rng, 120)
    try:
        found = assert_same(archive.conn, _generated_queries(rng, 400))
        assert found > 200
        assert_index_matches_text(archive.conn)
    finally:
        archive.close()


@pytest.mark.slow
def test_the_index_follows_new_versions_rewritten_texts_and_refolding(tmp_path: Path) -> None:
    rng = random.Random(21)
    archive = _generated_archive(tmp_path / "gen.db", rng, 40)
    try:
        queries = _generated_queries(rng, 150)
        now = datetime(2026, 2, 1, tzinfo=UTC)
        derivation = archive.derivation_id("test-2", "{}", now)
        with archive.transaction():
            for article_id in (1, 5, 9):
                _add_generated_version(archive, rng, article_id, f"new-{article_id}", now, derivation)
            # A version's text rewritten in place (rederive --realign does this): the triggers re-index it.
            archive.conn.execute("UPDATE versions SET text = ? WHERE id = 2", ("全新的一段文字華為芯片\n第二段ＡＢ１２",))
            # Search text folded by an "older release": refolding writes it back, and the index follows.
            archive.conn.execute("UPDATE search_text SET folded = 'stale' WHERE version_id IN (3, 4)")
        assert search(archive.conn, "stale").results and search(archive.conn, "st").results
        with archive.transaction():
            assert archive.refold_search_index() == 2
        assert not search(archive.conn, "st").results and not search(archive.conn, "stale").results
        assert [r["article_id"] for r in search(archive.conn, "华为芯片").results] == [
            r[0] for r in archive.conn.execute("SELECT article_id FROM versions WHERE id = 2")
        ]
        assert_same(archive.conn, queries)
        assert_index_matches_text(archive.conn)
    finally:
        archive.close()


def test_a_batch_indexes_its_versions_at_commit_as_row_by_row_triggers_did(tmp_path: Path) -> None:
    """Schema step 12: rows are listed as they come and indexed at COMMIT; units rolled back, and versions
    rewritten or removed before the COMMIT, leave the indexes as exact as indexing each row at once did."""
    rng = random.Random(34)
    archive = _generated_archive(tmp_path / "gen.db", rng, 30)
    try:
        queries = _generated_queries(rng, 150)
        now = datetime(2026, 3, 1, tzinfo=UTC)
        derivation = archive.derivation_id("test-3", "{}", now)
        added: list[int] = []
        with archive.batch():
            for article_id in range(1, 11):
                try:
                    with archive.transaction():
                        _add_generated_version(archive, rng, article_id, f"batch-{article_id}", now, derivation)
                        if article_id % 3 == 0:
                            raise RuntimeError("this unit fails")  # its version and its listing go with it
                    added.append(archive.conn.execute("SELECT max(id) FROM versions").fetchone()[0])
                except RuntimeError:
                    pass
            listed = {r[0] for r in archive.conn.execute("SELECT version_id FROM search_pending")}
            assert listed == set(added)
            with archive.transaction():
                # One new version rewritten, and one version indexed earlier, before the batch commits.
                archive.conn.execute("UPDATE versions SET text = ? WHERE id = ?", ("改寫了的新版本華為芯片", added[0]))
                archive.conn.execute("UPDATE versions SET text = ? WHERE id = 2", ("早已索引的版本改寫ＡＢ１２", ))
                # And a new one taken out again (the search rows of a version go with it).
                archive.conn.execute("DELETE FROM search_text WHERE version_id = ?", (added[1],))
        assert_index_matches_text(archive.conn)
        assert search(archive.conn, "华为芯片").results and search(archive.conn, "索引").results
        assert assert_same(archive.conn, queries) > 50
    finally:
        archive.close()


# --- archives made before the index ---------------------------------------------------------------


def test_an_archive_of_0_1_0_gets_the_index_on_upgrade(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    shutil.copy(FIXTURE, db)
    with Archive(db) as archive:
        names = {r[0] for r in archive.conn.execute("SELECT name FROM sqlite_master")}
        assert "search_bigrams" in names
        assert_index_matches_text(archive.conn)
        assert assert_same(archive.conn, queries_from(archive.conn, random.Random(1), 80)) > 20


def test_an_archive_of_schema_11_is_searched_as_it_is_and_indexes_at_commit_once_upgraded(tmp_path: Path) -> None:
    """Step 12 changes how the indexes are written, not what they hold: a reader of an archive not
    upgraded yet searches it, and the upgraded archive's next versions are indexed at COMMIT."""
    from series_archiver.archive.migrations import migrate
    from series_archiver.archive.schema import STEPS

    db = tmp_path / "s11.db"
    shutil.copy(FIXTURE, db)
    conn = sqlite3.connect(db, isolation_level=None)
    register_functions(conn)
    migrate(conn, tuple(s for s in STEPS if s.number <= 11))
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_pending'").fetchone() is None
    assert search_module.search_ready(conn)
    before = [(r["article_id"], r["versions_matching"]) for r in search(conn, "芯片").results]
    assert before
    conn.close()
    with Archive(db) as archive:  # a writer upgrades it
        assert archive.conn.execute("PRAGMA user_version").fetchone()[0] == STEPS[-1].number
        assert [(r["article_id"], r["versions_matching"]) for r in search(archive.conn, "芯片").results] == before
        now = datetime(2026, 4, 1, tzinfo=UTC)
        derivation = archive.derivation_id("test-12", "{}", now)
        with archive.transaction():
            version = Article(url=ARTICLE_1, profile="takungpao", title="升級以後的新版本",
                              blocks=(Block("paragraph", "半導體芯片的新段落，升級後寫入"),))
            archive.add_version(1, version, content_hash="after-12", captured_at=now, url=ARTICLE_1,
                                capture_ids=[], derivation_id=derivation)
        assert search_module.search_ready(archive.conn)
        assert_index_matches_text(archive.conn)
        assert archive.conn.execute("SELECT v FROM search_bigrams_config WHERE k = 'automerge'").fetchone() == (searchwrite.AUTOMERGE,)
        assert search(archive.conn, "升级后写入").results and search(archive.conn, "段落").results


def test_rows_another_tool_left_listed_are_indexed_on_the_next_open(replica_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A version written by plain SQL commits without ``index_pending``: the next writer indexes its row alone."""
    db = tmp_path / "copy.db"
    shutil.copy(replica_db, db)
    conn = sqlite3.connect(db, isolation_level=None)
    register_functions(conn)
    conn.execute("UPDATE versions SET text = text || ? WHERE id = 1", ("\n另一個工具寫入的段落",))
    assert conn.execute("SELECT count(*) FROM search_pending").fetchone() == (1,)
    assert not search_module.search_ready(conn)
    conn.close()

    def rebuild(conn: sqlite3.Connection) -> None:
        raise AssertionError("the whole index was built again for one listed row")

    monkeypatch.setattr(search_module, "create_search_schema", rebuild)
    with Archive(db) as archive:
        assert search_module.search_ready(archive.conn)
        assert_index_matches_text(archive.conn)
        assert search(archive.conn, "另一个工具").results


def test_a_dropped_index_is_built_again_on_the_next_open(replica_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    shutil.copy(replica_db, db)
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE search_bigrams")
    conn.close()
    with Archive(db) as archive:
        assert_index_matches_text(archive.conn)
        assert search(archive.conn, "芯片").results
    # And a trigger lost: rebuilt whole, since the index may have missed rows meanwhile.
    conn = sqlite3.connect(db)
    register_functions(conn)
    conn.execute("DROP TRIGGER search_text_index_update")
    conn.execute("UPDATE search_text SET folded = folded || '\n新增加的行' WHERE version_id = 1")
    conn.commit()
    conn.close()
    with Archive(db) as archive:
        assert_index_matches_text(archive.conn)
        assert search(archive.conn, "新增").results


@pytest.mark.slow
def test_the_folded_document_is_what_the_index_is_built_from(replica_db: Path) -> None:
    conn = sqlite3.connect(f"file:{replica_db}?mode=ro", uri=True)
    for vid, title, byline, text, captions in conn.execute("SELECT id, title, byline, text, captions FROM versions"):
        folded = conn.execute("SELECT folded FROM search_text WHERE version_id = ?", (vid,)).fetchone()[0]
        assert folded == fold_document(title, byline, text, captions)
        # Every one- and two-character piece of a line is a token or a token's prefix.
        tokens = bigram_tokens(folded).split()
        for line in folded.split("\n"):
            for i, char in enumerate(line):
                assert any(t.startswith(f"{ord(char):08x}") for t in tokens)
                if i + 1 < len(line):
                    assert f"{ord(char):08x}{ord(line[i + 1]):08x}" in tokens
    conn.close()


def test_without_the_trigram_tokenizer_the_pairs_answer_every_term(replica_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite before 3.34 has no trigram tokenizer: the query then names no search_fts and loses nothing."""
    monkeypatch.setattr(searchtext, "HAS_TRIGRAM", False)
    monkeypatch.setattr(search_module, "HAS_TRIGRAM", False)
    searchtext.fts_query.cache_clear()
    sql = search_module._search_sql(search_module._CANDIDATES_BIGRAMS_ONLY)
    assert "search_fts" not in sql
    conn = sqlite3.connect(f"file:{replica_db}?mode=ro", uri=True)
    register_functions(conn)
    for q in queries_from(conn, random.Random(34), 60):
        scanned = scan_search(conn, q)
        cur = conn.execute(sql, {"q": q, "limit": "500", "page": "1"})
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        assert [{k: v for k, v in r.items() if k != "total"} for r in rows] == scanned, q
        plan = search_module._plan(q)
        assert plan is None or plan.fts is None
        assert_pages_are_the_scan(conn, q, scanned, 5)
    conn.close()
    searchtext.fts_query.cache_clear()
