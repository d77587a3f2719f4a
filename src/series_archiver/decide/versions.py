"""Is this capture a new version of its article? The decision, as pure functions of values.

No HTTP, no SQLite, no threads here: the pipeline gathers the values (the new
capture as the running code reads it, the article's current version), calls
``decide``, and applies the outcome in one transaction.

What makes a version:

* The text compared is the title line plus the cleaned blocks, *folded* by the
  code running now (``Reading``): width, script, spaces and quote styles are
  rendering, not content. Stored hashes are never trusted across releases: the
  current version's stored text is folded again by this release's ``fold``,
  so a new folding rule or an updated OpenCC dictionary changes nothing.
* A change of extraction or cleaning is not an edit either. When the new
  reading differs from the stored one, the current version is first read
  again from its stored raw pages by the running code (``Rederive``); only if
  that reading still differs is there an edit, and its diff is taken against
  that reading, so it shows the site's change and nothing of ours.
* A version whose diff is empty is never recorded.
* Versions follow the primary URL: a mirror's change is captured, not a version.
* A capture that looks broken (``check_quality``: a soft 404 by ``read.pagekind``'s
  rule, a near-empty or suddenly shrunk text) is evidence only. A block page never
  gets here: every source refuses it (``read.response.check_block``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from series_archiver.decide.align import keep_rendering
from series_archiver.decide.diff import TextDiff, diff_texts
from series_archiver.models import Article
from series_archiver.read.pagekind import soft_404
from series_archiver.read.reading import Reading
from series_archiver.settings import QualitySettings

__all__ = [
    "Reading",
    "Current",
    "Unchanged",
    "Rederive",
    "SecondaryChanged",
    "NewVersion",
    "Outcome",
    "decide",
    "restored_version",
    "in_rendering",
    "check_quality",
    "with_text",
]


@dataclass(frozen=True)
class Current:
    """The article's current version: as stored, and as the running code reads its raw pages (once known)."""

    version: int
    stored: Reading
    rederived: Reading | None = None


@dataclass(frozen=True)
class Unchanged:
    """Not a new version. ``why`` says which comparison found the texts equal."""

    why: str  # "same", "refolded", "rederived", "empty-diff"


@dataclass(frozen=True)
class Rederive:
    """Read the current version's stored pages with the running code, then decide again."""


@dataclass(frozen=True)
class SecondaryChanged:
    """A mirror or e-paper copy changed: captured and logged; versions follow the primary URL."""


@dataclass(frozen=True)
class NewVersion:
    """An edit: the text to store, and its diff from ``base``.

    ``base`` is the current version as the running code reads its pages, in
    the current version's stored rendering; ``text`` is the new capture's
    content in that same rendering wherever the content did not change
    (align.py), so ``diff`` holds the site's edit and nothing else.
    """

    base: Reading
    text: Reading
    diff: TextDiff


Outcome = Unchanged | Rederive | SecondaryChanged | NewVersion


def decide(new: Reading, current: Current, *, url_key: str | None, is_primary: bool) -> Outcome:
    """What a capture of an archived article's URL is.

    ``url_key`` is the key of the last reading of this URL (article_urls.content_hash),
    the cheap answer for a page seen unchanged before.

    >>> old = Current(1, Reading.of("標題", "華為　１萬億"))
    >>> decide(Reading.of("标题", "华为 1万亿"), old, url_key=None, is_primary=True)
    Unchanged(why='refolded')
    >>> decide(Reading.of("標題", "華為 2萬億"), old, url_key=None, is_primary=True)
    Rederive()
    """
    if url_key is not None and url_key == new.key:
        return Unchanged("same")
    if current.stored.key == new.key:
        return Unchanged("refolded")
    if current.rederived is None:
        return Rederive()
    if current.rederived.key == new.key:
        return Unchanged("rederived")
    if not is_primary:
        return SecondaryChanged()
    base = in_rendering(current.stored, current.rederived)
    text = in_rendering(base, new)
    diff = diff_texts(base.document, text.document)
    if not diff.changed:
        return Unchanged("empty-diff")
    return NewVersion(base, text, diff)


def in_rendering(previous: Reading, new: Reading) -> Reading:
    r"""``new``'s content in ``previous``' rendering wherever a line's content is unchanged (align.py).

    >>> in_rendering(Reading.of("標題", "華為 １萬億\n乙"), Reading.of("标题", "华为1万亿\n丙")).document
    '標題\n華為 １萬億\n丙'
    """
    lines = keep_rendering([previous.title, *previous.text.split("\n")], [new.title, *new.text.split("\n")])
    return Reading(lines[0], "\n".join(lines[1:]), new.folded_title, new.folded_text)


def restored_version(new: Reading, earlier: Iterable[tuple[int, Reading]]) -> int | None:
    """The earliest version whose text the new one returns to, if any (``earlier``: (number, reading), versions that restore nothing)."""
    for number, reading in sorted(earlier, key=lambda pair: pair[0]):
        if reading.key == new.key:
            return number
    return None


def check_quality(article: Article, reading: Reading, previous_chars: int | None, quality: QualitySettings) -> str | None:
    """Why this capture must not become a version (a soft 404, a near-empty or suddenly shrunk text), or None."""
    folded_len = len(reading.folded_text)
    soft = soft_404(reading.folded_title, reading.folded_text, quality.soft_404_phrases, quality.min_chars)
    if soft is not None:
        return soft
    if folded_len < quality.min_chars:
        return f"the body has {folded_len} characters, fewer than quality.min_chars={quality.min_chars}"
    text = article.text
    if previous_chars and len(text) < previous_chars * (1 - quality.max_shrink_ratio):
        lost = 1 - len(text) / previous_chars
        return f"the text lost {lost:.0%} of its length at once (quality.max_shrink_ratio={quality.max_shrink_ratio})"
    return None


def with_text(article: Article, text: Reading) -> Article:
    """The article with the decided title and block texts (the page's content, the previous rendering)."""
    lines = text.text.split("\n")
    if len(lines) != len(article.blocks):  # a block holding a line break: keep the page's own text
        return article
    blocks = tuple(dataclasses.replace(block, text=line) for block, line in zip(article.blocks, lines, strict=True))
    return dataclasses.replace(article, title=text.title, blocks=blocks)
