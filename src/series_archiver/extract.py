"""Extraction: read title, time, byline, blocks and captions off one page.

A profile is chosen by the page's markup, never by hostname alone, so the
.com.hk mirror, a replica on 127.0.0.1 and a copy saved to disk all work.
When no profile matches, trafilatura reads the page instead: the site's
selectors drift, and a rough extraction beats a failure.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from datetime import datetime
from typing import cast
from urllib.parse import urljoin

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, Tag, XMLParsedAsHTMLWarning

from . import lxmlsoup
from .errors import ExtractError
from .models import Block, Extracted
from .sites import (
    ARTICLE_PROFILES,
    ArticleProfile,
    article_page_number,
    first_page_url,
    parse_site_time,
)
from .textfold import normalize

__all__ = ["extract", "parse_html"]

log = logging.getLogger("series_archiver")

# Elements whose text becomes its own block.
_BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "figcaption")
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_AUTHOR_LABEL = re.compile(r"作者[：:]\s*(?P<name>[^\s　]+)")


def parse_html(html: str, url: str = "<html>") -> BeautifulSoup:
    try:
        with warnings.catch_warnings():
            # A feed or a bare word served as text/html is bad input, recorded as such; not a warning on stderr.
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            return BeautifulSoup(html, "lxml")
    except Exception as exc:  # lxml gives up on some pathological input
        raise ExtractError(url, f"the page could not be parsed as HTML ({exc})") from exc


def extract(html: str, url: str, *, soup: BeautifulSoup | None = None) -> Extracted:
    """Extract one page. Raises ``ExtractError`` when the page holds no article, and nothing else.

    The page is whatever the server sent (junk, a feed, 100,000 nested divs):
    whatever goes wrong reading it is that page's error, never the pass's.
    """
    try:
        if soup is None:
            fast = _extract_fast(html, url)
            if fast is not None:
                return fast
        soup = soup if soup is not None else parse_html(html, url)
        for profile in ARTICLE_PROFILES:
            if soup.select_one(profile.detect) is not None:
                return _extract_with_profile(soup, url, profile)
        return _extract_with_trafilatura(html, url, soup)
    except ExtractError:
        raise
    except Exception as exc:  # RecursionError included: deep markup is bad input, not a crash
        log.debug("extract failed on %s", url, exc_info=True)
        raise ExtractError(
            url, f"the page could not be read ({type(exc).__name__}: {exc}); it is kept as evidence, open it in a browser"
        ) from exc


def _extract_fast(html: str, url: str) -> Extracted | None:
    """The profile code below, run on lxml (lxmlsoup.py): same result, 10× faster than on BeautifulSoup.

    None sends the page to BeautifulSoup: no profile matches (trafilatura's
    turn), lxmlsoup declined the page, or it could not answer a call.
    """
    doc = lxmlsoup.parse(html)
    if doc is None:
        return None
    soup = cast(BeautifulSoup, doc)  # the profile code asks only what LxmlSoup answers
    try:
        for profile in ARTICLE_PROFILES:
            if soup.select_one(profile.detect) is not None:
                return _extract_with_profile(soup, url, profile)
    except ExtractError:
        raise
    except Exception:  # noqa: BLE001 - BeautifulSoup, the reference, gets the page instead
        log.debug("lxml fast path declined %s", url, exc_info=True)
    return None


def _extract_with_profile(soup: BeautifulSoup, url: str, profile: ArticleProfile) -> Extracted:
    title = _title(soup, profile)
    body = soup.select_one(profile.body)
    if body is None:
        raise ExtractError(url, f"the page looks like a {profile.name} page but has no body ({profile.body})")
    for junk in body.select(profile.furniture):
        junk.decompose()
    blocks, captions = _blocks(body)
    published, byline = _time_and_author(soup, profile)
    return Extracted(
        url=url,
        profile=profile.name,
        title=title,
        blocks=tuple(blocks),
        published=published,
        byline=byline,
        captions=tuple(captions),
        next_pages=_next_pages(soup, url, profile),
    )


def _title(soup: BeautifulSoup, profile: ArticleProfile) -> str:
    node = soup.select_one(profile.title)
    if node is not None and node.get_text(strip=True):
        return normalize(node.get_text(" "))
    title = normalize(soup.title.get_text()) if soup.title else ""
    for suffix in profile.title_suffixes:
        if title.endswith(suffix):
            title = title[: -len(suffix)].strip()
    return title


def _blocks(body: Tag) -> tuple[list[Block], list[str]]:
    """Block-level text in document order, and the captions marked up as such.

    Print captions (▲…) arrive as ordinary paragraphs; the clean stage moves them.
    """
    blocks: list[Block] = []
    captions: list[str] = []
    for node in _outermost_blocks(body):
        text = normalize(node.get_text(""))
        if not text:
            continue
        if node.name == "figcaption":
            captions.append(text)
        else:
            blocks.append(Block(_kind(node, text), text))
    if not blocks:
        # Some older pages put text straight into the body with <br>.
        for chunk in body.get_text("\n").split("\n"):
            text = normalize(chunk)
            if text:
                blocks.append(Block("paragraph", text))
    return blocks, captions


def _outermost_blocks(body: Tag) -> list[Tag]:
    """The block elements of ``body`` that sit in no other block, in document order.

    A nested block's text belongs to the outer one. One walk of the tree,
    without recursion: asking each block for its ancestors costs depth x blocks,
    minutes for a page of 100,000 nested divs.
    """
    if body.name in _BLOCK_TAGS or body.find_parent(_BLOCK_TAGS) is not None:
        return []  # the body is itself inside a block: everything is nested
    found: list[Tag] = []
    stack = [iter(body.children)]
    while stack:
        for child in stack[-1]:
            if isinstance(child, Tag):
                if child.name in _BLOCK_TAGS:
                    found.append(child)
                else:
                    stack.append(iter(child.children))
                break
        else:
            stack.pop()
    return found


def _kind(node: Tag, text: str) -> str:
    if node.name in _HEADING_TAGS:
        return "heading"
    strong = node.find(["strong", "b"])
    if strong is not None and normalize(strong.get_text("")) == text and len(text) <= 40:
        return "heading"  # a paragraph that is all bold is a subheading
    return "paragraph"


def _time_and_author(soup: BeautifulSoup, profile: ArticleProfile) -> tuple[datetime | None, str | None]:
    published: datetime | None = None
    byline: str | None = None
    if profile.time:
        for node in soup.select(profile.time):
            published = _site_time(node.get_text(" "))
            if published:
                break
    if profile.author:
        for node in soup.select(profile.author):
            m = _AUTHOR_LABEL.search(normalize(node.get_text(" ")))
            if m:
                byline = m.group("name")
                break
    if published is None:
        published = _json_ld_date(soup)
    if published is None:
        meta = soup.find("meta", attrs={"property": "article:published_time"}) or soup.find(
            "meta", attrs={"name": "publishdate"}
        )
        if isinstance(meta, Tag) and meta.get("content"):
            published = _site_time(str(meta["content"]))
    return published, byline


def _site_time(text: str) -> datetime | None:
    """A time stamp, or None when it is no valid time (「2025-13-45 99:99」 is a typo, not an error)."""
    try:
        return parse_site_time(text)
    except (ValueError, OverflowError):
        return None


def _json_ld_date(soup: BeautifulSoup) -> datetime | None:
    for script in soup.find_all("script", attrs={"type": "application/ld+json"}):
        raw = script.string or script.get_text()
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


def _next_pages(soup: BeautifulSoup, url: str, profile: ArticleProfile) -> tuple[str, ...]:
    """Further pages of this article, ``<id>_2.html`` …, in page order."""
    if not profile.pagination or article_page_number(url) != 1:
        return ()
    base = first_page_url(url)
    stem = base.rsplit("/", 1)[-1].removesuffix(".html")
    pages: dict[int, str] = {}
    for link in soup.select(profile.pagination):
        try:
            target = urljoin(url, str(link.get("href", ""))).split("#", 1)[0]
        except ValueError:  # "http://[bad" is no link to follow
            continue
        name = target.rsplit("/", 1)[-1]
        m = re.fullmatch(re.escape(stem) + r"_(\d+)\.html", name)
        if m and int(m.group(1)) > 1:
            pages[int(m.group(1))] = target
    return tuple(pages[n] for n in sorted(pages))


def _extract_with_trafilatura(html: str, url: str, soup: BeautifulSoup) -> Extracted:
    import trafilatura  # imported late: it is slow to import and only a fallback

    raw = trafilatura.extract(
        html,
        url=url,
        output_format="json",
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
    )
    if not raw:
        raise ExtractError(url, "no known site profile matches the page and trafilatura found no article text")
    data = json.loads(raw)
    blocks = tuple(Block("paragraph", t) for t in (normalize(x) for x in (data.get("text") or "").split("\n")) if t)
    if not blocks:
        raise ExtractError(url, "no article text found on the page")
    title = normalize(data.get("title") or (soup.title.get_text() if soup.title else ""))
    published = _site_time(data["date"]) if isinstance(data.get("date"), str) else None
    return Extracted(
        url=url,
        profile="trafilatura",
        title=title,
        blocks=blocks,
        published=published,
        byline=normalize(data["author"]) if data.get("author") else None,
    )
