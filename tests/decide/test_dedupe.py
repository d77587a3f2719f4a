"""Dedupe: one article behind several URLs; fingerprints that stay small as the archive grows."""

from __future__ import annotations

import sys

import pytest

from series_archiver.decide import dedupe
from series_archiver.decide.dedupe import find_duplicate, fingerprint
from series_archiver.models import Article, Block
from series_archiver.settings import load_settings
from series_archiver.textfold import fold, shingles, similarity, to_simplified

SETTINGS = load_settings().dedupe
TEXT = "示例市的工廠今年擴建了第三條生產線，訂單已經排到明年。" * 8
OTHER = "另一篇報道講的是港口的故事，貨櫃吞吐量再創新高。" * 8


def article(text: str, title: str = "標題") -> Article:
    return Article(url="https://www.takungpao.com/news/1/2025/1201/1.html", profile="takungpao", title=title, blocks=(Block("paragraph", text),))


def test_a_fingerprint_holds_the_shingles_of_its_text() -> None:
    fp = fingerprint(7, "系列", 3, "貿戰下中國力量③", TEXT, SETTINGS)
    assert fp.shingles == frozenset(shingles(TEXT, SETTINGS.shingle_size))
    assert fp.title_key == "贸战下中国力量3"


def test_packed_shingles_are_a_fraction_of_a_set_of_ints() -> None:
    fp = fingerprint(1, "系列", 1, "", TEXT * 20, SETTINGS)
    as_set = frozenset(shingles(TEXT * 20, SETTINGS.shingle_size))
    set_bytes = sys.getsizeof(as_set) + sum(sys.getsizeof(x) for x in as_set)
    assert len(fp._packed) == 4 * len(as_set)
    assert len(fp._packed) * 5 < set_bytes


def test_another_rendering_is_found_and_the_best_match_wins() -> None:
    known = [
        fingerprint(1, "系列", 1, "", OTHER, SETTINGS),
        fingerprint(2, "系列", 2, "", TEXT + "多一句。", SETTINGS),
        fingerprint(3, "系列", 2, "", TEXT, SETTINGS),
    ]
    found = find_duplicate(fold(to_simplified(TEXT)), "系列", 2, known, SETTINGS)
    assert found is not None and found[0] == 3 and found[1] == pytest.approx(1.0)
    assert find_duplicate(fold(TEXT), "系列", 1, known, SETTINGS) is None  # numbers must agree
    assert find_duplicate(fold(TEXT), "別的系列", None, known, SETTINGS) is None
    unnumbered = find_duplicate(fold(TEXT), "系列", None, known, SETTINGS)
    assert unnumbered is not None and unnumbered[0] == 3
    assert unnumbered[1] == similarity(frozenset(shingles(TEXT)), known[2].shingles)


def test_nothing_is_shingled_when_no_article_could_match(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = dedupe.shingles
    monkeypatch.setattr(dedupe, "shingles", lambda text, size=5, **kw: calls.append(text) or real(text, size, **kw))
    known = [fingerprint(n, "系列", n, "", f"{OTHER}{n}", SETTINGS) for n in range(1, 50)]
    assert find_duplicate(fold(TEXT), "系列", 99, known, SETTINGS) is None
    assert calls == []  # neither the new article nor any of the 49 known ones
    assert find_duplicate(fold(TEXT), "系列", 5, known, SETTINGS) is None
    assert len(calls) == 2  # the new article and installment 5


def test_known_articles_hand_find_duplicate_the_same_candidates_in_the_same_order() -> None:
    from series_archiver.decide.dedupe import KnownArticles

    # Ties between equal texts go to the earlier article: the order must be the archive's.
    fps = [
        fingerprint(1, "系列", 2, "", OTHER, SETTINGS),
        fingerprint(2, "系列", None, "", TEXT, SETTINGS),
        fingerprint(3, "其他", 1, "", TEXT, SETTINGS),
        fingerprint(4, "系列", 1, "", TEXT, SETTINGS),
        fingerprint(5, "系列", 1, "", TEXT, SETTINGS),
        fingerprint(6, "系列", None, "", OTHER, SETTINGS),
    ]
    known = KnownArticles(fps)
    folded = fold(TEXT)
    for series, installment in (("系列", 1), ("系列", 2), ("系列", None), ("其他", 1), ("其他", None), ("無", 1)):
        expected = [fp for fp in fps if fp.series == series and (installment is None or fp.installment in (None, installment))]
        assert list(known.candidates(series, installment)) == expected
        assert find_duplicate(folded, series, installment, known.candidates(series, installment), SETTINGS) == find_duplicate(
            folded, series, installment, fps, SETTINGS
        )
    known.replace(4, lambda fp: fingerprint(4, fp.series, fp.installment, "", OTHER, SETTINGS))
    assert [fp.article_id for fp in known.candidates("系列", 1)] == [2, 4, 5, 6] and len(known) == 6
    assert find_duplicate(folded, "系列", 1, known.candidates("系列", 1), SETTINGS) == (2, 1.0)
