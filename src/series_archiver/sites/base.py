"""The shape of a site's knowledge: frozen values a site module fills in, and the helpers they share.

A site module (``takungpao.py``, ``tkww.py``) builds one ``Site`` from these;
``sites/__init__.py`` registers it. Nothing here names a site.

Selectors are CSS, read by cssselect and compiled to XPath once, when the
site is defined: a selector cssselect cannot read stops the import with a
``SiteDefinitionError`` naming the site and the selector, rather than
sending pages down some slower path.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from cssselect import HTMLTranslator, SelectorError
from lxml import etree

from series_archiver.models import Cleaning

__all__ = [
    "CLEANING_RULES",
    "HONG_KONG",
    "ArticleProfile",
    "Cleaning",
    "DateFormat",
    "ListProfile",
    "PageRule",
    "Selector",
    "Site",
    "SiteDefinitionError",
    "TextMarks",
    "selectors_for",
]

# Naive time stamps of the group's sites are Hong Kong time.
HONG_KONG = ZoneInfo("Asia/Hong_Kong")

_TRANSLATOR = HTMLTranslator()

# The cleaning rules a site can switch on (clean.py; models.Cleaning says what each does).
CLEANING_RULES = ("print_layout", "captions", "byline_line", "repeated_paragraphs")

# Elements inside an article body that are never article text, on any site.
FURNITURE = "script, style, noscript, iframe, form, button"

# Lines Chinese news portals print as furniture inside a body (share bar, ranking
# and related boxes), for a site's Cleaning.furniture_lines: a line is dropped
# only when it is exactly one of these, never for containing the word.
FURNITURE_LINES = (
    "分享到", "分享到：", "分享到:", "返回頂部", "返回顶部", "相關新聞", "相关新闻", "點擊排行", "点击排行", "排行榜",
    "推薦閱讀", "推荐阅读", "相關閱讀", "相关阅读", "熱門新聞", "热门新闻", "打印本頁", "打印本页", "關閉窗口", "关闭窗口",
)


class SiteDefinitionError(ValueError):
    """A site module defines something that cannot work (a selector cssselect cannot read)."""


@dataclass(frozen=True)
class Selector:
    """A CSS selector and the XPath cssselect compiles it to, evaluated on a whole document."""

    css: str
    xpath: etree.XPath = field(repr=False, compare=False)
    # Every alternative tests the element alone (no descendant or child
    # combinator): evaluated from an element, it finds the same matches inside
    # it as from the document, without walking the rest of the page.
    element_only: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def compile(cls, css: str, *, site: str) -> Selector:
        try:
            path = _TRANSLATOR.css_to_xpath(css)
            compiled = etree.XPath(path)
        except (SelectorError, etree.XPathError) as exc:
            raise SiteDefinitionError(
                f"site {site!r}: selector {css!r} is not CSS that cssselect can read ({type(exc).__name__}: {exc}); "
                "write it in the CSS subset cssselect supports"
            ) from exc
        if "[0]" in path:  # cssselect's translation of :hover, :visited …: a selector that matches nothing
            raise SiteDefinitionError(f"site {site!r}: selector {css!r} can never match a page (XPath {path})")
        return cls(css, compiled, _element_only(path))


def _element_only(path: str) -> bool:
    """Whether each ``|`` alternative of an XPath is ``descendant-or-self::name[...]`` with nothing outside its predicates."""
    depth, quote = 0, ""
    parts: list[str] = []
    current: list[str] = []
    for ch in path:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif depth == 0 and ch == "|":
            parts.append("".join(current).strip())
            current = []
            continue
        elif depth == 0 and (ch == "/" or ch == "("):
            return False  # a step (a combinator) or a function outside a predicate
        current.append(ch)
    parts.append("".join(current).strip())
    return all(re.fullmatch(r"descendant-or-self::(?:\*|[\w-]+)(?:\[.*\])?", p, re.DOTALL) for p in parts)


def selectors_for(site: str) -> Callable[[str], Selector]:
    """``css = selectors_for("name")``; ``css("div.body")``: a compiler whose errors name the site."""

    def css(selector: str) -> Selector:
        return Selector.compile(selector, site=site)

    return css


@dataclass(frozen=True)
class ArticleProfile:
    """Where one site system keeps the parts of an article page."""

    detect: Selector  # matches only this system's article pages
    title: Selector
    body: Selector
    furniture: Selector  # elements inside the body that are never article text
    time: Selector | None = None
    author: Selector | None = None
    author_label: re.Pattern[str] | None = None  # the author's name in the author block's text, group "name"
    pagination: Selector | None = None  # links to the further pages of the article
    title_suffixes: tuple[str, ...] = ()  # what the site appends to <title>
    captions: Selector | None = None  # elements inside the body that are captions (figcaption always is)


@dataclass(frozen=True)
class ListProfile:
    """Where a list page keeps its entries and its next-page link."""

    entry_links: Selector  # anchors of article entries
    next_page: Selector  # anchors that lead to the next list page


@dataclass(frozen=True)
class PageRule:
    """How a site names the pages of a multi-page article: ``<id>.html``, ``<id>_2.html`` …"""

    suffix: re.Pattern[str]  # the page suffix at the end of a URL, group 1 the page number (>= 2)
    first: str  # what replaces the suffix on the first page

    def first_page(self, url: str) -> str:
        return self.suffix.sub(self.first, url)

    def page_of(self, name: str, first_name: str) -> int | None:
        """The page number when the file name ``name`` is a page of the article whose first page is ``first_name``."""
        stem = first_name.removesuffix(self.first)
        m = self.suffix.search(name)
        if m is None or name[: m.start()] != stem or m.end() != len(name):
            return None
        return int(m.group(1))


@dataclass(frozen=True)
class DateFormat:
    """One way a site prints a time stamp; ``convert`` raises ValueError for one that is no valid time."""

    pattern: re.Pattern[str]
    convert: Callable[[re.Match[str]], datetime] = field(compare=False)


@dataclass(frozen=True)
class TextMarks:
    """What a site prints into the article text, for the clean stage to recognise."""

    byline_papers: tuple[str, ...] = ()  # the paper's name before 記者 on a byline line (大公報記者 …)
    credit_papers: tuple[str, ...] = ()  # the paper's name before 記者…攝 in a photo credit
    title_names: tuple[str, ...] = ()  # the site's name after a separator at the end of a title (…_大公网)


@dataclass(frozen=True)
class Site:
    """Everything the archive knows of one site: its hosts, URL shapes, markup, dates and text marks."""

    name: str
    host_roles: tuple[tuple[str, str], ...]  # (host suffix, role): page, mirror or epaper
    mirror_group: tuple[str, ...]  # hosts that serve the same article under the same path
    article_url: re.Pattern[str]  # searched in a URL's path part; group "page" the page number, if any
    article_id_segment: re.Pattern[str]  # the last path segment of an article URL, on any host
    article: ArticleProfile
    lists: ListProfile
    dates: tuple[DateFormat, ...]
    marks: TextMarks = TextMarks()
    pages: PageRule | None = None  # None: the site's articles are one page
    redirect_is_takedown: bool = True  # a redirect from an article to a URL without an article id
    cleaning: Cleaning = field(default_factory=Cleaning)  # the cleaning rules its pages need (none: keep the paragraphs as they are)
    # Host patterns ("www.wenweipo.com", "*.wenweipo.com"): when given, only pages
    # of these hosts are this site's; when empty, its markup alone decides.
    page_hosts: tuple[str, ...] = ()
    definition: str = ""  # a configured site: its table as canonical JSON (derivation.py digests it)
    # Phrases the site's own block, captcha or maintenance pages print, beyond those every
    # site's do (read.pagekind): such a page is never a version nor a removal.
    block_phrases: tuple[str, ...] = ()

    def claims(self, url: str) -> bool:
        """True when a page at ``url`` may be this site's (its markup still has to match)."""
        if not self.page_hosts:
            return True
        host = (urlsplit(url).hostname or "").lower()
        return any(fnmatch.fnmatchcase(host, pattern) for pattern in self.page_hosts)

    def parse_time(self, text: str) -> datetime | None:
        """The first of this site's date formats found in ``text``; None when none is, or it is no valid time."""
        for fmt in self.dates:
            m = fmt.pattern.search(text)
            if m:
                try:
                    return fmt.convert(m)
                except (ValueError, OverflowError):
                    return None
        return None

    def role(self, host: str) -> str | None:
        for suffix, role in self.host_roles:
            if host.endswith(suffix):
                return role
        return None

    def is_article_url(self, url: str) -> bool:
        return self.claims(url) and self.article_url.search(_bare(url)) is not None

    def page_number(self, url: str) -> int | None:
        """The page number of an article URL of this site (1 without a suffix), None for another URL."""
        if not self.claims(url):
            return None
        m = self.article_url.search(_bare(url))
        if m is None:
            return None
        page = m.groupdict().get("page")
        return int(page) if page else 1

    def has_article_id(self, url: str) -> bool:
        return self.article_id_segment.fullmatch(urlsplit(url).path.rsplit("/", 1)[-1]) is not None


def _bare(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0]
