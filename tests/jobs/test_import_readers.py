"""``import`` on every core: records read in reader processes give the archive that reading in this process gave.

The reference is the import as it was before reader processes: records read
in threads of the writer's process and the search documents folded by the
triggers. Every row that matters is compared, ids included (records are
recorded in the same order), and the search indexes' own pages.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.wayback_replica import HISTORY
from series_archiver.export import export_warc
from series_archiver.jobs import importer
from series_archiver.jobs.importer import import_files
from series_archiver.jobs.readers import Readers
from series_archiver.settings import Settings
from tests.support.crawl import Crawler
from tests.support.db import rows
from tests.support.paths import REPO
from tests.support.warcs import write_other_crawlers_warc, write_wget_warc

A1 = HISTORY["earlier_text"]["url"]

# Everything an import writes that a reader, an export or the next pass reads, ids included.
TABLES = {
    "articles": "SELECT id, series, installment, label, title, url, status, published, byline, versions, current_version, "
    "first_seen, last_checked, last_changed, gone_at FROM articles ORDER BY id",
    # first_seen is when the import met the URL (the clock), not when it was captured.
    "article_urls": "SELECT url, article_id, role, is_primary, status, last_seen, last_status, gone_at, etag, last_modified, content_hash, "
    "last_capture_id FROM article_urls ORDER BY url",
    "versions": "SELECT * FROM versions ORDER BY id",
    "changes": "SELECT * FROM changes ORDER BY id",
    "captures": "SELECT id, url, final_url, article_id, fetched_at, status, sha256, suspect_reason, codec, base_capture_id, chain, raw, "
    "headers, source, warc_file, warc_record_id, warc_offset FROM captures ORDER BY id",
    "fetch_log": "SELECT url, article_id, capture_id, status, outcome FROM fetch_log ORDER BY id",
    "search_text": "SELECT * FROM search_text ORDER BY version_id",
    # The indexes' own pages: the same tokens given in the same order, whoever folded them.
    "search_fts_data": "SELECT * FROM search_fts_data ORDER BY id",
    "search_bigrams_data": "SELECT * FROM search_bigrams_data ORDER BY id",
}


def archive_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    return {name: rows(db, sql) for name, sql in TABLES.items()}


def imported(settings: Settings, tmp_path: Path, name: str, files: list[Path], processes: int) -> dict[str, list[tuple[Any, ...]]]:
    target = settings.replace(archive__db=tmp_path / f"{name}.db")
    archive = importer.Archive(target.archive.db)
    try:
        result = import_files(target, archive, files, processes=processes)
    finally:
        archive.close()
    assert result.failed == 0 and not result.damaged, (result.failures, result.damaged)
    return archive_rows(target.archive.db)


@pytest.fixture
def warcs(tmp_path: Path, crawler: Crawler, replica: ReplicaSite) -> list[Path]:
    """The replica as wget wrote it and as this archive exports it (mirrors, the e-paper, multi-page
    articles, an edit, a removal), another crawler's file (revisits, codings), and 120 installments of the benchmark's series."""
    sys.path.insert(0, str(REPO))
    try:
        from bench import importgen
    finally:
        sys.path.remove(str(REPO))
    crawler.crawl()
    replica.edit(A1, "1萬億元", "1.2萬億元")
    crawler.crawl()
    export = tmp_path / "export.warc.gz"
    export_warc(crawler.settings, export)
    wget, _ = write_wget_warc(tmp_path, replica)
    other = tmp_path / "other.warc.gz"
    write_other_crawlers_warc(other)
    bench = tmp_path / "bench.warc.gz"
    importgen.write_warc(bench, 120)
    return [export, wget, other, bench]


@pytest.mark.slow
def test_reader_processes_give_the_archive_reading_in_threads_gave(
    settings: Settings, tmp_path: Path, warcs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as before:
        # The import as it was: reading in threads, the triggers folding each version's document.
        before.setattr(importer, "prepare", lambda article: None)
        reference = imported(settings, tmp_path, "threads", warcs, processes=0)
    assert len(reference["articles"]) > 120 and len(reference["versions"]) > len(reference["articles"])
    # Mirrors' and the e-paper's URLs of an archived article: dedupe had work to do.
    assert rows(tmp_path / "threads.db", "SELECT count(*) FROM article_urls WHERE is_primary = 0 AND article_id IS NOT NULL")[0][0] > 0
    assert reference["search_bigrams_data"] and reference["search_fts_data"]
    processes = imported(settings, tmp_path, "processes", warcs, processes=2)
    for table, expected in reference.items():
        assert processes[table] == expected, table


def test_readers_in_processes_run_the_job_they_were_given() -> None:
    readers = Readers(lambda n, word: f"{word} {n}", processes=2)
    try:
        assert readers.processes == 2
        assert [readers.submit(n, "record").result() for n in range(5)] == [f"record {n}" for n in range(5)]
    finally:
        readers.close()
    threads = Readers(lambda n: n * 2, processes=0)
    try:
        assert threads.processes == 0 and threads.submit(21).result() == 42
    finally:
        threads.close()
