"""Dedupe: one article behind several URLs; fingerprints that keep no text, with the decisions of an exact comparison."""

from __future__ import annotations

import random
import sys
import tracemalloc

import pytest

from series_archiver.decide import dedupe
from series_archiver.decide.dedupe import SKETCH, Fingerprint, KnownArticles, find_duplicate, fingerprint, sketch
from series_archiver.settings import DedupeSettings, load_settings
from series_archiver.textfold import fold, shingles, similarity, to_simplified

SETTINGS = load_settings().dedupe
TEXT = "示例市的工廠今年擴建了第三條生產線，訂單已經排到明年。" * 8
OTHER = "另一篇報道講的是港口的故事，貨櫃吞吐量再創新高。" * 8


def known_of(texts: dict[int, str], fps: list[Fingerprint], settings: DedupeSettings = SETTINGS) -> KnownArticles:
    """Fingerprints whose texts are read, as from the archive, only when dedupe asks; ``texts`` by article id."""
    return KnownArticles(fps, text_of=lambda article_id: fold(texts[article_id]), settings=settings)


def exact(folded: str, series: str, installment: int | None, corpus: list[tuple[Fingerprint, str]], settings: DedupeSettings) -> tuple[int, float] | None:
    """The decision as release 0.2 made it: every candidate's shingles compared exactly, the best (earliest of equals) at the threshold."""
    mine = frozenset(shingles(folded, settings.shingle_size, folded=True))
    best: tuple[int, float] | None = None
    for fp, text in corpus:
        if fp.series != series or (installment is not None and fp.installment is not None and installment != fp.installment):
            continue
        score = similarity(mine, frozenset(shingles(text, settings.shingle_size)))
        if score >= settings.similarity and (best is None or score > best[1]):
            best = (fp.article_id, score)
    return best


def test_another_rendering_is_found_and_the_best_match_wins() -> None:
    texts = {1: OTHER, 2: TEXT + "多一句。", 3: TEXT}
    known = known_of(texts, [fingerprint(1, "系列", 1), fingerprint(2, "系列", 2), fingerprint(3, "系列", 2)])
    found = find_duplicate(fold(to_simplified(TEXT)), "系列", 2, known)
    assert found is not None and found[0] == 3 and found[1] == pytest.approx(1.0)
    assert find_duplicate(fold(TEXT), "系列", 1, known) is None  # numbers must agree
    assert find_duplicate(fold(TEXT), "別的系列", None, known) is None
    unnumbered = find_duplicate(fold(TEXT), "系列", None, known)
    assert unnumbered is not None and unnumbered[0] == 3
    assert unnumbered[1] == similarity(frozenset(shingles(TEXT)), frozenset(shingles(texts[3])))


def test_nothing_is_read_or_shingled_when_no_article_could_match(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = dedupe.shingles
    monkeypatch.setattr(dedupe, "shingles", lambda text, size=5, **kw: calls.append(text) or real(text, size, **kw))
    texts = {n: f"{OTHER}{n}" for n in range(1, 50)}
    read: list[int] = []
    known = KnownArticles([fingerprint(n, "系列", n) for n in range(1, 50)], text_of=lambda a: read.append(a) or fold(texts[a]), settings=SETTINGS)
    assert find_duplicate(fold(TEXT), "系列", 99, known) is None
    assert calls == [] and read == []  # neither the new article nor any of the 49 known ones
    assert find_duplicate(fold(TEXT), "系列", 5, known) is None
    assert len(calls) == 2 and read == [5]  # the new article and installment 5
    assert find_duplicate(fold(TEXT), "系列", 5, known) is None
    assert read == [5]  # its sketch is kept; the text ruled out by it is not read again


def test_known_articles_hand_find_duplicate_the_same_candidates_in_the_same_order() -> None:
    # Ties between equal texts go to the earlier article: the order must be the archive's.
    corpus = [
        (fingerprint(1, "系列", 2), OTHER),
        (fingerprint(2, "系列", None), TEXT),
        (fingerprint(3, "其他", 1), TEXT),
        (fingerprint(4, "系列", 1), TEXT),
        (fingerprint(5, "系列", 1), TEXT),
        (fingerprint(6, "系列", None), OTHER),
    ]
    texts = {fp.article_id: text for fp, text in corpus}
    fps = [fp for fp, _ in corpus]
    known = known_of(texts, fps)
    folded = fold(TEXT)
    for series, installment in (("系列", 1), ("系列", 2), ("系列", None), ("其他", 1), ("其他", None), ("無", 1)):
        expected = [fp for fp in fps if fp.series == series and (installment is None or fp.installment in (None, installment))]
        assert list(known.candidates(series, installment)) == expected
        assert find_duplicate(folded, series, installment, known) == exact(folded, series, installment, corpus, SETTINGS)
    assert find_duplicate(folded, "系列", 1, known) == (2, 1.0)
    texts[2] = OTHER  # a new version of #2: the sketch made of its old text goes
    known.changed(2)
    assert find_duplicate(folded, "系列", 1, known) == (4, 1.0)


def _variant(rng: random.Random, base: list[str], changed: float) -> str:
    """``base``'s sentences with about ``changed`` of them rewritten, some in simplified script."""
    out = []
    for sentence in base:
        if rng.random() < changed:
            sentence = "".join(rng.choice("港口工廠訂單市場研發企業投資增長科技產業政策") for _ in range(len(sentence)))
        out.append(to_simplified(sentence) if rng.random() < 0.3 else sentence)
    return "\n".join(out)


@pytest.mark.parametrize("similarity_setting", [0.7, 0.5, 0.9, 0.3])
def test_the_decisions_are_those_of_an_exact_comparison_with_every_candidate(similarity_setting: float) -> None:
    """Renderings at every distance from the threshold, short and long texts, numbered and not: the sketch never changes a decision."""
    settings = DedupeSettings(similarity=similarity_setting, shingle_size=SETTINGS.shingle_size)
    rng = random.Random(25)
    pool = "的一是在不了有和人這中大為上個國我以要他時來用們生到作地於出就分對成會可主發年動同工也能下過子說產種面而方後多定行學法所民得經十三之進著等部度家電力裡如水化高自二理起小物現實加量都兩體制機當使點從業本去把性好應開它合還因由其些然前外天政四日那社義事平形相全表間樣與關各重新線內數正心反你明看原又麼利比或但質氣第向道命此變條只沒結解問意建月公無系軍很情者最立代想已通並提直題黨程展五果料象員革位入常文總次品式活設及管特件長求老頭基資邊流路級少圖山統接知較將組見計別她手角期根論運農指幾九區強放決西被幹做必戰先回則任取據處隊南給色光門即保治北造百規熱領七海口東導器壓志世金增爭濟階油思術極交受聯什認六共權收證改清美再採轉更單風切打白教速花帶安場身車例真務具萬每目至達走積示議聲報鬥完類八離華名確才科張信馬節話米整空元況今集溫傳土許步群廣石記需段研界拉林律叫且究觀越織裝影算低持音眾書布复容兒須際商非驗連斷深難近礦千週委素技備半辦青省列習響約支般史感勞便團往酸歷市克何除消構府稱太準精值號率族維劃選標寫存候毛親快效斯院查江型眼王按格養易置派層片始卻專狀育廠京識適屬圓包火住調滿縣局照參紅細引聽該鐵價嚴"
    corpus: list[tuple[Fingerprint, str]] = []
    for article_id in range(1, 61):
        length = rng.choice((3, 8, 30, 120))  # sentences: from under a sketch's worth of shingles to far over
        base = ["".join(rng.choice(pool) for _ in range(rng.randint(8, 30))) + "。" for _ in range(length)]
        installment = rng.choice((None, 1, 2, 3))
        corpus.append((fingerprint(article_id, rng.choice(("系列", "系列", "其他")), installment), "\n".join(base)))
    texts = {fp.article_id: text for fp, text in corpus}
    known = known_of(texts, [fp for fp, _ in corpus], settings)
    decided = []
    for _ in range(150):
        fp, text = rng.choice(corpus)
        query = _variant(rng, text.split("\n"), rng.choice((0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.6)))
        installment = rng.choice((None, fp.installment, 4))
        folded = fold(query)
        expected = exact(folded, fp.series, installment, corpus, settings)
        assert find_duplicate(folded, fp.series, installment, known) == expected
        decided.append(expected is not None)
    assert any(decided) and not all(decided)  # both decisions were made


def test_a_sketch_is_small_and_a_fingerprint_keeps_no_text() -> None:
    rng = random.Random(7)
    long_text = "".join(rng.choice("港口工廠訂單市場研發企業投資增長科技產業政策的一是在不了有和人這中大為上個國") for _ in range(3000))
    s = sketch(shingles(long_text))
    assert len(s.mins) == 4 * SKETCH and s.size == len(shingles(long_text))
    texts = {n: f"{n}{long_text}" for n in range(1, 501)}
    folded = {n: fold(texts[n]) for n in range(1, 501, 10)}
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        known = known_of(texts, [fingerprint(n, "系列", n) for n in range(1, 501)])
        for n in range(1, 501, 10):
            find_duplicate(folded[n], "系列", n, known)  # 50 sketches made and kept
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(known) == 500
    # A fingerprint and its places by series and installment take a few hundred bytes, a sketch ~0.7 KB; a text alone is 6 KB.
    assert grown < 500 * 400 + 50 * 800, grown
    assert sys.getsizeof(texts[1]) > 6000
