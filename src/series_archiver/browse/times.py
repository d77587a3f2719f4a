"""Times as people read them on a page: one zone, said once at the top and named on each time.

The clock itself (the zone, the local time, its label) is ``display.Clock``,
shared with the CLI; this adds what a page needs of it, the ``<time>`` element.
The zone is ``archive.display_timezone``, given to Datasette as the plugin's
``display_timezone``; JSON keeps the stored ISO 8601 values, offsets included.
"""

from __future__ import annotations

import markupsafe

from series_archiver import display

__all__ = ["Clock", "clock_for"]


class Clock(display.Clock):
    """``display.Clock`` with HTML: ``Clock("Asia/Hong_Kong", zone).at("2025-12-15T02:03:00+00:00")``."""

    def at(self, iso: str | None) -> markupsafe.Markup:
        """A ``<time>`` element: the local time shown, the ISO 8601 instant for machines."""
        when = self.local(iso)
        if when is None:
            return markupsafe.Markup("{}").format(iso or "")
        return markupsafe.Markup('<time datetime="{}">{}</time>').format(when.isoformat(timespec="seconds"), self.text(iso))


def clock_for(name: str, *, key: str = "archive.display_timezone") -> Clock:
    """The clock of an IANA zone name; a ``ConfigError`` naming ``key`` when there is no such zone."""
    clock = display.clock_for(name, key=key)
    return Clock(clock.name, clock.zone)
