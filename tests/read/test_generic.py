"""The generic path: the chain's readings, structure kept, furniture dropped by structure; the benchmark's score.

The real pages (../shared/real-pages/) are read at run time and never copied; figures are
the benchmark's (bench/extraction.py), here only correctness: every page yields text.
"""

from __future__ import annotations

import sys

import pytest

from tests.support.paths import REPO

# `bench` is imported as a package from the repository root.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.extraction import lcs_length, load_pages, score
from series_archiver.read import density, generic, htmltree
from series_archiver.read.clean import clean
from series_archiver.read.extract import extract

REAL_PAGES = REPO.parent / "shared" / "real-pages"

PARA = "這是一段用來測試的示例文字，內容足夠長，讓抽取器認得它是正文，而且每一段都以句號結束。"


# -- the score --------------------------------------------------------------------------------------------


def test_score_is_order_aware_character_f1() -> None:
    assert score("甲乙 丙\n丁", "甲乙丙丁") == (1.0, 1.0, 1.0)  # whitespace does not count
    assert score("ＡＢ", "AB") == (1.0, 1.0, 1.0)  # NFKC: full-width letters are the letters
    p, r, f = score("甲乙丙丁戊己", "甲乙丙")  # three extra characters
    assert (p, r) == (0.5, 1.0) and f == pytest.approx(2 / 3)
    p, r, _ = score("丙乙甲", "甲乙丙")  # the same characters in reverse share one in order
    assert p == r == pytest.approx(1 / 3)
    assert score("", "甲乙丙") == (0.0, 0.0, 0.0)  # an empty result scores 0


def test_lcs_length_without_rapidfuzz_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = [("ABCBDAB", "BDCABA"), ("今天天氣很好我們去公園", "今天我們去公園散步"), ("", "abc")]
    fast = [lcs_length(a, b) for a, b in pairs]
    monkeypatch.setitem(sys.modules, "rapidfuzz.distance", None)  # import fails: the diff-match-patch way
    slow = [lcs_length(a, b) for a, b in pairs]
    assert fast == slow == [4, 7, 0]


# -- the chain on made-up pages -------------------------------------------------------------------------


def _page(body: str, title: str = "別處的文章") -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


def test_headings_and_list_lines_stay_lines() -> None:
    body = (
        "<nav><a href='/'>首頁</a> <a href='/n'>新聞</a></nav><article><h1>別處的文章</h1>"
        + "".join(f"<p>{PARA}第{i}段。</p>" for i in range(6))
        + "<h2>小標題在這裡</h2><ul><li>第一項清單的內容，說明一件事</li><li>第二項清單的內容，說明另一件事</li></ul>"
        + "".join(f"<p>{PARA}後{i}段。</p>" for i in range(4))
        + "</article><footer>版權所有 某某網站</footer>"
    )
    article = clean([extract(_page(body), "http://127.0.0.1:1/a.html")])
    texts = list(article.paragraphs) + list(article.headings)
    assert "小標題在這裡" in article.headings
    assert "第一項清單的內容，說明一件事" in texts and "第二項清單的內容，說明另一件事" in texts
    assert not any("首頁" in t or "版權所有" in t for t in article.text.split("\n"))
    assert article.profile == generic.GENERIC


def test_latin_paragraphs_are_never_glued_and_repeats_are_kept() -> None:
    para = "The council voted on Tuesday to expand the programme, officials said in a statement"
    body = "<article>" + "".join(f"<p>{para} number {i}</p>" for i in range(8)) + f"<p>{para} number 3</p></article>"
    article = clean([extract(_page(body, "News"), "http://127.0.0.1:1/en.html")])
    lines = article.text.split("\n")
    assert lines.count(f"{para} number 3") == 2  # the page repeats it: so does the archive
    assert all(line.startswith("The council") for line in lines)  # no "…said.But" seams


def test_a_line_with_a_furniture_word_is_text_on_a_generic_page() -> None:
    line = "他在會上分享到：合作是唯一的出路"
    body = "<article>" + "".join(f"<p>{PARA}{i}</p>" for i in range(6)) + f"<p>{line}</p></article>"
    assert line in clean([extract(_page(body), "http://127.0.0.1:1/b.html")]).text.split("\n")


def test_tables_are_kept_and_calendars_dropped() -> None:
    rows = "".join(f"<tr><td>第{i}季度</td><td>營業收入增長百分之{i}</td></tr>" for i in range(1, 5))
    calendar = "<table>" + "".join("<tr>" + "".join(f"<td>{d}</td>" for d in range(w, w + 7)) + "</tr>" for w in (1, 8, 15)) + "</table>"
    body = f"<article>{''.join(f'<p>{PARA}{i}</p>' for i in range(5))}<table>{rows}</table>{calendar}</article>"
    text = clean([extract(_page(body), "http://127.0.0.1:1/t.html")]).text
    assert "第2季度 營業收入增長百分之2" in text.split("\n")
    assert "8 9 10 11 12 13 14" not in text


def test_link_lines_are_navigation() -> None:
    nav = " - ".join(f"<a href='/{i}'>欄目{i}</a>" for i in range(12))
    body = f"<div>{nav}</div><article>" + "".join(f"<p>{PARA}{i}</p>" for i in range(6)) + f"<p>{nav}</p></article>"
    text = clean([extract(_page(body), "http://127.0.0.1:1/n.html")]).text
    assert "欄目3" not in text and PARA in text


def test_table_layout_keeps_its_lines() -> None:
    """An old table layout, text in a cell split by <br>: each reading gives its lines, not one run-on row."""
    cells = "<br>".join(f"{PARA}第{i}段" for i in range(10))
    menu = "".join(f"<tr><td><a href='/{i}'>欄目{i}</a></td></tr>" for i in range(15))
    html = _page(f"<table><tr><td><table>{menu}</table></td><td class='content'>{cells}</td></tr></table>")
    page = htmltree.parse(html)
    assert page is not None
    blocks = density.density_blocks(page.root)
    assert [b.text for b in blocks] == [f"{PARA}第{i}段" for i in range(10)]
    found = generic.read_generic(html, "http://127.0.0.1:1/old.html", page.root)
    assert found is not None and [b.text for b in found.blocks if PARA in b.text] == [f"{PARA}第{i}段" for i in range(10)]


def test_comment_sections_are_furniture_for_density() -> None:
    html = _page(
        "<div id='main'>" + "".join(f"<p>{PARA}{i}</p>" for i in range(4)) + "</div>"
        "<div class='comment-list'>" + "".join(f"<p>網友留言：這篇文章寫得很好，我完全同意作者的看法{i}。</p>" for i in range(9)) + "</div>"
    )
    page = htmltree.parse(html)
    assert page is not None
    text = "\n".join(b.text for b in density.density_blocks(page.root))
    assert PARA in text and "網友留言" not in text


# -- the real pages ------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not (REAL_PAGES / "index.jsonl").exists(), reason=f"no real pages at {REAL_PAGES} (shared/real-pages)")
def test_every_real_page_gives_text() -> None:
    pages = load_pages(REAL_PAGES)
    assert len(pages) == sum(1 for line in (REAL_PAGES / "index.jsonl").read_text(encoding="utf-8").splitlines() if line.strip())
    empty = []
    for entry in pages:
        if not clean([extract(entry["html"], entry["url"])]).text.strip():
            empty.append(entry["id"])
    assert empty == []
