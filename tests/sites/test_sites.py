"""sites/: the registry's API, each site's rules, and selectors that fail where the site is defined."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from series_archiver import sites
from series_archiver.sites import (
    HONG_KONG,
    SITES,
    Selector,
    SiteDefinitionError,
    article_page_number,
    first_page_url,
    has_article_id,
    is_article_url,
    is_takedown_redirect,
    mirror_groups,
    parse_site_time,
    takungpao,
    tkww,
    url_rank,
    url_role,
)
from series_archiver.sites.base import selectors_for

TKP = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"
TKWW = "https://epaper.tkww.hk/a/202512/16/AP69406e6ba3c5e1f20b7d4c9e.html"


def test_the_registry_holds_one_site_per_module() -> None:
    assert SITES == (takungpao.SITE, tkww.SITE)
    assert [s.name for s in SITES] == ["takungpao", "tkww"]


def test_every_selector_is_compiled_when_the_site_is_defined() -> None:
    for site in SITES:
        for profile in (site.article, site.lists):
            for f in dataclasses.fields(profile):
                value = getattr(profile, f.name)
                if isinstance(value, Selector):
                    assert value.xpath.path, (site.name, f.name)


@pytest.mark.parametrize("css", [":not(.a, .b)", 'p:-soup-contains("x")', "div >", "a:hover"])
def test_a_selector_cssselect_cannot_use_fails_at_definition(css: str) -> None:
    with pytest.raises(SiteDefinitionError, match=re.escape(f"site 'demo': selector {css!r}")):
        selectors_for("demo")(css)


@pytest.mark.parametrize(
    ("url", "role"),
    [
        (TKP, "page"),
        ("http://takungpao.com/x", "page"),
        ("https://www.takungpao.com.hk/news/1.html", "mirror"),
        (TKWW, "epaper"),
        ("https://www.tkww.hk/a/1.html", "epaper"),
        ("http://127.0.0.1:8080/news/232108/2025/1215/1050001.html", "other"),
        ("not a url", "other"),
    ],
)
def test_url_roles(url: str, role: str) -> None:
    assert url_role(url) == role


def test_url_rank_prefers_the_main_site_then_https() -> None:
    urls = ["http://www.takungpao.com.hk/a", TKWW, "http://www.takungpao.com/a", "https://www.takungpao.com/a", "https://127.0.0.1/a"]
    assert sorted(urls, key=url_rank) == [
        "https://www.takungpao.com/a", "http://www.takungpao.com/a", "http://www.takungpao.com.hk/a", TKWW, "https://127.0.0.1/a"
    ]


def test_article_urls_and_pages_go_by_path_on_any_host() -> None:
    assert is_article_url(TKP) and is_article_url(TKWW)
    assert is_article_url("http://127.0.0.1:1/news/232108/2025/1215/1050001_2.html?x=1#top")
    assert not is_article_url("https://www.takungpao.com/news/232108/index.html")
    assert not is_article_url("https://www.tkww.hk/hongkong/")
    assert article_page_number(TKP.replace(".html", "_3.html")) == 3
    assert article_page_number(TKP) == article_page_number(TKWW) == 1
    assert article_page_number("https://www.takungpao.com/news/232108/index_2.html") == 1  # no article
    assert first_page_url(TKP.replace(".html", "_3.html#p")) == TKP
    assert first_page_url(TKWW + "#x") == TKWW


def test_article_ids_and_the_takedown_rule() -> None:
    assert has_article_id(TKP) and has_article_id(TKWW) and has_article_id(TKP.replace(".html", "_2.html"))
    assert not has_article_id("https://www.takungpao.com/") and not has_article_id("https://www.takungpao.com/news/232108/2.html")
    assert is_takedown_redirect(TKP, "https://www.takungpao.com/")
    assert is_takedown_redirect(TKWW, "https://www.tkww.hk/index.html")
    assert not is_takedown_redirect(TKP, TKP.replace("http", "https"))  # http -> https: the same article
    assert not is_takedown_redirect(TKP, "https://www.takungpao.com.hk/news/232108/2025/1215/1050001.html")
    assert not is_takedown_redirect("https://www.takungpao.com/news/232108/index.html", "https://www.takungpao.com/")


def test_a_site_can_say_its_redirects_are_no_takedowns() -> None:
    quiet = dataclasses.replace(takungpao.SITE, redirect_is_takedown=False)
    registry = sites.Registry((quiet, tkww.SITE))
    assert not registry.is_takedown_redirect(TKP, "https://www.takungpao.com/")
    assert registry.is_takedown_redirect(TKWW, "https://www.tkww.hk/")


def test_mirror_groups() -> None:
    assert mirror_groups() == (("www.takungpao.com", "www.takungpao.com.hk"), ("epaper.tkww.hk", "www.tkww.hk"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-12-15 04:24:25", datetime(2025, 12, 15, 4, 24, 25, tzinfo=HONG_KONG)),
        ("Tue Dec 16 04:24:11 GMT 2025", datetime(2025, 12, 16, 4, 24, 11, tzinfo=UTC)),
        ("Tue Dec 16 04:24:11 XYZ 2025", datetime(2025, 12, 16, 4, 24, 11, tzinfo=timezone(timedelta(hours=8)))),
        ("Tue Foo 16 04:24:11 HKT 2025", None),  # found, no month: no later format's reading
        ("2025-13-45 99:99", None),
        ("2025-12-17T01:02:03", datetime(2025, 12, 17, 1, 2, 3, tzinfo=HONG_KONG)),
        ("2025-12-17T01:02:03+00:00", datetime(2025, 12, 17, 1, 2, 3, tzinfo=UTC)),
    ],
)
def test_each_sites_date_formats(text: str, expected: datetime | None) -> None:
    assert parse_site_time(text) == expected


def test_page_rule() -> None:
    rule = takungpao.SITE.pages
    assert rule is not None and tkww.SITE.pages is None
    assert rule.page_of("1050001_2.html", "1050001.html") == 2
    assert rule.page_of("1050001_2.html#x", "1050001.html") is None
    assert rule.page_of("1050002_2.html", "1050001.html") is None
    assert rule.page_of("1050001_2.html\n", "1050001.html") is None
