"""Site knowledge: the registry of sites and the small API the rest of the archive asks it through.

Each site is one module here (``takungpao.py``, ``tkww.py``) that builds a
``Site`` (``base.py``); ``SITES`` below registers it. To add a site, write its
module and add its ``SITE`` to ``SITES``: extraction, discovery, cleaning,
host roles and the takedown rule all read it from there.

URL rules go by the shape of the path, not by host, so a replica on
127.0.0.1 or a copy on another host is read the same.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from series_archiver.sites import takungpao, tkww
from series_archiver.sites.base import (
    HONG_KONG,
    ArticleProfile,
    DateFormat,
    ListProfile,
    PageRule,
    Selector,
    Site,
    SiteDefinitionError,
    TextMarks,
)

__all__ = [
    "HONG_KONG",
    "NEXT_PAGE_WORDS",
    "ROLE_RANK",
    "SITES",
    "ArticleProfile",
    "DateFormat",
    "ListProfile",
    "PageRule",
    "Selector",
    "Site",
    "SiteDefinitionError",
    "TextMarks",
    "article_page_number",
    "first_page_url",
    "has_article_id",
    "is_article_url",
    "is_takedown_redirect",
    "domains",
    "mirror_groups",
    "parse_site_time",
    "url_rank",
    "url_role",
]

# The registered sites, in the order their profiles are tried on a page.
SITES: tuple[Site, ...] = (takungpao.SITE, tkww.SITE)

# Next-page links by their words, on any site, and rel=next.
NEXT_PAGE_WORDS = ("下一页", "下一頁", "下頁", "下页", "Next", "next")

# Host ranking for the primary URL: the versions of an article are read from
# its primary URL, the main site before its mirror before the e-paper.
ROLE_RANK = {"page": 0, "mirror": 1, "epaper": 2, "copy": 3, "other": 4}


def domains() -> tuple[str, ...]:
    """Every registered site's domains (a host is of a site when it is one of them or below one)."""
    return tuple(sorted({suffix for site in SITES for suffix, _role in site.host_roles}))


def is_article_url(url: str) -> bool:
    """True for an article page of any site (list pages, the home page and the paper index are not)."""
    return any(site.is_article_url(url) for site in SITES)


def article_page_number(url: str) -> int:
    """1 for ``…/1234567.html``, 2 for ``…/1234567_2.html``; 1 for a URL that is no article."""
    for site in SITES:
        page = site.page_number(url)
        if page is not None:
            return page
    return 1


def first_page_url(url: str) -> str:
    """The first page of a multi-page article (``<id>_3.html`` -> ``<id>.html``), without its fragment.

    Every site's page rule applies to every URL: a link is cut to its first
    page before anything knows which site, if any, it leads to.
    """
    url = url.split("#", 1)[0]
    for site in SITES:
        if site.pages is not None:
            url = site.pages.first_page(url)
    return url


def has_article_id(url: str) -> bool:
    """True when the URL's last path segment carries an article id of some site, on any host."""
    return any(site.has_article_id(url) for site in SITES)


def is_takedown_redirect(asked_url: str, target_url: str) -> bool:
    """True when a redirect from ``asked_url`` to ``target_url`` means the article was taken down.

    takungpao answers a removed article with a redirect to the home or column
    page: from a URL with an article id to one without.
    """
    site = next((s for s in SITES if s.has_article_id(asked_url)), None)
    return site is not None and site.redirect_is_takedown and not has_article_id(target_url)


def parse_site_time(text: str) -> datetime | None:
    """Parse the sites' time stamps; naive ones are Hong Kong time.

    The first format found in ``text`` decides: a stamp it finds that is no
    valid time gives None, not a later format's reading.
    """
    for site in SITES:
        for fmt in site.dates:
            m = fmt.pattern.search(text)
            if m:
                try:
                    return fmt.convert(m)
                except ValueError:
                    return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=HONG_KONG)


def url_role(url: str) -> str:
    """page, mirror or epaper by the host's site; other for a host no site claims."""
    host = (urlsplit(url).hostname or "").lower()
    for site in SITES:
        role = site.role(host)
        if role is not None:
            return role
    return "other"


def url_rank(url: str) -> tuple[int, int]:
    """Lower is a better primary URL: by role, then https before http."""
    return ROLE_RANK.get(url_role(url), 9), 0 if url.startswith("https://") else 1


def mirror_groups() -> tuple[tuple[str, ...], ...]:
    """The hosts of each site that serve the same articles under the same paths."""
    return tuple(site.mirror_group for site in SITES if site.mirror_group)
