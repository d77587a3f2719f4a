"""series-archiver: archive a newspaper series, every installment and every version.

The stable library API is re-exported here (``__all__``, docs/library.md):
``extract_article`` reads one page as the archive would store it,
``open_archive`` opens an archive for reading. Those names stay when modules
move; the modules behind them are private by convention (docs/architecture.md).
"""

# First of all: a daemon told to stop while it starts must not die of it (stopsignals.py).
from series_archiver.stopsignals import hold_stop_signals

hold_stop_signals()

from importlib import import_module
from typing import TYPE_CHECKING, Any

from series_archiver.errors import (
    ArchiverError,
    ConfigError,
    ExportError,
    ExtractError,
    FetchError,
    GoneError,
    LockTimeout,
    NotArchived,
    PassInterrupted,
    StoreError,
    SuspectCapture,
)
from series_archiver.models import Article, Block, Candidate, Event, Extracted, FetchedPage, PassCounts, PassResult

# The rest is imported when first used (PEP 562): a reader (``export``,
# ``verify``, ``browse``, ``history``) that imports this package must not load
# the crawler, and ``import series_archiver`` stays cheap.
_LAZY = {
    "crawl": "jobs.core", "fetch": "jobs.core", "list_articles": "jobs.core", "open_pipeline": "jobs.core", "show_article": "jobs.core",
    "JsonlExport": "export", "WarcExport": "export", "export_jsonl": "export", "export_warc": "export",
    "ArticleHistory": "history", "VersionDiff": "history", "article_diff": "history", "article_log": "history",
    "Pipeline": "jobs.crawl",
    "Daemon": "daemon", "Tiers": "daemon", "status": "daemon",
    "Settings": "settings", "load_settings": "settings",
    "Archive": "archive", "open_archive": "archive",
    "ExtractedArticle": "read.api", "extract_article": "read.api",
    "VerifyReport": "jobs.verify", "verify_archive": "jobs.verify",
}

if TYPE_CHECKING:
    from series_archiver.archive import Archive, open_archive
    from series_archiver.daemon import Daemon, Tiers
    from series_archiver.daemon.status import status  # from its module: `daemon.status` names the module too, mypy sees it defined twice
    from series_archiver.export import JsonlExport, WarcExport, export_jsonl, export_warc
    from series_archiver.history import ArticleHistory, VersionDiff, article_diff, article_log
    from series_archiver.jobs.core import crawl, fetch, list_articles, open_pipeline, show_article
    from series_archiver.jobs.crawl import Pipeline
    from series_archiver.jobs.verify import VerifyReport, verify_archive
    from series_archiver.read.api import ExtractedArticle, extract_article
    from series_archiver.settings import Settings, load_settings


def __getattr__(name: str) -> Any:
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'series_archiver' has no attribute {name!r}") from None
    return getattr(import_module(f".{module}", __name__), name)


from series_archiver._version import __version__ as __version__

__all__ = [
    "Archive",
    "ArchiverError",
    "Article",
    "ArticleHistory",
    "Block",
    "Candidate",
    "ConfigError",
    "Daemon",
    "Event",
    "ExportError",
    "ExtractError",
    "Extracted",
    "ExtractedArticle",
    "FetchError",
    "FetchedPage",
    "GoneError",
    "JsonlExport",
    "LockTimeout",
    "NotArchived",
    "PassCounts",
    "PassInterrupted",
    "PassResult",
    "Pipeline",
    "Settings",
    "StoreError",
    "SuspectCapture",
    "Tiers",
    "VerifyReport",
    "VersionDiff",
    "WarcExport",
    "article_diff",
    "article_log",
    "crawl",
    "export_jsonl",
    "export_warc",
    "extract_article",
    "fetch",
    "list_articles",
    "load_settings",
    "open_archive",
    "open_pipeline",
    "show_article",
    "status",
    "verify_archive",
]
