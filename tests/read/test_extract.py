"""Extraction: a profile chosen by markup, both author variants, tkww JSON-LD, trafilatura fallback."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from series_archiver.errors import ExtractError
from series_archiver.read.extract import extract
from series_archiver.sites import HONG_KONG, first_page_url, is_article_url, parse_site_time

URL = "http://127.0.0.1:1/news/232108/2025/1215/1234567.html"

TKP_NEW = """<html><head><title>\ufeff貿戰下中國力量⑦ 示例篇_大公网</title></head><body>
<div class="path"><a href="/">首頁</a> &gt; <a href="/news/">新聞</a></div>
<h1 class="tkp_con_title">\ufeff貿戰下中國力量⑦ 示例篇</h1>
<div class="tkp_con_author clearfix"><span>2025-12-21 04:24:25</span><span>大公报</span> 作者：示例者</div>
<div class="tkp_con_fontsize">字號 大 中 小</div>
<div class="tkp_content"><p>第一段文字，說明示例事項。</p><p><strong>小標題 第二句</strong></p>
<p><img src="/imgs/1.jpg"></p><p>第二段文字。</p><script>var x = "不是正文";</script></div>
<div class="tkp_page"><a href="1234567_2.html">2</a><a href="1234567_3.html">3</a><a href="1234567_2.html">下一頁</a></div>
<div id="tkpcomment">評論區</div></body></html>"""

TKP_OLD = """<html><body><h2 class="tkp_con_title">舊式標題</h2>
<h2 class="tkp_con_author">時間：<span>2025-12-15 04:24</span>來源：<span><a href="/">大公网</a></span></h2>
<div class="tkp_content"><p>舊式頁面的正文。</p></div></body></html>"""

TKWW = """<html><head><title>貿戰下中國力量｜示例 - 大公報 | 大公文匯 www.tkww.hk</title>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Article","datePublished":"Tue Dec 16 04:24:11 HKT 2025"}</script></head>
<body><h1 class="content-title-text">貿戰下中國力量②｜示例</h1>
<div class="content-main-left"><div class="content-body-inner"><p>電子版的正文，第一段。</p><p>第二段。</p></div></div></body></html>"""


def test_new_takungpao_page() -> None:
    page = extract(TKP_NEW, URL)
    assert page.profile == "takungpao"
    assert page.title == "貿戰下中國力量⑦ 示例篇"
    assert page.published == datetime(2025, 12, 21, 4, 24, 25, tzinfo=HONG_KONG)
    assert page.published.utcoffset() == timedelta(hours=8)
    assert page.byline == "示例者"
    assert [(b.kind, b.text) for b in page.blocks] == [
        ("paragraph", "第一段文字，說明示例事項。"),
        ("heading", "小標題 第二句"),
        ("paragraph", "第二段文字。"),
    ]
    assert page.next_pages == (URL.replace(".html", "_2.html"), URL.replace(".html", "_3.html"))


def test_old_takungpao_page_with_h2_and_the_other_author_variant() -> None:
    page = extract(TKP_OLD, URL)
    assert page.title == "舊式標題"
    assert page.published == datetime(2025, 12, 15, 4, 24, tzinfo=HONG_KONG)
    assert page.next_pages == ()


def test_a_later_page_does_not_list_further_pages() -> None:
    assert extract(TKP_NEW, URL.replace(".html", "_2.html")).next_pages == ()


def test_tkww_epaper_page() -> None:
    page = extract(TKWW, "https://epaper.tkww.hk/a/202512/16/AP69406e6ba3c5e1f20b7d4c9e.html")
    assert page.profile == "tkww"
    assert page.title == "貿戰下中國力量②｜示例"
    assert page.published == datetime(2025, 12, 16, 4, 24, 11, tzinfo=HONG_KONG)
    assert [b.text for b in page.blocks] == ["電子版的正文，第一段。", "第二段。"]


def test_unknown_markup_takes_the_generic_path() -> None:
    body = "".join(f"<p>這是一段用來測試的示例文字，第{i}段，內容足夠長，讓抽取器認得它是正文。</p>" for i in range(12))
    html = f"<html><head><title>別處的文章</title></head><body><article><h1>別處的文章</h1>{body}</article></body></html>"
    page = extract(html, "http://127.0.0.1:1/other.html")
    assert page.profile == "generic"
    texts = [b.text for b in page.blocks]
    numbered = [t for t in texts if "第" in t and "段" in t]
    assert len(numbered) == 12
    assert [t.split("第")[1].split("段")[0] for t in numbered] == [str(i) for i in range(12)]


def test_a_page_with_no_article_is_an_extract_error() -> None:
    with pytest.raises(ExtractError, match=r"127\.0\.0\.1"):
        extract("<html><head><title></title></head><body></body></html>", "http://127.0.0.1:1/empty.html")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-12-15 04:24:25", datetime(2025, 12, 15, 4, 24, 25, tzinfo=HONG_KONG)),
        ("時間：2025-12-15 04:24", datetime(2025, 12, 15, 4, 24, tzinfo=HONG_KONG)),
        ("Mon Dec 15 04:24:11 HKT 2025", datetime(2025, 12, 15, 4, 24, 11, tzinfo=HONG_KONG)),
        ("2026.02.28 22:16", datetime(2026, 2, 28, 22, 16, tzinfo=HONG_KONG)),
        ("no date here", None),
    ],
)
def test_site_times(text: str, expected: datetime | None) -> None:
    assert parse_site_time(text) == expected


def test_url_shapes() -> None:
    assert is_article_url("https://www.takungpao.com/news/232108/2025/1215/1050001.html")
    assert is_article_url("https://www.takungpao.com/news/232108/2025/1215/1050001_2.html")
    assert is_article_url("https://epaper.tkww.hk/a/202512/16/AP69406e6ba3c5e1f20b7d4c9e.html")
    assert not is_article_url("https://www.takungpao.com/news/232108/index.html")
    assert not is_article_url("https://www.takungpao.com/paper/20251215.html")
    assert first_page_url("https://www.takungpao.com/news/232108/2025/1215/1050001_3.html").endswith("/1050001.html")
