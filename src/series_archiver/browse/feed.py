"""An Atom 1.0 feed of what happened to the archive: new installments, edits, restores, removals, returns.

People follow changes in feed readers. One feed covers the whole archive
(``/-/feeds/<database>.atom``), one each article (``/-/feeds/<database>/<id>.atom``),
newest first; both are linked from the pages they belong to
(``<link rel="alternate" type="application/atom+xml">``, see plugin.py).

Entry ids are tag URIs made of the archive's own row ids (a first version, or
a ``changes`` row), which never change, so a feed reader sees each event once
however often it polls. An edit's entry carries its diff.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from xml.etree import ElementTree as ET

from series_archiver.archive.views import FeedEvent

__all__ = ["render_feed", "entry_id", "ATOM_TYPE"]

ATOM_TYPE = "application/atom+xml"
_ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", _ATOM)

_WHAT = {
    "new": "new installment",
    "edit": "edited",
    "restore": "returned to an earlier text",
    "gone": "removed",
    "back": "online again",
}


def entry_id(database: str, event: FeedEvent) -> str:
    """Stable for the life of the archive: the row that recorded the event."""
    return f"tag:series-archiver,2025:{database}/{event.source}/{event.row_id}"


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{_ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def render_feed(
    *,
    database: str,
    title: str,
    events: Sequence[FeedEvent],
    self_url: str,
    alternate_url: str,
    article_url: Callable[[int], str],
    updated_when_empty: str,
) -> bytes:
    """The Atom document; ``article_url(id)`` is where an entry links (the article's history page)."""
    feed = ET.Element(f"{{{_ATOM}}}feed")
    _el(feed, "id", f"tag:series-archiver,2025:{database}/feed/{self_url.rsplit('/-/feeds/', 1)[-1]}")
    _el(feed, "title", title)
    _el(feed, "updated", events[0].at if events else updated_when_empty)
    _el(feed, "link", rel="self", type=ATOM_TYPE, href=self_url)
    _el(feed, "link", rel="alternate", type="text/html", href=alternate_url)
    author = _el(feed, "author")
    _el(author, "name", "series-archiver")
    _el(feed, "generator", "series-archiver")
    for event in events:
        entry = _el(feed, "entry")
        _el(entry, "id", entry_id(database, event))
        what = _WHAT.get(event.kind, event.kind)
        _el(entry, "title", f"{event.title} — {what}" + (f" (version {event.version})" if event.kind in ("edit", "restore") else ""))
        _el(entry, "updated", event.at)
        _el(entry, "published", event.at)
        _el(entry, "link", rel="alternate", type="text/html", href=article_url(event.article_id))
        _el(entry, "link", rel="related", type="text/html", href=event.url)
        summary = event.summary or (f"first archived from {event.url}" if event.kind == "new" else what)
        _el(entry, "summary", summary)
        if event.diff_html:
            # Our own markup (diff.render_html): the reader shows deletions and insertions.
            _el(entry, "content", event.diff_html, type="html")
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document
