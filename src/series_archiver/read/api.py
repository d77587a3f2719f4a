"""``extract_article``: what the archive would store of one page, for a caller with the page in hand.

The library's one-page reading, for other tools and notebooks: the same
decoding, site profiles (built-in and configured), extraction, cleaning and
series matching a crawl applies, with no archive and no network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx

from series_archiver.models import Block
from series_archiver.read.charset import decode_page
from series_archiver.read.clean import clean
from series_archiver.read.discovery import series_of
from series_archiver.read.extract import extract
from series_archiver.read.reading import Reading
from series_archiver.settings import Settings, load_settings

__all__ = ["ExtractedArticle", "extract_article"]


@dataclass(frozen=True)
class ExtractedArticle:
    """One page's article as the archive would store it (a version's fields)."""

    url: str
    title: str
    text: str  # one block (paragraph or heading) a line
    byline: str | None
    published: datetime | None
    series: str  # the configured series the title names, or "unsorted"
    installment: int | None
    label: str | None
    blocks: tuple[Block, ...]
    captions: tuple[str, ...]
    profile: str  # the site profile (or generic path) that read it
    content_hash: str  # the folded title and text's hash: equal for two renderings of one text


def extract_article(
    html: str | bytes,
    url: str,
    headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    *,
    settings: Settings | None = None,
) -> ExtractedArticle:
    """Read one page: its title, text, byline, published time, installment and label, as the archive would store them.

    ``html`` as received (bytes, decoded as a fetched page is: header, BOM,
    ``<meta>``, then detection among the encodings Chinese pages use) or already
    text; ``headers`` the response's (their ``Content-Type`` charset counts).
    ``settings``: the series and ``[[sites]]`` to read with (default: the packaged ones).
    Raises ``ExtractError`` when the page holds no article, ``NotHTML`` or
    ``UndecodableText`` when the bytes are no web page.

    >>> page = '<html><head><title>貿戰下中國力量① 志氣篇｜一</title></head><body><h1>貿戰下中國力量① 志氣篇｜一</h1>'
    >>> page += '<article>' + '<p>這是一段足夠長的示例文字，讓抽取器認得它是正文。</p>' * 12 + '</article></body></html>'
    >>> found = extract_article(page, "https://news.example.org/a/1.html")
    >>> (found.installment, found.label)
    (1, '志氣篇')
    """
    settings = settings or load_settings()
    if isinstance(html, bytes):
        pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or ())
        html = decode_page(url, httpx.Headers(pairs), html, len(html)).text
    article = clean([extract(html, url, sites=settings.site_profiles)])
    match = series_of(article, None, settings.series)
    return ExtractedArticle(
        url=url, title=article.title, text=article.text, byline=article.byline, published=article.published,
        series=match.series, installment=match.installment, label=match.label, blocks=article.blocks,
        captions=article.captions, profile=article.profile, content_hash=Reading.of(article.title, article.text).key,
    )
