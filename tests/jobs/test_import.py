"""``import``: WARC files (warcio-written, and this project's own export) and a WACZ, into an archive."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.wayback_replica import HISTORY, default_captures
from series_archiver.export import export_warc
from series_archiver.jobs.importer import run_import
from series_archiver.settings import Settings
from tests.support.cli import run_cli, write_config
from tests.support.crawl import Crawler
from tests.support.db import rows, versions
from tests.support.warcs import write_other_crawlers_warc, write_wget_warc

A1 = HISTORY["earlier_text"]["url"]
REMOVED = HISTORY["removed"]["url"]


@pytest.mark.slow
def test_an_export_imported_into_an_empty_archive_gives_the_same_articles_versions_texts_and_hashes(
    crawler: Crawler, replica: ReplicaSite, tmp_path: Path
) -> None:
    crawler.crawl()
    replica.edit(A1, "1萬億元", "1.2萬億元")
    crawler.crawl()
    source = crawler.settings.archive.db
    warc = tmp_path / "export.warc.gz"
    export_warc(crawler.settings, warc)
    target: Settings = crawler.settings.replace(archive__db=tmp_path / "imported.db")
    result = run_import(target, [warc])
    assert result.failed == 0, result.failures
    assert (result.new_articles, result.new_versions) == (4, 5)
    assert versions(target.archive.db) == versions(source)
    # The version times are the captures' WARC-Dates: the times the pages were fetched.
    got = rows(target.archive.db, "SELECT v.captured_at, c.fetched_at, c.source, c.warc_file, c.warc_record_id FROM versions v JOIN captures c ON c.id = v.capture_id")
    assert all(at == fetched and src == "warc" and f == "export.warc.gz" and rid.startswith("<urn:uuid:") for at, fetched, src, f, rid in got)
    # Importing it again, or into the archive it came from, adds nothing.
    counts = rows(target.archive.db, "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM versions), (SELECT count(*) FROM changes)")
    again = run_import(target, [warc])
    assert (again.new_articles, again.new_versions, again.failed) == (0, 0, 0) and again.duplicates > 0
    assert rows(target.archive.db, "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM versions), (SELECT count(*) FROM changes)") == counts
    before = rows(source, "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM versions)")
    own = run_import(crawler.settings, [warc])
    assert (own.new_articles, own.new_versions, own.evidence) == (0, 0, 0)
    assert rows(source, "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM versions)") == before


def test_a_warcio_written_file_and_its_wacz_give_the_history_in_time_order(tmp_path: Path, settings: Settings) -> None:
    warc = tmp_path / "other-crawler.warc.gz"
    write_other_crawlers_warc(warc)
    result = run_import(settings, [warc])
    assert result.failed == 0, result.failures
    db = settings.archive.db
    a1 = rows(db, "SELECT article_id FROM article_urls WHERE url = ?", A1)[0][0]
    got = rows(db, "SELECT version, captured_at, text FROM versions WHERE article_id = ? ORDER BY version", a1)
    assert [(v, at) for v, at, _ in got] == [(1, "2025-12-15T01:10:00+00:00"), (2, "2025-12-16T02:00:00+00:00")]
    assert HISTORY["earlier_text"]["old"] in got[0][2]
    a5 = rows(db, "SELECT article_id FROM article_urls WHERE url = ?", REMOVED)[0][0]
    assert rows(db, "SELECT installment, status, first_seen, gone_at FROM articles WHERE id = ?", a5) == [
        (5, "gone", "2025-12-19T03:05:00+00:00", "2025-12-20T04:00:00+00:00")
    ]
    assert result.skipped >= 1 + len(default_captures()), "the warcinfo, the requests and the other host's image are passed over"
    assert rows(db, "SELECT count(*) FROM captures WHERE source != 'warc'") == [(0,)]

    # The same WARC inside a WACZ (a zip with it under archive/): nothing new for the archive that has it ...
    wacz = tmp_path / "collection.wacz"
    with zipfile.ZipFile(wacz, "w") as z:
        z.write(warc, "archive/other-crawler.warc.gz")
        z.writestr("datapackage.json", json.dumps({"profile": "data-package", "resources": []}))
    assert (run_import(settings, [wacz]).new_versions, run_import(settings, [wacz]).new_articles) == (0, 0)
    # ... and the same history for an empty one.
    empty = settings.replace(archive__db=tmp_path / "from-wacz.db")
    from_wacz = run_import(empty, [wacz])
    assert (from_wacz.new_articles, from_wacz.new_versions, from_wacz.removals) == (result.new_articles, result.new_versions, result.removals)
    assert rows(empty.archive.db, "SELECT DISTINCT warc_file FROM captures") == [("collection.wacz#archive/other-crawler.warc.gz",)]


@pytest.mark.slow
def test_the_import_command(tmp_path: Path, replica: ReplicaSite) -> None:
    config = write_config(tmp_path, replica)
    warc = tmp_path / "other-crawler.warc.gz"
    write_other_crawlers_warc(warc)
    proc = run_cli(replica, config, "import", str(warc), "--json")
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout)
    assert set(counts) >= {"records", "pages", "new_articles", "new_versions", "duplicates", "skipped", "failed"}
    assert counts["new_articles"] == 3 and counts["failed"] == 0
    again = json.loads(run_cli(replica, config, "import", str(warc), "--json").stdout)
    assert (again["new_articles"], again["new_versions"]) == (0, 0) and again["duplicates"] > 0
    missing = run_cli(replica, config, "import", str(tmp_path / "nope.warc"))
    assert missing.returncode == 1 and "nope.warc" in missing.stderr


@pytest.mark.slow
def test_a_warc_written_by_wget_gives_the_installments_a_crawl_gives(tmp_path: Path, replica: ReplicaSite, crawler: Crawler) -> None:
    warc, urls = write_wget_warc(tmp_path, replica)
    target = crawler.settings.replace(archive__db=tmp_path / "from-wget.db")
    result = run_import(target, [warc])
    assert result.failed == 0, result.failures
    assert result.new_articles == 4 and result.pages >= len(urls) - 1
    crawler.crawl()

    def texts(db: Path) -> list[tuple[Any, ...]]:
        return rows(db, "SELECT a.installment, v.version, v.content_hash FROM versions v JOIN articles a ON a.id = v.article_id ORDER BY 1, 2")
    assert texts(target.archive.db) == texts(crawler.settings.archive.db)
    again = run_import(target, [warc])
    assert (again.new_articles, again.new_versions) == (0, 0)
