"""An article's history in time order, whatever order its captures arrive in: pure functions of values.

A live crawl sees an article's texts in time order, so each new text is the
next version. A capture from another archive (``backfill``, ``import``) may be
older than what the archive already holds; this module says where it goes:

* ``place_text``: a page read at ``at`` is **evidence** when its text is the
  version in force then, or when it falls inside a recorded removal; it holds
  the text of the **next version, seen earlier**, when no read in between saw
  the text in force: that version begins at the capture (the earliest capture
  of a text is when its version began, the first version's included);
  otherwise it is a **new version** at ``at``, and when a later read (before
  the next version) still found the text in force before it, that text
  **returns** then, as a restore.
* ``place_removal``: a 404, 410 or takedown seen at ``at`` between versions is
  a ``gone`` mark then, closed by a ``back`` at the next live evidence; the
  same removal recorded later (no live evidence in between) moves earlier.
* ``recompute``: given the versions (each a row, when its text began, its
  reading) and the removal marks, the numbers in time order, what each
  version restores (``versions.restored_version`` over time order), the
  version in force at each mark, and the article's final status.

Nothing here knows SQL: ``ingest.py`` gathers the values and applies the
outcome through ``Archive.rewrite_history`` in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from series_archiver.decide.versions import Reading, restored_version

__all__ = [
    "Span",
    "Mark",
    "Evidence",
    "Earlier",
    "Insert",
    "Removal",
    "NumberedVersion",
    "NumberedMark",
    "Timeline",
    "in_force",
    "in_removal",
    "place_text",
    "place_removal",
    "recompute",
]


@dataclass(frozen=True)
class Span:
    """A version as the timeline sees it: its row (``versions.id``), when its text began, its reading."""

    ref: int
    at: datetime
    reading: Reading


@dataclass(frozen=True)
class Mark:
    """A removal (``gone``) or a return online (``back``); ``ref`` is its ``changes.id``, None when not stored yet."""

    ref: int | None
    at: datetime
    kind: str  # gone, back
    summary: str | None = None


@dataclass(frozen=True)
class Evidence:
    """Not a version, not a removal: a capture row and nothing else. ``why`` says so."""

    why: str


@dataclass(frozen=True)
class Earlier:
    """The capture holds the text of version ``ref``, seen before it: that version begins at the capture."""

    ref: int


@dataclass(frozen=True)
class Insert:
    """A new version at the capture's time; ``returns_at``: a later check still read the text in force before it.

    ``previous`` is the version in force before the capture (None: the capture
    is older than every version), the one whose text returns at ``returns_at``.
    """

    previous: int | None
    returns_at: datetime | None = None


@dataclass(frozen=True)
class Removal:
    """A ``gone`` at the capture's time, and a ``back`` at ``back_at`` (None: still gone afterwards).

    ``moves``: the ``changes.id`` of a later ``gone`` of the same removal (no
    live evidence between them), which moves to the capture's time instead of
    a second ``gone`` being made.
    """

    back_at: datetime | None = None
    moves: int | None = None


def _ordered(spans: Sequence[Span]) -> list[Span]:
    # Stable: versions that began in the same second keep the order they were given in.
    return sorted(spans, key=lambda s: s.at)


def in_force(spans: Sequence[Span], at: datetime) -> Span | None:
    """The version whose text the article had at ``at``: the last one begun at or before it."""
    found = None
    for span in _ordered(spans):
        if span.at <= at:
            found = span
    return found


def in_removal(marks: Sequence[Mark], at: datetime) -> bool:
    """Whether ``at`` falls inside a recorded removal: its last mark at or before ``at`` is a ``gone``."""
    last = None
    for mark in sorted(marks, key=lambda m: m.at):
        if mark.at <= at:
            last = mark
    return last is not None and last.kind == "gone"


def _after(spans: Sequence[Span], at: datetime) -> Span | None:
    return next((s for s in _ordered(spans) if s.at > at), None)


def place_text(
    spans: Sequence[Span],
    marks: Sequence[Mark],
    at: datetime,
    same: Callable[[Span], bool],
    sightings: Sequence[tuple[datetime, int | None]] = (),
) -> Evidence | Earlier | Insert:
    """Where a page of the article read at ``at`` goes.

    ``same(span)``: whether the page's text is that version's (the caller
    decides it as the version decision does: folded keys, re-derivations, an
    empty diff). ``sightings``: reads of the primary URL, each (when, the
    version it read), the version None when it is the one in force then (a
    read that found the text unchanged); a read that made a version names it,
    since that version may begin earlier now.
    """
    if not spans:
        return Insert(previous=None)
    if in_removal(marks, at):
        return Evidence("the capture falls inside a recorded removal; the removal stands as recorded")
    before = in_force(spans, at)
    if before is not None and same(before):
        return Evidence("the same text as the version in force at that time")
    after = _after(spans, at)
    # A check after the capture that still read the text in force before it: that text came back.
    returned = None
    if before is not None:
        seen = (t for t, ref in sightings if t > at and (after is None or t < after.at) and ref in (None, before.ref))
        returned = min(seen, default=None)
    if returned is None and after is not None and same(after):
        return Earlier(after.ref)
    return Insert(previous=before.ref if before else None, returns_at=returned)


def place_removal(spans: Sequence[Span], marks: Sequence[Mark], at: datetime, live: Sequence[datetime]) -> Evidence | Removal:
    """Where a removal seen at ``at`` goes; ``live``: times the primary URL was seen answering with the article."""
    if in_force(spans, at) is None:
        return Evidence("the removal is older than the article's first version")
    if in_removal(marks, at):
        return Evidence("the article was already recorded gone at that time")
    answered = (*live, *(s.at for s in spans), *(m.at for m in marks if m.kind == "back"))
    back = min((t for t in answered if t > at), default=None)
    later_gone = min((m for m in marks if m.kind == "gone" and m.at > at), key=lambda m: m.at, default=None)
    if later_gone is not None and (back is None or later_gone.at <= back):
        return Removal(moves=later_gone.ref)
    return Removal(back_at=back)


@dataclass(frozen=True)
class NumberedVersion:
    """A version in time order: its row, its number, when it began, what it restores, the row before it."""

    ref: int
    number: int
    at: datetime
    restores: int | None
    previous: int | None


@dataclass(frozen=True)
class NumberedMark:
    """A removal or return with the number of the version in force at that time (0: none yet)."""

    ref: int | None
    at: datetime
    kind: str
    version: int
    summary: str | None = None


@dataclass(frozen=True)
class Timeline:
    """The article's history recomputed in time order."""

    versions: tuple[NumberedVersion, ...]
    marks: tuple[NumberedMark, ...]
    gone_at: datetime | None  # the removal in force at the end, if any

    @property
    def current(self) -> NumberedVersion | None:
        return self.versions[-1] if self.versions else None


def recompute(spans: Sequence[Span], marks: Sequence[Mark]) -> Timeline:
    """Numbers, restores and the version in force at each mark, all in time order.

    A mark and a version begun in the same second: the mark comes first (a
    ``back`` is recorded before the new text it came back with).

    >>> from datetime import UTC
    >>> t = lambda d: datetime(2025, 12, d, tzinfo=UTC)
    >>> a, b = Reading.of("題", "甲"), Reading.of("題", "乙")
    >>> line = recompute([Span(7, t(5), a), Span(8, t(1), b), Span(9, t(3), a)], [Mark(1, t(4), "gone"), Mark(2, t(5), "back")])
    >>> [(v.ref, v.number, v.restores) for v in line.versions]
    [(8, 1, None), (9, 2, None), (7, 3, 2)]
    >>> [(m.kind, m.version) for m in line.marks], line.gone_at
    ([('gone', 2), ('back', 2)], None)
    """
    ordered = _ordered(spans)
    numbered: list[NumberedVersion] = []
    originals: list[tuple[int, Reading]] = []  # (number, reading) of the versions that restore nothing
    for number, span in enumerate(ordered, 1):
        restores = restored_version(span.reading, originals)
        if restores is None:
            originals.append((number, span.reading))
        numbered.append(NumberedVersion(span.ref, number, span.at, restores, numbered[-1].ref if numbered else None))
    out_marks = []
    gone_at = None
    for mark in sorted(marks, key=lambda m: m.at):
        version = max((v.number for v in numbered if v.at < mark.at), default=0)
        out_marks.append(NumberedMark(mark.ref, mark.at, mark.kind, version, mark.summary))
        # A removal seen twice began at its first sighting; a return ends it.
        gone_at = (gone_at or mark.at) if mark.kind == "gone" else None
    return Timeline(tuple(numbered), tuple(out_marks), gone_at)
