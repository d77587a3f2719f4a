"""Versions in time order, whatever order captures arrive in: a crawl now, then a WARC of older captures imported.

The WARC files are written here with warcio, holding the replica's page of
installment ① with texts invented for these tests, dated before the crawl.
After the import, ``log``, ``show``, ``diff``, the Datasette history query, the
search index and the JSON Lines export all read the versions in time order.
"""

from __future__ import annotations

import io
import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from series_archiver.archive import Archive
from series_archiver.archive.views import ARTICLE_HISTORY_SQL
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.wayback_replica import HISTORY
from series_archiver.errors import StoreError
from series_archiver.jobs.importer import run_import
from tests.support.cli import run_cli, write_config
from tests.support.crawl import Crawler
from tests.support.db import rows

pytestmark = pytest.mark.slow

A1 = HISTORY["earlier_text"]["url"]
TODAY = "1萬億元"  # in ①'s page as the replica serves it
OLDEST = "八千億元，較五年前翻了一番"  # invented: the text as it might have read first
EDITED = "1.2萬億元"


def served(replica: ReplicaSite, url: str) -> bytes:
    with httpx.Client(transport=LoopbackTransport(replica.origins)) as client:
        return client.get(url).content


def write_warc(path: Path, captures: list[tuple[str, datetime, bytes]], *, status: str = "200 OK") -> None:
    """A response record per (url, WARC-Date, body), in the order given; an empty body: a 404."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        for url, at, body in captures:
            headers = StatusAndHeaders(status if body else "404 Not Found", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            date = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers, warc_headers_dict={"WARC-Date": date})
            )


def article_of(db: Path, url: str) -> int:
    return int(rows(db, "SELECT article_id FROM article_urls WHERE url = ?", url)[0][0])


def history(db: Path, article_id: int) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT id, version, captured_at, restores, text FROM versions WHERE article_id = ? ORDER BY version", article_id)


def counts(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM versions), (SELECT count(*) FROM changes)")


def in_time_order(db: Path, article_id: int) -> None:
    """Numbers follow time, and everything keyed by number agrees with the versions table."""
    got = history(db, article_id)
    assert [v for _id, v, *_ in got] == list(range(1, len(got) + 1))
    assert [at for _id, _v, at, *_ in got] == sorted(at for _id, _v, at, *_ in got)
    assert rows(db, "SELECT versions, current_version, last_changed FROM articles WHERE id = ?", article_id) == [(len(got), len(got), got[-1][2])]
    edits = rows(db, "SELECT from_version, to_version, changed_at FROM changes WHERE article_id = ? AND kind IN ('edit', 'restore') ORDER BY to_version", article_id)
    assert [(f, t) for f, t, _ in edits] == [(n - 1, n) for n in range(2, len(got) + 1)]
    assert [at for *_, at in edits] == [at for _id, _v, at, *_ in got[1:]]
    assert rows(db, "SELECT count(*) FROM search_text s JOIN versions v ON v.id = s.version_id WHERE s.version != v.version")[0][0] == 0


def test_an_older_text_imported_after_the_crawl_becomes_version_1_and_every_reader_reads_in_time_order(
    tmp_path: Path, replica: ReplicaSite, crawler: Crawler
) -> None:
    crawler.crawl()
    replica.edit(A1, TODAY, EDITED)
    crawler.crawl()
    db = crawler.settings.archive.db
    a1 = article_of(db, A1)
    crawled = history(db, a1)
    assert [v for _id, v, *_ in crawled] == [1, 2]
    edit_before = rows(db, "SELECT id, chars_added, chars_removed, summary, diff_html FROM changes WHERE article_id = ?", a1)

    warc = tmp_path / "older.warc.gz"
    write_warc(warc, [(A1, datetime(2025, 12, 1, 8, tzinfo=UTC), served(replica, A1).replace(EDITED.encode(), OLDEST.encode()))])
    result = run_import(crawler.settings, [warc])
    assert result.failed == 0, result.failures
    assert (result.new_articles, result.new_versions, result.earlier_versions, result.evidence) == (0, 1, 1, 0)

    got = history(db, a1)
    assert [(v, at) for _id, v, at, _r, _t in got] == [(1, "2025-12-01T08:00:00+00:00"), (2, crawled[0][2]), (3, crawled[1][2])]
    assert OLDEST in got[0][4] and TODAY in got[1][4] and EDITED in got[2][4]
    # The crawl's rows keep their ids (other tables refer to them); only their numbers moved.
    assert [i for i, *_ in got[1:]] == [i for i, *_ in crawled]
    assert all(r is None for _id, _v, _at, r, _t in got)
    in_time_order(db, a1)
    # The crawl's edit keeps its row and its diff, renumbered; the new edit has a diff of its own.
    changes = rows(db, "SELECT id, from_version, to_version, kind, chars_added, chars_removed, summary, diff_html FROM changes WHERE article_id = ? ORDER BY to_version", a1)
    assert changes[1][0] == edit_before[0][0] and changes[1][1:4] == (2, 3, "edit") and changes[1][4:] == edit_before[0][1:]
    assert changes[0][1:4] == (1, 2, "edit") and changes[0][4] > 0 and changes[0][5] > 0 and "八千" in changes[0][7]
    assert rows(db, "SELECT first_seen FROM articles WHERE id = ?", a1) == [("2025-12-01T08:00:00+00:00",)]

    config = write_config(tmp_path, replica)
    log = json.loads(run_cli(replica, config, "log", str(a1), "--json").stdout)
    assert [(v["version"], v["captured_at"]) for v in log["versions"]] == [(v, at) for _id, v, at, _r, _t in got]
    assert [(e["kind"], e["version"]) for e in log["events"] if e["kind"] != "suspect"] == [("first", 1), ("edit", 2), ("edit", 3)]
    assert [e["at"] for e in log["events"]] == sorted(e["at"] for e in log["events"])
    first = json.loads(run_cli(replica, config, "show", str(a1), "--version", "1", "--json").stdout)
    assert first["captured_at"] == "2025-12-01T08:00:00+00:00" and OLDEST in first["text"]
    assert [c["source"] for c in first["captures"]] == ["warc"]
    diff = json.loads(run_cli(replica, config, "diff", str(a1), "--from", "1", "--to", "2", "--json").stdout)
    assert (diff["chars_added"], diff["chars_removed"]) == changes[0][4:6]
    assert "八千" in run_cli(replica, config, "diff", str(a1), "--from", "1", "--to", "2").stdout

    # Datasette's history query reads the same order.
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        events = conn.execute(ARTICLE_HISTORY_SQL, {"id": a1}).fetchall()
    finally:
        conn.close()
    assert [(e[1], e[2]) for e in events] == [("first version", 1), ("edit", 2), ("edit", 3)]

    # Importing the same file again adds nothing; verify passes; the export reads in time order.
    before = counts(db)
    again = run_import(crawler.settings, [warc])
    assert (again.new_versions, again.earlier_versions, again.failed) == (0, 0, 0) and counts(db) == before
    assert run_cli(replica, config, "verify").returncode == 0
    jsonl = tmp_path / "out.jsonl"
    assert run_cli(replica, config, "export", "--jsonl", str(jsonl)).returncode == 0
    exported = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    mine = [(v["version"], v["captured_at"], v["versions"]) for v in exported if v["article_id"] == a1]
    assert mine == [(v, at, 3) for _id, v, at, _r, _t in got]


def test_a_capture_identical_to_its_neighbour_adds_no_version_and_the_crawled_text_seen_earlier_begins_earlier(
    tmp_path: Path, replica: ReplicaSite, crawler: Crawler
) -> None:
    crawler.crawl()
    db = crawler.settings.archive.db
    a1 = article_of(db, A1)
    crawled = history(db, a1)
    page = served(replica, A1)
    oldest = page.replace(TODAY.encode(), OLDEST.encode())
    warc = tmp_path / "older.warc.gz"
    write_warc(
        warc,
        [
            (A1, datetime(2025, 12, 3, tzinfo=UTC), page + b"<!-- another crawler's copy -->"),  # today's text, seen on 3 December
            (A1, datetime(2025, 12, 1, tzinfo=UTC), oldest),
            (A1, datetime(2025, 12, 2, tzinfo=UTC), oldest + b"<!-- a later capture of the same text -->"),
        ],
    )
    result = run_import(crawler.settings, [warc])
    assert result.failed == 0, result.failures
    assert (result.new_versions, result.earlier_versions, result.evidence) == (1, 1, 2)
    got = history(db, a1)
    assert [(v, at) for _id, v, at, _r, _t in got] == [(1, "2025-12-01T00:00:00+00:00"), (2, "2025-12-03T00:00:00+00:00")]
    assert got[1][0] == crawled[0][0], "the crawl's version, begun when its text was first captured"
    in_time_order(db, a1)
    # The capture identical to its neighbour and the earlier sighting of today's text are captures of the article.
    outcomes = rows(db, "SELECT c.fetched_at, c.article_id FROM captures c WHERE c.source = 'warc' ORDER BY c.fetched_at")
    assert outcomes == [("2025-12-01T00:00:00+00:00", a1), ("2025-12-02T00:00:00+00:00", a1), ("2025-12-03T00:00:00+00:00", a1)]
    assert rows(db, "SELECT first_seen, last_changed FROM articles WHERE id = ?", a1) == [("2025-12-01T00:00:00+00:00", "2025-12-03T00:00:00+00:00")]


def test_an_older_text_between_two_reads_of_one_version_is_followed_by_a_restore(
    tmp_path: Path, replica: ReplicaSite, crawler: Crawler
) -> None:
    crawler.crawl()
    db = crawler.settings.archive.db
    a1 = article_of(db, A1)
    # Whole seconds apart, so a capture time fits between the first crawl and the second, and the
    # second's read of version 1 comes a second or more before the edit is read.
    time.sleep(2.1)
    crawler.crawl()  # ① unchanged: a read of version 1
    time.sleep(1.1)
    replica.edit(A1, TODAY, EDITED)
    crawler.crawl()
    crawled = history(db, a1)
    first_at = datetime.fromisoformat(crawled[0][2])
    between = first_at + timedelta(seconds=1)
    unchanged = rows(db, "SELECT min(requested_at) FROM fetch_log WHERE url = ? AND outcome IN ('unchanged', 'not_modified')", A1)[0][0]
    assert unchanged is not None and datetime.fromisoformat(unchanged) > between
    warc = tmp_path / "between.warc.gz"
    write_warc(warc, [(A1, between, served(replica, A1).replace(EDITED.encode(), OLDEST.encode()))])
    result = run_import(crawler.settings, [warc])
    assert result.failed == 0, result.failures
    assert (result.new_versions, result.earlier_versions) == (2, 2), "the text of the capture, and version 1's text read again after it"
    got = history(db, a1)
    assert [(v, r) for _id, v, _at, r, _t in got] == [(1, None), (2, None), (3, 1), (4, None)]
    assert [at for _id, _v, at, _r, _t in got] == [crawled[0][2], between.isoformat(), unchanged, crawled[1][2]]
    assert OLDEST in got[1][4] and got[2][4] == got[0][4] and EDITED in got[3][4]
    in_time_order(db, a1)
    kinds = rows(db, "SELECT kind, from_version, to_version, summary FROM changes WHERE article_id = ? ORDER BY to_version", a1)
    assert [k[:3] for k in kinds] == [("edit", 1, 2), ("restore", 2, 3), ("edit", 3, 4)]
    assert kinds[1][3].startswith("restores version 1: ")
    # A crawl afterwards still reads the current version as unchanged.
    before = counts(db)[0][1:]
    crawler.crawl()
    assert counts(db)[0][1:] == before


def test_a_removal_seen_in_an_older_capture_is_gone_then_back_at_the_next_read(tmp_path: Path, replica: ReplicaSite, crawler: Crawler) -> None:
    page = served(replica, A1)
    first = tmp_path / "first.warc.gz"
    write_warc(first, [(A1, datetime(2025, 12, 1, tzinfo=UTC), page)])
    assert run_import(crawler.settings, [first]).new_articles >= 1
    crawler.crawl()  # ① unchanged now: a read of version 1
    db = crawler.settings.archive.db
    a1 = article_of(db, A1)
    read_at = rows(db, "SELECT min(requested_at) FROM fetch_log WHERE url = ? AND outcome IN ('unchanged', 'not_modified')", A1)[0][0]
    later = tmp_path / "later.warc.gz"
    write_warc(later, [(A1, datetime(2025, 12, 3, tzinfo=UTC), page.replace(TODAY.encode(), OLDEST.encode())), (A1, datetime(2025, 12, 5, tzinfo=UTC), b"")])
    result = run_import(crawler.settings, [later])
    assert result.failed == 0, result.failures
    assert (result.new_versions, result.earlier_versions, result.removals) == (2, 2, 1)
    got = history(db, a1)
    assert [(v, at, r) for _id, v, at, r, _t in got] == [
        (1, "2025-12-01T00:00:00+00:00", None), (2, "2025-12-03T00:00:00+00:00", None), (3, read_at, 1)
    ]
    in_time_order(db, a1)
    marks = rows(db, "SELECT kind, from_version, to_version, changed_at FROM changes WHERE article_id = ? AND kind IN ('gone', 'back') ORDER BY changed_at", a1)
    assert marks == [("gone", 2, 2, "2025-12-05T00:00:00+00:00"), ("back", 2, 2, read_at)]
    assert rows(db, "SELECT status, gone_at FROM articles WHERE id = ?", a1) == [("live", None)]
    config = write_config(tmp_path, replica)
    log = json.loads(run_cli(replica, config, "log", str(a1), "--json").stdout)
    assert [e["kind"] for e in log["events"]] == ["first", "edit", "gone", "back", "restore"]
    # The same removal again adds nothing.
    before = counts(db)
    assert run_import(crawler.settings, [later]).removals == 0 and counts(db) == before


def test_a_failure_while_rewriting_leaves_the_old_history_whole(
    tmp_path: Path, replica: ReplicaSite, crawler: Crawler, monkeypatch: pytest.MonkeyPatch
) -> None:
    crawler.crawl()
    db = crawler.settings.archive.db
    a1 = article_of(db, A1)
    snapshot = "SELECT id, version, captured_at, restores, content_hash FROM versions ORDER BY id"
    before = (rows(db, snapshot), rows(db, "SELECT * FROM changes ORDER BY id"), rows(db, "SELECT * FROM articles ORDER BY id"), counts(db))
    real = Archive.rewrite_history

    def half_then_fail(self: Archive, *args: Any, **kwargs: Any) -> None:
        real(self, *args, **kwargs)  # every row rewritten, then the process "dies" before COMMIT
        raise RuntimeError("killed while rewriting")

    monkeypatch.setattr(Archive, "rewrite_history", half_then_fail)
    warc = tmp_path / "older.warc.gz"
    write_warc(warc, [(A1, datetime(2025, 12, 1, tzinfo=UTC), served(replica, A1).replace(TODAY.encode(), OLDEST.encode()))])
    result = run_import(crawler.settings, [warc])
    assert result.failed == 1 and (result.new_versions, result.earlier_versions) == (0, 0)
    assert "nothing of it was stored" in result.failures[0][1]
    assert (rows(db, snapshot), rows(db, "SELECT * FROM changes ORDER BY id"), rows(db, "SELECT * FROM articles ORDER BY id"), counts(db)) == before
    with Archive(db) as archive, pytest.raises(StoreError, match=r"inside Archive\.transaction"):
        real(archive, a1, [], [], {})
    # The same file once the fault is gone: the earlier version is placed.
    monkeypatch.setattr(Archive, "rewrite_history", real)
    assert run_import(crawler.settings, [warc]).earlier_versions == 1
    in_time_order(db, a1)
