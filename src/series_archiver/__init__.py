"""series-archiver: archive a newspaper series, every installment and every version.

The public API is re-exported here; the modules behind it are private by
convention (one per pipeline stage, see README "Code map").
"""

from .core import crawl, fetch, list_articles, open_pipeline, show_article
from .errors import (
    ArchiverError,
    ConfigError,
    ExtractError,
    FetchError,
    GoneError,
    LockTimeout,
    StoreError,
    SuspectCapture,
)
from .models import Article, Block, Candidate, Extracted, FetchedPage, PassCounts
from .pipeline import Event, PassResult, Pipeline
from .settings import Settings, load_settings
from .store import Archive

__version__ = "0.1.0"

__all__ = [
    "Archive",
    "ArchiverError",
    "Article",
    "Block",
    "Candidate",
    "ConfigError",
    "Event",
    "ExtractError",
    "Extracted",
    "FetchError",
    "FetchedPage",
    "GoneError",
    "LockTimeout",
    "PassCounts",
    "PassResult",
    "Pipeline",
    "Settings",
    "StoreError",
    "SuspectCapture",
    "crawl",
    "fetch",
    "list_articles",
    "load_settings",
    "open_pipeline",
    "show_article",
]
