"""Discovery: series matching, numbering, list pages and their pagination."""

from __future__ import annotations

import pytest

from series_archiver.read.discovery import chinese_number, match_series, parse_installment
from series_archiver.settings import load_settings

SERIES = load_settings().series[0]


@pytest.mark.parametrize(
    ("title", "number", "label"),
    [
        ("貿戰下中國力量① 志氣篇", 1, "志氣篇"),
        ("\ufeff貿戰下中國力量②｜底氣篇", 2, "底氣篇"),
        ("要聞\\貿戰下中國力量③︱骨氣篇", 3, "骨氣篇"),
        ("贸战下中国力量④ 硬气篇", 4, "硬气篇"),
        ("貿戰下中國力量 / ⑫", 12, None),
        ("貿戰下 中國力量（三）", 3, None),
        ("貿戰下中國力量之十一：某某篇", 11, "某某篇"),
        ("貿戰下中國力量⑳", 20, None),
        ("貿戰下中國力量", None, None),
    ],
)
def test_series_titles_give_number_and_label(title: str, number: int | None, label: str | None) -> None:
    match = match_series(title, SERIES)
    assert match is not None
    assert (match.installment, match.label) == (number, label)


@pytest.mark.parametrize(
    "title",
    ["中國力量閃耀冬季運動會", "貿戰陰霾下港股反彈", "中美貿戰下的香港力量", "力量下中國戰貿"],
)
def test_titles_sharing_words_are_not_the_series(title: str) -> None:
    assert match_series(title, SERIES) is None


def test_numbers() -> None:
    assert [chinese_number(t) for t in ("一", "十", "十二", "二十", "二十三", "x")] == [1, 10, 12, 20, 23, None]
    assert parse_installment("⑤ 銳氣篇") == 5
    assert parse_installment("(七)") == 7
    assert parse_installment("第八篇") == 8
    assert parse_installment("：談某事") is None
