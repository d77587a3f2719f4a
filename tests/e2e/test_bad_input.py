"""Bad input never loses data: whatever a page turns into, the pass goes on and version 1 stays.

Each case archives installment ① from the replica, then serves its URL broken
(malformed, deeply nested, binary junk, empty, 50 MB, a gzip bomb, all
<script>, another encoding) and crawls again. The URL must end as a recorded
error or a clean capture; the pass must finish; every version stored before
must still be there, unchanged and current.

The replica decodes text/* bodies as UTF-8 to rewrite links, so bytes that are
not UTF-8 go out with the media type in capitals (``TEXT/HTML``): media types
are case-insensitive, the fetcher reads it as text/html, the replica passes the
bytes untouched.

Last, hypothesis feeds arbitrary markup and text to extract() and clean():
they return, or raise ExtractError, and nothing else.
"""

from __future__ import annotations

import functools
import json
import random
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.errors import ExtractError
from series_archiver.jobs import core
from series_archiver.models import Article, Block, Extracted
from series_archiver.read.clean import clean
from series_archiver.read.extract import extract
from tests.support.crawl import Crawler
from tests.support.db import assert_archive_sound, reader

pytestmark = pytest.mark.slow

ARTICLE = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"  # installment ①, www
MAX_BYTES = 10_000_000  # fetch.max_bytes of the packaged settings the crawler uses
_CONTENT = '<div class="tkp_content">'


def _tag_soup(page: str) -> str:
    """What sloppy CMS templates produce: closing tags the parser must infer, capitals, stray closers."""
    page = re.sub(r"</(p|li|span)>", "", page)
    page = page.replace("<p>", "<P>").replace("<br>", "<BR/>")
    return page.replace("</body>", "</b></i></td></tr></table><p></body>")


def _broken(page: str) -> str:
    """Cut half-way, then garbage: unterminated attribute, stray <, NUL, bad references, open CDATA."""
    return page[: len(page) // 2] + '<div class="<<<>>>" <p <<< \x00 &#xD800; &#99999999; &bogus; <![CDATA['


def _nested(page: str, depth: int = 100_000) -> str:
    """The article's text wrapped in 100,000 nested divs, all closed."""
    start = page.index(_CONTENT) + len(_CONTENT)
    end = page.index("</div>", page.index("責任編輯"))
    return page[:start] + "<div>" * depth + page[start:end] + "</div>" * depth + page[end:]


@functools.cache
def _gzip_bomb(decoded_size: int) -> bytes:
    """A gzip stream of a few hundred KB that inflates to ``decoded_size`` bytes of HTML."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [z.compress(b"<!DOCTYPE html><html><body><p>")]
    chunk = b" " * (1 << 20)
    parts += [z.compress(chunk) for _ in range(decoded_size >> 20)]
    parts += [z.compress(b"</p></body></html>"), z.flush()]
    return b"".join(parts)


def _fifty_mb(page: str) -> str:
    return page.replace("</body>", "<!--" + "長" * (50_000_000 // 3) + "--></body>")


def _all_script(page: str) -> str:
    start = page.index(_CONTENT) + len(_CONTENT)
    return page[:start] + '<script>var x = "示例";</script>' * 20_000 + "</div></body></html>"


def _recoded(page: str, charset: str, codec: str) -> bytes:
    # A Hong Kong site's Big5 is Big5-HKSCS (① at C6A1, as browsers read it); what the
    # codec lacks (©) goes out as a character reference, as such sites do.
    return page.replace('<meta charset="utf-8">', f'<meta charset="{charset}">').encode(codec, "xmlcharrefreplace")


@dataclass(frozen=True)
class BadPage:
    name: str
    body: Callable[[str], str | bytes]
    outcome: str  # the fetch_log outcome of the URL's last attempt
    error: str = ""  # a piece of the recorded reason (fetch_log.error, or the suspect capture's reason)
    headers: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"  # of the capture kept

    @property
    def failed(self) -> bool:
        return self.outcome not in ("unchanged", "suspect")


_rng = random.Random(4)
_JUNK = bytes(_rng.getrandbits(8) for _ in range(200_000))
# Valid UTF-8, so the replica serves it as text/html as it is: controls, Latin-1, CJK, at random.
_JUNK_UTF8 = "".join(
    chr(_rng.choice([_rng.randrange(0, 32), _rng.randrange(0x80, 0x250), _rng.randrange(0x4E00, 0x9FFF)])) for _ in range(50_000)
)

CASES = [
    BadPage("tag soup", _tag_soup, "unchanged"),
    BadPage("broken markup", _broken, "suspect", "of its length at once"),
    BadPage("100k nested divs around the text", _nested, "unchanged"),
    BadPage("100k nested divs and nothing else", lambda p: "<html><body>" + "<div>" * 100_000 + "</body></html>", "suspect", "no article text"),
    BadPage("binary junk as text/html", lambda p: _JUNK, "error", "no encoding gives clean text", {"Content-Type": "TEXT/HTML"}),
    BadPage("control characters as utf-8 text/html", lambda p: _JUNK_UTF8, "error", "no encoding gives clean text"),
    BadPage("empty 200", lambda p: b"", "suspect", "no article text"),
    BadPage("50 MB page, gzip on the wire", _fifty_mb, "too_large", "larger than fetch.max_bytes"),
    BadPage("50 MB page, Content-Length", lambda p: _fifty_mb(p).encode(), "too_large", "Content-Length announces", {"Content-Type": "TEXT/HTML"}),
    BadPage("gzip bomb", lambda p: _gzip_bomb(256 << 20), "too_large", "larger than fetch.max_bytes", {"Content-Type": "TEXT/HTML", "Content-Encoding": "gzip"}),
    BadPage("the text all <script>", _all_script, "suspect", "the body has 0 characters"),
    BadPage("nothing but <script>", lambda p: "<html><body>" + "<script>document.write(1)</script>" * 20_000 + "</body></html>", "suspect", "no article text"),
    BadPage("Big5 (charset in the header)", lambda p: _recoded(p, "big5", "big5hkscs"), "unchanged", headers={"Content-Type": "TEXT/HTML; charset=Big5"}, encoding="big5hkscs"),
    BadPage("GBK (charset in <meta> only)", lambda p: _recoded(p, "gbk", "gbk"), "unchanged", headers={"Content-Type": "Text/HTML"}, encoding="gb18030"),
]


def versions_of(db: Path) -> dict[tuple[int, int], dict[str, Any]]:
    with reader(db) as conn:
        cur = conn.execute("SELECT * FROM versions")
        names = [d[0] for d in cur.description]
        return {(r[1], r[2]): dict(zip(names, r, strict=True)) for r in cur.fetchall()}


def articles_of(db: Path) -> dict[int, tuple[Any, ...]]:
    with reader(db) as conn:
        return {r[0]: r for r in conn.execute("SELECT id, title, status, versions, current_version FROM articles")}


def last_log(db: Path, url: str) -> dict[str, Any]:
    with reader(db) as conn:
        cur = conn.execute("SELECT * FROM fetch_log WHERE url = ? ORDER BY id DESC LIMIT 1", (url,))
        return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_bad_page_is_recorded_and_the_archived_version_stays(crawler: Crawler, case: BadPage) -> None:
    first = crawler.crawl()
    assert first.ok, first.counts.failures
    db = crawler.settings.archive.db
    versions, articles = versions_of(db), articles_of(db)
    with reader(db) as conn:
        article_id, v1 = conn.execute("SELECT article_id, version FROM versions WHERE url = ?", (ARTICLE,)).fetchone()
        last_capture = conn.execute("SELECT max(id) FROM captures").fetchone()[0]
    assert v1 == 1

    crawler.site.set_page(ARTICLE, case.body(crawler.site.text(ARTICLE)), headers=case.headers)
    result = crawler.crawl()  # returns: the pass was not stopped by the page

    log = last_log(db, ARTICLE)
    assert log["run_id"] == result.run_id
    assert log["outcome"] == case.outcome, log
    assert result.counts.failed == int(case.failed)
    assert [u for u, _ in result.counts.failures] == ([ARTICLE] if case.failed else [])
    with reader(db) as conn:
        status = conn.execute("SELECT status FROM runs WHERE id = ?", (result.run_id,)).fetchone()[0]
        # The pass went on past the bad page: every other article's URL was checked too.
        checked = {r[0] for r in conn.execute("SELECT url FROM fetch_log WHERE run_id = ?", (result.run_id,))}
        new_captures = conn.execute(
            "SELECT encoding, suspect_reason FROM captures WHERE url = ? AND id > ? ORDER BY id", (ARTICLE, last_capture)
        ).fetchall()
        tracked = {r[0] for r in conn.execute("SELECT url FROM article_urls")}
    assert status == ("partial" if case.failed else "ok")
    assert tracked <= checked

    # Nothing stored before is lost or changed, and nothing new became a version.
    assert versions_of(db) == versions
    assert articles_of(db) == articles
    assert articles_of(db)[article_id][2:] == ("live", 1, 1)
    shown = core.show_article(crawler.settings, article_id)
    assert (shown["version"], shown["text"]) == (1, versions[(article_id, 1)]["text"])

    if case.outcome == "suspect":  # kept as evidence, marked
        [(encoding, reason)] = new_captures
        assert encoding == case.encoding and case.error in reason
    elif case.outcome == "unchanged":  # a clean capture of the new bytes, the same article
        assert new_captures == [(case.encoding, None)]
    else:
        assert new_captures == []  # a failed download is logged, never kept
        assert case.error in log["error"]
    if case.name == "gzip bomb":
        assert 0 < log["bytes"] < len(_gzip_bomb(256 << 20)), "the download stopped early"
    if case.name == "50 MB page, Content-Length":
        assert log["bytes"] == 0, "refused on its Content-Length, before downloading"
    assert_archive_sound(db)

    # The page is good again: still one version, nothing the bad page left makes it look new.
    crawler.site.restore(ARTICLE)
    again = crawler.crawl()
    assert again.ok, again.counts.failures
    # A bad page never replaced the URL's validators; a clean capture of other bytes did.
    assert last_log(db, ARTICLE)["outcome"] == ("unchanged" if case.outcome == "unchanged" else "not_modified")
    assert versions_of(db) == versions


@pytest.mark.parametrize(
    ("charset", "codec", "content_type", "stored"),
    [("big5", "big5hkscs", "TEXT/HTML; charset=Big5", "big5hkscs"), ("gbk", "gbk", "TEXT/HTML", "gb18030")],
)
def test_a_first_capture_in_big5_or_gbk_is_the_same_article(
    replica: ReplicaSite, tmp_path: Path, charset: str, codec: str, content_type: str, stored: str
) -> None:
    reference_db, db = tmp_path / "utf8.db", tmp_path / "recoded.db"
    core.crawl(demo_settings(reference_db), transport=LoopbackTransport(replica.origins))
    replica.set_page(ARTICLE, _recoded(replica.text(ARTICLE), charset, codec), headers={"Content-Type": content_type})
    result = core.crawl(demo_settings(db), transport=LoopbackTransport(replica.origins))
    assert result.ok, result.counts.failures

    def first_installment(path: Path) -> dict[str, Any]:
        rows = {r["installment"]: r for r in core.list_articles(demo_settings(path))}
        shown = core.show_article(demo_settings(path), rows[1]["id"])
        return {k: shown[k] for k in ("title", "published", "byline", "blocks", "captions", "text", "url")}

    assert first_installment(db) == first_installment(reference_db)
    assert "①" in first_installment(db)["title"]
    with reader(db) as conn:
        assert conn.execute("SELECT encoding FROM captures WHERE url = ?", (ARTICLE,)).fetchall() == [(stored,)]


# --- extract() and clean() on anything --------------------------------------------------------------

URLS = st.sampled_from(
    [
        "https://www.takungpao.com/news/232108/2025/1215/1050001.html",
        "https://www.takungpao.com/news/232108/2025/1217/1050642_2.html",
        "https://epaper.tkww.hk/a/202512/16/AP69406e6ba3c5e1f20b7d4c9e.html",
        "http://127.0.0.1:1/",
        "not a url",
        "",
    ]
)
# The markers the profiles look for, so generated pages reach the profile code, not only the fallback.
_OPENERS = [
    '<h1 class="tkp_con_title">', '<h2 class="tkp_con_title">', '<div class="tkp_content">', '<div class="tkp_con_author">',
    '<div class="tkp_page">', '<h1 class="content-title-text">', '<div class="content-body-inner">',
    '<div class="content-main-left">', '<script type="application/ld+json">', '<meta property="article:published_time" content="',
    "<p>", "<P>", "<strong>", "<b>", "<li>", "<blockquote>", "<figure><figcaption>", "<h3>", "<title>", "<br>",
    "<script>", "<style>", "<noscript>", "<table><tr><td>", "<svg><foreignObject>", "<template>", "<a href=\"",
]
_CLOSERS = ["</p>", "</div>", "</h1>", "</h2>", "</a>", "</script>", "</title>", "</li>", "</strong>", '">', "</td></tr></table>"]
_JUNK_BITS = [
    "<", ">", "&", "&#", "&#x0;", "&#xD800;", "&#1114112;", "&nbsp;", "<!--", "-->", "<![CDATA[", "]]>", "<?xml version='1.0'?>",
    "<!DOCTYPE html>", "\x00", "\ufeff", "\u200b", "\u3000", "\r\n", "▲", "①", "編者按", "責任編輯：某某", "大公報記者 某某",
    "2025-12-15 04:24:25", "Tue Dec 16 04:24:11 HKT 2025", "2025-13-45 99:99:99", "Mon Feb 31 99:99:99 HKT 2025",
    "2025.12.45 99:99", '"datePublished": "', "[" * 2000, "9" * 5000, '<a href="http://[::1/">x</a>',
    '<a href="1050001_2.html">下一頁</a>', "<a>no href</a>",
]
_piece = st.one_of(st.text(max_size=40), st.sampled_from(_OPENERS), st.sampled_from(_CLOSERS), st.sampled_from(_JUNK_BITS))
_slot = st.lists(_piece, max_size=8).map("".join)
# Pages shaped like each site's, every slot filled with anything: so the profile code sees the junk.
_SKELETONS = [
    '<html><head><title>{0}</title></head><body><h1 class="tkp_con_title">{1}</h1><div class="tkp_con_author">{2}</div>'
    '<div class="tkp_content">{3}</div><div class="tkp_page">{4}</div></body></html>',
    '<html><head><script type="application/ld+json">{0}</script><meta property="article:published_time" content="{1}">'
    '</head><body><h1 class="content-title-text">{2}</h1><div class="content-main-left"><div class="content-body-inner">{3}'
    "</div></div>{4}</body></html>",
    "<html><head>{0}</head><body>{1}<article>{2}<p>{3}</p></article>{4}</body></html>",
]
_shaped = st.builds(lambda skeleton, slots: skeleton.format(*slots), st.sampled_from(_SKELETONS), st.lists(_slot, min_size=5, max_size=5))
MARKUP = st.one_of(_shaped, st.lists(_piece, max_size=60).map("".join), st.text(max_size=2000))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(html=MARKUP, url=URLS)
def test_extract_and_clean_return_or_raise_extract_error(html: str, url: str) -> None:
    try:
        page = extract(html, url)
    except ExtractError:
        return
    assert isinstance(page, Extracted)
    try:
        article = clean([page])
    except ExtractError:
        return
    assert isinstance(article, Article)


_BLOCKS = st.lists(st.builds(Block, kind=st.sampled_from(["paragraph", "heading"]), text=st.one_of(st.text(max_size=200), st.sampled_from(_JUNK_BITS))), max_size=30)
EXTRACTED = st.builds(
    Extracted,
    url=URLS,
    profile=st.sampled_from(["takungpao", "tkww", "trafilatura"]),
    title=st.one_of(st.text(max_size=80), st.sampled_from(_JUNK_BITS)),
    blocks=_BLOCKS.map(tuple),
    byline=st.one_of(st.none(), st.text(max_size=30)),
    captions=st.lists(st.text(max_size=60), max_size=5).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(pages=st.lists(EXTRACTED, max_size=4))
def test_clean_returns_or_raises_extract_error_for_any_pages(pages: list[Extracted]) -> None:
    try:
        article = clean(pages)
    except ExtractError as exc:
        assert pages == [] or exc.url == pages[0].url
        return
    assert isinstance(article, Article)
    assert article.title == article.title.strip()
    assert all(b.text and b.text == b.text.strip() for b in article.blocks)
    json.dumps([article.title, article.text, list(article.captions)], ensure_ascii=False)  # storable as it is
