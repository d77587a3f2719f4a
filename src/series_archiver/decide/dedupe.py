"""Dedupe: recognise one installment reached through several URLs.

The same installment is served on www.takungpao.com, its .com.hk mirror, the
e-paper and sometimes a simplified-script copy. Their texts differ in script,
punctuation width, furniture and captions, so an exact hash is not enough:
texts are folded to one script and width, cut into character shingles, and
compared by Jaccard similarity. Installment numbers, when both sides have one,
must agree: two installments that share an editor's note stay two articles.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

from series_archiver.settings import DedupeSettings
from series_archiver.textfold import fold, shingles, similarity

__all__ = ["Fingerprint", "KnownArticles", "fingerprint", "find_duplicate"]

# Shingles are CRC-32s: four bytes each.
_TYPECODE = next(code for code in ("I", "L") if array(code).itemsize == 4)


@dataclass(frozen=True)
class Fingerprint:
    """What dedupe needs to know of an archived article.

    A pipeline keeps one per archived article, and the archive only grows. So
    the shingles are computed the first time another article could match this
    one (on a first crawl most installments never meet another), and kept
    packed, four bytes each: ~12 KB for a 3,000-character article, where a set
    of Python ints takes ~150 KB.
    """

    article_id: int
    series: str
    installment: int | None
    title_key: str
    text: str = field(repr=False)
    shingle_size: int = 5

    @cached_property
    def _packed(self) -> bytes:
        return array(_TYPECODE, shingles(self.text, self.shingle_size)).tobytes()

    @property
    def shingles(self) -> frozenset[int]:
        return frozenset(array(_TYPECODE, self._packed))


def fingerprint(article_id: int, series: str, installment: int | None, title: str, text: str, settings: DedupeSettings) -> Fingerprint:
    return Fingerprint(article_id, series, installment, fold(title), text, settings.shingle_size)


def find_duplicate(
    folded_text: str,
    series: str,
    installment: int | None,
    known: Iterable[Fingerprint],
    settings: DedupeSettings,
) -> tuple[int, float] | None:
    """The archived article this one is another rendering of, with its similarity.

    ``folded_text``: the new article's text, already folded (``versions.Reading``).
    """
    mine: frozenset[int] | None = None  # only shingled when some article could match
    best: tuple[int, float] | None = None
    for fp in known:
        if fp.series != series:
            continue
        if installment is not None and fp.installment is not None and installment != fp.installment:
            continue
        if mine is None:
            mine = frozenset(shingles(folded_text, settings.shingle_size, folded=True))
        score = similarity(mine, fp.shingles)
        if score >= settings.similarity and (best is None or score > best[1]):
            best = (fp.article_id, score)
    return best


class KnownArticles:
    """The archived articles' fingerprints in archive order, found by series and installment.

    ``find_duplicate`` passes over every article of another series or
    installment; on an archive of thousands of articles that loop was the
    cost, per new article. ``candidates`` hands it only those it would not pass
    over, in the same order, so it finds the same article.
    """

    def __init__(self, fingerprints: Iterable[Fingerprint] = ()) -> None:
        self._all: list[Fingerprint] = []
        self._by_series: dict[str, list[int]] = {}  # positions in _all
        self._by_installment: dict[tuple[str, int | None], list[int]] = {}
        for fp in fingerprints:
            self.append(fp)

    def __iter__(self) -> Iterator[Fingerprint]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def append(self, fp: Fingerprint) -> None:
        position = len(self._all)
        self._all.append(fp)
        self._by_series.setdefault(fp.series, []).append(position)
        self._by_installment.setdefault((fp.series, fp.installment), []).append(position)

    def replace(self, article_id: int, new: Callable[[Fingerprint], Fingerprint]) -> None:
        """Replace the article's fingerprint by ``new(old)``, which keeps its series and installment."""
        for i, fp in enumerate(self._all):
            if fp.article_id == article_id:
                replacement = new(fp)
                if (replacement.series, replacement.installment) != (fp.series, fp.installment):
                    raise ValueError(f"article #{article_id}: a new fingerprint must keep its series and installment")
                self._all[i] = replacement

    def candidates(self, series: str, installment: int | None) -> Iterator[Fingerprint]:
        """The fingerprints ``find_duplicate`` compares an article of ``series`` and ``installment`` with, in order."""
        if installment is None:
            positions: Iterable[int] = self._by_series.get(series, ())
        else:
            positions = heapq.merge(self._by_installment.get((series, installment), ()), self._by_installment.get((series, None), ()))
        return (self._all[i] for i in positions)
