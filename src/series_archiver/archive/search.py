"""Chinese search: a script-folded copy of every version, with a trigram index.

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
  answers the query terms of three characters or more without a scan.
* ``search_bigrams`` (schema step 9) answers the shorter ones: a contentless
  FTS5 index of every pair of neighbouring folded characters of a line, and
  of each line's last character, each pair spelt as one ASCII token (the code
  points in hex, ``bigram_tokens``) since no stock tokenizer splits Chinese
  into pairs. A two-character term is one token; a single character is a
  prefix query (the pairs it starts, or the line it ends). It keeps no
  positions (``detail=none``): it only narrows the versions to look at. (It
  keeps each row's size, FTS5's default, since a contentless table without
  it cannot be scanned, and ``SELECT count(*)`` would fail.)
* Either index only narrows: ``sa_match`` (a substring test on the folded
  column) decides, so the answer is the scan's, faster.
* The query is folded the same way, term by term (terms are split on spaces),
  and each term also stands for its Taiwan/mainland vocabulary variant
  (OpenCC ``s2twp``/``tw2sp``), so 芯片 finds 晶片 and 华为 finds 華為.
  Every term must occur in the same version.

The SQL functions the triggers and the query need (``sa_fold_document``,
``sa_match``, ``sa_fts_query``, ``sa_bigrams``, ``sa_bigram_query``, ``sa_snippet``) are Python functions that
``register_functions`` adds to a connection: ``create_search_schema`` does it
for the archive's writer, the Datasette plugin for Datasette's readers. A
connection without them can read everything but cannot insert versions.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from series_archiver.archive.sqlscript import run_script
from series_archiver.archive.views import INSTALLMENT_ORDER
from series_archiver.textfold import convert, fold

__all__ = [
    "SEARCH_SQL",
    "create_search_schema",
    "create_bigram_index",
    "ensure_search_index",
    "bigram_tokens",
    "register_functions",
    "fold_document",
    "query_terms",
    "search",
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

# The trigram tokenizer arrived in SQLite 3.34; older ones search by the pairs alone.
_HAS_TRIGRAM = sqlite3.sqlite_version_info >= (3, 34, 0)

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

# The search, as Datasette's canned query runs it (``:q`` is what the reader
# typed). When every term has three folded characters or more, the trigram
# index answers (``sa_bigram_query`` is NULL); otherwise the two-character
# index answers the shorter terms and the trigram index, if any, the longer.
# ``sa_match`` then checks every term in the folded text. An empty query
# matches nothing (both NULL) and reads nothing. Articles come in installment
# order, each with the versions that match and a snippet of the latest of them.
_IN_TRIGRAMS = "s.version_id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH coalesce(sa_fts_query(:q), '\"\"'))"
_IN_BIGRAMS = "s.version_id IN (SELECT rowid FROM search_bigrams WHERE search_bigrams MATCH coalesce(sa_bigram_query(:q), 'x'))"
_HITS_INDEXED = f"""
    SELECT s.article_id, s.version FROM search_text AS s
    WHERE sa_bigram_query(:q) IS NULL AND sa_fts_query(:q) IS NOT NULL
      AND {_IN_TRIGRAMS}
      AND sa_match(s.folded, :q)
    UNION ALL
    SELECT s.article_id, s.version FROM search_text AS s
    WHERE sa_bigram_query(:q) IS NOT NULL
      AND {_IN_BIGRAMS}
      AND (sa_fts_query(:q) IS NULL OR {_IN_TRIGRAMS})
      AND sa_match(s.folded, :q)"""
_SEARCH_TEMPLATE = """WITH hits AS ({hits}
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
    sa_snippet(v.title, v.text, v.captions, :q) AS snippet_html
FROM per_article AS p
JOIN articles AS a ON a.id = p.article_id
JOIN versions AS v ON v.article_id = p.article_id AND v.version = p.latest_match
ORDER BY {order}"""

# Without the trigram tokenizer there is no search_fts: the pairs answer every term.
_HITS_BIGRAMS_ONLY = f"""
    SELECT s.article_id, s.version FROM search_text AS s
    WHERE sa_bigram_query(:q) IS NOT NULL AND {_IN_BIGRAMS} AND sa_match(s.folded, :q)"""

SEARCH_SQL = _SEARCH_TEMPLATE.format(hits=_HITS_INDEXED if _HAS_TRIGRAM else _HITS_BIGRAMS_ONLY, order=INSTALLMENT_ORDER)


# --- the SQL functions ---------------------------------------------------------


def _lines(title: str | None, byline: str | None, text: str | None, captions: str | None) -> list[str]:
    lines = [title or "", byline or "", *(text or "").split("\n")]
    if captions:
        try:
            parsed = json.loads(captions)
        except ValueError:
            parsed = [captions]
        lines.extend(str(c) for c in (parsed if isinstance(parsed, list) else [parsed]))
    return lines


def fold_document(title: str | None, byline: str | None, text: str | None, captions: str | None) -> str:
    """What ``search_text.folded`` holds: each non-empty line folded, one per line."""
    folded = (fold(line) for line in _lines(title, byline, text, captions))
    return "\n".join(f for f in folded if f)


@lru_cache(maxsize=256)
def query_terms(query: str) -> tuple[tuple[str, ...], ...]:
    """The query's terms (split on spaces), each as its folded variants.

    >>> query_terms("華為 芯片")
    (('华为',), ('芯片', '晶片'))
    """
    terms = []
    for raw in (query or "").split():
        variants: list[str] = []
        for form in (raw, convert("s2twp.json", raw), convert("tw2sp.json", raw)):
            folded = fold(form)
            if folded and folded not in variants:
                variants.append(folded)
        if variants:
            terms.append(tuple(variants))
    return tuple(terms)


def _match(folded: str | None, query: str | None) -> int:
    terms = query_terms(query or "")
    if not terms or not folded:
        return 0
    return int(all(any(v in folded for v in variants) for variants in terms))


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _trigram_term(variants: Sequence[str]) -> bool:
    """Whether the trigram index can answer a term: every variant has three characters or more."""
    return _HAS_TRIGRAM and all(len(v) >= 3 for v in variants)


@lru_cache(maxsize=256)
def _fts_query(query: str | None) -> str | None:
    """An FTS5 expression for the terms the trigram index can answer, or None."""
    groups = [
        "(" + " OR ".join(_fts_phrase(v) for v in variants) + ")"
        for variants in query_terms(query or "")
        if _trigram_term(variants)
    ]
    return " AND ".join(groups) or None


def _hex(text: str) -> str:
    """Each character's code point as eight hex digits (UTF-32): a pair of characters is 16 digits of it."""
    return text.encode("utf-32-be").hex()


def bigram_tokens(folded: str | None) -> str:
    """What ``search_bigrams`` indexes for a folded text (``sa_bigrams``).

    Every pair of neighbouring characters within a line, and each line's
    last character alone (its eight digits and ``x``), so that every one- or
    two-character substring of a line is found: a pair as its token, a
    character as the prefix of the tokens it starts. Each token once, in
    order of first occurrence.
    """
    tokens: dict[str, None] = {}
    for line in (folded or "").split("\n"):
        if line:
            digits = _hex(line)
            tokens.update(dict.fromkeys(digits[i : i + 16] for i in range(0, len(digits) - 8, 8)))
            tokens[digits[-8:] + "x"] = None
    return " ".join(tokens)


def _bigram_variant(variant: str) -> str:
    digits = _hex(variant)
    if len(variant) == 1:
        return digits + "*"
    pairs = dict.fromkeys(digits[i : i + 16] for i in range(0, len(digits) - 8, 8))
    return "(" + " AND ".join(pairs) + ")"


def _bigram_query(query: str | None) -> str | None:
    """An FTS5 expression over ``search_bigrams`` for the terms the trigram index cannot answer, or None.

    A term of three characters or more stands here (beside a shorter one)
    as all its pairs: more versions than hold it, which ``sa_match`` sorts out.
    Not cached: it is cheap, and only ``query_terms`` should hold a folding.
    """
    groups = [
        "(" + " OR ".join(_bigram_variant(v) for v in variants) + ")"
        for variants in query_terms(query or "")
        if not _trigram_term(variants)
    ]
    return " AND ".join(groups) or None


_SNIPPET_CONTEXT = 40


def _locate(line: str, variants: Sequence[str]) -> tuple[int, int] | None:
    """Where in ``line`` (as stored, unfolded) a folded variant occurs, as (start, end)."""
    # Fold character by character, remembering where each folded character
    # came from. Character-wise folding can differ from phrase-wise (OpenCC
    # converts some characters by their neighbours): then the caller falls
    # back to the start of the paragraph.
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(line):
        for out in fold(char):
            folded.append(out)
            origin.append(i)
    joined = "".join(folded)
    for variant in variants:
        at = joined.find(variant)
        if at >= 0:
            return origin[at], origin[at + len(variant) - 1] + 1
    return None


def snippet_html(title: str | None, text: str | None, captions: str | None, query: str | None) -> str | None:
    """The first paragraph that matches, around the first term, as escaped HTML with ``<mark>``.

    Only ``<mark>`` and ``</mark>`` are markup; every character of the
    article is escaped.
    """
    terms = query_terms(query or "")
    if not terms:
        return None
    first = terms[0]
    for line in _lines(title, None, text, captions):
        folded = fold(line)
        if not any(v in folded for v in first):
            continue
        span = _locate(line, first)
        if span is None:
            width = 2 * _SNIPPET_CONTEXT
            return html.escape(line[:width]) + ("…" if len(line) > width else "")
        start, end = span
        left = max(0, start - _SNIPPET_CONTEXT)
        right = min(len(line), end + _SNIPPET_CONTEXT)
        return (
            ("…" if left else "")
            + html.escape(line[left:start])
            + "<mark>"
            + html.escape(line[start:end])
            + "</mark>"
            + html.escape(line[end:right])
            + ("…" if right < len(line) else "")
        )
    return None


def snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    """A ``snippet_html`` as text for a terminal: its pieces, each with whether it is the match.

    >>> snippet_parts("…站上<mark>1萬億</mark>元 &amp; 更多")
    [('…站上', False), ('1萬億', True), ('元 & 更多', False)]
    """
    parts: list[tuple[str, bool]] = []
    marked = False
    for piece in re.split(r"(</?mark>)", snippet):
        if piece in ("<mark>", "</mark>"):
            marked = piece == "<mark>"
        elif piece:
            parts.append((html.unescape(piece), marked))
    return parts


def register_functions(conn: sqlite3.Connection) -> None:
    """Add the search functions to ``conn`` (the triggers and ``SEARCH_SQL`` call them)."""
    conn.create_function("sa_fold_document", 4, fold_document, deterministic=True)
    conn.create_function("sa_match", 2, _match, deterministic=True)
    conn.create_function("sa_fts_query", 1, _fts_query, deterministic=True)
    conn.create_function("sa_bigrams", 1, bigram_tokens, deterministic=True)
    conn.create_function("sa_bigram_query", 1, _bigram_query, deterministic=True)
    conn.create_function("sa_snippet", 4, snippet_html, deterministic=True)


# --- schema --------------------------------------------------------------------


def search_ready(conn: sqlite3.Connection) -> bool:
    """Whether the search tables and triggers exist and every version is indexed (reads only)."""
    script = _SCHEMA + (_FTS_SCHEMA if _HAS_TRIGRAM else "") + _BIGRAM_SCHEMA
    wanted = set(re.findall(r"CREATE (?:TABLE|INDEX|TRIGGER|VIRTUAL TABLE) IF NOT EXISTS (\w+)", script))
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    if not wanted <= present:
        return False
    return conn.execute(_UNINDEXED).fetchone() is None


def create_search_schema(conn: sqlite3.Connection) -> None:
    """Create the search tables and triggers, and index the versions not indexed yet.

    Part of schema step 1 (schema.py): runs inside the step's transaction,
    under the writer lock. The triggers call Python functions, registered here.
    """
    register_functions(conn)
    run_script(conn, _SCHEMA + (_FTS_SCHEMA if _HAS_TRIGRAM else ""))
    if conn.execute(_UNINDEXED).fetchone() is not None:
        conn.execute(_BACKFILL)


def create_bigram_index(conn: sqlite3.Connection) -> None:
    """Create the two-character index and fill it from ``search_text``: schema step 9 (schema.py)."""
    register_functions(conn)
    new = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'search_bigrams'").fetchone() is None
    run_script(conn, _BIGRAM_SCHEMA)
    if new:
        conn.execute(_BIGRAM_BACKFILL)


def ensure_search_index(conn: sqlite3.Connection) -> None:
    """Make the search index whole again where a part is missing (it is derived data).

    The two-character index is built again from scratch: with a trigger on
    ``search_text`` gone, it may have missed rows, and a contentless table
    cannot be asked which.
    """
    conn.execute("DROP TABLE IF EXISTS search_bigrams")
    create_search_schema(conn)
    create_bigram_index(conn)


# --- querying ------------------------------------------------------------------


def search(conn: sqlite3.Connection, query: str) -> list[dict[str, Any]]:
    """The articles whose text (in any version) holds every term of ``query``, in installment order.

    ``conn`` needs ``register_functions`` (done here) and may be read-only.
    """
    register_functions(conn)
    cur = conn.execute(SEARCH_SQL, {"q": query})
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
