"""Settings pointed at a replica Wayback on loopback, with its pacing out of the way."""

from __future__ import annotations

from series_archiver.demo.wayback_replica import WaybackReplica
from series_archiver.settings import Settings


def pointed(settings: Settings, wayback: WaybackReplica) -> Settings:
    return settings.replace(
        wayback__cdx_url=wayback.cdx_url,
        wayback__playback_url=wayback.playback_url,
        wayback__cdx_requests_per_minute=60000.0,
        wayback__playback_requests_per_second=1000.0,
    )
