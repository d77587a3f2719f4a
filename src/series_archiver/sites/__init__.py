"""Site knowledge: the registry of sites and the small API the rest of the archive asks it through.

Each site is one module here (``takungpao.py``, ``tkww.py``) that builds a
``Site`` (``base.py``); ``SITES`` below registers it. To add a site, write its
module and add its ``SITE`` to ``SITES``: extraction, discovery, cleaning,
host roles and the takedown rule all read it from there.

URL rules go by the shape of the path, not by host, so a replica on
127.0.0.1 or a copy on another host is read the same.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    "BUILT_IN",
    "NEXT_PAGE_WORDS",
    "Registry",
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


@dataclass(frozen=True)
class Registry:
    """The sites a run knows, built-in and configured (``Settings.registry``): every URL rule asks it.

    The URL rules go by the shape of the path, not by host, so a replica on
    127.0.0.1 or a copy on another host is read the same; a configured site
    claims only its own hosts.
    """

    sites: tuple[Site, ...]

    def is_article_url(self, url: str) -> bool:
        """True for an article page of any site (list pages, the home page and the paper index are not)."""
        return any(site.is_article_url(url) for site in self.sites)

    def article_page_number(self, url: str) -> int:
        """1 for ``…/1234567.html``, 2 for ``…/1234567_2.html``; 1 for a URL that is no article."""
        for site in self.sites:
            page = site.page_number(url)
            if page is not None:
                return page
        return 1

    def first_page_url(self, url: str) -> str:
        """The first page of a multi-page article (``<id>_3.html`` -> ``<id>.html``), without its fragment.

        A built-in site's page rule applies to every URL (a link is cut to its first page before anything
        knows which site it leads to); a configured site's only to its own hosts and article URLs.
        """
        url = url.split("#", 1)[0]
        for site in self.sites:
            if site.pages is not None and (not site.page_hosts or (site.claims(url) and site.is_article_url(url))):
                url = site.pages.first_page(url)
        return url

    def has_article_id(self, url: str) -> bool:
        """True when the URL's last path segment carries an article id of some site, on any host."""
        return any(site.has_article_id(url) for site in self.sites)

    def is_takedown_redirect(self, asked_url: str, target_url: str) -> bool:
        """True when a redirect from ``asked_url`` to ``target_url`` means the article was taken down.

        takungpao answers a removed article with a redirect to the home or column
        page: from a URL with an article id to one without.
        """
        site = next((s for s in self.sites if s.has_article_id(asked_url)), None)
        return site is not None and site.redirect_is_takedown and not self.has_article_id(target_url)

    def block_phrases(self, url: str) -> tuple[str, ...]:
        """The phrases the sites of ``url``'s host add to the block-page rules (``Site.block_phrases``, read.pagekind)."""
        host = (urlsplit(url).hostname or "").lower()
        return tuple(p for site in self.sites if site.block_phrases and site.role(host) is not None for p in site.block_phrases)

    def url_role(self, url: str) -> str:
        """page, mirror or epaper by the host's site; other for a host no site claims."""
        host = (urlsplit(url).hostname or "").lower()
        for site in self.sites:
            role = site.role(host)
            if role is not None:
                return role
        return "other"

    def url_rank(self, url: str) -> tuple[int, int]:
        """Lower is a better primary URL: by role, then https before http."""
        return ROLE_RANK.get(self.url_role(url), 9), 0 if url.startswith("https://") else 1

    def mirror_groups(self) -> tuple[tuple[str, ...], ...]:
        """The hosts of each site that serve the same articles under the same paths."""
        return tuple(site.mirror_group for site in self.sites if site.mirror_group)


# The built-in sites alone: what a caller without settings (a doctest, a reader of the archive) asks.
BUILT_IN = Registry(SITES)
is_article_url = BUILT_IN.is_article_url
article_page_number = BUILT_IN.article_page_number
first_page_url = BUILT_IN.first_page_url
has_article_id = BUILT_IN.has_article_id
is_takedown_redirect = BUILT_IN.is_takedown_redirect
url_role = BUILT_IN.url_role
url_rank = BUILT_IN.url_rank
mirror_groups = BUILT_IN.mirror_groups


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
