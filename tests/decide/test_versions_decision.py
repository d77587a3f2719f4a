"""The version decision on its own: values in, an outcome out; no HTTP, no SQLite, no threads."""

from __future__ import annotations

from series_archiver.decide.versions import (
    Current,
    NewVersion,
    Reading,
    Rederive,
    SecondaryChanged,
    Unchanged,
    check_quality,
    decide,
    restored_version,
)
from series_archiver.models import Article, Block
from series_archiver.settings import QualitySettings

TITLE = "貿戰下中國力量① 志氣篇"
TEXT = "一座灰白色廠房裏，工程師說：「１萬億元不是夢。」\n第二段。"


def current(title: str = TITLE, text: str = TEXT, rederived: Reading | None = None) -> Current:
    return Current(1, Reading.of(title, text), rederived)


def test_the_same_key_as_the_urls_last_reading_is_unchanged_at_once() -> None:
    new = Reading.of(TITLE, TEXT + "x")
    assert decide(new, current(), url_key=new.key, is_primary=True) == Unchanged("same")


def test_rendering_is_folded_away_by_the_running_code() -> None:
    rendered = Reading.of("贸战下中国力量① 志气篇", "一座灰白色厂房里， 工程师说：“1万亿元不是梦。”\n第二段。")
    assert decide(rendered, current(), url_key="stale-key-of-an-old-fold", is_primary=True) == Unchanged("refolded")


def test_a_difference_is_first_checked_against_the_stored_pages_read_again() -> None:
    new = Reading.of(TITLE, TEXT.replace("灰白", "灰黑"))
    assert decide(new, current(), url_key=None, is_primary=True) == Rederive()


def test_a_difference_that_the_running_code_also_reads_from_the_old_pages_is_no_edit() -> None:
    new = Reading.of(TITLE, "一座灰白色廠房裏，工程師說：「１萬億元不是夢。」")  # the new cleaner drops a line
    reread = Reading.of(TITLE, "一座灰白色廠房裏，工程師說：「１萬億元不是夢。」")
    assert decide(new, current(rederived=reread), url_key=None, is_primary=True) == Unchanged("rederived")


def test_an_edit_is_diffed_against_the_old_pages_as_the_running_code_reads_them() -> None:
    reread = Reading.of(TITLE, "一座灰白色廠房裏，工程師說：「１萬億元不是夢。」")
    new = Reading.of(TITLE, "一座灰黑色廠房裏，工程師說：「１萬億元不是夢。」")
    outcome = decide(new, current(rederived=reread), url_key=None, is_primary=True)
    assert isinstance(outcome, NewVersion)
    assert outcome.base == reread
    assert (outcome.diff.chars_added, outcome.diff.chars_removed) == (1, 1)


def test_a_secondary_urls_change_is_no_version() -> None:
    new = Reading.of(TITLE, TEXT.replace("灰白", "灰黑"))
    reread = Reading.of(TITLE, TEXT)
    assert decide(new, current(rederived=reread), url_key=None, is_primary=False) == SecondaryChanged()


def test_a_version_whose_diff_is_empty_is_never_recorded() -> None:
    # Keys differ (another fold of the title line) but the documents are equal character for character.
    stored = Reading(TITLE, TEXT, "old-fold-of-the-title", "x")
    new = Reading.of(TITLE, TEXT)
    assert decide(new, Current(1, stored, stored), url_key=None, is_primary=True) == Unchanged("empty-diff")


def test_a_return_to_an_earlier_text_names_the_first_version_with_it() -> None:
    first, second = Reading.of(TITLE, "甲"), Reading.of(TITLE, "乙")
    assert restored_version(Reading.of(TITLE, "甲"), [(2, second), (1, first)]) == 1
    assert restored_version(Reading.of(TITLE, "丙"), [(1, first), (2, second)]) is None


def _article(text: str, title: str = TITLE) -> Article:
    return Article(url="https://www.takungpao.com/x/1.html", profile="takungpao", title=title, blocks=(Block("paragraph", text),))


def test_quality_refuses_soft_404s_near_empty_and_suddenly_shrunk_texts() -> None:
    quality = QualitySettings()
    long_text = "中國製造" * 200
    ok = _article(long_text)
    assert check_quality(ok, Reading.of(ok.title, ok.text), len(long_text), quality) is None
    empty = _article("短")
    assert "quality.min_chars" in (check_quality(empty, Reading.of(empty.title, empty.text), None, quality) or "")
    soft = _article("對不起，頁面不存在")
    reason = check_quality(soft, Reading.of(soft.title, soft.text), None, quality) or ""
    assert "soft 404" in reason or "min_chars" in reason
    shrunk = _article("中國製造" * 50)
    assert "max_shrink_ratio" in (check_quality(shrunk, Reading.of(shrunk.title, shrunk.text), len(long_text), quality) or "")
