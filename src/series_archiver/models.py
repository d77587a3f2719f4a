"""The frozen values the pipeline stages hand to each other.

fetch -> ``FetchedPage``; extract -> ``Extracted``; clean -> ``Article``;
store -> ``StoredVersion``. None of them is a dict: a typo is an AttributeError,
not a silent ``None``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

BlockKind = Literal["paragraph", "heading"]


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt, exactly as the fetch log records it."""

    url: str
    started_at: datetime
    attempt: int
    status: int | None
    outcome: str  # ok, not_modified, retry, error, refused, skipped, gone, blocked, too_large, truncated, interrupted
    error: str | None = None
    elapsed_ms: float = 0.0
    bytes: int = 0


@dataclass(frozen=True)
class Provenance:
    """Where a page came from when it was not fetched live: a web archive's memento, or a WARC record.

    A live fetch has none (``captures.source`` is ``live``).
    """

    source: str  # "wayback" (any CDX server with playback) or "warc"
    memento_url: str | None = None  # <playback_url><timestamp>id_/<url>, as requested
    archive_src: str | None = None  # the archive's X-Archive-Src: the WARC it served the memento from
    warc_file: str | None = None
    warc_record_id: str | None = None
    warc_offset: int | None = None


@dataclass(frozen=True)
class FetchedPage:
    """A successful response (or a 304) with everything WARC export needs."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int
    fetched_at: datetime
    content: bytes  # the payload as received, after content-encoding was undone
    text: str  # ``content`` decoded
    encoding: str
    content_type: str = "text/html"
    request_headers: tuple[tuple[str, str], ...] = ()
    response_headers: tuple[tuple[str, str], ...] = ()
    http_version: str = "HTTP/1.1"
    redirects: tuple[str, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    provenance: Provenance | None = None  # None: fetched live
    replaced_bytes: int = 0  # damaged bytes that decoding read as U+FFFD (``content`` keeps them)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @functools.cached_property
    def sha256(self) -> str:
        """The payload's SHA-256 (hex), computed once however many times the import, the writer and the archive ask."""
        return hashlib.sha256(self.content).hexdigest()

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.response_headers:
            if key.lower() == lname:
                return value
        return None


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str


@dataclass(frozen=True)
class Extracted:
    """What a site profile read off one page, before cleaning."""

    url: str
    profile: str
    title: str
    blocks: tuple[Block, ...]
    published: datetime | None = None
    byline: str | None = None
    captions: tuple[str, ...] = ()
    next_pages: tuple[str, ...] = ()  # further pages of a multi-page article, in order
    # The cleaning rules of the profile that read the page (sites/base.py Cleaning);
    # None: the rules of the built-in site named by ``profile``, if any.
    cleaning: Cleaning | None = None


@dataclass(frozen=True)
class Cleaning:
    """Which cleaning rules a site profile switches on, and the names they need (clean.py).

    Rules: ``print_layout`` (rejoin paragraphs the layout cut), ``captions``
    (▲ captions and caption fragments leave the body), ``byline_line`` (the
    大公報記者 line becomes the byline), ``repeated_paragraphs`` (a paragraph
    printed twice is kept once). ``furniture_lines`` are whole lines the site
    prints as furniture (「分享到：」), dropped only when a line is exactly one.
    """

    rules: frozenset[str] = frozenset()
    byline_papers: tuple[str, ...] = ()
    credit_papers: tuple[str, ...] = ()
    furniture_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    """A cleaned article: the unit that is compared, versioned and shown."""

    url: str
    profile: str
    title: str
    blocks: tuple[Block, ...]
    published: datetime | None = None
    byline: str | None = None
    captions: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()  # every page URL the text was read from

    @property
    def paragraphs(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if b.kind == "paragraph")

    @property
    def headings(self) -> tuple[str, ...]:
        return tuple(b.text for b in self.blocks if b.kind == "heading")

    @functools.cached_property
    def text(self) -> str:
        """Body text, one block per line: what versions and diffs are made of.

        Joined once (a recording asks for it several times); ``cached_property`` keeps it in the
        instance's ``__dict__``, beside the frozen fields, and it is of those fields alone."""
        return "\n".join(b.text for b in self.blocks)


@dataclass(frozen=True)
class SeriesMatch:
    """A title recognised as part of a series."""

    series: str
    installment: int | None
    label: str | None


@dataclass(frozen=True, slots=True)  # an import keeps one per installment listed
class Candidate:
    """A link discovery found: a URL and the title it was listed under."""

    url: str
    title: str
    series: str
    installment: int | None = None
    label: str | None = None
    found_on: str | None = None
    # "list" (a list page links it), "config" (series.urls) or "mirror" (the same
    # path on a mirror host: it may well not exist there, and that is no failure).
    via: str = "list"


@dataclass(frozen=True)
class StoredVersion:
    article_id: int
    version: int
    content_hash: str
    captured_at: datetime
    title: str
    text: str
    url: str
    restores: int | None = None
    id: int = 0  # the versions row
    derivation_id: int | None = None  # which code read the text (derivation.py); None: not recorded
    capture_ids: tuple[int, ...] = ()  # the raw pages it was read from, page 1 first


@dataclass(frozen=True)
class StoredPage:
    """A raw page as the archive keeps it: its URL and bytes, with the encoding they were read in."""

    url: str
    content: bytes
    encoding: str


@dataclass
class PassCounts:
    """Counters of one pass (mutable: the pass fills it as it goes), whatever its source."""

    found: int = 0
    fetched: int = 0
    new_articles: int = 0
    new_versions: int = 0  # every version stored, earlier ones included
    unchanged: int = 0
    failed: int = 0
    gone: int = 0
    suspect: int = 0
    skipped: int = 0
    # Pages older than their article's last check (backfill, import), placed in time order:
    evidence: int = 0  # kept as evidence only (no earlier version)
    earlier_texts: int = 0  # whose text differs from the article's current version
    earlier_versions: int = 0  # versions placed before the article's last check (in new_versions too)
    failures: list[tuple[str, str]] = field(default_factory=list)

    def add(self, other: PassCounts) -> None:
        """Add what ``other`` counted (one URL's recording) to these counts."""
        for name in _COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.failures.extend(other.failures)

    def copy(self) -> PassCounts:
        return dataclasses.replace(self, failures=list(self.failures))

    def as_dict(self) -> dict[str, int]:
        """The counts a ``runs`` row keeps."""
        return {
            "found": self.found,
            "fetched": self.fetched,
            "new_articles": self.new_articles,
            "new_versions": self.new_versions,
            "unchanged": self.unchanged,
            "failed": self.failed,
            "gone": self.gone,
            "suspect": self.suspect,
            "skipped": self.skipped,
        }


# Once, not per URL recorded: ``dataclasses.fields`` is a tenth of recording an unchanged page.
_COUNTERS = tuple(f.name for f in dataclasses.fields(PassCounts) if f.name != "failures")


def document_text(title: str, text: str) -> str:
    """What a version is: its title line, then its blocks. Diffs and hashes use this."""
    return f"{title}\n{text}"


@dataclass(frozen=True)
class Event:
    """Something a person would want to hear about: new installment, edit, removal."""

    kind: str  # new_article, new_version, restored, gone, back
    article_id: int
    url: str
    title: str
    version: int | None = None
    summary: str | None = None


@dataclass(frozen=True)
class BlockedSite:
    """A site that answered a pass with block pages (fetch-log outcome ``blocked``), and since when it does."""

    site: str  # the host that answered
    urls: int  # URLs it answered with a block page in the pass
    url: str  # the first of them
    reason: str  # what gave the last one away (read.pagekind)
    passes: int  # passes in a row it blocked, this one included
    since: str | None  # when the first of those passes started

    @property
    def keeps_blocking(self) -> bool:
        """Blocked more than one pass in a row: no passing hiccup."""
        return self.passes > 1

    def describe(self) -> str:
        """One line: ``www.takungpao.com blocked 7 URLs (3 passes in a row, since …): a CDN or firewall challenge (…)``."""
        urls = f"{self.urls} URL{'s' if self.urls != 1 else ''}"
        streak = f" ({self.passes} passes in a row, since {self.since})" if self.keeps_blocking else ""
        return f"{self.site} blocked {urls}{streak}: {self.reason}"

    def as_json(self) -> dict[str, object]:
        return dataclasses.asdict(self)


@dataclass
class PassResult:
    run_id: int
    counts: PassCounts
    events: list[Event] = field(default_factory=list)
    blocked: list[BlockedSite] = field(default_factory=list)  # filled at the end of a crawl or fetch pass

    @property
    def ok(self) -> bool:
        return self.counts.failed == 0

@dataclass(frozen=True)
class WitnessRequest:
    """One capture to ask for: of ``url``, for the event ``kind`` of an article (its ``version`` if any)."""

    kind: str
    article_id: int
    url: str
    version: int | None
    capture_all: bool
