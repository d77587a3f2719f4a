"""htmltree and extraction on it: text read as the archive always read it, on markup made to trip it.

Release 0.1 read pages with BeautifulSoup (and an imitation of it over lxml);
these are the cases where a plain reading of lxml's tree would differ from
that, each with what 0.1 extracted.
"""

from __future__ import annotations

import pytest

from series_archiver.errors import ExtractError
from series_archiver.read import htmltree
from series_archiver.read.extract import extract
from series_archiver.sites.base import selectors_for

URL = "https://www.takungpao.com/news/232108/2025/1215/1234567.html"
css = selectors_for("test")

TKP = """<html><head><title>{title}</title>{head}</head><body>
<h1 class="tkp_con_title">{h1}</h1>
<div class="tkp_con_author clearfix">{author}</div>
<div class="tkp_content">{body}</div>
<div class="tkp_page"><a href="1234567_2.html">2</a><a href="1234567_3.html#top">3</a><a href="x.html">x</a></div>
</body></html>"""


def page(body: str, *, title: str = "標題_大公网", h1: str = "貿戰下中國力量⑦ 示例篇", author: str = "<span>2025-12-21 04:24:25</span>作者：示例者", head: str = "") -> str:
    return TKP.format(title=title, h1=h1, author=author, body=body, head=head)


def blocks(html: str) -> list[tuple[str, str]]:
    return [(b.kind, b.text) for b in extract(html, URL).blocks]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("<p>甲<!-- 註 -->乙<script>var a = 1;</script>丙</p><p><strong>小標</strong><!--x--></p>", [("paragraph", "甲乙丙"), ("heading", "小標")]),
        ("<p>一<span class='share'>分享</span>二</p>前<form>表</form>後<p>三</p>", [("paragraph", "一二"), ("paragraph", "三")]),
        ("第一行<br>第二行<button>按</button>第三行<br/>  <iframe></iframe>末行", [("paragraph", t) for t in ("第一行", "第二行", "第三行", "末行")]),
        ("<li><p>外層<p>內層</li><blockquote><h3>引</h3>文</blockquote>", [("paragraph", "外層內層"), ("paragraph", "引文")]),
        ("<p>漢<ruby>字<rp>(</rp><rt>zi</rt><rp>)</rp></ruby></p><template><p>模板</p></template><style>p{}</style><p>後</p>", [("paragraph", "漢字"), ("paragraph", "後")]),
        ("<p>&nbsp;A&amp;B&#x3000;C&lt;&gt;</p><p>\u00a0\u3000</p><p>\u200b零寬</p>", [("paragraph", "A&B C<>"), ("paragraph", "零寬")]),
        ("<p>前<?php echo 1; ?>後</p>", [("paragraph", "前後")]),
        ("<div>" * 300 + "<p>深處</p>" + "</div>" * 300 + "<p>後</p>", [("paragraph", "深處"), ("paragraph", "後")]),
    ],
    ids=["comments-scripts", "furniture-tail", "br-text", "nested-blocks", "ruby-template-style", "entities", "pi", "300-deep"],
)
def test_text_of_blocks(body: str, expected: list[tuple[str, str]]) -> None:
    assert blocks(page(body)) == expected


def test_captions_next_pages_title_fallback() -> None:
    got = extract(page("<p>正文</p><figure><figcaption>圖說</figcaption></figure>", h1="  ", title="\ufeff後備標題_大公网"), URL)
    assert (got.title, got.captions) == ("後備標題", ("圖說",))
    assert got.next_pages == (URL.replace(".html", "_2.html"), URL.replace(".html", "_3.html"))


def test_an_author_block_inside_furniture_is_gone() -> None:
    got = extract(page("<p>正文</p><div class='share'><span class='tkp_con_author'>作者：藏起來</span></div>", author="無"), URL)
    assert (got.published, got.byline) == (None, None)


def test_the_first_meta_time_wins_though_it_has_no_children() -> None:
    head = '<meta property="article:published_time" content="2025-12-17T01:02:03+08:00"><meta name="publishdate" content="2025-12-18 08:00">'
    assert str(extract(page("<p>正文</p>", author="", head=head), URL).published) == "2025-12-17 01:02:03+08:00"


def test_json_ld_in_a_comment_and_a_java_date() -> None:
    head = '<script type="application/ld+json"><!--{"datePublished":"2025-12-16 04:24:11"}--></script>'
    assert str(extract(page("<p>正文</p>", author="", head=head), URL).published) == "2025-12-16 04:24:11+08:00"


def test_class_split_on_an_ideographic_space() -> None:
    html = page("<p>正文</p>").replace('class="tkp_content"', 'class="x\u3000tkp_content"')
    assert blocks(html) == [("paragraph", "正文")]


@pytest.mark.slow
def test_100000_nested_divs_keep_their_text() -> None:
    html = page("<div>" * 100_000 + "<p>深處</p>" + "</div>" * 100_000)
    assert blocks(html) == [("paragraph", "深處")]


def test_selectors_never_match_inside_template_or_removed_elements() -> None:
    tree = htmltree.parse("<div class='a'><p>1</p><template><p>2</p></template><span><p>3</p></span></div><p>4</p>")
    assert tree is not None
    p = css("p")
    assert [e.text for e in tree.select(p)] == ["1", "3", "4"]
    div = tree.select_one(css("div.a"))
    assert div is not None
    [span] = tree.select(css("span"), within=div)
    tree.remove(span)
    assert [e.text for e in tree.select(p, within=div)] == ["1"]
    assert tree.text(div, "|") == "1"


def test_whitespace_only_strings_and_pre() -> None:
    tree = htmltree.parse("<div id=d><b>a</b>   <b>b</b>\n\t<b>c</b><pre>  </pre></div>")
    assert tree is not None
    div = tree.select_one(css("#d"))
    assert div is not None
    assert tree.text(div, "|") == "a| |b|\n|c|  "
    assert tree.text(div, "|", strip=True) == "a|b|c"


def test_empty_and_wordless_pages() -> None:
    assert htmltree.parse("") is None
    with pytest.raises(ExtractError):
        extract("", URL)
    with pytest.raises(ExtractError):
        extract("just words", URL)


@pytest.mark.parametrize(
    ("selector", "element_only"),
    [
        ("p", True), ("p.x, span#y, *", True), ("p:not(.x), li:first-child, [data-a='b c|d/e']", True),
        ("div p", False), ("div > p", False), ("p, div p", False), ("p + span", False),
    ],
)
def test_within_an_element_a_selector_finds_what_it_finds_in_the_whole_page(selector: str, element_only: bool) -> None:
    # A selector that tests the element alone is run from the element given (sites.base.Selector.element_only);
    # one with a combinator is run on the whole page: either way, the same matches inside it.
    tree = htmltree.parse(
        "<p class='x'>0</p><div class='a'><p>1</p><li><p class='x'>2</p></li><template><p>t</p></template>"
        "<span id='y'>3</span><p data-a='b c|d/e'>4</p><p>5</p><span>6</span></div><div><p>7</p></div>"
    )
    assert tree is not None
    sel = css(selector)
    assert sel.element_only is element_only
    div = tree.select_one(css("div.a"))
    assert div is not None
    inside = [e for e in sel.xpath(tree.root) if any(a is div for a in e.iterancestors())]
    expected = [e for e in inside if not any(a.tag == "template" for a in e.iterancestors())]
    assert tree.select(sel, within=div) == expected and expected


def test_the_plain_and_the_lxml_html_trees_read_the_same() -> None:
    """parse() builds lxml's plain elements unless asked for lxml.html's: libxml2 parses both the
    same, so every text read from them is the same, strings, comments and furniture alike."""
    html = page("<p>甲<!-- 註 -->乙<script>var a = 1;</script>丙</p><pre>  一\n  二</pre><p><ruby>漢<rt>han</rt></ruby>字</p>")
    plain, rich = htmltree.parse(html), htmltree.parse(html, html_elements=True)
    assert plain is not None and rich is not None
    assert type(plain.root).__module__ == "lxml.etree" and type(rich.root).__module__ == "lxml.html"
    assert [plain.text(e) for e in plain.root.iter()] == [rich.text(e) for e in rich.root.iter()]
    assert plain.text(plain.root) == rich.text(rich.root)


def test_a_claimed_page_without_its_sites_markup_reads_as_an_unclaimed_one() -> None:
    """A takungpao.com URL whose page has none of the profile's markup goes the generic way, with
    the tree lxml.html makes (the one trafilatura takes): the same reading as on any other host."""
    paragraphs = "".join(f"<p>第{i}段：新規定經過兩年試點，試點社區的回收率提高了三成，效果明顯，居民反應良好。</p>" for i in range(8))
    html = f"<html><head><title>一篇別的文章</title></head><body><div class='nav'><a href='/a'>首頁</a></div><article>{paragraphs}</article></body></html>"
    claimed = extract(html, URL)
    unclaimed = extract(html, "http://127.0.0.1:1/page.html")
    assert claimed.profile == unclaimed.profile == "generic"
    assert claimed.blocks == unclaimed.blocks and len(claimed.blocks) == 8
