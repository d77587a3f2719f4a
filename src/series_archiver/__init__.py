"""series-archiver: archive a newspaper series, every installment and every version.

The public API is re-exported here; the modules behind it are private by
convention (one per pipeline stage, see README "Code map").
"""

from .core import crawl, fetch, list_articles, open_pipeline, show_article
from .errors import (
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
from .export.warc import JsonlExport, WarcExport, export_jsonl, export_warc
from .history import ArticleHistory, VersionDiff, article_diff, article_log
from .models import Article, Block, Candidate, Extracted, FetchedPage, PassCounts
from .models import Event, PassResult
from .pipeline import Pipeline
from .daemon.service import Daemon, Tiers, status
from .settings import Settings, load_settings
from .archive.store import Archive
from .verify import VerifyReport, verify_archive

__version__ = "0.1.0"

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
    "fetch",
    "list_articles",
    "load_settings",
    "open_pipeline",
    "show_article",
    "status",
    "verify_archive",
]
