"""大公網 (www.takungpao.com and its mirror www.takungpao.com.hk): everything the archive knows of it.

When the live site changes its markup or its URLs, this is the one file to
correct. The notes these selectors come from are in docs/sites.md ("Built-in site profiles").
"""

from __future__ import annotations

import re
from datetime import datetime

from series_archiver.sites.base import (
    CLEANING_RULES,
    FURNITURE,
    FURNITURE_LINES,
    HONG_KONG,
    ArticleProfile,
    Cleaning,
    DateFormat,
    ListProfile,
    PageRule,
    Site,
    TextMarks,
    selectors_for,
)

__all__ = ["SITE"]

css = selectors_for("takungpao")



def _time(m: re.Match[str]) -> datetime:
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    return datetime(y, mo, d, h, mi, s, tzinfo=HONG_KONG)


SITE = Site(
    name="takungpao",
    # The .com.hk mirror serves the same paths; .com.hk does not end with takungpao.com.
    host_roles=(("takungpao.com.hk", "mirror"), ("takungpao.com", "page")),
    mirror_group=("www.takungpao.com", "www.takungpao.com.hk"),
    # /<column>/<column id>/<year>/<mmdd>/<id>[_<page>].html. Ids have been
    # 7 digits since 2025; accept any length.
    article_url=re.compile(r"/(?:news|opinion|finance|culture|[a-z]+)/\d+/\d{4}/\d{4}/(?P<id>\d+)(?:_(?P<page>\d+))?\.html$"),
    # Looser, for telling a takedown redirect on any host: home and list pages
    # (/, index.html, 2.html) carry no id of five digits or more.
    article_id_segment=re.compile(r"\d{5,}(?:_\d+)?\.s?html?", re.IGNORECASE),
    # Older pages use h2 for the title, and the author block has two markup
    # variants; match on class, never on the whole class attribute
    # ("tkp_con_author clearfix").
    article=ArticleProfile(
        detect=css(".tkp_con_title, div.tkp_content"),
        title=css("h1.tkp_con_title, h2.tkp_con_title"),
        body=css("div.tkp_content"),
        furniture=css(f"{FURNITURE}, .share, .bdsharebuttonbox, #tkpcomment"),
        time=css(".tkp_con_author"),
        author=css(".tkp_con_author"),
        author_label=re.compile(r"作者[：:]\s*(?P<name>[^\s　]+)"),
        pagination=css("div.tkp_page a[href]"),
        title_suffixes=("_大公网", "_大公網", "－大公网", "-大公网", " - 大公网"),
    ),
    lists=ListProfile(
        entry_links=css("div.wrap_left dl.item dd a[href], div.wrap_left dl.item dt a[href]"),
        next_page=css("div.tkp_page a.cms_nextpage[href]"),
    ),
    # 2025-12-15 04:24:25, 時間：2025-12-15 04:24
    dates=(DateFormat(re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"), _time),),
    marks=TextMarks(
        byline_papers=("大公報", "大公报"),  # 大公報記者 某某
        credit_papers=("大公報", "大公报"),  # 大公報記者某某攝
        title_names=("大公网", "大公網", "大公報", "大公报"),
    ),
    # Its pages come from the print edition: cut paragraphs, ▲ captions and
    # caption fragments, the 大公報記者 line, blocks printed twice; the share
    # bar's 「分享到：」 line is furniture.
    cleaning=Cleaning(frozenset(CLEANING_RULES), furniture_lines=FURNITURE_LINES),
    # A long article is <id>.html, <id>_2.html, <id>_3.html …
    pages=PageRule(suffix=re.compile(r"_(\d+)\.html$"), first=".html"),
)
