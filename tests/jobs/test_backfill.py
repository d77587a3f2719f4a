"""``backfill`` against the bundled replica and the replica Wayback: earlier texts and a removed installment recovered.

The replica Wayback (demo/wayback_replica.py, HISTORY) holds an earlier text of
① (captured 15 December), today's text (16 December), the list page of 19
December linking ⑤, ⑤'s page (19 December) and its 404 (20 December).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.wayback_replica import HISTORY, WaybackReplica
from series_archiver.jobs.backfill import run_backfill
from tests.support.cli import run_cli, write_config
from tests.support.crawl import Crawler
from tests.support.db import rows
from tests.support.wayback import pointed

A1 = HISTORY["earlier_text"]["url"]
REMOVED = HISTORY["removed"]["url"]
JSON_KEYS = {"cdx_queries", "captures_seen", "captures_fetched", "new_articles", "new_versions", "removals", "failed"}


@pytest.fixture
def wayback() -> Iterator[WaybackReplica]:
    with WaybackReplica() as archive:
        yield archive


def article_id(db: Path, url: str) -> int:
    return int(rows(db, "SELECT article_id FROM article_urls WHERE url = ?", url)[0][0])


@pytest.mark.slow
def test_backfill_before_the_first_crawl_recovers_the_earlier_text_as_version_1_in_time_order(
    crawler: Crawler, wayback: WaybackReplica
) -> None:
    settings = pointed(crawler.settings, wayback)
    db = settings.archive.db
    result = run_backfill(settings)
    assert result.failed == 0 and result.blocked == 1, result.failures  # the robots-disallowed link is excluded by the archive too
    assert (result.new_articles, result.removals) == (3, 1), "①, ② and ⑤ were captured; ⑤ was then removed"
    a1 = article_id(db, A1)
    versions = rows(db, "SELECT version, captured_at, text FROM versions WHERE article_id = ? ORDER BY version", a1)
    assert [(v, at) for v, at, _ in versions] == [(1, "2025-12-15T01:10:00+00:00"), (2, "2025-12-16T02:00:00+00:00")]
    assert HISTORY["earlier_text"]["old"] in versions[0][2] and HISTORY["earlier_text"]["new"] in versions[1][2]
    assert HISTORY["earlier_text"]["old"] not in versions[1][2]
    change = rows(db, "SELECT kind, from_version, to_version, changed_at FROM changes WHERE article_id = ?", a1)
    assert change == [("edit", 1, 2, "2025-12-16T02:00:00+00:00")]
    assert rows(db, "SELECT first_seen FROM articles WHERE id = ?", a1) == [("2025-12-15T01:10:00+00:00",)]
    # Each version's capture says where it came from.
    sources = rows(
        db, "SELECT c.source, c.fetched_at, c.memento_url, c.archive_src FROM versions v JOIN captures c ON c.id = v.capture_id WHERE v.article_id = ?", a1
    )
    assert all(s == "wayback" and m.endswith(f"id_/{A1}") and src for s, _at, m, src in sources)
    assert [at for _s, at, _m, _src in sources] == ["2025-12-15T01:10:00+00:00", "2025-12-16T02:00:00+00:00"]

    again = run_backfill(settings)
    assert (again.new_articles, again.new_versions, again.removals, again.evidence, again.failed) == (0, 0, 0, 0, 0)
    assert again.already_read == result.new_versions + result.removals + 1, "every article capture read before (and ①'s http 301)"
    assert rows(db, "SELECT count(*) FROM captures")[0][0] == len(rows(db, "SELECT DISTINCT memento_url FROM captures"))

    # The live crawl afterwards: ① still reads as version 2; the other installments arrive as live.
    crawled = crawler.crawl()
    assert crawled.counts.failed == 0
    assert rows(db, "SELECT versions FROM articles WHERE id = ?", a1) == [(2,)]
    assert rows(db, "SELECT count(*) FROM captures WHERE source = 'live'")[0][0] > 0


def test_backfill_after_a_crawl_recovers_the_removed_installment_and_places_older_texts_in_time_order(
    crawler: Crawler, wayback: WaybackReplica
) -> None:
    crawler.crawl()
    settings = pointed(crawler.settings, wayback)
    db = settings.archive.db
    a1 = article_id(db, A1)
    crawled = rows(db, "SELECT id, content_hash FROM versions WHERE article_id = ?", a1)
    last_checked = rows(db, "SELECT last_checked FROM articles WHERE id = ?", a1)
    result = run_backfill(settings)
    assert result.failed == 0, result.failures
    assert (result.new_articles, result.new_versions, result.removals, result.earlier_versions) == (1, 2, 1, 1)
    assert result.earlier_texts == 1 and result.evidence >= 2
    # ⑤: removed before the first crawl; its article, version and removal at the captures' times.
    a5 = article_id(db, REMOVED)
    article = rows(db, "SELECT installment, label, status, first_seen, gone_at, versions FROM articles WHERE id = ?", a5)
    assert article == [(5, "銳氣篇", "gone", "2025-12-19T03:05:00+00:00", "2025-12-20T04:00:00+00:00", 1)]
    assert rows(db, "SELECT kind, changed_at, summary FROM changes WHERE article_id = ?", a5) == [
        ("gone", "2025-12-20T04:00:00+00:00", "HTTP 404 Not Found")
    ]
    # ①'s earlier text (15 December) is version 1; the crawl's text, captured on 16 December already, version 2,
    # the same row as before (its id kept), begun at that capture.
    got = rows(db, "SELECT id, version, captured_at, text FROM versions WHERE article_id = ? ORDER BY version", a1)
    assert [(v, at) for _id, v, at, _t in got] == [(1, "2025-12-15T01:10:00+00:00"), (2, "2025-12-16T02:00:00+00:00")]
    assert HISTORY["earlier_text"]["old"] in got[0][3] and got[1][0] == crawled[0][0]
    assert rows(db, "SELECT kind, from_version, to_version, changed_at FROM changes WHERE article_id = ?", a1) == [
        ("edit", 1, 2, "2025-12-16T02:00:00+00:00")
    ]
    assert rows(db, "SELECT versions, current_version, first_seen, last_checked FROM articles WHERE id = ?", a1) == [
        (2, 2, "2025-12-15T01:10:00+00:00", last_checked[0][0])
    ]
    # The capture that made version 1 came from the web archive; the 16 December one is evidence of version 2.
    earlier = rows(db, "SELECT c.id, c.source FROM versions v JOIN captures c ON c.id = v.capture_id WHERE v.article_id = ? AND v.version = 1", a1)
    assert earlier[0][1] == "wayback"
    outcomes = {r[0] for r in rows(db, "SELECT outcome FROM fetch_log WHERE capture_id = ?", earlier[0][0])}
    assert outcomes == {"new_version"}


def _config(tmp_path: Path, site: ReplicaSite, wayback: WaybackReplica) -> Path:
    config = write_config(tmp_path, site)
    text = config.read_text(encoding="utf-8")
    section = (
        "[wayback]\n"
        f'cdx_url = "{wayback.cdx_url}"\n'
        f'playback_url = "{wayback.playback_url}"\n'
        "cdx_requests_per_minute = 60000\n"
        "playback_requests_per_second = 1000\n\n"
    )
    config.write_text(text.replace("[[series]]", section + "[[series]]", 1), encoding="utf-8")
    return config


@pytest.mark.slow
def test_the_backfill_command_then_log_show_and_the_exports_say_where_each_capture_came_from(
    tmp_path: Path, replica: ReplicaSite, wayback: WaybackReplica
) -> None:
    config = _config(tmp_path, replica, wayback)
    db = tmp_path / "series.db"
    assert run_cli(replica, config, "crawl", "--json").returncode == 0
    proc = run_cli(replica, config, "backfill", "--since", "2025-12-01", "--until", "2025-12-31", "--json")
    assert proc.returncode == 0, proc.stderr
    counts = json.loads(proc.stdout)
    assert set(counts) >= JSON_KEYS
    assert (counts["new_articles"], counts["new_versions"], counts["removals"], counts["failed"]) == (1, 2, 1, 0)
    assert counts["earlier_versions"] == 1
    assert counts["cdx_queries"] > 0 and counts["captures_fetched"] > 0 and counts["captures_seen"] >= counts["new_versions"]
    # Every request to the web archive is in the fetch log.
    cdx_paths = [p for p, _ in wayback.requests if p.startswith("/cdx/")]
    logged = rows(db, "SELECT count(*) FROM fetch_log WHERE url LIKE ? AND outcome IN ('cdx', 'refused')", wayback.cdx_url + "%")[0][0]
    assert logged == len(cdx_paths) == counts["cdx_queries"]
    playback = [p for p, _ in wayback.requests if p.startswith("/web/")]
    assert rows(db, "SELECT count(*) FROM fetch_log WHERE url LIKE ?", wayback.playback_url + "%")[0][0] == len(playback)

    a1, a5 = article_id(db, A1), article_id(db, REMOVED)
    log = json.loads(run_cli(replica, config, "log", str(a1), "--json").stdout)
    sources = {c["source"] for c in log["captures"]}
    assert sources == {"live", "wayback"}
    earlier = next(c for c in log["captures"] if c["fetched_at"] == "2025-12-15T01:10:00+00:00")
    assert set(earlier) >= {"id", "source", "fetched_at", "url", "memento_url"} and earlier["memento_url"].endswith(f"id_/{A1}")
    live = next(c for c in log["captures"] if c["source"] == "live")
    assert "memento_url" not in live
    text_log = run_cli(replica, config, "log", str(a1)).stdout
    assert "not fetched live" in text_log and earlier["memento_url"] in text_log

    show = json.loads(run_cli(replica, config, "show", str(a5), "--json").stdout)
    assert [c["source"] for c in show["captures"]] == ["wayback"] and show["captured_at"] == "2025-12-19T03:05:00+00:00"
    assert "read from a web archive" in run_cli(replica, config, "show", str(a5)).stdout

    warc, jsonl = tmp_path / "out.warc.gz", tmp_path / "out.jsonl"
    assert run_cli(replica, config, "export", "--warc", str(warc), "--jsonl", str(jsonl)).returncode == 0
    wayback_ids = {r[0] for r in rows(db, "SELECT id FROM captures WHERE source = 'wayback'")}
    records: list[tuple[str, str | None, str | None, bytes]] = []
    with warc.open("rb") as fh:
        for record in ArchiveIterator(fh):
            h = record.rec_headers
            records.append((record.rec_type, h.get_header("WARC-Target-URI"), h.get_header("WARC-Concurrent-To"), record.content_stream().read()))
    metadata = [r for r in records if r[0] == "metadata"]
    assert len(metadata) == len(wayback_ids)
    removed = [r for r in metadata if r[1] == REMOVED]
    assert len(removed) == 1 and b"source: wayback" in removed[0][3] and b"memento-url: " + wayback.playback_url.encode() in removed[0][3]
    # No request record claims a fetch of ⑤ that never happened; its response is there, linked to the metadata.
    assert [r[0] for r in records if r[1] == REMOVED] == ["response", "metadata"]
    versions = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    v5 = next(v for v in versions if v["article_id"] == a5)
    assert v5["captures"][0]["source"] == "wayback" and v5["captures"][0]["memento_url"].endswith(f"id_/{REMOVED}")
    # ①'s version 1 is the web archive's earlier text; every other version was read live.
    assert [c["source"] for v in versions if v["article_id"] == a1 for c in v["captures"]] == ["wayback", "live"]
    assert all(c["source"] == "live" for v in versions if v["article_id"] not in (a1, a5) for c in v["captures"])

    again = json.loads(run_cli(replica, config, "backfill", "--json").stdout)
    assert (again["new_articles"], again["new_versions"], again["removals"]) == (0, 0, 0)


@pytest.mark.slow
def test_an_unknown_series_is_a_usage_error(tmp_path: Path, replica: ReplicaSite, wayback: WaybackReplica) -> None:
    config = _config(tmp_path, replica, wayback)
    proc = run_cli(replica, config, "backfill", "--series", "no such series")
    assert proc.returncode == 2 and "--series" in proc.stderr
