"""``Crawler``: real passes against one replica into one archive (what the ``crawler`` fixture gives)."""

from __future__ import annotations

from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.jobs import core
from series_archiver.models import PassResult
from series_archiver.settings import Settings


class Crawler:
    """Runs real passes against one replica into one archive."""

    def __init__(self, site: ReplicaSite, settings: Settings) -> None:
        self.site = site
        self.settings = settings

    def crawl(self) -> PassResult:
        return core.crawl(self.settings, transport=LoopbackTransport(self.site.origins))

    def fetch(self, *urls: str) -> PassResult:
        return core.fetch(self.settings, list(urls), transport=LoopbackTransport(self.site.origins))
