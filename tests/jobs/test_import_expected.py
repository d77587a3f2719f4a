"""``import`` gives the archive release 0.2's import gave: articles, versions, texts, hashes and stored bytes.

A WARC of the benchmark's installments and their list pages, and another
crawler's file (revisits, codings), imported in reader processes. What the
archive then holds is compared, as digests, with what the import wrote before
issue 25's work on its speed (commit c7aeb28): a change of reading, of the
block-page check or of how captures are compressed that alters a byte shows here.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from series_archiver.jobs import importer
from series_archiver.jobs.importer import import_files
from series_archiver.settings import Settings
from tests.support.db import rows
from tests.support.paths import REPO
from tests.support.warcs import write_other_crawlers_warc

# What must not move, table by table; volatile columns (the clock's first_seen, the runs) left out.
DIGESTED = {
    "articles": "SELECT series, installment, label, title, url, status, published, byline, versions, current_version FROM articles ORDER BY id",
    "versions": "SELECT article_id, version, content_hash, captured_at, title, published, byline, text, captions, chars, url, capture_ids, "
    "restores, layout FROM versions ORDER BY id",
    # warc_offset left out: a gzip member's size depends on its record's random id.
    "captures": "SELECT url, final_url, article_id, fetched_at, status, sha256, codec, base_capture_id, chain, raw, headers "
    "FROM captures ORDER BY id",
    "search_text": "SELECT version_id, article_id, version, folded FROM search_text ORDER BY version_id",
}
# From commit c7aeb28 (before the import's speed work), by ``digests`` on the files below.
EXPECTED = {
    "articles": "43a5c955bd5b63b62a7664d3b5bbaac7d782a61a79d841c8c6e07b32753d4264",
    "versions": "7e33255ef8f8e0df145639c98c9dd15e16c2764a01801d9d9d1fd20916f2b962",
    "captures": "a9ecd2ef2f6e6ee518c33725ceda03732d077bd7dde7e7e0a730063625a215a3",
    "search_text": "d125451bed82101238bdbcd50583b4706696014737144e1e59b2f559a7848311",
}


def digests(db: Path) -> dict[str, str]:
    return {name: hashlib.sha256(repr(rows(db, sql)).encode()).hexdigest() for name, sql in DIGESTED.items()}


def import_digests(settings: Settings, tmp_path: Path, processes: int = 2) -> dict[str, str]:
    sys.path.insert(0, str(REPO))
    try:
        from bench import importgen
    finally:
        sys.path.remove(str(REPO))
    bench, other = tmp_path / "bench.warc.gz", tmp_path / "other.warc.gz"
    importgen.write_warc(bench, 60)
    write_other_crawlers_warc(other)
    target = settings.replace(archive__db=tmp_path / "imported.db")
    archive = importer.Archive(target.archive.db)
    try:
        result = import_files(target, archive, [bench, other], processes=processes)
    finally:
        archive.close()
    assert result.failed == 0 and not result.damaged and result.new_versions >= 60, (result.failures, result.damaged)
    return digests(target.archive.db)


@pytest.mark.slow
def test_the_import_gives_the_archive_it_gave_before(settings: Settings, tmp_path: Path) -> None:
    assert import_digests(settings, tmp_path) == EXPECTED
