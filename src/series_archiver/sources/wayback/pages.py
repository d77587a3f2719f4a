"""A memento read as the ``FetchedPage`` a live fetch gives, so the pipeline reads both alike.

``MementoPages(client, fetch_settings, timestamp)`` is a page source for one
moment: ``pages(url)`` asks the archive for ``url`` at that timestamp (the
archive answers with the nearest capture, as a browser of the Wayback Machine
sees it). A host outside ``fetch.allowed_hosts`` is refused, nothing asked.
What the captured status means (a page, a redirect followed in the archive at
the redirect's own capture time, a removal, a takedown) is ``read.response``'s,
as for every source; a 200 is decoded as a live page is (``read.charset``) and
dated by its ``Memento-Datetime``; its ``provenance`` names the memento and
``X-Archive-Src``.
"""

from __future__ import annotations

import httpx

from series_archiver.errors import FetchError, HostNotAllowed
from series_archiver.models import Attempt, FetchedPage, Provenance
from series_archiver.read.charset import decode_page
from series_archiver.read.response import check_block, follow
from series_archiver.settings import FetchSettings
from series_archiver.sites import BUILT_IN, Registry
from series_archiver.sources.wayback.cdx import format_timestamp
from series_archiver.sources.wayback.client import Memento, WaybackClient

__all__ = ["MementoPages"]


class MementoPages:
    """Pages as the web archive held them at one moment."""

    def __init__(self, client: WaybackClient, fetch: FetchSettings, timestamp: str, *, registry: Registry = BUILT_IN) -> None:
        self.client = client
        self.fetch = fetch
        self.timestamp = timestamp
        self.registry = registry

    def __call__(self, url: str) -> FetchedPage:
        attempts: list[Attempt] = []
        stamps = [self.timestamp]  # a redirect's target is asked for at the redirect's own capture time

        def hop(current: str) -> Memento:
            host = httpx.URL(current).host
            if not self.fetch.host_allowed(host):
                raise HostNotAllowed(url, f"host {host!r} is not in fetch.allowed_hosts; its captures are not read", attempts=attempts)
            try:
                memento = self.client.memento(stamps[-1], current)
            except FetchError as exc:
                exc.with_attempts([*attempts, *exc.attempts])
                raise
            attempts.extend(memento.attempts)
            stamps.append(format_timestamp(memento.captured_at))
            return memento

        def where(memento: Memento) -> str:
            return f" in the web archive's capture of {memento.captured_at.isoformat()}"

        try:
            memento, redirects = follow(url, hop, where=where, replays=True, registry=self.registry)
        except FetchError as exc:
            if not exc.attempts:
                exc.with_attempts(attempts)
            raise
        decoded = decode_page(memento.url, httpx.Headers(list(memento.headers)), memento.content, len(memento.content))
        # A memento of a challenge or captcha page (common: the archive's crawler meets them too) is no page of the article.
        check_block(url, memento.url, 200, decoded.text, headers=memento.headers, where=where(memento), registry=self.registry, attempts=attempts)
        return FetchedPage(
            url=url,
            final_url=memento.url,
            status=200,
            fetched_at=memento.captured_at,
            content=memento.content,
            text=decoded.text,
            encoding=decoded.encoding,
            content_type=decoded.content_type,
            response_headers=memento.headers,
            redirects=redirects,
            attempts=tuple(attempts),
            provenance=Provenance("wayback", memento_url=memento.memento_url, archive_src=memento.archive_src),
        )
