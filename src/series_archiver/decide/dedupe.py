"""Dedupe: recognise one installment reached through several URLs.

The same installment is served on www.takungpao.com, its .com.hk mirror, the
e-paper and sometimes a simplified-script copy. Their texts differ in script,
punctuation width, furniture and captions, so an exact hash is not enough:
texts are folded to one script and width, cut into character shingles, and
compared by Jaccard similarity. Installment numbers, when both sides have one,
must agree: two installments that share an editor's note stay two articles.

What is kept in memory per archived article is its series, installment and,
once another article could match it, a sketch of its shingles (``Sketch``:
their count and the ``SKETCH`` smallest of their hashes, ~0.6 KB), never its
text: an import of a million pages keeps flat. The sketch only rules out an
article that cannot reach the threshold (by the count, exactly; by the
MinHash estimate, with a margin a true match misses with odds below 1e-12).
Every article it does not rule out is compared exactly, its text read again
(``texts``: the archive's current version, which folds to what was read:
``align.keep_rendering``), so the decision is the one an exact comparison
with every candidate makes.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from series_archiver.settings import DedupeSettings
from series_archiver.textfold import shingles, similarity

__all__ = ["SKETCH", "Fingerprint", "KnownArticles", "Sketch", "find_duplicate", "fingerprint", "sketch"]

# Hashes a sketch keeps: 128 gives a MinHash estimate within ±0.33 of the true
# similarity but for odds of 1e-12 (Hoeffding: exp(-2 * 128 * 0.33²)).
SKETCH = 128
_MISS_ODDS = 1e-12
_MARGIN = math.sqrt(math.log(1 / _MISS_ODDS) / (2 * SKETCH))
# Shingles are CRC-32s: four bytes each, packed.
_TYPECODE = next(code for code in ("I", "L") if array(code).itemsize == 4)
# CRC-32 is linear: its values are mixed (Fibonacci hashing: an odd multiplier
# modulo 2**32, a bijection, so the sketch is of exactly the set compared)
# before the smallest are taken, so which shingles a sketch samples does not
# follow the text's bytes.
_MIX = 0x9E3779B1
_MASK = 0xFFFFFFFF

TextOf = Callable[[int], str]  # an archived article's current text, folded (``Archive.current_folded_text``)


@dataclass(frozen=True, slots=True)
class Sketch:
    """A shingle set in little: how many shingles, and the ``SKETCH`` smallest of their mixed hashes, packed."""

    size: int
    mins: bytes

    def hashes(self) -> array[int]:
        return array(_TYPECODE, self.mins)


def sketch(shingle_set: Iterable[int]) -> Sketch:
    """The sketch of a set of shingles (``textfold.shingles``)."""
    mixed = {(s * _MIX) & _MASK for s in shingle_set}
    return Sketch(len(mixed), array(_TYPECODE, heapq.nsmallest(SKETCH, mixed)).tobytes())


def _could_match(a: Sketch, b: Sketch, threshold: float) -> bool:
    """Whether two sets with these sketches could have a Jaccard similarity of ``threshold`` or more.

    False is sure by the sizes (the similarity is at most the smaller over the
    larger), and all but sure (odds below ``_MISS_ODDS``) by the estimate from the
    smallest hashes of the union (bottom-k MinHash), which is exact for small sets.
    """
    small, large = sorted((a.size, b.size))
    if large and small / large < threshold:
        return False
    ha, hb = set(a.hashes()), set(b.hashes())
    union = heapq.nsmallest(SKETCH, ha | hb)
    if not union:
        return True  # two empty texts are identical
    shared = sum(1 for h in union if h in ha and h in hb)
    if len(union) < SKETCH:
        return shared / len(union) >= threshold - 1e-9  # both sets whole: the similarity itself
    return shared / len(union) >= threshold - _MARGIN


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What dedupe keeps of an archived article: which article, and which series and installment it is of."""

    article_id: int
    series: str
    installment: int | None


def fingerprint(article_id: int, series: str, installment: int | None) -> Fingerprint:
    return Fingerprint(article_id, series, installment)


class KnownArticles:
    """The archived articles' fingerprints in archive order, found by series and installment, with their sketches.

    ``find_duplicate`` passes over every article of another series or
    installment; on an archive of thousands of articles that loop was the
    cost, per new article. ``candidates`` hands it only those it would not pass
    over, in the same order, so it finds the same article. ``text_of`` reads an
    article's current text again (folded) when it must be shingled.
    """

    def __init__(self, fingerprints: Iterable[Fingerprint] = (), *, text_of: TextOf, settings: DedupeSettings) -> None:
        self.text_of = text_of
        self.settings = settings
        self._all: list[Fingerprint] = []
        self._by_series: dict[str, list[int]] = {}  # positions in _all
        self._by_installment: dict[tuple[str, int | None], list[int]] = {}
        self._sketches: dict[int, Sketch] = {}  # by article id, made the first time the article is a candidate
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

    def changed(self, article_id: int) -> None:
        """The article's current text changed (a new version): its sketch is made again when next needed."""
        self._sketches.pop(article_id, None)

    def candidates(self, series: str, installment: int | None) -> Iterator[Fingerprint]:
        """The fingerprints ``find_duplicate`` compares an article of ``series`` and ``installment`` with, in order."""
        if installment is None:
            positions: Iterable[int] = self._by_series.get(series, ())
        else:
            positions = heapq.merge(self._by_installment.get((series, installment), ()), self._by_installment.get((series, None), ()))
        return (self._all[i] for i in positions)

    def shingles_of(self, article_id: int) -> frozenset[int]:
        return frozenset(shingles(self.text_of(article_id), self.settings.shingle_size, folded=True))

    def sketch_of(self, article_id: int, made: dict[int, frozenset[int]]) -> Sketch:
        """The article's sketch; when it is made now, its shingles are left in ``made`` for an exact comparison."""
        found = self._sketches.get(article_id)
        if found is None:
            made[article_id] = self.shingles_of(article_id)
            found = self._sketches[article_id] = sketch(made[article_id])
        return found


def find_duplicate(folded_text: str, series: str, installment: int | None, known: KnownArticles) -> tuple[int, float] | None:
    """The archived article this one is another rendering of, with its similarity: the most similar
    candidate at ``dedupe.similarity`` or above, the earliest of equals.

    ``folded_text``: the new article's text, already folded (``versions.Reading``).
    """
    threshold = known.settings.similarity
    mine: frozenset[int] | None = None  # only shingled when some article could match
    my_sketch: Sketch | None = None
    best: tuple[int, float] | None = None
    for fp in known.candidates(series, installment):
        if mine is None or my_sketch is None:
            mine = frozenset(shingles(folded_text, known.settings.shingle_size, folded=True))
            my_sketch = sketch(mine)
        made: dict[int, frozenset[int]] = {}
        if not _could_match(my_sketch, known.sketch_of(fp.article_id, made), threshold):
            continue
        theirs = made.get(fp.article_id)
        score = similarity(mine, theirs if theirs is not None else known.shingles_of(fp.article_id))
        if score >= threshold and (best is None or score > best[1]):
            best = (fp.article_id, score)
    return best
