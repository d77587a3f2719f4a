"""One response, whichever source it came from: a page, a next hop, a removal, a takedown or a block page.

Every source answers a URL with a status and, for a redirect, a Location:
the live site (``sources.live``), a web archive replaying a capture
(``sources.wayback``), a record of a WARC file (``sources.warc``). What that
answer *means* is decided here, once, for all of them:

* 200 is a page (and 304, when the request was conditional, is "not modified");
* 404 and 410 are a removal (``GoneError``): the article is marked gone, its versions kept;
* a redirect from an article to a page without an article id (the home or a
  column page) is a takedown (``GoneError`` with its target), where the site's
  profile says so (``Site.redirect_is_takedown``);
* any other redirect is the next hop, followed up to ``MAX_REDIRECTS``;
* anything else is no page (``HTTPStatusError``);
* a block page, whatever its status (a challenge, a captcha, a maintenance
  page: ``read.pagekind``), is neither the page nor its removal: ``check_block``
  raises ``Blocked`` for a source that has the answer's body.

What makes a takedown or a block page is ``read.pagekind``'s, with the other page-kind rules.

``follow`` walks the hops of one URL with a source's ``hop`` function. A
source that replays fixed captures (a web archive, a file) gives the same
answer every time, so a redirect back to a URL already visited is a loop at
once; the live site may answer differently the second time (a cookie set on
the way), so there only the bound stops it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol, TypeVar
from urllib.parse import urljoin, urlsplit

from series_archiver.errors import Blocked, GoneError, HTTPStatusError
from series_archiver.models import Attempt
from series_archiver.read import pagekind
from series_archiver.sites import BUILT_IN, Registry

__all__ = [
    "GONE_STATUSES",
    "MAX_REDIRECTS",
    "REDIRECT_STATUSES",
    "Answer",
    "NextHop",
    "Final",
    "check_block",
    "follow",
    "judge",
]

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
GONE_STATUSES = frozenset({404, 410})
_REASONS = {404: "Not Found", 410: "Gone"}


class Answer(Protocol):
    """What a source answered for one URL: enough to judge it."""

    @property
    def url(self) -> str: ...  # the URL this answer is for (a hop's own URL)

    @property
    def status(self) -> int: ...

    @property
    def location(self) -> str | None: ...  # the Location header, as sent


A = TypeVar("A", bound=Answer)


@dataclass(frozen=True)
class Final:
    """The answer is the end of the chain: a page (200), or a 304 to a conditional request."""


@dataclass(frozen=True)
class NextHop:
    """The answer is a redirect to follow."""

    target: str


def judge(asked: str, answer: Answer, *, where: str = "", conditional: bool = False, registry: Registry = BUILT_IN) -> Final | NextHop:
    """What ``answer`` (to ``asked`` or one of its hops) means; a removal, a takedown or no page raises.

    ``where`` says in which source the answer was seen (`` in the web archive's
    capture of …``), for the messages; nothing else depends on the source.
    """
    status = answer.status
    if status == 200 or (status == 304 and conditional):
        return Final()
    if status in GONE_STATUSES:
        reason = _REASONS[status]
        message = f"{_hop(asked, answer.url)}HTTP {status} {reason}{where}: the page is gone; the article is marked gone, its versions kept"
        raise GoneError(asked, status, message, reason=reason)
    if status in REDIRECT_STATUSES:
        location = (answer.location or "").strip()
        if not location:
            raise HTTPStatusError(asked, status, f"{_hop(asked, answer.url)}HTTP {status} redirect without a Location header{where}; open the URL in a browser")
        target = _join(answer.url, location)
        if target is None:
            raise HTTPStatusError(asked, status, f"HTTP {status} redirect to an invalid Location {location!r}{where}; open the URL in a browser")
        if pagekind.is_takedown(asked, target, registry):
            # takungpao answers a removed article with a redirect to the home or column page
            message = (
                f"redirected to {target}, a home or list page, not an article{where}: the article was taken down; "
                "it is marked gone, its versions kept"
            )
            raise GoneError(asked, status, message, target=target)
        return NextHop(target)
    message = f"{_hop(asked, answer.url)}HTTP {status}{_phrase(status)}{where}, not retried"
    if status in (401, 403):
        message += "; check in a browser whether the site blocks the crawler (fetch.user_agent, fetch.delay_seconds)"
    elif status == 304:
        message += "; the server answered 304 to a request that was not conditional"
    raise HTTPStatusError(asked, status, message)


def check_block(
    asked: str,
    url: str,
    status: int,
    markup: str,
    *,
    headers: Iterable[tuple[str, str]] = (),
    where: str = "",
    registry: Registry = BUILT_IN,
    attempts: Sequence[Attempt] = (),
) -> None:
    """Raise ``Blocked`` when the answer ``url`` gave (to ``asked`` or one of its hops) is a block page.

    ``markup`` is the answer's body as text, ``headers`` its headers; the site's
    own phrases come from ``registry`` (``Site.block_phrases``).
    """
    page = pagekind.block_page(markup, status=status, headers=headers, phrases=registry.block_phrases(url))
    if page is None:
        return
    site = urlsplit(url).hostname or url
    message = (
        f"{_hop(asked, url)}HTTP {status}{_phrase(status)}{where} is a block page, not the page: {page.reason}. "
        f"{site} is blocking the crawler; nothing is recorded and the article keeps its status. "
        "Open the URL in a browser from this machine; slow down (fetch.delay_seconds) or ask the site to let the crawler in"
    )
    raise Blocked(asked, message, site=site, reason=page.reason, status=status, attempts=attempts)


def follow(
    asked: str,
    hop: Callable[[str], A],
    *,
    where: Callable[[A], str] = lambda _answer: "",
    conditional: bool = False,
    replays: bool = False,
    registry: Registry = BUILT_IN,
) -> tuple[A, tuple[str, ...]]:
    """Ask ``hop`` for ``asked``, then for each redirect's target, until a final answer; it and the redirects followed.

    ``replays``: the source gives the same answer every time (a web archive, a file), so a redirect back to a URL
    already visited is a loop at once.
    """
    current = asked
    redirects: list[str] = []
    for _ in range(MAX_REDIRECTS + 1):
        answer = hop(current)
        verdict = judge(asked, answer, where=where(answer), conditional=conditional, registry=registry)
        if isinstance(verdict, Final):
            return answer, tuple(redirects)
        if replays and verdict.target in (asked, *redirects):
            raise HTTPStatusError(asked, answer.status, f"the redirects{where(answer)} loop back to {verdict.target}; open the URL in a browser")
        redirects.append(verdict.target)
        current = verdict.target
    raise HTTPStatusError(
        asked, answer.status, f"more than {MAX_REDIRECTS} redirects (last to {current}); the site is looping, open the URL in a browser"
    )


def _phrase(status: int) -> str:
    try:
        return " " + HTTPStatus(status).phrase
    except ValueError:
        return ""


def _hop(asked: str, url: str) -> str:
    """Names the hop in a message when it is not the URL asked for."""
    return "" if url == asked else f"redirected to {url}: "


def _join(base: str, location: str) -> str | None:
    try:
        target = urljoin(base, location)
    except ValueError:
        return None
    return target if target.startswith(("http://", "https://")) else None
