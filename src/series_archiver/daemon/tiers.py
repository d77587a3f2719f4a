"""Re-check tiers: which archived URLs a pass re-checks, decided from times alone.

Tiers (``schedule.tiers``) are time based, not "every N passes": an
article's last change (first seen, new version, removal or return) and last
check are read from the archive, so a restart, a changed cron line or passes
run by hand change nothing. A URL is due when its article was last checked
at least the tier's hours ago, less a tenth: a pass started on the hour must
not miss a check made a few seconds after the hour the day before.
Discovery runs every pass: list pages are read and new URLs fetched
whatever the tiers say.

``Tiers.due`` and ``last_change`` are pure; ``plan_rechecks`` reads the
times from the archive (``archive.runs.check_times``) and hands a pass the
``RecheckPlan`` that applies them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from series_archiver.archive import Archive
from series_archiver.archive.runs import CheckTimes, check_times
from series_archiver.errors import ConfigError
from series_archiver.settings import ScheduleSettings

__all__ = ["KnownUrl", "RecheckPlan", "Tiers", "known_url", "last_change", "plan_rechecks"]


@dataclass(frozen=True)
class Tiers:
    """``[(unchanged for up to D days, re-check after H hours), ...]``, in order."""

    steps: tuple[tuple[float, float], ...]
    tolerance: float = 0.1

    @classmethod
    def from_settings(cls, schedule: ScheduleSettings) -> Tiers:
        steps = tuple((float(d), float(h)) for d, h in schedule.tiers)
        if not steps:
            raise ConfigError("schedule.tiers", "needs at least one [days, hours] pair, e.g. [[36500, 0]] to re-check everything every pass")
        for (d1, _), (d2, _) in itertools.pairwise(steps):
            if d2 <= d1:
                raise ConfigError("schedule.tiers", f"the days must grow from tier to tier ({d1:g} then {d2:g})")
        for d, h in steps:
            if d < 0 or h < 0:
                raise ConfigError("schedule.tiers", f"[{d:g}, {h:g}]: days and hours must be 0 or more")
        return cls(steps)

    def interval(self, unchanged: timedelta) -> timedelta:
        """How long an article unchanged for ``unchanged`` may go unchecked."""
        days = unchanged.total_seconds() / 86400
        for up_to, hours in self.steps:
            if days <= up_to:
                return timedelta(hours=hours)
        return timedelta(hours=self.steps[-1][1])

    def due(self, *, last_change: datetime, last_checked: datetime | None, now: datetime) -> bool:
        """Whether an article is re-checked in a pass starting at ``now``."""
        if last_checked is None:
            return True
        interval = self.interval(now - last_change)
        return interval <= timedelta(0) or now - last_checked >= interval * (1 - self.tolerance)


def last_change(times: CheckTimes) -> datetime | None:
    """The article's latest change: first seen, a new version, a removal or a return; None when none is recorded."""
    moments = [m for m in (times.first_seen, times.last_changed, times.gone_at, times.latest_change) if m is not None]
    return max(moments) if moments else None


@dataclass(frozen=True)
class KnownUrl:
    """An archived URL as the plan weighs it."""

    url: str
    article_id: int
    last_change: datetime
    last_checked: datetime | None


def known_url(times: CheckTimes, now: datetime) -> KnownUrl:
    """``times`` for the plan; an article with no recorded change counts as changed ``now`` (so it is watched)."""
    return KnownUrl(times.url, times.article_id, last_change(times) or now, times.last_checked)


@dataclass
class RecheckPlan:
    """The ``recheck`` callable a pass gets: which known URLs are due, judged at ``now``.

    Not frozen: it records, as the pass asks, which URLs were due and which not yet.
    """

    tiers: Tiers
    now: datetime
    known: dict[str, KnownUrl]
    due: list[str] = field(default_factory=list)
    later: list[str] = field(default_factory=list)

    def __call__(self, url: str, last_changed: str | None) -> bool:
        known = self.known.get(url)
        # A URL archived after the plan was made (a crawl ran meanwhile) is checked.
        ok = known is None or self.tiers.due(last_change=known.last_change, last_checked=known.last_checked, now=self.now)
        (self.due if ok else self.later).append(url)
        return ok


def plan_rechecks(db: Path, tiers: Tiers, now: datetime) -> RecheckPlan:
    """Read every archived URL's last change and last check; an empty plan when there is no archive yet."""
    known: dict[str, KnownUrl] = {}
    if db.exists():
        with Archive(db, readonly=True) as archive:
            rows = check_times(archive)
        known = {t.url: known_url(t, now) for t in rows}
    return RecheckPlan(tiers, now, known)
