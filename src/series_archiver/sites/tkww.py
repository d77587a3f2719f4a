"""大公文匯 (www.tkww.hk, the e-paper epaper.tkww.hk): everything the archive knows of it.

When the live site changes its markup or its URLs, this is the one file to correct.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from series_archiver.sites.base import (
    CLEANING_RULES,
    FURNITURE,
    FURNITURE_LINES,
    HONG_KONG,
    ArticleProfile,
    Cleaning,
    DateFormat,
    ListProfile,
    Site,
    TextMarks,
    selectors_for,
)

__all__ = ["SITE"]

css = selectors_for("tkww")


_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
# Java prints the server's zone name; every server of the group runs on UTC+8.
_ZONES = {"HKT": timedelta(hours=8), "CST": timedelta(hours=8), "GMT": timedelta(0), "UTC": timedelta(0)}


def _java_time(m: re.Match[str]) -> datetime:
    """Tue Dec 16 04:24:11 HKT 2025, as the JSON-LD of the pages has it."""
    mon, d, h, mi, s, zone, y = m.groups()
    if mon not in _MONTHS:
        raise ValueError(f"no month {mon!r}")
    offset = _ZONES.get(zone.upper(), timedelta(hours=8))
    return datetime(int(y), _MONTHS[mon], int(d), int(h), int(mi), int(s), tzinfo=timezone(offset))


def _list_time(m: re.Match[str]) -> datetime:
    """2026.02.28 22:16, as the list pages have it."""
    y, mo, d, h, mi = (int(g) for g in m.groups())
    return datetime(y, mo, d, h, mi, tzinfo=HONG_KONG)


SITE = Site(
    name="tkww",
    host_roles=(("tkww.hk", "epaper"),),
    mirror_group=("epaper.tkww.hk", "www.tkww.hk"),
    # /a/<yyyymm>/<dd>/AP<24 hex>.html
    article_url=re.compile(r"/a/\d{6}/\d{2}/(?P<id>AP[0-9a-fA-F]{24})\.html$"),
    article_id_segment=re.compile(r"[A-Za-z]{0,4}[0-9A-Fa-f]{16,}(?:_\d+)?\.s?html?", re.IGNORECASE),
    article=ArticleProfile(
        detect=css("h1.content-title-text, div.content-body-inner"),
        title=css("h1.content-title-text"),
        body=css("div.content-main-left div.content-body-inner, div.content-body-inner"),
        furniture=css(f"{FURNITURE}, .share, .bdsharebuttonbox, #tkpcomment"),
        title_suffixes=("- 大公報 | 大公文匯 www.tkww.hk", "- 大公报 | 大公文汇 www.tkww.hk"),
    ),
    lists=ListProfile(
        entry_links=css("div.common-column-list-unit-1 a.common-column-list-unit-title-1[href]"),
        next_page=css("a.next[href], li.next a[href]"),
    ),
    dates=(
        DateFormat(
            re.compile(r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+(\w{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\w+)\s+(\d{4})"),
            _java_time,
        ),
        DateFormat(re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})\s+(\d{1,2}):(\d{2})"), _list_time),
    ),
    marks=TextMarks(byline_papers=("大公文匯", "大公文汇")),
    # The e-paper is the print edition typed in again: the same cuts, captions and byline line.
    cleaning=Cleaning(frozenset(CLEANING_RULES), furniture_lines=FURNITURE_LINES),
)
