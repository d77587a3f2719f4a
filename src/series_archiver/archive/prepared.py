"""Search documents folded ahead, where the page was read: the triggers take them instead of folding again.

A version's row fills both search indexes through triggers that call Python
(``search.fold_document`` and ``search.bigram_tokens``): folding a 3,000-character
text and writing out its character pairs take about 2 ms, in the writing
thread. An import reads its pages in other processes, which fold the text
anyway; there ``prepare`` makes the version's search document and its pairs
too, and the writer hands them to ``PreparedDocuments`` before it adds the
version. The functions the triggers call then return a prepared result for
exactly the inputs it was made of, and compute anything else as before, so
what the indexes hold is the same either way.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from series_archiver.archive.search import bigram_tokens, fold_document
from series_archiver.models import Article

__all__ = ["DocumentFields", "Prepared", "PreparedDocuments", "document_fields", "prepare"]

DocumentFields = tuple[str | None, str | None, str | None, str | None]  # title, byline, text, captions as stored


def document_fields(article: Article) -> DocumentFields:
    """The ``versions`` columns the search document is made of, as ``add_version`` stores them."""
    return (article.title, article.byline, article.text, json.dumps(list(article.captions), ensure_ascii=False))


@dataclass(frozen=True)
class Prepared:
    """One version's search document (``search_text.folded``) and its pairs (``search_bigrams``), and what they were made of."""

    fields: DocumentFields
    folded: str
    grams: str


def prepare(article: Article) -> Prepared:
    fields = document_fields(article)
    folded = fold_document(*fields)
    return Prepared(fields, folded, bigram_tokens(folded))


class PreparedDocuments:
    """The prepared documents of the versions of one transaction on one connection (``clear`` after its COMMIT, which indexes them)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._documents: dict[DocumentFields, str] = {}
        self._grams: dict[str, str] = {}
        # The names search.py registers; the same number of arguments, deterministic as there.
        conn.create_function("sa_fold_document", 4, self._fold_document, deterministic=True)
        conn.create_function("sa_bigrams", 1, self._bigram_tokens, deterministic=True)

    def add(self, prepared: Prepared) -> None:
        self._documents[prepared.fields] = prepared.folded
        self._grams[prepared.folded] = prepared.grams

    def clear(self) -> None:
        self._documents.clear()
        self._grams.clear()

    def _fold_document(self, title: str | None, byline: str | None, text: str | None, captions: str | None) -> str:
        found = self._documents.get((title, byline, text, captions))
        return found if found is not None else fold_document(title, byline, text, captions)

    def _bigram_tokens(self, folded: str | None) -> str:
        found = self._grams.get(folded) if folded is not None else None
        return found if found is not None else bigram_tokens(folded)

