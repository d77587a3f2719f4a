"""The archive: one SQLite file, its schema and migrations, the writer lock, and every SQL statement."""

from series_archiver.archive.store import SCHEMA_VERSION, Archive, ArticleRow, UrlState, holder_info, iso, read_holder, utcnow

__all__ = ["Archive", "ArticleRow", "UrlState", "SCHEMA_VERSION", "holder_info", "iso", "read_holder", "utcnow"]
