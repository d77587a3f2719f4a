"""Backfill from any CDX server: the Wayback Machine's shape, pywb's shape, and a real pywb 2.10.

pywb answers the CDX API with one JSON object per line under its own field
names (``url``, ``mime``, ``status``), takes ``fl`` by those names only and has
no resume keys; its playback answers a time that is no capture's with the
nearest capture at once (``Content-Location``) and sends a captured redirect's
``Location`` as it was captured. The replica Wayback answers in either shape
(``WaybackReplica(shape="pywb")``); the last tests run pywb itself, from its own
venv (``.venv-pywb``, made by .ci/run, where these must run: SA_REQUIRE_PYWB),
on a collection built from a WARC the test writes.

pywb is run on 127.0.0.1 with its packaged defaults (pywb/default_config.yaml,
read before running it: ``collections_root: collections``, memento headers on,
no ``live`` collection, no ``proxy`` mode, no recorder), so it answers only from
the collection and fetches nothing; it runs under tests/offline.py, which
refuses and logs any use of the network beyond 127.0.0.0/8, and the test ends
by asserting that log is empty.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from series_archiver.demo.wayback_replica import HISTORY, WaybackCapture, WaybackReplica, default_captures
from series_archiver.jobs.backfill import run_backfill
from series_archiver.models import Attempt
from series_archiver.settings import FetchSettings, Settings, WaybackSettings
from series_archiver.sources.wayback import WaybackClient, original_of, parse_cdx
from series_archiver.sources.wayback.cdx import FIELDS, dedupe_digests
from tests.support.db import rows, versions
from tests.support.tools import Offline, pywb_python, wayback_server
from tests.support.warcs import write_other_crawlers_warc
from tests.support.wayback import pointed

A1 = HISTORY["earlier_text"]["url"]
REMOVED = HISTORY["removed"]["url"]
FETCH = FetchSettings(user_agent="series-archiver-test/1", contact="+contact", retries=1, backoff_base_seconds=0.01, timeout_seconds=10.0)
FAST = {"cdx_requests_per_minute": 60000.0, "playback_requests_per_second": 1000.0}


# --- the answers, read --------------------------------------------------------------------------

WAYBACK_ROW = ["com,takungpao)/news/232108/2025/1215/1050001.html", "20251215011000", A1, "text/html", "200", "DIGEST1", "5120"]


def test_the_wayback_machines_array_is_read_by_its_header_whether_or_not_fl_was_honoured() -> None:
    asked = parse_cdx(json.dumps([list(FIELDS), WAYBACK_ROW]))
    # A server that ignored fl: its own order, more columns (OutbackCDX's defaults), a dash for a revisit's status.
    ignored = parse_cdx(json.dumps([
        ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "redirecturl", "robotflags", "length", "offset", "filename"],
        [*WAYBACK_ROW[:6], "-", "-", "5120", "0", "crawl.warc.gz"],
        [*WAYBACK_ROW[:3], "warc/revisit", "-", "DIGEST1", "-", "-", "-", "77", "crawl.warc.gz"],
    ]))
    assert asked.records[0] == ignored.records[0]
    record = asked.records[0]
    assert (record.original, record.mimetype, record.statuscode, record.length, record.is_html) == (A1, "text/html", 200, 5120, True)
    assert ignored.records[1].statuscode is None and ignored.records[1].length is None


def test_pywbs_json_lines_are_read_under_its_names_one_line_or_many() -> None:
    line = {"urlkey": WAYBACK_ROW[0], "timestamp": "20251215011000", "url": A1, "mime": "text/html", "status": "200",
            "digest": "DIGEST1", "length": "5120", "offset": "0", "filename": "history.warc.gz", "source": "coll/indexes/index.cdxj"}
    wayback = parse_cdx(json.dumps([list(FIELDS), WAYBACK_ROW])).records[0]
    # One line was read as no capture at all (a JSON object, not the array), more lines as no JSON.
    assert parse_cdx(json.dumps(line)).records == (wayback,)
    two = parse_cdx(json.dumps(line) + "\n" + json.dumps({**line, "timestamp": "20251216020000", "status": 404}) + "\n")
    assert [r.statuscode for r in two.records] == [200, 404] and two.resume_key is None
    # fl by the Wayback's names: pywb keeps only the names it has, and the URL is gone.
    kept = parse_cdx(json.dumps({k: line[k] for k in FIELDS if k in line}))
    assert kept.lacks_urls and not two.lacks_urls


def test_cdx_text_and_cdxj_answers_are_read_too() -> None:
    seven = " ".join(WAYBACK_ROW)
    eleven = " ".join([*WAYBACK_ROW[:6], "-", "-", "5120", "0", "history.warc.gz"])
    cdxj = f'{WAYBACK_ROW[0]} 20251215011000 {{"url": "{A1}", "mime": "text/html", "status": "200", "digest": "DIGEST1", "length": "5120"}}'
    expected = parse_cdx(json.dumps([list(FIELDS), WAYBACK_ROW])).records
    assert parse_cdx(seven).records == parse_cdx(eleven).records == parse_cdx(cdxj).records == expected
    with pytest.raises(ValueError):
        parse_cdx("<html><body>Not a CDX server</body></html>")
    with pytest.raises(ValueError):
        parse_cdx('{"a": 1}\n[1, 2]')


def test_both_playback_url_forms_give_the_original_url() -> None:
    assert original_of("https://web.archive.org/web/", f"https://web.archive.org/web/20251215011000id_/{A1}") == A1
    assert original_of("http://127.0.0.1:8080/coll/", f"http://127.0.0.1:8080/coll/20251215011000mp_/{A1}") == A1
    assert original_of("http://127.0.0.1:8080/coll/", f"http://127.0.0.1:8080/coll/2025/{A1}") == A1
    assert original_of("http://127.0.0.1:8080/coll/", f"http://127.0.0.1:8080/coll/{A1}") == A1  # a timegate
    assert original_of("http://127.0.0.1:8080/coll/", "http://127.0.0.1:8080/static/wb.js") is None
    assert original_of("https://web.archive.org/web/", A1) is None


# --- the client and backfill against the replica, in pywb's shape ----------------------------------


@pytest.fixture
def pywb_shaped() -> Iterator[WaybackReplica]:
    with WaybackReplica(shape="pywb") as archive:
        yield archive


def client_for(archive: WaybackReplica) -> WaybackClient:
    return WaybackClient(WaybackSettings(cdx_url=archive.cdx_url, playback_url=archive.playback_url, **FAST), FETCH)


def test_a_pywb_shaped_server_gives_the_captures_the_wayback_shaped_one_gives(pywb_shaped: WaybackReplica) -> None:
    attempts: list[Attempt] = []
    with WaybackReplica() as wayback, client_for(wayback) as w, client_for(pywb_shaped) as p:
        for url in (A1, REMOVED, "https://www.takungpao.com/news/232108/index.html"):
            assert dedupe_digests(list(p.search(url, attempts=attempts))) == dedupe_digests(list(w.search(url)))
        prefix = dedupe_digests(list(p.search("https://www.takungpao.com/news/232108/", match_type="prefix", filters=("!mimetype:warc/revisit",))))
        assert prefix == dedupe_digests(list(w.search("https://www.takungpao.com/news/232108/", match_type="prefix", filters=("!mimetype:warc/revisit",))))
        assert prefix and all(r.mimetype != "warc/revisit" for r in prefix)
    cdx = [path for path, _ in pywb_shaped.requests if "/cdx?" in path]
    # The first answer named no URL (fl taken by pywb's names): asked again without fl, and fl never sent again.
    assert "fl=" in cdx[0] and all("fl=" not in path for path in cdx[1:])
    assert len(attempts) == 4 and all(a.outcome == "ok" for a in attempts)


def test_a_server_without_resume_keys_that_stops_at_limit_is_asked_for_its_whole_answer(pywb_shaped: WaybackReplica) -> None:
    with client_for(pywb_shaped) as client:
        found = list(client.search("https://www.takungpao.com/news/232108/", match_type="prefix", collapse=None, limit=2))
    expected = [c for c in default_captures() if c.urlkey.startswith("com,takungpao)/news/232108/")]
    assert sorted((r.original, r.timestamp) for r in found) == sorted((c.url, c.timestamp) for c in expected)
    cdx = [path for path, _ in pywb_shaped.requests if "/cdx?" in path]
    assert "limit=2" in cdx[-2] and "limit=" not in cdx[-1], "two rows and no key: the whole answer, asked once"


def test_pywb_playback_the_nearest_capture_is_named_by_content_location_and_a_redirect_is_as_captured() -> None:
    page = b"<html><body>moved</body></html>"
    captures = [
        WaybackCapture(A1, "20251215011000", 200, b"<html><body>one</body></html>"),
        WaybackCapture("https://www.takungpao.com/old.html", "20251216000000", 301, page, location="/news/232108/2025/1215/1050001.html"),
        WaybackCapture("https://www.takungpao.com/away.html", "20251216000000", 302, page, location="https://www.tkww.hk/a.html"),
    ]
    with WaybackReplica(captures, shape="pywb") as archive, client_for(archive) as client:
        near = client.memento("20251215", A1)  # no capture at that time: pywb answers with the nearest at once
        assert near.memento_url == f"{archive.playback_url}20251215011000id_/{A1}"
        assert near.captured_at.isoformat() == "2025-12-15T01:10:00+00:00" and near.status == 200
        assert near.header("content-type") == "text/html; charset=utf-8" and near.archive_src is None
        relative = client.memento("20251216000000", "https://www.takungpao.com/old.html")
        assert (relative.status, relative.location) == (301, A1), "relative to the URL captured, not to the archive"
        assert relative.header("location") == A1
        absolute = client.memento("20251216000000", "https://www.takungpao.com/away.html")
        assert absolute.location == "https://www.tkww.hk/a.html"
    moved = [WaybackCapture(A1, "20251216030000", 301, b"", location=A1.replace("1050001", "1050002"))]
    with WaybackReplica(moved) as wayback, client_for(wayback) as client:
        into = client.memento("20251216030000", A1)  # the Wayback Machine's Location points into the archive
    assert into.location == A1.replace("1050001", "1050002") and into.memento_url == f"{wayback.playback_url}20251216030000id_/{A1}"


def test_backfill_from_a_pywb_shaped_server_gives_the_history_the_wayback_shaped_one_gives(settings: Settings, tmp_path: Path) -> None:
    with WaybackReplica(shape="pywb") as pywb_shaped, WaybackReplica() as wayback:
        result = run_backfill(pointed(settings, pywb_shaped))
        again = run_backfill(pointed(settings, pywb_shaped))
        other = settings.replace(archive__db=tmp_path / "from-wayback.db")
        expected = run_backfill(pointed(other, wayback))
    assert result.failed == 0, result.failures
    assert (result.new_articles, result.new_versions, result.removals) == (expected.new_articles, expected.new_versions, expected.removals)
    assert versions(settings.archive.db) == versions(other.archive.db)
    assert (again.new_articles, again.new_versions, again.removals, again.failed) == (0, 0, 0, 0) and again.already_read > 0


# --- a real pywb 2.10 ------------------------------------------------------------------------------


@pytest.fixture
def offline(tmp_path: Path) -> Iterator[Offline]:
    tools = Offline(tmp_path)
    yield tools
    assert tools.attempts() == [], "a tool tried to reach beyond 127.0.0.0/8"


def test_backfill_from_a_real_pywb_gives_the_history_the_wayback_replica_gives(settings: Settings, tmp_path: Path, offline: Offline) -> None:
    pywb = pywb_python()
    root = tmp_path / "pywb"
    root.mkdir()
    warc = tmp_path / "history.warc.gz"
    write_other_crawlers_warc(warc)  # the replica Wayback's captures, as another crawler would write them
    assert offline.run("wb-manager", "init", "history", cwd=root, python=pywb).returncode == 0
    added = offline.run("wb-manager", "add", "history", str(warc), cwd=root, python=pywb)
    assert added.returncode == 0, added.stderr

    with wayback_server(offline, root, pywb) as origin:
        wayback = WaybackSettings(cdx_url=f"{origin}/history/cdx", playback_url=f"{origin}/history/", **FAST)
        # pywb's own answers, as the client reads them.
        with httpx.Client(trust_env=False, timeout=30) as raw:
            answer = raw.get(wayback.cdx_url, params={"url": A1, "output": "json", "fl": ",".join(FIELDS)})
        assert answer.status_code == 200 and answer.text.lstrip().startswith("{") and '"original"' not in answer.text
        attempts: list[Attempt] = []
        with WaybackClient(wayback, FETCH) as client:
            records = list(client.search(A1, attempts=attempts))
            near = client.memento("20251215013000", A1)  # no capture then: the nearest, 20 minutes before
        assert len(attempts) == 2, "fl was taken by pywb's names: asked again without it"
        assert {(r.timestamp, r.statuscode, r.original) for r in records} >= {("20251215011000", 200, A1), ("20251216020000", 200, A1)}
        assert near.memento_url == f"{wayback.playback_url}20251215011000id_/{A1}"
        assert HISTORY["earlier_text"]["old"] in near.content.decode("utf-8")

        from_pywb = settings.replace(wayback__cdx_url=wayback.cdx_url, wayback__playback_url=wayback.playback_url,
                                     wayback__cdx_requests_per_minute=60000.0, wayback__playback_requests_per_second=1000.0)
        result = run_backfill(from_pywb)
        again = run_backfill(from_pywb)

    with WaybackReplica() as replica:
        other = pointed(settings.replace(archive__db=tmp_path / "from-wayback.db"), replica)
        expected = run_backfill(other)
    assert result.failed == 0, result.failures
    assert (result.new_articles, result.new_versions, result.removals) == (expected.new_articles, expected.new_versions, expected.removals)
    assert versions(settings.archive.db) == versions(other.archive.db)
    db = settings.archive.db
    a5 = rows(db, "SELECT article_id FROM article_urls WHERE url = ?", REMOVED)[0][0]
    assert rows(db, "SELECT status, first_seen, gone_at FROM articles WHERE id = ?", a5) == [
        ("gone", "2025-12-19T03:05:00+00:00", "2025-12-20T04:00:00+00:00")
    ]
    assert rows(db, "SELECT count(*) FROM captures WHERE source = 'wayback' AND memento_url LIKE ?", f"{wayback.playback_url}%")[0][0] > 0
    assert (again.new_articles, again.new_versions, again.removals, again.failed) == (0, 0, 0, 0)
