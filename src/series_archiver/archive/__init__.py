"""The archive: one SQLite file, its schema and migrations, the writer lock, and every SQL statement."""

from pathlib import Path

from series_archiver.archive.store import SCHEMA_VERSION, Archive, ArticleRow, UrlState, holder_info, iso, read_holder, utcnow

__all__ = ["Archive", "open_archive", "ArticleRow", "UrlState", "SCHEMA_VERSION", "holder_info", "iso", "read_holder", "utcnow"]


def open_archive(path: Path | str) -> Archive:
    """An archive opened for reading (``with open_archive(p) as archive: archive.articles()``).

    Read-only: it never upgrades, locks or writes, so it is safe while a crawl
    runs (WAL); an archive written by a newer release is refused with a
    ``StoreError`` that says so.
    """
    return Archive(path, readonly=True)
