"""Values as people read them, on a terminal or a page: a time in one labelled zone, a count with its noun.

The archive stores UTC (ISO 8601 with its offset); a reader in Hong Kong reads
Hong Kong time. The zone is ``archive.display_timezone`` (the series' own zone
by default). The CLI and the reading room (``browse/times.py`` adds the HTML)
show every time through one ``Clock``; JSON keeps the stored ISO 8601 values,
offsets included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from series_archiver.errors import ConfigError

__all__ = ["Clock", "clock_for", "counts_text", "plural"]


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """The count and its noun, in the plural unless it is one.

    >>> plural(1, "version"), plural(2, "version"), plural(0, "URL"), plural(3, "entry", "entries")
    ('1 version', '2 versions', '0 URLs', '3 entries')
    """
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def counts_text(counts: dict[str, int]) -> str:
    """A pass's counts in one phrase; gone, suspect and skipped only when there are some.

    >>> counts_text({"found": 5, "new_articles": 1, "new_versions": 2, "gone": 1})
    '5 found, 0 fetched, 1 new article, 2 new versions, 0 unchanged, 0 failed, 1 gone'
    """
    parts = [
        f"{counts.get('found') or 0} found",
        f"{counts.get('fetched') or 0} fetched",
        plural(counts.get("new_articles") or 0, "new article"),
        plural(counts.get("new_versions") or 0, "new version"),
        f"{counts.get('unchanged') or 0} unchanged",
        f"{counts.get('failed') or 0} failed",
    ]
    parts += [f"{counts[k]} {k}" for k in ("gone", "suspect", "skipped") if counts.get(k)]
    return ", ".join(parts)


@dataclass(frozen=True)
class Clock:
    """Shows stored times in one zone: ``Clock("Asia/Hong_Kong", ZoneInfo("Asia/Hong_Kong")).text(iso)``."""

    name: str
    zone: ZoneInfo = field(repr=False, compare=False)

    def local(self, iso: str | None) -> datetime | None:
        if not iso:
            return None
        try:
            when = datetime.fromisoformat(iso)
        except ValueError:
            return None
        if when.tzinfo is None:  # never written by this tool; read as UTC, what the archive stores
            when = when.replace(tzinfo=ZoneInfo("UTC"))
        return when.astimezone(self.zone)

    def text(self, iso: str | None, *, seconds: bool = False) -> str:
        """``2025-12-15 10:03 HKT``, for a page that says the zone once at the top; the stored text itself when it is no time."""
        when = self.local(iso)
        if when is None:
            return iso or ""
        return when.strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")

    def stamp(self, iso: str | None) -> str:
        """``2025-12-15 10:03:00+08:00``: a time on a terminal, its offset on it (an abbreviation may be ambiguous or missing).

        >>> clock_for("Asia/Hong_Kong").stamp("2025-12-15T02:03:00+00:00")
        '2025-12-15 10:03:00+08:00'
        """
        when = self.local(iso)
        if when is None:
            return iso or ""
        return when.isoformat(sep=" ", timespec="seconds")

    def date(self, iso: str | None) -> str:
        when = self.local(iso)
        return when.strftime("%Y-%m-%d") if when else (iso or "")

    @property
    def label(self) -> str:
        """``Asia/Hong_Kong (HKT, UTC+08:00)``: what a page or a table says once."""
        now = datetime.now(self.zone)
        offset = now.strftime("%z")
        abbreviation = now.strftime("%Z")
        named = f"{abbreviation}, " if abbreviation not in (self.name, "UTC") and abbreviation[:1] not in "+-" else ""
        return f"{self.name} ({named}UTC{offset[:3]}:{offset[3:]})"


def clock_for(name: str, *, key: str = "archive.display_timezone") -> Clock:
    """The clock of an IANA zone name; a ``ConfigError`` naming ``key`` when there is no such zone."""
    try:
        return Clock(name, ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(key, f"{name!r} is no IANA time zone; use one such as Asia/Hong_Kong or UTC") from None
