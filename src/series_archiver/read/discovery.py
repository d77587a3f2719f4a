"""Discovery: find the installments of a series on list pages.

No feed or sitemap is known for these sites, so discovery scans list pages
(and print-edition indexes) for links whose anchor text or ``title`` matches
the series pattern, following the list's pagination up to ``max_pages``.
Titles differ between list, page and e-paper (separators, spaces, the label,
a column prefix 「要聞\\」, the script), so matching happens on a folded form.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

from series_archiver.errors import FetchError
from series_archiver.models import Article, Candidate, FetchedPage, SeriesMatch
from series_archiver.read import htmltree
from series_archiver.read.htmltree import Page
from series_archiver.settings import FetchSettings, SeriesSettings
from series_archiver.sites import NEXT_PAGE_WORDS, SITES, first_page_url, is_article_url
from series_archiver.textfold import normalize, to_simplified

__all__ = ["DiscoveryResult", "ListReading", "discover", "find_candidates", "match_series", "parse_installment", "read_list_page", "series_of"]

_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}  # ①..⑳
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_LABEL = re.compile(r"([\u3400-\u9fff]{1,4}篇)")


# A list page's links mostly repeat from page to page (navigation, ranking): their
# forms are remembered rather than folded again on every page and every pass.
@lru_cache(maxsize=4096)
def _match_form(text: str) -> str:
    """Script- and width-folded, spaceless: the form series patterns are matched on.

    NFKC is deliberately not applied: it would turn ① into a bare 1 and lose
    the installment mark before it is parsed.
    """
    text = normalize(text).replace("\ufeff", "")
    text = "".join(unicodedata.normalize("NFKC", ch) if ch not in _CIRCLED else ch for ch in text)
    return re.sub(r"\s+", "", to_simplified(text))


@lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(_match_form(pattern))


def chinese_number(text: str) -> int | None:
    """一 -> 1, 十二 -> 12, 二十 -> 20; None for anything else."""
    if not text or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGITS[ch]
        return value
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def parse_installment(rest: str) -> int | None:
    """The installment number right after the series name: ①, (一), 之一, 1, 第一篇."""
    rest = rest.lstrip("|｜︱/\\:：·・-—")
    if rest[:1] in _CIRCLED:
        return _CIRCLED[rest[0]]
    m = re.match(r"[(（]([一二三四五六七八九十两兩〇零]+|\d+)[)）]", rest)
    if m is None:
        m = re.match(r"(?:之|第)([一二三四五六七八九十两兩〇零]+|\d+)", rest)
    if m is None:
        m = re.match(r"(\d{1,3})(?!\d)", rest)
    if m is None:
        return None
    token = m.group(1)
    return int(token) if token.isdigit() else chinese_number(token)


def match_series(title: str, series: SeriesSettings) -> SeriesMatch | None:
    """A ``SeriesMatch`` when ``title`` names an installment of ``series``.

    Titles that merely share words with the series (「中國力量閃耀…」,
    「貿戰陰霾下…」) do not match: the whole pattern must.
    """
    form = _match_form(title)
    m = _compiled(series.pattern).search(form)
    if m is None:
        return None
    after = form[m.end():]
    label_m = _LABEL.search(normalize(title)[_original_offset(title, m.end()):] if after else "")
    return SeriesMatch(series=series.name, installment=parse_installment(after), label=label_m.group(1) if label_m else None)


def series_of(article: Article, candidate: Candidate | None, series: Sequence[SeriesSettings]) -> SeriesMatch:
    """Series, installment and label of one reading: its title, the list entry it was found under, the body's first headings.

    The label may be in any of them (「貿戰下中國力量① 志氣篇」 as a kicker when
    the title lacks it). A reading that names no series belongs to its list
    entry's, or to ``unsorted``.
    """
    titles = [article.title, *([candidate.title] if candidate and candidate.title else []), *article.headings[:3]]
    for one in series:
        found = [m for m in (match_series(title, one) for title in titles) if m is not None]
        if found:
            installment = next((m.installment for m in found if m.installment is not None), None)
            if installment is None and candidate is not None:
                installment = candidate.installment
            label = next((m.label for m in found if m.label and m.installment in (None, installment)), None)
            return SeriesMatch(one.name, installment, label or (candidate.label if candidate else None))
    if candidate is not None:
        return SeriesMatch(candidate.series, candidate.installment, candidate.label)
    return SeriesMatch("unsorted", None, None)


def _original_offset(title: str, folded_end: int) -> int:
    """Map an offset in the spaceless folded form back into the normalized title.

    Folding keeps one character per character except that whitespace is removed,
    so counting non-space characters is enough.
    """
    text = normalize(title)
    count = 0
    for i, ch in enumerate(text):
        if count == folded_end:
            return i
        if not ch.isspace():
            count += 1
    return len(text)


@dataclass
class DiscoveryResult:
    candidates: list[Candidate] = field(default_factory=list)
    pages_scanned: list[str] = field(default_factory=list)
    errors: list[FetchError] = field(default_factory=list)


def _anchor_title(tree: Page, a: etree._Element) -> str:
    title = a.get("title")
    if isinstance(title, str) and title.strip():
        return title
    return tree.text(a, " ", strip=True)


def find_candidates(page: FetchedPage, series: SeriesSettings, fetch: FetchSettings, tree: Page | None = None) -> list[Candidate]:
    """Links on one list page that lead to an installment of ``series``."""
    tree = tree if tree is not None else _list_tree(page.text)
    if tree is None:
        return []
    found: dict[str, Candidate] = {}
    for a in tree.find_all("a", href=True):
        title = _anchor_title(tree, a)
        if not title:
            continue
        match = match_series(title, series)
        if match is None:
            continue
        try:
            url = first_page_url(urljoin(page.final_url, str(a.get("href")).strip()))
        except ValueError:  # a malformed link (href="http://[::1/") is skipped, not fatal
            continue
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not fetch.host_allowed(parts.hostname or ""):
            continue
        if url not in found:
            found[url] = Candidate(
                url=url,
                title=normalize(title),
                series=series.name,
                installment=match.installment,
                label=match.label,
                found_on=page.final_url,
            )
    return list(found.values())


def _join(base: str, href: str) -> str | None:
    try:
        return urljoin(base, href.strip())
    except ValueError:
        return None


def next_list_page(page: FetchedPage, tree: Page | None) -> str | None:
    """The next page of a list: a site's next link, a 下一頁 link, or rel=next."""
    if tree is None:
        return None
    for site in SITES:
        link = tree.select_one(site.lists.next_page)
        if link is not None:
            return _join(page.final_url, str(link.get("href")))
    for a in tree.find_all("a", href=True):
        rel = htmltree.attribute(a, "rel") or []
        text = tree.text(a, strip=True)
        if "next" in rel or text in NEXT_PAGE_WORDS:
            href = str(a.get("href")).strip()
            if href and not href.startswith(("javascript:", "#")):
                return _join(page.final_url, href)
    link_tag = tree.find("link", rel="next", href=True)
    if link_tag is not None:
        return _join(page.final_url, str(link_tag.get("href")))
    return None


@dataclass(frozen=True)
class ListReading:
    """What one list page gives discovery: its links to installments, and the next page of the list."""

    candidates: tuple[Candidate, ...]
    next_url: str | None


def read_list_page(page: FetchedPage, series: SeriesSettings, fetch: FetchSettings) -> ListReading:
    """One list page read for ``series``: all discovery takes from it."""
    tree = _list_tree(page.text)
    return ListReading(tuple(find_candidates(page, series, fetch, tree)), next_list_page(page, tree))


def discover(
    series: SeriesSettings, fetch_settings: FetchSettings, get: Callable[[str], FetchedPage | ListReading]
) -> DiscoveryResult:
    """Scan the series' start URLs and their pagination; ``get`` fetches (and logs) a page.

    ``get`` may instead hand back the page's reading (``read_list_page``), when it knows the page
    is the one it read before (a 304 to a conditional request): the page is then not read again.
    """
    result = DiscoveryResult()
    seen_urls: set[str] = set()
    for candidate in _known_urls(series):
        seen_urls.add(candidate.url)
        result.candidates.append(candidate)
    for start in series.start_urls:
        for reading in _list_pages(start, series, fetch_settings, get, result):
            for candidate in reading.candidates:
                if candidate.url not in seen_urls:
                    seen_urls.add(candidate.url)
                    result.candidates.append(candidate)
    for candidate in list(result.candidates):
        for mirrored in mirror_urls(candidate.url, series.mirrors):
            if mirrored not in seen_urls:
                seen_urls.add(mirrored)
                result.candidates.append(dataclasses.replace(candidate, url=mirrored, via="mirror"))
    return result


def mirror_urls(url: str, mirrors: tuple[tuple[str, ...], ...]) -> list[str]:
    """The same article path on the other hosts of its mirror group.

    ``www.takungpao.com`` -> ``www.takungpao.com.hk``; ``epaper.tkww.hk`` -> ``www.tkww.hk``.
    A list that links an article by ``http://`` also yields its ``https://``
    twin: the archive prefers the secure URL as primary, and keeps both.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not is_article_url(url):
        return []
    # (Only where no port is named: an https twin of http://host:8080/ is no twin.)
    twin = parts.scheme == "http" and parts.port is None
    out = [urlunsplit(("https", parts.netloc, parts.path, parts.query, ""))] if twin else []
    for group in mirrors:
        if host in group:
            out.extend(urlunsplit(("https", other, parts.path, parts.query, "")) for other in group if other != host)
            break
    return out


def _known_urls(series: SeriesSettings) -> Iterator[Candidate]:
    for url in series.urls:
        yield Candidate(url=first_page_url(url), title="", series=series.name, via="config")


def _list_pages(
    start: str, series: SeriesSettings, fetch: FetchSettings, get: Callable[[str], FetchedPage | ListReading],
    result: DiscoveryResult,
) -> Iterator[ListReading]:
    url: str | None = start
    visited: set[str] = set()
    while url and url not in visited and len(visited) < series.max_pages:
        visited.add(url)
        try:
            got = get(url)
        except FetchError as exc:
            result.errors.append(exc)
            return
        result.pages_scanned.append(url)
        reading = got if isinstance(got, ListReading) else read_list_page(got, series, fetch)
        yield reading
        url = reading.next_url
        if url and is_article_url(url):
            return  # a list's next link never leads into an article; stop rather than wander


def _list_tree(text: str) -> Page | None:
    """A list page's tree; None for one that holds no element, or that lxml refuses (no links to follow)."""
    try:
        return htmltree.parse(text)
    except (etree.LxmlError, ValueError, TypeError):
        return None
