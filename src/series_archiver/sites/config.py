"""Site profiles written in config: one ``[[sites]]`` table -> one ``Site``, like the built-in ones.

A user who follows another outlet describes its pages in config.toml instead
of writing a module here::

    [[sites]]
    name = "wenweipo"
    hosts = ["www.wenweipo.com"]
    title = "h1.title"
    body = "div.post-body"
    time = "time.publish-date"
    time_format = "%Y-%m-%d %H:%M:%S"

Every selector is compiled by cssselect when the settings load, as a built-in
site's is at import: a selector it cannot read, an unknown key, a bad time
format or timezone is a ``ConfigError`` naming the key (``sites[0].body``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from series_archiver.errors import ConfigError
from series_archiver.models import Cleaning
from series_archiver.sites.base import (
    CLEANING_RULES,
    FURNITURE,
    ArticleProfile,
    DateFormat,
    ListProfile,
    PageRule,
    Selector,
    Site,
    SiteDefinitionError,
)

__all__ = ["SITE_KEYS", "site_from_table"]

# Every key a [[sites]] table may have, and what it holds (docs/sites.md and config.toml say the same).
SITE_KEYS: Mapping[str, str] = {
    "name": "the profile's name, stored as each version's profile",
    "hosts": "host patterns of the site's pages (www.example.com, *.example.com); they become fetchable",
    "detect": "a CSS selector that must match for a page to be the site's",
    "title": "CSS: the title element (else <title> without title_suffixes)",
    "title_suffixes": "what the site appends to <title>",
    "body": "CSS: the element holding the article text",
    "byline": "CSS: the author element (a leading 作者： or 記者： is dropped)",
    "time": "CSS: the element holding the publication time",
    "time_format": "how time prints it, in strptime codes (%Y-%m-%d %H:%M:%S)",
    "timezone": "the zone of a time printed without one (Asia/Hong_Kong)",
    "captions": "CSS: caption elements inside the body",
    "next_page": "CSS: links to the article's further pages (<id>_2.html …)",
    "article_urls": "a regular expression an article URL matches (searched in the URL; a group page= is the page number)",
    "furniture": "CSS selectors of elements inside the body that are never text",
    "furniture_lines": "whole lines the site prints as furniture (分享到：)",
    "mirrors": "other hosts that serve the same articles at the same paths",
    "cleaning": f"cleaning rules to switch on: {', '.join(CLEANING_RULES)}",
    "papers": "the paper's names as printed before 記者 in a byline line or photo credit",
    "block_phrases": "phrases the site's own block, captcha or maintenance page prints (never a version nor a removal)",
}
_REQUIRED = ("name", "body")

_STRPTIME = {
    "Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{1,2}", "d": r"\d{1,2}", "H": r"\d{1,2}", "I": r"\d{1,2}",
    "M": r"\d{2}", "S": r"\d{2}", "f": r"\d{1,6}", "p": r"(?:AM|PM|am|pm)", "b": r"[A-Za-z]{3}",
    "B": r"[A-Za-z]+", "a": r"[A-Za-z]{3}", "A": r"[A-Za-z]+", "z": r"(?:Z|[+-]\d{2}:?\d{2})", "%": "%",
}
# Without time_format: 2025-07-04 04:30:53, 2025-07-04T04:30, 2025/07/04 04:30.
_DEFAULT_TIME = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?")
_BYLINE_LABEL = re.compile(r"^\s*(?:(?:作者|記者|记者|撰文|文)\s*[：:|｜]\s*)?(?P<name>\S.*?)\s*$")


def site_from_table(raw: Any, key: str, *, source: str | None = None) -> Site:
    """The ``Site`` a ``[[sites]]`` table describes; ``key`` is its place (``sites[0]``) for errors."""
    if not isinstance(raw, dict):
        raise ConfigError(key, "must be a [[sites]] table", source=source)
    for name in raw:
        if name not in SITE_KEYS:
            raise ConfigError(f"{key}.{name}", f"is not a known key (known in [[sites]]: {', '.join(SITE_KEYS)})", source=source)
    for name in _REQUIRED:
        if name not in raw:
            raise ConfigError(f"{key}.{name}", "is required in a [[sites]] table", source=source)
    table = _Table(raw, key, source)
    name = table.text("name")
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", name) or name in ("trafilatura", "generic"):
        raise ConfigError(f"{key}.name", f"{name!r} must be a short name of letters, digits, _ . - (and not a generic path's name)", source=source)
    hosts = tuple(h.lower() for h in table.strings("hosts"))
    mirrors = tuple(h.lower() for h in table.strings("mirrors"))
    for field, values in (("hosts", hosts), ("mirrors", mirrors)):
        for host in values:
            if not re.fullmatch(r"(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+", host):
                raise ConfigError(f"{key}.{field}", f"{host!r} is no host name (www.example.com, or *.example.com for every subdomain)", source=source)
    if mirrors and not hosts:
        raise ConfigError(f"{key}.mirrors", "needs hosts: mirrors serve the same paths as the site's own hosts", source=source)
    rules = table.strings("cleaning")
    for rule in rules:
        if rule not in CLEANING_RULES:
            raise ConfigError(f"{key}.cleaning", f"{rule!r} is no cleaning rule (rules: {', '.join(CLEANING_RULES)})", source=source)
    body = table.selector("body")
    assert body is not None  # required above
    detect = table.selector("detect") or body
    furniture_css = ", ".join((FURNITURE, *table.strings("furniture", css=True)))
    next_page = table.selector("next_page")
    exact = tuple(h for h in hosts if not h.startswith("*."))
    papers = table.strings("papers")
    return Site(
        name=name,
        host_roles=tuple((h.removeprefix("*."), "page") for h in hosts) + tuple((h.removeprefix("*."), "mirror") for h in mirrors),
        mirror_group=(*exact, *mirrors) if mirrors else (),
        # Without article_urls a configured site's URL shapes are not known: its pages are
        # found by their links on list pages, and recognised by host and markup.
        article_url=_pattern(table, "article_urls", key, source),
        article_id_segment=re.compile(r"(?!)"),
        article=ArticleProfile(
            detect=detect,
            title=table.selector("title") or _compile("title", "h1", key, source),
            body=body,
            furniture=_compile("furniture", furniture_css, key, source),
            time=table.selector("time"),
            author=table.selector("byline"),
            author_label=_BYLINE_LABEL if "byline" in raw else None,
            pagination=next_page,
            title_suffixes=table.strings("title_suffixes"),
            captions=table.selector("captions"),
        ),
        lists=ListProfile(
            entry_links=_compile("lists", "a[href]", key, source),
            next_page=_compile("lists", "a[rel~='next'][href]", key, source),
        ),
        dates=(_date_format(table, key, source),),
        pages=PageRule(suffix=re.compile(r"_(\d+)\.html$"), first=".html") if next_page is not None else None,
        redirect_is_takedown=False,
        cleaning=Cleaning(frozenset(rules), byline_papers=papers, credit_papers=papers, furniture_lines=table.strings("furniture_lines")),
        page_hosts=hosts,
        # Block phrases decide no text: changing them must not look like a new way of reading the pages.
        definition=json.dumps({k: v for k, v in raw.items() if k != "block_phrases"}, ensure_ascii=False, sort_keys=True, default=str),
        block_phrases=table.strings("block_phrases"),
    )


class _Table:
    """Typed reads of one table, each error naming its key."""

    def __init__(self, raw: dict[str, Any], key: str, source: str | None) -> None:
        self.raw, self.key, self.source = raw, key, source

    def text(self, name: str) -> str:
        value = self.raw.get(name, "")
        if not isinstance(value, str) or (name in self.raw and not value.strip()):
            raise ConfigError(f"{self.key}.{name}", f"must be a non-empty string, not {value!r}", source=self.source)
        return value.strip()

    def strings(self, name: str, *, css: bool = False) -> tuple[str, ...]:
        value = self.raw.get(name, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{self.key}.{name}", f"must be a list of non-empty strings, not {value!r}", source=self.source)
        if css:
            for v in value:
                _compile(name, v, self.key, self.source)
        return tuple(v.strip() for v in value)

    def selector(self, name: str) -> Selector | None:
        if name not in self.raw:
            return None
        return _compile(name, self.text(name), self.key, self.source)


def _compile(name: str, css: str, key: str, source: str | None) -> Selector:
    try:
        return Selector.compile(css, site=key)
    except SiteDefinitionError as exc:
        raise ConfigError(f"{key}.{name}", str(exc).split(": ", 1)[1], source=source) from None


def _pattern(table: _Table, name: str, key: str, source: str | None) -> re.Pattern[str]:
    if name not in table.raw:
        return re.compile(r"(?!)")
    text = table.text(name)
    try:
        return re.compile(text)
    except re.error as exc:
        raise ConfigError(f"{key}.{name}", f"{text!r} is no regular expression ({exc})", source=source) from None


def _date_format(table: _Table, key: str, source: str | None) -> DateFormat:
    zone_name = table.text("timezone") if "timezone" in table.raw else "Asia/Hong_Kong"
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{key}.timezone", f"{zone_name!r} is no IANA time zone (Asia/Hong_Kong, UTC)", source=source) from None
    if "time_format" not in table.raw:
        def default(m: re.Match[str]) -> datetime:
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
            return datetime(y, mo, d, h, mi, s, tzinfo=zone)

        return DateFormat(_DEFAULT_TIME, default)
    fmt = table.text("time_format")
    pattern = _strptime_pattern(fmt, f"{key}.time_format", source)
    return DateFormat(pattern, _strptime_convert(fmt, zone))


def _strptime_pattern(fmt: str, key: str, source: str | None) -> re.Pattern[str]:
    parts: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%":
            code = fmt[i + 1 : i + 2]
            if code not in _STRPTIME:
                raise ConfigError(key, f"%{code} is not supported (use {' '.join('%' + c for c in _STRPTIME)})", source=source)
            parts.append(_STRPTIME[code])
            i += 2
        elif ch.isspace():
            parts.append(r"\s+")
            i += 1
        else:
            parts.append(re.escape(ch))
            i += 1
    if not any(c in fmt for c in ("%Y", "%y")) or "%d" not in fmt:
        raise ConfigError(key, f"{fmt!r} must name the year (%Y) and the day (%d)", source=source)
    return re.compile("".join(parts))


def _strptime_convert(fmt: str, zone: ZoneInfo) -> Callable[[re.Match[str]], datetime]:
    def convert(m: re.Match[str]) -> datetime:
        parsed = datetime.strptime(re.sub(r"\s+", " ", m.group(0)), re.sub(r"\s+", " ", fmt))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)

    return convert
