"""lxmlsoup: extraction and discovery on lxml give what they give on BeautifulSoup, field for field.

``extract()`` runs the profile code on ``lxmlsoup.LxmlSoup`` first, and
discovery reads list pages with it (bench/: BeautifulSoup alone made extraction
slower than trafilatura). BeautifulSoup stays the reference: every page here
goes through both and must come out the same, errors included.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

import pytest
from bs4 import BeautifulSoup

from series_archiver import discovery as D
from series_archiver import extract as X
from series_archiver import lxmlsoup
from series_archiver.errors import ExtractError
from series_archiver.models import Extracted, FetchedPage
from series_archiver.sites import is_article_url
from series_archiver.settings import load_settings

DATA = Path(__file__).resolve().parents[1] / "src" / "series_archiver" / "demo" / "replica_site"
URL = "https://www.takungpao.com/news/232108/2025/1215/1234567.html"


def outcome(html: str, url: str, *, fast: bool) -> Extracted | tuple[str, str]:
    """extract() with the lxml fast path, or with BeautifulSoup only (a soup passed in skips the fast path)."""
    try:
        if fast:
            return X.extract(html, url)
        return X.extract(html, url, soup=X.parse_html(html, url))
    except ExtractError as exc:
        return ("error", str(exc))


def assert_same(html: str, url: str = URL) -> None:
    assert outcome(html, url, fast=True) == outcome(html, url, fast=False)


@pytest.mark.parametrize("path", sorted(DATA.rglob("*.html")), ids=lambda p: str(p.relative_to(DATA)))
def test_every_replica_page(path: Path) -> None:
    html = path.read_text(encoding="utf-8")
    url = "https://" + str(path.relative_to(DATA))
    assert_same(html, url)
    if is_article_url(url):
        assert X._extract_fast(html, url) is not None  # lxml takes every article page of the replica


def test_the_fast_path_is_taken_for_profile_pages() -> None:
    html = (DATA / "www.takungpao.com/news/232108/2025/1215/1050001.html").read_text(encoding="utf-8")
    page = X._extract_fast(html, URL)
    assert page is not None and page.profile == "takungpao" and len(page.blocks) > 20


TKP = """<html><head><title>{title}</title>{head}</head><body>
<h1 class="tkp_con_title">{h1}</h1>
<div class="tkp_con_author clearfix">{author}</div>
<div class="tkp_content">{body}</div>
<div class="tkp_page"><a href="1234567_2.html">2</a><a href="1234567_3.html#top">3</a><a href="x.html">x</a></div>
</body></html>"""


def page(body: str, *, title: str = "標題_大公网", h1: str = "貿戰下中國力量⑦ 示例篇", author: str = "<span>2025-12-21 04:24:25</span>作者：示例者", head: str = "") -> str:
    return TKP.format(title=title, h1=h1, author=author, body=body, head=head)


TRICKY = {
    "comments and scripts inside blocks": page("<p>甲<!-- 註 -->乙<script>var a = 1;</script>丙</p><p><strong>小標</strong><!--x--></p>"),
    "furniture with text after it": page("<p>一<span class='share'>分享</span>二</p>前<form>表</form>後<p>三</p>"),
    "only text and br, furniture between": page("第一行<br>第二行<button>按</button>第三行<br/>  <iframe></iframe>末行"),
    "nested blocks": page("<li><p>外層<p>內層</li><blockquote><h3>引</h3>文</blockquote><figcaption>圖說</figcaption>"),
    "bold lead-in and all-bold paragraphs": page("<p><b>全粗體</b></p><p><strong>導語</strong> 正文在後。</p><p><strong> 空白 </strong></p>"),
    "ruby, template, style": page("<p>漢<ruby>字<rp>(</rp><rt>zi</rt><rp>)</rp></ruby></p><template><p>模板</p></template><style>p{}</style><p>後</p>"),
    "entities and odd spaces": page("<p>&nbsp;A&amp;B&#x3000;C&lt;&gt;</p><p>\u00a0\u3000</p><p>\u200b零寬</p>"),
    "processing instruction": page("<p>前<?php echo 1; ?>後</p>"),
    "title fallback with suffix": page("<p>正文</p>", h1="  ", title="\ufeff後備標題_大公网"),
    "title with markup": page("<p>正文</p>", h1="貿戰<em>下</em>中國<br>力量<!--c-->⑧"),
    "no time, json-ld and meta": page(
        "<p>正文</p>",
        author="來源：大公报",
        head='<script type="application/ld+json"><!--{"datePublished":"2025-12-16 04:24:11"}--></script>'
        '<meta property="article:published_time" content="2025-12-17T01:02:03+08:00">',
    ),
    "json-ld valid": page("<p>正文</p>", author="", head='<script type="application/ld+json">{"datePublished":"Tue Dec 16 04:24:11 HKT 2025"}</script>'),
    "json-ld empty and meta": page("<p>正文</p>", author="", head='<script type="application/ld+json"></script><meta name="publishdate" content="2025-12-18 08:00">'),
    "author inside furniture": page("<p>正文</p><div class='share'><span class='tkp_con_author'>作者：藏起來</span></div>", author="無"),
    "uppercase tags and unclosed": "<HTML><BODY><H2 CLASS='tkp_con_title'>大寫</H2><DIV CLASS='tkp_content'><P>一<P>二<TABLE><TR><TD>表格</DIV>",
    "body missing": "<html><body><h2 class='tkp_con_title'>只有標題</h2></body></html>",
    "leading byte order mark": "\ufeff" + page("<p>正文</p>"),
    "xml declaration": '<?xml version="1.0" encoding="utf-8"?>' + page("<p>正文</p>"),
    "doctype and conditional comments": "<!DOCTYPE html><!--[if IE]><p>x</p><![endif]-->" + page("<p>正文</p>"),
    "tkww page": """<html><head><title>標題 - 大公報 | 大公文匯 www.tkww.hk</title></head><body>
<h1 class="content-title-text"></h1><div class="content-main-left"><div class="content-body-inner">
<p>電子版</p><script>x</script><p>二</p></div></div></body></html>""",
    "class with an ideographic space (declined)": page("<p>正文</p>").replace('class="tkp_content"', 'class="x\u3000tkp_content"'),
    "nested 240 deep (lxml takes it)": page("<div>" * 240 + "<p>深處</p>" + "</div>" * 240 + "<p>後</p>"),
    "nested 300 deep (libxml2 would cut it: declined)": page("<div>" * 300 + "<p>深處</p>" + "</div>" * 300 + "<p>後</p>"),
    "empty": "",
    "not html": "just words",
}


@pytest.mark.parametrize("name", list(TRICKY))
def test_tricky_markup(name: str) -> None:
    assert_same(TRICKY[name])


def test_deep_markup_goes_to_beautifulsoup() -> None:
    assert lxmlsoup.parse(TRICKY["nested 240 deep (lxml takes it)"]) is not None
    assert lxmlsoup.parse(TRICKY["nested 300 deep (libxml2 would cut it: declined)"]) is None


def test_class_with_unicode_space_goes_to_beautifulsoup() -> None:
    assert lxmlsoup.parse(TRICKY["class with an ideographic space (declined)"]) is None
    assert X.extract(TRICKY["class with an ideographic space (declined)"], URL).profile == "takungpao"


TAGS = ["p", "div", "span", "strong", "b", "li", "h3", "figcaption", "script", "style", "br", "a", "em", "template",
        "form", "pre", "textarea", "ruby", "rt", "table", "td"]
TEXTS = ["示例", "一二三", " ", "\n", " \t\n ", "\u3000", "▲圖說 新華社", "作者：甲乙", "2025-12-01 10:00", "", "下一頁",
         "責任編輯：某", "&amp;&nbsp;", "<?pi x?>"]


def random_markup(rng: random.Random, depth: int = 0) -> str:
    out = []
    for _ in range(rng.randint(0, 4)):
        roll = rng.random()
        if roll < 0.35 or depth > 4:
            out.append(rng.choice(TEXTS))
        elif roll < 0.45:
            out.append(f"<!--{rng.choice(TEXTS)}-->")
        else:
            tag = rng.choice(TAGS)
            cls = rng.choice(["", " class='share'", " class='tkp_con_author'", " class='x'", " id='tkpcomment'"])
            if tag == "br":
                out.append("<br>")
            else:
                close = f"</{tag}>" if rng.random() < 0.9 else ""
                out.append(f"<{tag}{cls}>{random_markup(rng, depth + 1)}{close}")
    return "".join(out)


@pytest.mark.parametrize("seed", range(200))
def test_random_markup(seed: int) -> None:
    rng = random.Random(seed)
    html = page(random_markup(rng), h1=random_markup(rng), author=random_markup(rng))
    assert_same(html)


# --- discovery ------------------------------------------------------------------

SETTINGS = load_settings()
SERIES = SETTINGS.series[0]


def list_page(html: str, url: str = "https://www.takungpao.com/news/232108/index.html") -> FetchedPage:
    return FetchedPage(url=url, final_url=url, status=200, fetched_at=datetime.now(timezone.utc), content=html.encode(), text=html, encoding="utf-8")


def discovered(page: FetchedPage, soup: BeautifulSoup) -> tuple[object, object]:
    return D.find_candidates(page, SERIES, SETTINGS.fetch, soup), D.next_list_page(page, soup)


def assert_same_discovery(html: str, url: str = "https://www.takungpao.com/news/232108/index.html") -> None:
    page = list_page(html, url)
    doc = lxmlsoup.parse(html)
    assert doc is not None
    assert discovered(page, cast(BeautifulSoup, doc)) == discovered(page, BeautifulSoup(html, "lxml"))


LIST_PAGES = [p for p in sorted(DATA.rglob("*.html")) if not is_article_url("https://" + str(p.relative_to(DATA)))]


@pytest.mark.parametrize("path", LIST_PAGES, ids=lambda p: str(p.relative_to(DATA)))
def test_every_replica_list_page(path: Path) -> None:
    assert_same_discovery(path.read_text(encoding="utf-8"), "https://" + str(path.relative_to(DATA)))


LISTS = {
    "rel tokens": '<a href="/a/1.html" rel="nofollow  next">more</a><a href="/b.html" title="貿戰下中國力量⑨ 示例篇">x</a>',
    "rel=next link in head": '<html><head><link rel="Next" href="/n1"><link rel="next prefetch" href="/n2"></head><body>'
    '<a href="/news/232108/2025/1201/1.html">貿戰下中國力量（二十一） 某篇</a></body></html>',
    "javascript next, then a real one": '<a href="javascript:;">下一頁</a><a href="#">下一页</a><a href=" 2.html ">下一頁</a>',
    "anchor text across tags": '<a href="/news/232108/2025/1201/2.html"><span>貿戰下</span><b>中國力量</b>⑩ <i>篇</i></a><a href="">貿戰下中國力量⑪</a>',
    "empty rel and title": '<a href="/x.html" rel="" title="  ">貿戰下中國力量⑫ 某篇</a><a>no href 下一頁</a>',
    "cms next page": '<div class="tkp_page"><a class="cms_page" href="2.html">2</a><a class="cms_nextpage" href="2.html">下一页</a></div>',
}


@pytest.mark.parametrize("name", list(LISTS))
def test_tricky_list_pages(name: str) -> None:
    assert_same_discovery(LISTS[name])


def test_a_call_lxmlsoup_cannot_answer_goes_to_beautifulsoup() -> None:
    html = LISTS["rel tokens"]
    soup = D._list_soup(html)
    assert isinstance(soup, lxmlsoup.LxmlSoup)
    page = list_page(html)
    with pytest.raises(lxmlsoup.Unanswered):
        soup.find_all("a", limit=1)  # limit= is BeautifulSoup's alone
    assert D._read(page, soup, lambda s: s.find_all("a", limit=1)[0]["href"]) == "/a/1.html"
