"""Site knowledge: selectors, URL shapes and date formats, one profile per site system.

When the live site changes its markup, this is the one file to correct. The
notes these selectors come from are in the README ("Site profiles").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

HONG_KONG = ZoneInfo("Asia/Hong_Kong")


@dataclass(frozen=True)
class ArticleProfile:
    """Where one site system keeps the parts of an article page."""

    name: str
    detect: str  # a CSS selector that only this system's article pages match
    title: str
    body: str
    time: str | None = None
    author: str | None = None
    pagination: str | None = None
    title_suffixes: tuple[str, ...] = ()
    # Elements inside the body that are never article text.
    furniture: str = "script, style, noscript, iframe, form, button, .share, .bdsharebuttonbox, #tkpcomment"


# 大公網 (takungpao.com, its .com.hk mirror): older pages use h2 for the title,
# and the author block has two markup variants; match on class, never on the
# whole class attribute ("tkp_con_author clearfix").
TAKUNGPAO = ArticleProfile(
    name="takungpao",
    detect=".tkp_con_title, div.tkp_content",
    title="h1.tkp_con_title, h2.tkp_con_title",
    body="div.tkp_content",
    time=".tkp_con_author",
    author=".tkp_con_author",
    pagination="div.tkp_page a[href]",
    title_suffixes=("_大公网", "_大公網", "－大公网", "-大公网", " - 大公网"),
)

# 大公文匯 (tkww.hk, epaper.tkww.hk).
TKWW = ArticleProfile(
    name="tkww",
    detect="h1.content-title-text, div.content-body-inner",
    title="h1.content-title-text",
    body="div.content-main-left div.content-body-inner, div.content-body-inner",
    title_suffixes=("- 大公報 | 大公文匯 www.tkww.hk", "- 大公报 | 大公文汇 www.tkww.hk"),
)

ARTICLE_PROFILES: tuple[ArticleProfile, ...] = (TAKUNGPAO, TKWW)


@dataclass(frozen=True)
class ListProfile:
    """Where a list page keeps its entries and its next-page link."""

    name: str
    entry_links: str  # anchors of article entries
    next_page: str  # anchors that lead to the next list page


LIST_PROFILES: tuple[ListProfile, ...] = (
    ListProfile(
        name="takungpao",
        entry_links="div.wrap_left dl.item dd a[href], div.wrap_left dl.item dt a[href]",
        next_page="div.tkp_page a.cms_nextpage[href]",
    ),
    ListProfile(
        name="tkww",
        entry_links="div.common-column-list-unit-1 a.common-column-list-unit-title-1[href]",
        next_page="a.next[href], li.next a[href]",
    ),
)

# Next-page links by their words, on any system, and rel=next.
NEXT_PAGE_WORDS = ("下一页", "下一頁", "下頁", "下页", "Next", "next")

# An article URL on either system; list pages, the home page and the paper
# index do not match. Ids have been 7 digits since 2025; accept any length.
ARTICLE_URL = re.compile(
    r"""/(?:
        (?:news|opinion|finance|culture|[a-z]+)/\d+/\d{4}/\d{4}/(?P<tkp_id>\d+)(?:_(?P<page>\d+))?\.html
      | a/\d{6}/\d{2}/(?P<tkww_id>AP[0-9a-fA-F]{24})\.html
    )$""",
    re.VERBOSE,
)


# Looser than ARTICLE_URL, for telling a takedown redirect: the last path segment
# of an article carries its id (1234567.html, 1234567_2.html, AP<24 hex>.html);
# home and list pages (/, index.html, 2.html) carry none.
_ARTICLE_ID_SEGMENT = re.compile(r"(?:\d{5,}|[A-Za-z]{0,4}[0-9A-Fa-f]{16,})(?:_\d+)?\.s?html?", re.IGNORECASE)


def has_article_id(url: str) -> bool:
    path = urlsplit(url).path
    return bool(_ARTICLE_ID_SEGMENT.fullmatch(path.rsplit("/", 1)[-1]))


def article_page_number(url: str) -> int:
    """1 for ``…/1234567.html``, 2 for ``…/1234567_2.html``."""
    m = ARTICLE_URL.search(url.split("?", 1)[0].split("#", 1)[0])
    return int(m.group("page")) if m and m.group("page") else 1


def first_page_url(url: str) -> str:
    """The first page of a multi-page article (``<id>_3.html`` -> ``<id>.html``)."""
    return re.sub(r"_(\d+)\.html$", ".html", url.split("#", 1)[0])


def is_article_url(url: str) -> bool:
    return ARTICLE_URL.search(url.split("?", 1)[0].split("#", 1)[0]) is not None


# --- dates ---------------------------------------------------------------

_TKP_TIME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?")
_JAVA_TIME = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(\w{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\w+)\s+(\d{4})"
)
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
# Java prints the server's zone name; every server of the group runs on UTC+8.
_ZONES = {"HKT": timedelta(hours=8), "CST": timedelta(hours=8), "GMT": timedelta(0), "UTC": timedelta(0)}


def parse_site_time(text: str) -> datetime | None:
    """Parse the sites' time stamps; naive ones are Hong Kong time."""
    m = _TKP_TIME.search(text)
    if m:
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
        try:
            return datetime(y, mo, d, h, mi, s, tzinfo=HONG_KONG)
        except ValueError:
            return None
    m = _JAVA_TIME.search(text)
    if m:
        mon, d, h, mi, s, zone, y = m.groups()
        if mon not in _MONTHS:
            return None
        offset = _ZONES.get(zone.upper(), timedelta(hours=8))
        try:
            return datetime(int(y), _MONTHS[mon], int(d), int(h), int(mi), int(s), tzinfo=timezone(offset))
        except ValueError:
            return None
    m = re.search(r"(\d{4})\.(\d{1,2})\.(\d{1,2})\s+(\d{1,2}):(\d{2})", text)  # tkww lists
    if m:
        y, mo, d, h, mi = (int(g) for g in m.groups())
        try:
            return datetime(y, mo, d, h, mi, tzinfo=HONG_KONG)
        except ValueError:
            return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=HONG_KONG)


# Host ranking for the primary URL: the versions of an article are read from
# its primary URL, the main site before its mirror before the e-paper.
ROLE_RANK = {"page": 0, "mirror": 1, "epaper": 2, "copy": 3, "other": 4}


def url_rank(url: str) -> tuple[int, int]:
    """Lower is a better primary URL: by role, then https before http."""
    return ROLE_RANK.get(url_role(url), 9), 0 if url.startswith("https://") else 1


def url_role(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    if host.endswith("takungpao.com.hk"):
        return "mirror"
    if host.endswith("tkww.hk"):
        return "epaper"
    if host.endswith("takungpao.com"):
        return "page"
    return "other"
