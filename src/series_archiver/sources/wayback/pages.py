"""A memento read as the ``FetchedPage`` a live fetch gives, so the pipeline reads both alike.

``MementoPages(client, fetch_settings, timestamp)`` is a page source for one
moment: ``pages(url)`` asks the archive for ``url`` at that timestamp (the
archive answers with the nearest capture, as a browser of the Wayback Machine
sees it) and applies the live fetch's rules to what was captured:

- a host outside ``fetch.allowed_hosts`` is refused, nothing asked;
- a captured 404 or 410 raises ``GoneError``; a captured redirect to a home or
  list page (``sites.is_takedown_redirect``) too; any other captured redirect is
  followed in the archive, at the redirect's own capture time;
- a 200 is decoded as a live page is (``fetch.charset``) and dated by its
  ``Memento-Datetime``; its ``provenance`` names the memento and ``X-Archive-Src``.
"""

from __future__ import annotations

import httpx

from series_archiver.errors import FetchError, GoneError, HostNotAllowed, HTTPStatusError
from series_archiver.models import Attempt, FetchedPage, Provenance
from series_archiver.read.charset import decode_page
from series_archiver.settings import FetchSettings
from series_archiver.sites import is_takedown_redirect
from series_archiver.sources.wayback.cdx import format_timestamp
from series_archiver.sources.wayback.client import WaybackClient

__all__ = ["MementoPages", "MAX_CAPTURED_REDIRECTS"]

MAX_CAPTURED_REDIRECTS = 10


class MementoPages:
    """Pages as the web archive held them at one moment."""

    def __init__(self, client: WaybackClient, fetch: FetchSettings, timestamp: str, *, as_captured: dict[str, str] | None = None) -> None:
        self.client = client
        self.fetch = fetch
        self.timestamp = timestamp
        # The URL a capture was made at, for the URL the archive records it under (http -> https).
        self.as_captured = as_captured or {}

    def __call__(self, url: str) -> FetchedPage:
        attempts: list[Attempt] = []
        current, stamp = self.as_captured.get(url, url), self.timestamp
        redirects: list[str] = []
        for _ in range(MAX_CAPTURED_REDIRECTS + 1):
            host = httpx.URL(current).host
            if not self.fetch.host_allowed(host):
                raise HostNotAllowed(url, f"host {host!r} is not in fetch.allowed_hosts; its captures are not read", attempts=attempts)
            try:
                memento = self.client.memento(stamp, current)
            except FetchError as exc:
                exc.with_attempts([*attempts, *exc.attempts])
                raise
            attempts.extend(memento.attempts)
            status = memento.status
            if status == 200:
                headers = httpx.Headers(list(memento.headers))
                decoded = decode_page(current, headers, memento.content, len(memento.content))
                return FetchedPage(
                    url=url,
                    final_url=current,
                    status=200,
                    fetched_at=memento.captured_at,
                    content=memento.content,
                    text=decoded.text,
                    encoding=decoded.encoding,
                    content_type=decoded.content_type,
                    response_headers=memento.headers,
                    redirects=tuple(redirects),
                    attempts=tuple(attempts),
                    provenance=Provenance("wayback", memento_url=memento.memento_url, archive_src=memento.archive_src),
                )
            if status in (404, 410):
                reason = "Not Found" if status == 404 else "Gone"
                message = f"HTTP {status} {reason} in the web archive's capture of {memento.captured_at.isoformat()}: the page was gone then"
                raise GoneError(url, status, message, reason=reason, attempts=attempts)
            if memento.location:
                target = memento.location
                if is_takedown_redirect(url, target):
                    message = (
                        f"captured {memento.captured_at.isoformat()} redirecting to {target}, a home or list page: "
                        "the article had been taken down"
                    )
                    raise GoneError(url, status, message, target=target, attempts=attempts)
                if target in (current, *redirects):
                    raise HTTPStatusError(url, status, f"the captured redirects loop back to {target}", attempts=attempts)
                redirects.append(target)
                current, stamp = target, format_timestamp(memento.captured_at)
                continue
            raise HTTPStatusError(url, status, f"HTTP {status} in the web archive's capture; not a page", attempts=attempts)
        raise HTTPStatusError(url, 310, f"more than {MAX_CAPTURED_REDIRECTS} captured redirects", attempts=attempts)
