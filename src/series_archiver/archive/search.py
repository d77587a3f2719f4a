"""Chinese search: a script-folded copy of every version, its indexes, and the query that pages through it.

Neither of SQLite's stock full-text tokenizers fits Chinese: ``unicode61``
splits on spaces, which Chinese does not use, and ``trigram`` cannot match a
query shorter than three characters, while most Chinese words (芯片, 華為, 關稅)
have two. And a reader may type simplified script to find traditional print.
So search works on folded text:

* ``search_text`` holds, for every row of ``versions``, its title, byline, text
  and captions passed through ``textfold.fold`` line by line (NFKC, simplified
  script, lower case, no whitespace; one line per paragraph, so a match never
  spans two paragraphs). SQL triggers on ``versions`` keep it current, so the
  pipeline writes versions as before and never thinks about search.
* ``search_fts`` is an FTS5 trigram index over ``search_text.folded``: it
  answers the query terms of three characters or more without a scan. Both
  indexes take a transaction's new rows of ``search_text`` just before it
  commits (schema step 12, ``index_pending``), not row by row.
* ``search_bigrams`` (schema step 9) answers the shorter ones: a contentless
  FTS5 index of every pair of neighbouring folded characters of a line, and
  of each line's last character, each pair spelt as one ASCII token (the code
  points in hex, ``bigram_tokens``) since no stock tokenizer splits Chinese
  into pairs. A two-character term is one token; a single character is a
  prefix query (the pairs it starts, or the line it ends). It keeps no
  positions (``detail=none``). (It keeps each row's size, FTS5's default,
  since a contentless table without it cannot be scanned, and ``SELECT
  count(*)`` would fail.)
* ``sa_match`` (a substring test on the folded column) decides what matches:
  the answer is the scan's. The indexes narrow, and where they are exact for
  a query (``searchtext.index_exact``: most queries) they alone count it.
* The query is folded the same way, term by term (terms are split on spaces),
  and each term also stands for its Taiwan/mainland vocabulary variant
  (OpenCC ``s2twp``/``tw2sp``), so 芯片 finds 晶片 and 华为 finds 華為.
  Every term must occur in the same version.

Results are articles in installment order, each with the versions that match
and a snippet of the latest of them; ``search`` returns one page of them
(``SearchPage``) and the total, counted from the indexes through
``search_versions`` (schema step 11: each version's article, a few bytes a row,
so counting never reads a text). Only the page's articles are read and get a
snippet. A page of a word found in much of the archive is found by walking the
articles in installment order (``idx_articles_order``) and asking the index of
each one's versions; a page of few matches, or far down, by sorting the
matching articles. ``SEARCH_SQL`` is the same search as one statement, for
Datasette's canned query (``:q``, ``:limit``, ``:page``).

The SQL functions the triggers and the query need (``sa_fold_document``,
``sa_match``, ``sa_fts_query``, ``sa_bigrams``, ``sa_bigram_query``,
``sa_index_exact``, ``sa_snippet``; pure functions of text, in ``searchtext.py``)
are Python functions that ``register_functions`` adds to a connection:
``create_search_schema`` does it for the archive's writer, the Datasette plugin
for Datasette's readers. A connection without them can read everything but
cannot insert versions.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from series_archiver.archive.searchtext import (
    ARTICLE_SHIFT,
    HAS_TRIGRAM,
    PAIRS_ROWID_NEW,
    PAIRS_ROWID_OLD,
    bigram_query,
    bigram_tokens,
    fold_document,
    fts_query,
    index_exact,
    match,
    query_terms,
    snippet_html,
    snippet_parts,
)
from series_archiver.archive.searchwrite import create_index_at_commit, index_at_commit_schema, index_pending
from series_archiver.archive.sqlscript import run_script
from series_archiver.archive.views import INSTALLMENT_ORDER

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "SEARCH_SQL",
    "SearchPage",
    "matching_versions",
    "create_search_schema",
    "create_bigram_index",
    "create_page_index",
    "ensure_search_index",
    "bigram_tokens",
    "register_functions",
    "fold_document",
    "query_terms",
    "search",
    "search_ready",
    "snippet_html",
    "snippet_parts",
]

# The version's searchable text: title, byline, paragraphs, captions.
_DOCUMENT = "sa_fold_document(new.title, new.byline, new.text, new.captions)"

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS search_text (
    version_id INTEGER PRIMARY KEY REFERENCES versions(id),
    article_id INTEGER NOT NULL REFERENCES articles(id),
    version INTEGER NOT NULL,
    folded TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_search_text_article ON search_text(article_id, version);
CREATE TRIGGER IF NOT EXISTS versions_search_insert AFTER INSERT ON versions BEGIN
    INSERT INTO search_text (version_id, article_id, version, folded)
    VALUES (new.id, new.article_id, new.version, {_DOCUMENT});
END;
CREATE TRIGGER IF NOT EXISTS versions_search_update
AFTER UPDATE OF id, article_id, version, title, byline, text, captions ON versions BEGIN
    DELETE FROM search_text WHERE version_id = old.id;
    INSERT INTO search_text (version_id, article_id, version, folded)
    VALUES (new.id, new.article_id, new.version, {_DOCUMENT});
END;
CREATE TRIGGER IF NOT EXISTS versions_search_delete AFTER DELETE ON versions BEGIN
    DELETE FROM search_text WHERE version_id = old.id;
END;
"""

_FTS_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
    folded, content='search_text', content_rowid='version_id', tokenize='trigram'
);
CREATE TRIGGER IF NOT EXISTS search_text_fts_insert AFTER INSERT ON search_text BEGIN
    INSERT INTO search_fts (rowid, folded) VALUES (new.version_id, new.folded);
END;
CREATE TRIGGER IF NOT EXISTS search_text_fts_delete AFTER DELETE ON search_text BEGIN
    INSERT INTO search_fts (search_fts, rowid, folded) VALUES ('delete', old.version_id, old.folded);
END;
CREATE TRIGGER IF NOT EXISTS search_text_fts_update AFTER UPDATE ON search_text BEGIN
    INSERT INTO search_fts (search_fts, rowid, folded) VALUES ('delete', old.version_id, old.folded);
    INSERT INTO search_fts (rowid, folded) VALUES (new.version_id, new.folded);
END;
"""

# Versions the triggers did not see: those of an archive made before search.
_UNINDEXED = "SELECT 1 FROM versions WHERE id NOT IN (SELECT version_id FROM search_text) LIMIT 1"
_BACKFILL = (
    "INSERT INTO search_text (version_id, article_id, version, folded) "
    "SELECT id, article_id, version, sa_fold_document(title, byline, text, captions) FROM versions "
    "WHERE id NOT IN (SELECT version_id FROM search_text)"
)

# The two-character index (schema step 9). Contentless, so it costs only the
# index itself; a row is removed by handing FTS5 the tokens it was given,
# which ``sa_bigrams`` computes again from the old folded text (it depends on
# the characters alone, never on a release's folding: keep it so).
_BIGRAM_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS search_bigrams USING fts5(
    grams, content='', detail='none', tokenize='ascii'
);
CREATE TRIGGER IF NOT EXISTS search_text_bigrams_insert AFTER INSERT ON search_text BEGIN
    INSERT INTO search_bigrams (rowid, grams) VALUES (new.version_id, sa_bigrams(new.folded));
END;
CREATE TRIGGER IF NOT EXISTS search_text_bigrams_delete AFTER DELETE ON search_text BEGIN
    INSERT INTO search_bigrams (search_bigrams, rowid, grams) VALUES ('delete', old.version_id, sa_bigrams(old.folded));
END;
CREATE TRIGGER IF NOT EXISTS search_text_bigrams_update AFTER UPDATE ON search_text BEGIN
    INSERT INTO search_bigrams (search_bigrams, rowid, grams) VALUES ('delete', old.version_id, sa_bigrams(old.folded));
    INSERT INTO search_bigrams (rowid, grams) VALUES (new.version_id, sa_bigrams(new.folded));
END;
"""
# A contentless table cannot say which rows it holds, so it is filled from
# search_text in the transaction that creates it: it exists only whole.
_BIGRAM_BACKFILL = "INSERT INTO search_bigrams (rowid, grams) SELECT version_id, sa_bigrams(folded) FROM search_text"


# Schema step 11 builds the two-character index again with each row's article
# in its rowid: ``article_id << 32 | version_id`` (``ARTICLE_SHIFT``). A count of
# the articles a pair finds then reads that index alone (``rowid >> 32``, in
# order), with no lookup per version, and a walk asks it once an article (the
# rowid range of its versions) instead of once a version. (``_BIGRAM_SCHEMA``
# above is step 9's, kept as it was; this one replaces it.)
_VERSION_BITS = (1 << ARTICLE_SHIFT) - 1
_BIGRAM_SCHEMA_ARTICLES = f"""
DROP TRIGGER IF EXISTS search_text_bigrams_insert;
DROP TRIGGER IF EXISTS search_text_bigrams_delete;
DROP TRIGGER IF EXISTS search_text_bigrams_update;
DROP TABLE IF EXISTS search_bigrams;
CREATE VIRTUAL TABLE IF NOT EXISTS search_bigrams USING fts5(
    grams, content='', detail='none', tokenize='ascii'
);
CREATE TRIGGER IF NOT EXISTS search_text_bigrams_insert AFTER INSERT ON search_text BEGIN
    INSERT INTO search_bigrams (rowid, grams) VALUES ({PAIRS_ROWID_NEW}, sa_bigrams(new.folded));
END;
CREATE TRIGGER IF NOT EXISTS search_text_bigrams_delete AFTER DELETE ON search_text BEGIN
    INSERT INTO search_bigrams (search_bigrams, rowid, grams) VALUES ('delete', {PAIRS_ROWID_OLD}, sa_bigrams(old.folded));
END;
CREATE TRIGGER IF NOT EXISTS search_text_bigrams_update AFTER UPDATE ON search_text BEGIN
    INSERT INTO search_bigrams (search_bigrams, rowid, grams) VALUES ('delete', {PAIRS_ROWID_OLD}, sa_bigrams(old.folded));
    INSERT INTO search_bigrams (rowid, grams) VALUES ({PAIRS_ROWID_NEW}, sa_bigrams(new.folded));
END;
"""
_BIGRAM_BACKFILL_ARTICLES = (
    f"INSERT INTO search_bigrams (rowid, grams) SELECT (article_id << {ARTICLE_SHIFT}) | version_id, sa_bigrams(folded) FROM search_text"
)

# Schema step 11: each version's article, so a count of matching articles reads
# a few bytes a match and no text (search_text's rows hold the folded text, so
# reading its article_id costs a page a row); and articles in installment
# order, so a page is found by walking them from the first.
_PAGE_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS search_versions (
    version_id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS search_text_versions_insert AFTER INSERT ON search_text BEGIN
    INSERT OR REPLACE INTO search_versions (version_id, article_id) VALUES (new.version_id, new.article_id);
END;
CREATE TRIGGER IF NOT EXISTS search_text_versions_delete AFTER DELETE ON search_text BEGIN
    DELETE FROM search_versions WHERE version_id = old.version_id;
END;
CREATE TRIGGER IF NOT EXISTS search_text_versions_update AFTER UPDATE OF version_id, article_id ON search_text BEGIN
    DELETE FROM search_versions WHERE version_id = old.version_id;
    INSERT OR REPLACE INTO search_versions (version_id, article_id) VALUES (new.version_id, new.article_id);
END;
CREATE INDEX IF NOT EXISTS idx_articles_order ON articles({INSTALLMENT_ORDER.replace("a.", "")});
"""
# From search_text's index on (article_id, version), which holds both ids and no text.
_PAGE_BACKFILL = (
    "INSERT INTO search_versions (version_id, article_id) "
    "SELECT version_id, article_id FROM search_text INDEXED BY idx_search_text_article"
)


# --- the SQL functions ---------------------------------------------------------


def register_functions(conn: sqlite3.Connection) -> None:
    """Add the search functions to ``conn`` (the triggers and ``SEARCH_SQL`` call them)."""
    conn.create_function("sa_fold_document", 4, fold_document, deterministic=True)
    conn.create_function("sa_match", 2, match, deterministic=True)
    conn.create_function("sa_fts_query", 1, fts_query, deterministic=True)
    conn.create_function("sa_bigrams", 1, bigram_tokens, deterministic=True)
    conn.create_function("sa_bigram_query", 1, bigram_query, deterministic=True)
    conn.create_function("sa_index_exact", 1, index_exact, deterministic=True)
    conn.create_function("sa_snippet", 4, snippet_html, deterministic=True)


# --- schema --------------------------------------------------------------------


def search_ready(conn: sqlite3.Connection) -> bool:
    """Whether the search tables and triggers exist and every version is indexed (reads only)."""
    present = _schema_names(conn)
    if present >= _WANTED:
        # Rows listed and committed were never indexed: no writer of this release leaves any.
        return conn.execute(_UNINDEXED).fetchone() is None and conn.execute("SELECT 1 FROM search_pending LIMIT 1").fetchone() is None
    # An archive of schema 11 not upgraded yet (read by this release): indexed row by row, whole.
    return present >= _BEFORE_STEP_12 and conn.execute(_UNINDEXED).fetchone() is None


def create_search_schema(conn: sqlite3.Connection) -> None:
    """Create the search tables and triggers, and index the versions not indexed yet.

    Part of schema step 1 (schema.py): runs inside the step's transaction,
    under the writer lock. The triggers call Python functions, registered here.
    """
    register_functions(conn)
    run_script(conn, _SCHEMA + (_FTS_SCHEMA if HAS_TRIGRAM else ""))
    if conn.execute(_UNINDEXED).fetchone() is not None:
        conn.execute(_BACKFILL)


def create_bigram_index(conn: sqlite3.Connection) -> None:
    """Create the two-character index and fill it from ``search_text``: schema step 9 (schema.py)."""
    register_functions(conn)
    new = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_bigrams'").fetchone() is None
    run_script(conn, _BIGRAM_SCHEMA)
    if new:
        conn.execute(_BIGRAM_BACKFILL)


def create_page_index(conn: sqlite3.Connection) -> None:
    """Schema step 11: the two-character index again with articles in its rowids, the map of versions to
    articles and the installment-order index of articles, filled."""
    register_functions(conn)
    run_script(conn, _BIGRAM_SCHEMA_ARTICLES)
    conn.execute(_BIGRAM_BACKFILL_ARTICLES)
    new = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_versions'").fetchone() is None
    run_script(conn, _PAGE_SCHEMA)
    if new:
        conn.execute(_PAGE_BACKFILL)


def ensure_search_index(conn: sqlite3.Connection) -> None:
    """Make the search index whole again where a part is missing (it is derived data).

    The two-character index and the map of versions to articles are built
    again from scratch: with a trigger on ``search_text`` gone, they may have
    missed rows, and a contentless table cannot be asked which. So is the
    trigram index, which may lack the rows that were waiting in
    ``search_pending``.
    """
    present = _schema_names(conn)
    if present >= _WANTED and conn.execute(_UNINDEXED).fetchone() is None:
        # Whole but for rows listed and never indexed (a tool's own SQL, committed without
        # ``index_pending``): those rows alone, not a rebuild.
        index_pending(conn)
        return
    conn.execute("DROP TABLE IF EXISTS search_versions")
    create_search_schema(conn)
    create_page_index(conn)
    create_index_at_commit(conn)
    conn.execute("DELETE FROM search_pending")  # the rebuilds below and above index every row of search_text
    if HAS_TRIGRAM:
        conn.execute("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")



# --- querying ------------------------------------------------------------------

DEFAULT_LIMIT = 20
MAX_LIMIT = 500
# A page is found by walking the articles in installment order when that
# visits at most this many (each costs an index probe of its versions, ~30 µs
# each); past it, by sorting the matching articles (~0.1 µs a matching version).
WALK_ARTICLES = 1500

# What a page shows of each of its articles, as the search always has: the
# versions that match, and a snippet of the latest of them. ``page`` (the
# page's article ids) and ``{total}`` are given by the query around it.
_RESULTS = """hits AS (
    SELECT s.article_id, s.version FROM page AS p JOIN search_text AS s ON s.article_id = p.id
    WHERE sa_match(s.folded, :q)
),
per_article AS (
    SELECT article_id, group_concat(version, ', ') AS versions_matching, max(version) AS latest_match
    FROM (SELECT article_id, version FROM hits ORDER BY article_id, version)
    GROUP BY article_id
)
SELECT
    a.id AS article_id,
    a.series,
    a.installment,
    a.label,
    a.title,
    substr(a.published, 1, 10) AS published,
    a.status,
    p.versions_matching,
    a.current_version,
    sa_snippet(v.title, v.text, v.captions, :q) AS snippet_html{total}
FROM per_article AS p
JOIN articles AS a ON a.id = p.article_id
JOIN versions AS v ON v.article_id = p.article_id AND v.version = p.latest_match
ORDER BY {order}"""

_PAGE_ROWS = "WITH page(id) AS (SELECT value FROM json_each(:ids)),\n" + _RESULTS.format(total="", order=INSTALLMENT_ORDER)

# The search as one statement, as Datasette's canned query runs it: ``:q`` is
# what the reader typed, ``:limit`` (default 20) and ``:page`` (from 1) choose
# the page, and every row carries ``total``, the articles that match. When
# every term has three folded characters or more, the trigram index answers
# (``sa_bigram_query`` is NULL); otherwise the two-character index answers the
# shorter terms and the trigram index, if any, the longer. An empty query
# matches nothing (both NULL) and reads nothing.
_LIMIT = f"max(1, min({MAX_LIMIT}, coalesce(nullif(CAST(:limit AS INTEGER), 0), {DEFAULT_LIMIT})))"
_OFFSET = f"(max(1, coalesce(nullif(CAST(:page AS INTEGER), 0), 1)) - 1) * {_LIMIT}"
_TRIGRAMS = "SELECT rowid FROM search_fts WHERE search_fts MATCH coalesce(sa_fts_query(:q), '\"\"')"
_CANDIDATES_INDEXED = f"""
    SELECT rowid AS version_id FROM search_fts
    WHERE sa_bigram_query(:q) IS NULL AND sa_fts_query(:q) IS NOT NULL
      AND search_fts MATCH coalesce(sa_fts_query(:q), '\"\"')
    UNION ALL
    SELECT rowid & {_VERSION_BITS} FROM search_bigrams
    WHERE sa_bigram_query(:q) IS NOT NULL
      AND search_bigrams MATCH coalesce(sa_bigram_query(:q), 'x')
      AND (sa_fts_query(:q) IS NULL OR rowid & {_VERSION_BITS} IN ({_TRIGRAMS}))"""
# Without the trigram tokenizer there is no search_fts: the pairs answer every term.
_CANDIDATES_BIGRAMS_ONLY = f"""
    SELECT rowid & {_VERSION_BITS} AS version_id FROM search_bigrams
    WHERE sa_bigram_query(:q) IS NOT NULL AND search_bigrams MATCH coalesce(sa_bigram_query(:q), 'x')"""
_SEARCH_TEMPLATE = """WITH candidates AS ({candidates}
),
matched AS (
    SELECT m.article_id FROM candidates AS c JOIN search_versions AS m ON m.version_id = c.version_id
    WHERE sa_index_exact(:q) OR sa_match((SELECT s.folded FROM search_text AS s WHERE s.version_id = c.version_id), :q)
),
page AS (
    SELECT a.id FROM articles AS a WHERE a.id IN (SELECT article_id FROM matched)
    ORDER BY {order} LIMIT {limit} OFFSET {offset}
),
""" + _RESULTS


def _search_sql(candidates: str) -> str:
    return _SEARCH_TEMPLATE.format(
        candidates=candidates, order=INSTALLMENT_ORDER, limit=_LIMIT, offset=_OFFSET,
        total=",\n    (SELECT count(DISTINCT article_id) FROM matched) AS total",
    )


SEARCH_SQL = _search_sql(_CANDIDATES_INDEXED if HAS_TRIGRAM else _CANDIDATES_BIGRAMS_ONLY)


@dataclass(frozen=True)
class SearchPage:
    """One page of a search: the articles that match, in installment order, ``offset`` of them skipped.

    Each result is a dict: ``article_id``, ``series``, ``installment``,
    ``label``, ``title``, ``published`` (the date), ``status``,
    ``versions_matching`` (``"1, 3"``), ``current_version``, ``snippet_html``
    (escaped, the match in ``<mark>``). ``total``: every article that matches.
    """

    query: str
    limit: int
    offset: int
    total: int
    results: tuple[dict[str, Any], ...]

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts, or None on the last."""
        return self.offset + self.limit if self.offset + self.limit < self.total else None

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None

    def as_json(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total, "limit": self.limit, "offset": self.offset,
                "next_offset": self.next_offset, "results": list(self.results)}


@dataclass(frozen=True)
class _Plan:
    """What the indexes are asked for one query: the trigram and pairs expressions, and whether they decide alone."""

    fts: str | None
    bigrams: str | None
    exact: bool

    def candidates(self) -> str:
        """The versions the indexes give (``version_id``, ``article_id``): the pairs index says both in its rowid."""
        if self.bigrams is None:
            return ("SELECT f.rowid AS version_id, m.article_id FROM search_fts AS f "
                    "JOIN search_versions AS m ON m.version_id = f.rowid WHERE search_fts MATCH :fq")
        sql = (f"SELECT rowid & {_VERSION_BITS} AS version_id, rowid >> {ARTICLE_SHIFT} AS article_id "
               "FROM search_bigrams WHERE search_bigrams MATCH :bq")
        if self.fts:
            sql += f" AND rowid & {_VERSION_BITS} IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :fq)"
        return sql

    def _verified(self, folded: str = "(SELECT t.folded FROM search_text AS t WHERE t.version_id = c.version_id)") -> str:
        """The test of ``folded`` against the query, where the indexes alone do not decide."""
        return "" if self.exact else f" AND sa_match({folded}, :q)"

    def count_sql(self) -> str:
        return f"SELECT count(DISTINCT c.article_id) FROM ({self.candidates()}) AS c WHERE 1{self._verified()}"

    def sorted_page_sql(self) -> str:
        return (f"SELECT a.id FROM articles AS a WHERE a.id IN (SELECT c.article_id FROM ({self.candidates()}) AS c "
                f"WHERE 1{self._verified()}) ORDER BY {INSTALLMENT_ORDER} LIMIT :limit OFFSET :offset")

    def walked_page_sql(self) -> str:
        if self.exact and self.fts is None:
            # The pairs alone decide: one probe an article, the rowid range of its versions.
            found = (f"EXISTS (SELECT 1 FROM search_bigrams WHERE search_bigrams MATCH :bq "
                     f"AND rowid BETWEEN a.id << {ARTICLE_SHIFT} AND (a.id << {ARTICLE_SHIFT}) | {_VERSION_BITS})")
        else:
            probes = ["EXISTS (SELECT 1 FROM search_fts WHERE search_fts MATCH :fq AND rowid = s.version_id)"] if self.fts else []
            if self.bigrams:
                probes.append(f"EXISTS (SELECT 1 FROM search_bigrams WHERE search_bigrams MATCH :bq "
                              f"AND rowid = (s.article_id << {ARTICLE_SHIFT}) | s.version_id)")
            found = (f"EXISTS (SELECT 1 FROM search_text AS s WHERE s.article_id = a.id AND {' AND '.join(probes)}"
                     f"{self._verified('s.folded')})")
        return (f"SELECT a.id FROM articles AS a INDEXED BY idx_articles_order WHERE {found} "
                f"ORDER BY {INSTALLMENT_ORDER} LIMIT :limit OFFSET :offset")


def _plan(query: str) -> _Plan | None:
    fts, bigrams = (fts_query(query), bigram_query(query)) if HAS_TRIGRAM else (None, bigram_query(query))
    if fts is None and bigrams is None:
        return None
    return _Plan(fts, bigrams, index_exact(query))


def search(conn: sqlite3.Connection, query: str, limit: int = DEFAULT_LIMIT, offset: int = 0) -> SearchPage:
    """The articles whose text (in any version) holds every term of ``query``, in installment order: ``limit`` of
    them from ``offset``, and how many there are.

    ``conn`` needs ``register_functions`` (done here) and may be read-only.
    The pages, put end to end, are the whole answer, each article once.
    """
    register_functions(conn)
    limit, offset = max(1, min(int(limit), MAX_LIMIT)), max(0, int(offset))
    plan = _plan(query)
    if plan is None:
        return SearchPage(query, limit, offset, 0, ())
    params = {"q": query, "fq": plan.fts, "bq": plan.bigrams, "limit": limit, "offset": offset}
    total = int(conn.execute(plan.count_sql(), params).fetchone()[0])
    if offset >= total:
        return SearchPage(query, limit, offset, total, ())
    # How many articles a walk from the first visits to fill this page, if matches are spread evenly. A
    # single character is a prefix query, which FTS5 expands for every probe (~1 ms): never walked.
    articles = int(conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0])
    walk = (offset + limit) * articles <= WALK_ARTICLES * total and "*" not in (plan.bigrams or "")
    ids = [int(r[0]) for r in conn.execute(plan.walked_page_sql() if walk else plan.sorted_page_sql(), params)]
    cur = conn.execute(_PAGE_ROWS, {"q": query, "ids": json.dumps(ids)})
    names = [d[0] for d in cur.description]
    return SearchPage(query, limit, offset, total, tuple(dict(zip(names, row, strict=True)) for row in cur.fetchall()))


def matching_versions(conn: sqlite3.Connection, query: str) -> int:
    """How many versions hold every term of ``query``, counted from the indexes (as ``search`` counts articles)."""
    register_functions(conn)
    plan = _plan(query)
    if plan is None:
        return 0
    sql = f"SELECT count(*) FROM ({plan.candidates()}) AS c WHERE 1{plan._verified()}"
    return int(conn.execute(sql, {"q": query, "fq": plan.fts, "bq": plan.bigrams}).fetchone()[0])


def _schema_names(conn: sqlite3.Connection) -> set[str]:
    """The names of the archive's tables, indexes and triggers."""
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}


def _names(script: str, verb: str) -> set[str]:
    return set(re.findall(rf"{verb} (?:TABLE|INDEX|TRIGGER|VIRTUAL TABLE) IF (?:NOT )?EXISTS (\w+)", script))


# What a current archive's search is made of: every step's tables and triggers, less those step 12 dropped.
_BEFORE_STEP_12 = frozenset(_names(_SCHEMA + (_FTS_SCHEMA if HAS_TRIGRAM else "") + _BIGRAM_SCHEMA + _PAGE_SCHEMA, "CREATE"))
_WANTED = (_BEFORE_STEP_12 | _names(index_at_commit_schema(), "CREATE")) - _names(index_at_commit_schema(), "DROP")
