"""``seeds``: hand a big crawl to a cluster crawler, as a Browsertrix Crawler configuration (or a seed list).

An outlet-sized crawl is run elsewhere (Browsertrix on Kubernetes, Heritrix)
and its WACZ or WARCs come back through ``import``. What that crawl needs to
know is the series': its list pages and the article URLs the archive knows
(the seeds), which links to follow (the scope), how far, how many pages at
most, who is asking (the project's User-Agent) and how slowly (the per-host
delay). ``crawl_plan`` gathers those from the settings and the archive (read
only; a missing archive knows no article yet); ``browsertrix_yaml`` writes them
as Browsertrix Crawler's YAML crawl config; ``seed_list`` as one URL a line
(Heritrix's ``seeds.txt``, Browsertrix's ``seedFile``, ``wget -i``).

The options written, by the names Browsertrix Crawler documents them
(crawler.docs.browsertrix.com, "All Command-Line Options", "YAML Crawl
Config", "Crawl Scope"; a YAML key is an option's name): ``seeds`` (each
``url`` with its own ``scopeType``, ``include``), ``scopeType`` (``custom``:
"crawl based on the include regular expression rules"), ``include`` /
``exclude`` (``scopeIncludeRx`` / ``scopeExcludeRx``: regexes tested against
each page URL), ``depth``, ``extraHops``, ``pageLimit`` (alias ``limit``),
``workers``, ``userAgent``, ``pageExtraDelay`` (alias ``delay``),
``behaviors``, ``generateWACZ``, ``collection``, ``title``. The regexes are
JavaScript's (the crawler does ``new RegExp(rule)``): a site's Python pattern
is turned into one (``js_regex``), or refused with the site's name when it
uses what JavaScript lacks.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from series_archiver import urls
from series_archiver.archive import Archive
from series_archiver.errors import ConfigError
from series_archiver.settings import SeriesSettings, Settings
from series_archiver.sites import Site
from series_archiver.sources.http import user_agent

__all__ = ["CrawlPlan", "FORMATS", "DEFAULT_PAGE_LIMIT", "browsertrix_yaml", "crawl_plan", "js_regex", "seed_list", "write_seeds"]

FORMATS = ("browsertrix", "txt")
# Pages beyond the seeds a crawl may take: a bound on one that wanders (article pages link other
# articles, in scope too). Two pages a known article are added, so the seeds are never cut off.
DEFAULT_PAGE_LIMIT = 1000
# Hops from a list page: its pagination (max_pages - 1 hops), then an article, then the article's later pages.
_HOPS_PAST_PAGINATION = 2

# Python-only syntax JavaScript's RegExp would read otherwise or refuse: inline flags, \A \Z, comments, conditionals.
_NOT_JS = re.compile(r"\(\?[aiLmsux-]+[:)]|\\[AZ]|\(\?#|\(\?\(")


@dataclass(frozen=True)
class CrawlPlan:
    """What a crawl of the series run elsewhere needs: seeds, scope, bounds and manners."""

    series: tuple[str, ...]
    list_pages: tuple[str, ...]  # the series' start URLs: the crawl follows their pagination and their articles
    articles: tuple[tuple[str, str | None], ...]  # (a known article's first page, a regex of its own pages or None)
    include: tuple[str, ...]  # the pages a list page's crawl may take: list pagination and article pages
    depth: int
    page_limit: int
    user_agent: str
    delay_seconds: int  # whole seconds: Browsertrix's pageExtraDelay is an integer in its crawl-config API

    @property
    def seeds(self) -> tuple[str, ...]:
        return (*self.list_pages, *(url for url, _ in self.articles))


def js_regex(pattern: re.Pattern[str], *, where: str) -> str:
    """``pattern`` as JavaScript's ``new RegExp`` reads it the same (named groups renamed to its syntax).

    >>> js_regex(re.compile(r"/a/(?P<id>\\d+)(?:_(?P<page>\\d+))?\\.html$"), where="x")
    '/a/(?<id>\\\\d+)(?:_(?<page>\\\\d+))?\\\\.html$'
    """
    text = pattern.pattern
    if pattern.flags & re.IGNORECASE or _NOT_JS.search(text):
        raise ConfigError(where, f"the pattern {text!r} uses what a JavaScript regex lacks (inline flags, \\A, \\Z); write it without")
    return re.sub(r"\(\?P=(\w+)\)", r"\\k<\1>", text.replace("(?P<", "(?<"))


def _hosts_rx(hosts: Iterable[str]) -> str:
    """Any of ``hosts`` or a subdomain of one (as ``fetch.host_allowed`` reads them), either scheme, any port."""
    names = "|".join(re.escape(h.lower().rstrip(".")) for h in sorted(set(hosts)))
    return rf"^https?://(?:[^/?#@]+\.)?(?:{names})(?::\d+)?"


def _list_rx(url: str) -> str:
    """The list page's folder, one level: its pagination (``2.html``, ``index.html?page=2``), not what is below it."""
    parts = urlsplit(url)
    folder = parts.path[: parts.path.rfind("/") + 1] or "/"
    return rf"^https?://{re.escape(parts.netloc)}{re.escape(folder)}[^/#]*$"


def _article_rx(site: Site, hosts: str) -> str | None:
    """An article page of ``site`` on an allowed host; None for a site whose article URLs are not known by shape."""
    if site.article_url.pattern == "(?!)":
        return None
    body = js_regex(site.article_url, where=f"sites.{site.name}.article_urls")
    # The host ends where the path begins: "www.takungpao.com.evil.example" is no allowed host.
    return body if body.startswith("^") else hosts + r"(?:/[^?#]*)?" + body


def _own_pages_rx(url: str, site: Site | None) -> str | None:
    """A regex of one article's own pages (``…/1050642.html``, ``…/1050642_2.html``), by its site's page rule."""
    rule = site.pages if site is not None else None
    if rule is None or not url.endswith(rule.first):
        return None
    base = re.escape(url[: -len(rule.first)]).replace(re.escape(urlsplit(url).scheme + "://"), "https?://", 1)
    later = js_regex(rule.suffix, where=f"sites.{site.name if site else '?'}.pages").removesuffix("$")
    return f"^{base}(?:{later}|{re.escape(rule.first)})$"


def _site_of(settings: Settings, url: str) -> Site | None:
    return next((s for s in settings.registry.sites if s.is_article_url(url)), None)


def _known_articles(settings: Settings, series: SeriesSettings) -> list[str]:
    """The series' article URLs the archive knows (every host it saw them on), and the configured ones."""
    found: list[str] = []
    db = settings.archive.db
    if db.exists():
        with Archive(db, readonly=True) as archive:
            found.extend(archive.series_urls(series.name))
    found.extend(series.urls)
    return found


def crawl_plan(settings: Settings, *, series: str | None = None, page_limit: int | None = None) -> CrawlPlan:
    """The seeds, scope and bounds of a crawl of ``series`` (every series when None) run elsewhere."""
    chosen = [s for s in settings.series if series is None or s.name == series]
    if not chosen:
        names = ", ".join(s.name for s in settings.series) or "none configured"
        raise ConfigError("--series", f"no series named {series!r} (known: {names})")
    if page_limit is not None and page_limit < 1:
        raise ConfigError("--page-limit", f"a crawl needs at least one page, not {page_limit}")
    registry = settings.registry
    fetch = settings.fetch
    hosts = _hosts_rx(fetch.allowed_hosts)
    list_pages: list[str] = []
    seen: set[str] = set()
    for s in chosen:
        for url in s.start_urls:
            if urls.key(url) not in seen and fetch.host_allowed(urlsplit(url).hostname or ""):
                seen.add(urls.key(url))
                list_pages.append(url)
    # One seed a page, whichever twin the archive saw it at: https before http (urls.key is scheme-blind).
    known: dict[str, str] = {}
    for s in chosen:
        for url in _known_articles(settings, s):
            first = registry.first_page_url(url)
            key = urls.key(first)
            if key in seen or not fetch.host_allowed(urlsplit(first).hostname or ""):
                continue
            if key not in known or (first.startswith("https://") and not known[key].startswith("https://")):
                known[key] = first
    articles = [(url, _own_pages_rx(url, _site_of(settings, url))) for url in known.values()]
    include = [*(_list_rx(u) for u in list_pages)]
    for site in registry.sites:
        rx = _article_rx(site, hosts)
        if rx is not None and rx not in include:
            include.append(rx)
    return CrawlPlan(
        series=tuple(s.name for s in chosen),
        list_pages=tuple(list_pages),
        articles=tuple(articles),
        include=tuple(include),
        depth=max(s.max_pages for s in chosen) - 1 + _HOPS_PAST_PAGINATION,
        page_limit=page_limit if page_limit is not None else DEFAULT_PAGE_LIMIT + 2 * len(articles),
        user_agent=user_agent(fetch),
        delay_seconds=math.ceil(fetch.delay_seconds),
    )


def _q(value: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one: YAML 1.2 reads JSON)."""
    return json.dumps(value, ensure_ascii=False)


def browsertrix_yaml(plan: CrawlPlan) -> str:
    """The plan as a Browsertrix Crawler YAML crawl config (``crawl --config FILE``)."""
    names = "、".join(plan.series)
    out = [
        f"# Browsertrix Crawler crawl config for {names}, written by `series-archiver seeds --format browsertrix`.",
        "# Run it: docker run -v $PWD/crawls:/crawls -v $PWD/this.yaml:/app/crawl.yaml webrecorder/browsertrix-crawler \\",
        "#   crawl --config /app/crawl.yaml ; then: series-archiver import crawls/collections/<collection>/<collection>.wacz",
        "",
        "# The list pages (their scope below: their pagination and the article pages they lead to), then each",
        "# article the archive knows (its own pages only).",
        "seeds:",
    ]
    out += [f"  - url: {_q(url)}" for url in plan.list_pages]
    for url, own in plan.articles:
        out.append(f"  - url: {_q(url)}")
        if own is None:
            out.append("    scopeType: page")
        else:
            out += ["    scopeType: custom", f"    include: [{_q(own)}]"]
    out += [
        "",
        "# scopeType custom: a linked page is crawled when it matches one of include (JavaScript regexes, tested",
        "# against the page URL) and none of exclude. Add robots.txt's Disallow paths to exclude: the project's own",
        "# crawls never request them.",
        "scopeType: custom",
        "include:",
        *(f"  - {_q(rx)}" for rx in plan.include),
        "exclude: []",
        f"depth: {plan.depth}  # hops from a seed: a list's pagination, then an article, then its later pages",
        "extraHops: 0",
        f"pageLimit: {plan.page_limit}  # at most this many pages in all (the seeds count)",
        "",
        "# Manners: the project's User-Agent (with its contact), one page at a time, and fetch.delay_seconds",
        "# between two pages (pageExtraDelay, in seconds; with one worker it is the gap per host too).",
        f"userAgent: {_q(plan.user_agent)}",
        "workers: 1",
        f"pageExtraDelay: {plan.delay_seconds}",
        "# The archive reads the HTML the server sent: no scrolling, autoplay or fetching of media.",
        "behaviors: []",
        "",
        "# One WACZ of the crawl, for `series-archiver import`.",
        "generateWACZ: true",
        'collection: "series-archiver-@ts"',
        f"title: {_q(f'{names} (series-archiver seeds)')}",
        "",
    ]
    return "\n".join(out)


def seed_list(plan: CrawlPlan) -> str:
    """The seeds, one URL a line: Heritrix's seeds.txt, Browsertrix's ``seedFile``, ``wget -i``."""
    return "".join(f"{url}\n" for url in plan.seeds)


def write_seeds(settings: Settings, *, series: str | None = None, fmt: str = "browsertrix", page_limit: int | None = None) -> str:
    """The text ``seeds`` writes, in ``fmt`` (``browsertrix`` or ``txt``)."""
    if fmt not in FORMATS:
        raise ConfigError("--format", f"no format {fmt!r} (known: {', '.join(FORMATS)})")
    plan = crawl_plan(settings, series=series, page_limit=page_limit)
    return browsertrix_yaml(plan) if fmt == "browsertrix" else seed_list(plan)
