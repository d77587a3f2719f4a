"""The text side of search: what is indexed, what a query asks of the index, and the snippets.

Pure functions of strings (``search.py`` registers them as SQL functions and
holds the schema and the queries): the folded document of a version, a
query's terms and their variants, the FTS5 expressions for the trigram and
two-character indexes, whether those indexes alone decide a query
(``index_exact``), the substring test that decides otherwise, and the HTML
snippet of a match.
"""

from __future__ import annotations

import html
import json
import operator
import re
import sqlite3
from collections.abc import Sequence
from functools import lru_cache

from series_archiver.textfold import convert, fold

__all__ = [
    "ARTICLE_SHIFT",
    "HAS_TRIGRAM",
    "PAIRS_ROWID_NEW",
    "PAIRS_ROWID_OLD",
    "bigram_query",
    "bigram_tokens",
    "fold_document",
    "fts_query",
    "index_exact",
    "match",
    "query_terms",
    "snippet_html",
    "snippet_parts",
]

# The trigram tokenizer arrived in SQLite 3.34; older ones search by the pairs alone.
HAS_TRIGRAM = sqlite3.sqlite_version_info >= (3, 34, 0)
# A row of the pairs index is ``article_id << ARTICLE_SHIFT | version_id`` (schema step 11; search.py),
# as a trigger on ``search_text`` spells it for the row's new and old values.
ARTICLE_SHIFT = 32
PAIRS_ROWID_NEW = f"(new.article_id << {ARTICLE_SHIFT}) | new.version_id"
PAIRS_ROWID_OLD = f"(old.article_id << {ARTICLE_SHIFT}) | old.version_id"


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


def match(folded: str | None, query: str | None) -> int:
    terms = query_terms(query or "")
    if not terms or not folded:
        return 0
    return int(all(any(v in folded for v in variants) for variants in terms))


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def trigram_term(variants: Sequence[str]) -> bool:
    """Whether the trigram index can answer a term: every variant has three characters or more."""
    return HAS_TRIGRAM and all(len(v) >= 3 for v in variants)


@lru_cache(maxsize=256)
def fts_query(query: str | None) -> str | None:
    """An FTS5 expression for the terms the trigram index can answer, or None."""
    groups = [
        "(" + " OR ".join(_fts_phrase(v) for v in variants) + ")"
        for variants in query_terms(query or "")
        if trigram_term(variants)
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
    # Per page this runs once per version written (about 3,000 pairs): the pairs are found and made
    # unique as two-character strings, and turned into hex all at once, in C. A line's last character
    # is keyed with a newline after it (no line holds one), whose eight digits then become the "x".
    # The pairs of the whole text with a newline after it are those, in the same order, with the
    # pairs that start with a newline (a line's first character, or an empty line) between them:
    # taken out again, a few a text, rather than the text walked line by line in Python.
    if not folded:
        return ""
    text = folded + "\n"
    grams = dict.fromkeys(map(operator.add, text, text[1:]))
    for line in folded.split("\n")[1:]:
        grams.pop("\n" + line[:1], None)
    grams.pop("\n\n", None)
    if not grams:
        return ""
    return ("".join(grams).encode("utf-32-be").hex(" ", 8) + " ").replace(_LINE_END, "x ")[:-1]


# A pair's last eight digits when its second character is the newline that marks a line's end.
_LINE_END = "0000000a "


def _bigram_variant(variant: str) -> str:
    digits = _hex(variant)
    if len(variant) == 1:
        return digits + "*"
    pairs = dict.fromkeys(digits[i : i + 16] for i in range(0, len(digits) - 8, 8))
    return "(" + " AND ".join(pairs) + ")"


def bigram_query(query: str | None) -> str | None:
    """An FTS5 expression over ``search_bigrams`` for the terms the trigram index cannot answer, or None.

    A term of three characters or more stands here (beside a shorter one)
    as all its pairs: more versions than hold it, which ``sa_match`` sorts out.
    Not cached: it is cheap, and only ``query_terms`` should hold a folding.
    """
    groups = [
        "(" + " OR ".join(_bigram_variant(v) for v in variants) + ")"
        for variants in query_terms(query or "")
        if not trigram_term(variants)
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


def _caseless(text: str) -> bool:
    return all(c.lower() == c == c.upper() for c in text)


def index_exact(query: str | None) -> bool:
    """Whether the indexes alone find exactly the versions ``match`` accepts, so counting needs no text.

    A one- or two-character term is exact in the pairs index (a pair is
    indexed where it occurs within a line, as ``match`` tests it). A longer
    term is exact in the trigram index when none of its characters has a
    case: that index folds case, and a folded text keeps the few characters
    Python's ``lower`` leaves alone. A term whose variants are of both kinds
    (芯片 against a longer variant) stands in the pairs index as all its
    pairs: a superset. Without the trigram tokenizer every longer term is.
    """
    for variants in query_terms(query or ""):
        if trigram_term(variants):
            if not all(_caseless(v) for v in variants):
                return False
        elif any(len(v) >= 3 for v in variants):
            return False
    return True

