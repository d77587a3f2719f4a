"""Extraction: read title, time, byline, blocks and captions off one page.

A site's article profile (sites/) is chosen by the page's markup, never by
hostname alone, so the .com.hk mirror, a replica on 127.0.0.1 and a copy
saved to disk all work. The page is read on lxml (htmltree.py). When no
profile matches, the generic path reads the page instead (generic.py):
the site's selectors drift, and a rough extraction beats a failure.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urljoin

from lxml import etree

from series_archiver.errors import ExtractError
from series_archiver.models import Block, BlockKind, Extracted
from series_archiver.read import htmltree
from series_archiver.read.generic import GENERIC, read_generic
from series_archiver.read.htmltree import Page
from series_archiver.sites import SITES, Site, article_page_number, first_page_url, parse_site_time
from series_archiver.textfold import normalize

__all__ = ["article_site", "extract"]

log = logging.getLogger("series_archiver")

# Elements whose text becomes its own block.
_BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "figcaption")
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def extract(html: str, url: str, *, sites: Sequence[Site] | None = None) -> Extracted:
    """Extract one page. Raises ``ExtractError`` when the page holds no article, and nothing else.

    The page is whatever the server sent (junk, a feed, 100,000 nested divs):
    whatever goes wrong reading it is that page's error, never the pass's.
    ``sites`` are the profiles to try, in order (default: the built-in ones).
    """
    try:
        claiming = _claiming(url, SITES if sites is None else sites)
        # The generic path needs lxml.html's elements (htmltree.parse): a page no site claims
        # is parsed with them at once, a claimed one whose markup no profile knows again.
        page = _parse(html, url, html_elements=not claiming)
        if page is not None and claiming:
            site = _reading_site(page, claiming)
            if site is not None:
                return _extract_with_site(page, url, site)
            page = _parse(html, url, html_elements=True)
        return _extract_generic(html, url, page)
    except ExtractError:
        raise
    except Exception as exc:  # RecursionError included: deep markup is bad input, not a crash
        log.debug("extract failed on %s", url, exc_info=True)
        raise ExtractError(
            url, f"the page could not be read ({type(exc).__name__}: {exc}); it is kept as evidence, open it in a browser"
        ) from exc


def article_site(html: str, url: str, sites: Sequence[Site]) -> Site | None:
    """The site among ``sites`` whose article profile reads this page, if one does (its hosts and its markup)."""
    claiming = _claiming(url, sites)
    if not claiming:
        return None
    try:
        page = _parse(html, url)
    except ExtractError:
        return None
    if page is None:
        return None
    return _reading_site(page, claiming)


def _claiming(url: str, sites: Sequence[Site]) -> list[Site]:
    """The sites whose hosts and paths claim ``url``, in order."""
    return [site for site in sites if site.claims(url)]


def _reading_site(page: Page, claiming: Sequence[Site]) -> Site | None:
    """The first of the ``claiming`` sites whose article profile finds its article in ``page``."""
    return next((site for site in claiming if page.select_one(site.article.detect) is not None), None)


def _parse(html: str, url: str, *, html_elements: bool = False) -> Page | None:
    try:
        return htmltree.parse(html, html_elements=html_elements)
    except (etree.LxmlError, ValueError, TypeError) as exc:  # lxml gives up on some pathological input
        raise ExtractError(url, f"the page could not be parsed as HTML ({exc})") from exc


def _extract_with_site(page: Page, url: str, site: Site) -> Extracted:
    profile = site.article
    title = _title(page, site)
    body = page.select_one(profile.body)
    if body is None:
        raise ExtractError(url, f"the page looks like a {site.name} page but has no body ({profile.body.css})")
    for junk in page.select(profile.furniture, within=body):
        page.remove(junk)
    marked: list[str] = []
    if profile.captions is not None:
        for node in page.select(profile.captions, within=body):
            if page.alive(node):
                marked.append(normalize(page.text(node, " ")))
                page.remove(node)
    blocks, captions = _blocks(page, body)
    captions = [c for c in marked if c] + captions
    published, byline = _time_and_author(page, site)
    return Extracted(
        url=url,
        profile=site.name,
        title=title,
        blocks=tuple(blocks),
        published=published,
        byline=byline,
        captions=tuple(captions),
        next_pages=_next_pages(page, url, site),
        cleaning=site.cleaning,
    )


def _title(page: Page, site: Site) -> str:
    node = page.select_one(site.article.title)
    if node is not None and page.text(node, strip=True):
        return normalize(page.text(node, " "))
    title = normalize(page.title() or "")
    for suffix in site.article.title_suffixes:
        if title.endswith(suffix):
            title = title[: -len(suffix)].strip()
    return title


def _blocks(page: Page, body: etree._Element) -> tuple[list[Block], list[str]]:
    """Block-level text in document order, and the captions marked up as such.

    Print captions (▲…) arrive as ordinary paragraphs; the clean stage moves them.
    """
    blocks: list[Block] = []
    captions: list[str] = []
    for node in _outermost_blocks(page, body):
        text = normalize(page.text(node))
        if not text:
            continue
        if node.tag == "figcaption":
            captions.append(text)
        else:
            blocks.append(Block(_kind(page, node, text), text))
    if not blocks:
        # Some older pages put text straight into the body with <br>.
        for chunk in page.text(body, "\n").split("\n"):
            text = normalize(chunk)
            if text:
                blocks.append(Block("paragraph", text))
    return blocks, captions


def _outermost_blocks(page: Page, body: etree._Element) -> list[etree._Element]:
    """The block elements of ``body`` that sit in no other block, in document order.

    A nested block's text belongs to the outer one. One walk of the tree,
    without recursion: asking each block for its ancestors costs depth x blocks,
    minutes for a page of 100,000 nested divs.
    """
    if body.tag in _BLOCK_TAGS or any(a.tag in _BLOCK_TAGS for a in body.iterancestors()):
        return []  # the body is itself inside a block: everything is nested
    found: list[etree._Element] = []
    stack = [page.children(body)]
    while stack:
        for child in stack[-1]:
            if child.tag in _BLOCK_TAGS:
                found.append(child)
            else:
                stack.append(page.children(child))
            break
        else:
            stack.pop()
    return found


def _kind(page: Page, node: etree._Element, text: str) -> BlockKind:
    if node.tag in _HEADING_TAGS:
        return "heading"
    strong = page.find(("strong", "b"), within=node)
    if strong is not None and normalize(page.text(strong)) == text and len(text) <= 40:
        return "heading"  # a paragraph that is all bold is a subheading
    return "paragraph"


def _time_and_author(page: Page, site: Site) -> tuple[datetime | None, str | None]:
    profile = site.article
    published: datetime | None = None
    byline: str | None = None
    if profile.time is not None:
        for node in page.select(profile.time):
            published = site.parse_time(page.text(node, " ")) or _site_time(page.text(node, " "))
            if published:
                break
    if profile.author is not None and profile.author_label is not None:
        for node in page.select(profile.author):
            m = profile.author_label.search(normalize(page.text(node, " ")))
            if m:
                byline = m.group("name")
                break
    if published is None:
        published = _json_ld_date(page)
    if published is None:
        meta = page.find("meta", property="article:published_time")
        if meta is None:  # (an lxml element with no children is false: no `or` here)
            meta = page.find("meta", name="publishdate")
        if meta is not None and meta.get("content"):
            published = _site_time(str(meta.get("content")))
    return published, byline


def _site_time(text: str) -> datetime | None:
    """A time stamp, or None when it is no valid time (「2025-13-45 99:99」 is a typo, not an error)."""
    try:
        return parse_site_time(text)
    except (ValueError, OverflowError):
        return None


def _json_ld_date(page: Page) -> datetime | None:
    for script in page.find_all("script", type="application/ld+json"):
        raw = page.string(script) or page.text(script)
        try:
            data = json.loads(raw)
        except (ValueError, TypeError, RecursionError):
            # ValueError covers JSONDecodeError and integers too long to convert; RecursionError deep nesting.
            # The tkww pages are not always valid JSON; the date is still plain to see.
            m = re.search(r'"datePublished"\s*:\s*"([^"]+)"', raw or "")
            data = {"datePublished": m.group(1)} if m else None
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and isinstance(item.get("datePublished"), str):
                when = _site_time(item["datePublished"])
                if when:
                    return when
    return None


def _next_pages(page: Page, url: str, site: Site) -> tuple[str, ...]:
    """Further pages of this article (``<id>_2.html`` …), in page order."""
    if site.article.pagination is None or site.pages is None or article_page_number(url) != 1:
        return ()
    first_name = first_page_url(url).rsplit("/", 1)[-1]
    pages: dict[int, str] = {}
    for link in page.select(site.article.pagination):
        try:
            target = urljoin(url, str(link.get("href", ""))).split("#", 1)[0]
        except ValueError:  # "http://[bad" is no link to follow
            continue
        number = site.pages.page_of(target.rsplit("/", 1)[-1], first_name)
        if number is not None and number > 1:
            pages[number] = target
    return tuple(pages[n] for n in sorted(pages))


def _extract_generic(html: str, url: str, page: Page | None) -> Extracted:
    """A page no profile matches: metadata off the page's own tree, then the generic chain
    (generic.py), which prunes that tree as it reads it."""
    published: datetime | None = None
    byline: str | None = None
    title = ""
    if page is not None:
        published = _json_ld_date(page)
        if published is None:
            for attrs in ({"property": "article:published_time"}, {"name": "publishdate"}, {"itemprop": "datePublished"}):
                meta = page.find("meta", **attrs)
                if meta is not None and meta.get("content"):
                    published = _site_time(str(meta.get("content")))
                    break
        author = page.find("meta", name="author")
        if author is not None and normalize(str(author.get("content") or "")):
            byline = normalize(str(author.get("content")))
        title = normalize(page.title() or "")
        heading = page.find("h1")
        if not title and heading is not None:
            title = normalize(page.text(heading, " "))
    found = read_generic(html, url, page.root if page is not None else None)
    if found is None or not found.blocks:
        raise ExtractError(
            url, "no known site profile matches the page and no generic reading found article text; open it in a browser"
        )
    log.debug("generic path read %s with %s", url, found.reader)
    return Extracted(url=url, profile=GENERIC, title=title, blocks=_without_title(found.blocks, title), published=published, byline=byline)


def _without_title(blocks: tuple[Block, ...], title: str) -> tuple[Block, ...]:
    """The blocks without a first line that is the page's title: it is stored as the title, once.

    ``<title>`` often adds the site's name (「標題 - 某某網」), so a first line inside it counts.
    """
    first = "".join(blocks[0].text.split()) if blocks else ""
    if len(blocks) > 1 and len(first) >= 4 and first in "".join(title.split()):
        return blocks[1:]
    return blocks
