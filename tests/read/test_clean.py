"""Cleaning: the printed installment (the seed, read at run time) and our own print-style fixtures.

The seed's sentences are never written into this file: every expectation about
the seed is computed from the seed itself.
"""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from series_archiver.models import Article, Block, Extracted
from series_archiver.read.clean import clean, clean_title, split_byline
from series_archiver.textfold import fold

STOPS = tuple("。！？!?」』”）)")


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def as_page(lines: list[str], title: str = "題") -> Extracted:
    return Extracted(url="https://www.takungpao.com/news/232108/2025/1215/1.html", profile="takungpao", title=title,
                     blocks=tuple(Block("paragraph", line) for line in lines))


@pytest.fixture(scope="module")
def seed_article(seed_text: str) -> Article:
    return clean([as_page(lines_of(seed_text))])


@pytest.mark.seed
def test_seed_byline_leaves_the_body(seed_text: str, seed_article: Article) -> None:
    byline_lines = [line for line in lines_of(seed_text) if split_byline(line)]
    assert len(byline_lines) == 1
    name = byline_lines[0].split()[-1]
    assert seed_article.byline == name
    assert all(byline_lines[0] not in block.text for block in seed_article.blocks)


@pytest.mark.seed
def test_seed_captions_and_fragments_leave_the_body(seed_text: str, seed_article: Article) -> None:
    marked = [line.lstrip("▲").strip() for line in lines_of(seed_text) if line.startswith("▲")]
    fragments = [line for line in lines_of(seed_text) if "圖為" in line and not line.startswith("▲") and not line.endswith(STOPS)]
    assert len(marked) == 3 and len(fragments) == 1
    assert list(seed_article.captions) == [*marked[:2], *fragments, *marked[2:]] or set(seed_article.captions) == {*marked, *fragments}
    body = seed_article.text
    for caption in [*marked, *fragments]:
        assert caption not in body
    # Each ▲ caption ends with its credit, kept.
    assert all(re.search(r"(新華社|攝)$", c) for c in marked)


@pytest.mark.seed
def test_seed_cut_paragraphs_are_rejoined(seed_text: str, seed_article: Article) -> None:
    """Wherever print layout cut a paragraph, the two halves are one paragraph again."""
    body_lines = [
        line for line in lines_of(seed_text)
        if not line.startswith("▲") and not split_byline(line) and not ("圖為" in line and not line.endswith(STOPS))
    ]
    paragraphs = seed_article.paragraphs
    cuts = 0
    for left, right in pairwise(body_lines):
        if len(left) > 30 and not left.endswith(STOPS):  # a long line that stops mid-sentence
            cuts += 1
            assert any(left + right in p for p in paragraphs), f"cut after …{left[-6:]} not rejoined"
    assert cuts >= 3


@pytest.mark.seed
def test_seed_keeps_every_content_line(seed_text: str, seed_article: Article) -> None:
    """Nothing that is content is lost: every body line is inside some block."""
    folded_blocks = fold(seed_article.text)
    for line in lines_of(seed_text):
        if line.startswith("▲") or split_byline(line) or ("圖為" in line and not line.endswith(STOPS)):
            continue
        assert fold(line) in folded_blocks
    kinds = {b.text: b.kind for b in seed_article.blocks}
    assert kinds.get("編者按") == "heading" and kinds.get("專家解讀") == "heading"
    # The pull quote (the first line) stays as content.
    assert seed_article.blocks[0].text == lines_of(seed_text)[0]
    # Headings: the short two-phrase lines, and nothing long.
    assert all(len(h) <= 30 for h in seed_article.headings)
    assert len(seed_article.headings) >= 10


@pytest.mark.seed
def test_seed_paragraphs_are_unique(seed_article: Article) -> None:
    keys = [fold(p) for p in seed_article.paragraphs]
    assert len(keys) == len(set(keys))


# --- our own print-style fixtures (synthetic text) -------------------------------------

PRINTED = [
    "敢闖敢試，方能行穩致遠。",
    "編者按",
    "示例市的晶片企業過去一年交出了亮眼成績單。",
    "貿戰下中國力量⑨ 銳氣篇",
    "大公報記者 甲乙丙 丁戊",
    "星河微電子今年的研發投入達到了全年收入的兩成，新一代產品",
    "▲星河微電子的工程師在檢查晶圓。 新華社",
    "已經進入量產階段。",
    "樣板廠房 十年磨一劍",
    "示例大學團隊歷時三年攻克了封裝材料難題，當",
    "前，該材料已供應給多家企業。",
    "號廠房的自動化倉庫裏，圖為技術人員正在",
    "對標國際 過去五年，行業的國產化率從一成提升至四成；",
    "未來三年有望再翻一番。",
    "責任編輯：某某",
    "分享到：",
    "示例大學團隊歷時三年攻克了封裝材料難題，當前，該材料已供應給多家企業。",
]


def test_print_fixture_is_cleaned_as_printed() -> None:
    article = clean([as_page(PRINTED, title="\ufeff貿戰下中國力量⑨ 銳氣篇 _大公网")])
    assert article.title == "貿戰下中國力量⑨ 銳氣篇"
    assert article.byline == "甲乙丙 丁戊"
    assert article.captions == ("星河微電子的工程師在檢查晶圓。 新華社", "號廠房的自動化倉庫裏，圖為技術人員正在")
    assert [(b.kind, b.text) for b in article.blocks] == [
        ("paragraph", "敢闖敢試，方能行穩致遠。"),
        ("heading", "編者按"),
        ("paragraph", "示例市的晶片企業過去一年交出了亮眼成績單。"),
        ("heading", "貿戰下中國力量⑨ 銳氣篇"),
        ("paragraph", "星河微電子今年的研發投入達到了全年收入的兩成，新一代產品已經進入量產階段。"),
        ("heading", "樣板廠房 十年磨一劍"),
        # Cut mid-word, rejoined with no space; the repeated copy below is dropped.
        ("paragraph", "示例大學團隊歷時三年攻克了封裝材料難題，當前，該材料已供應給多家企業。"),
        # A semicolon ends a clause, not a paragraph.
        ("paragraph", "對標國際 過去五年，行業的國產化率從一成提升至四成；未來三年有望再翻一番。"),
    ]


def test_normalisation_removes_invisible_characters() -> None:
    article = clean([as_page(["示例\u200b文字\xa0有空格，\ufeff也有零寬字元。" * 3])])
    assert article.paragraphs == ("示例文字 有空格，也有零寬字元。" * 3,)


def test_clean_title_and_byline_forms() -> None:
    assert clean_title("  貿戰下中國力量② 底氣篇_大公網 ") == "貿戰下中國力量② 底氣篇"
    assert split_byline("大公報記者 郭某") == ("郭某",)
    assert split_byline("記者 甲乙 北京報道") == ("甲乙",)
    assert split_byline("大公報記者今日走訪了示例市的工廠，看到生產線忙碌。") is None
