"""The web archive client (wayback/) against the replica Wayback on 127.0.0.1: both protocols, as the real one answers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from series_archiver.demo.wayback_replica import HISTORY, WaybackCapture, WaybackReplica, default_captures
from series_archiver.errors import GoneError
from series_archiver.models import Attempt
from series_archiver.settings import FetchSettings, WaybackSettings
from series_archiver.sources.wayback import MementoPages, NoMemento, WaybackBlocked, WaybackClient, parse_cdx_json
from series_archiver.sources.wayback.cdx import dedupe_digests, parse_timestamp

A1 = HISTORY["earlier_text"]["url"]
REMOVED = HISTORY["removed"]["url"]
A2 = "https://www.takungpao.com/news/232108/2025/1216/1050318.html"
FETCH = FetchSettings(
    user_agent="series-archiver-test/1", contact="+contact", retries=2, backoff_base_seconds=0.01, timeout_seconds=10.0
)


class FakeTime:
    """A clock that only moves when slept on: waits are recorded, never waited."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def archive() -> Iterator[WaybackReplica]:
    with WaybackReplica() as replica:
        yield replica


def client_for(archive: WaybackReplica, time: FakeTime | None = None, **wayback: float) -> WaybackClient:
    settings = WaybackSettings(cdx_url=archive.cdx_url, playback_url=archive.playback_url, **wayback)
    time = time or FakeTime()
    return WaybackClient(settings, FETCH, sleep=time.sleep, clock=time.clock)


@pytest.mark.slow
def test_cdx_json_has_a_header_row_and_dashes_read_as_none(archive: WaybackReplica) -> None:
    response = httpx.get(archive.cdx_url, params={"url": A2, "output": "json"})
    rows = response.json()
    assert rows[0] == ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"]
    revisit = next(r for r in rows[1:] if r[3] == "warc/revisit")
    assert revisit[4] == "-" and revisit[6] == "-"
    page = parse_cdx_json(response.text)
    assert [r.statuscode for r in page.records] == [200, None] and page.records[1].length is None
    assert page.resume_key is None
    assert parse_cdx_json("").records == ()  # nothing archived: the Wayback Machine's empty body


@pytest.mark.slow
def test_search_pages_with_resume_keys_until_the_last_capture(archive: WaybackReplica) -> None:
    time = FakeTime()
    attempts: list[Attempt] = []
    with client_for(archive, time) as client:
        records = list(client.search("https://www.takungpao.com/news/232108/", match_type="prefix", collapse=None, limit=2, attempts=attempts))
    expected = [c for c in default_captures() if c.urlkey.startswith("com,takungpao)/news/232108/")]
    assert sorted((r.original, r.timestamp) for r in records) == sorted((c.url, c.timestamp) for c in expected)
    pages = -(-len(expected) // 2)
    assert len(attempts) == pages and all(a.outcome == "ok" and a.status == 200 for a in attempts)
    cdx = [path for path, _ in archive.requests if path.startswith("/cdx/")]
    assert all("showResumeKey=true" in p and "output=json" in p and "fl=urlkey" in p for p in cdx)
    assert all("resumeKey=" in p for p in cdx[1:]), "every page after the first continues from the key"
    # 24 a minute: 2.5 s between the starts of two queries.
    assert time.sleeps == [pytest.approx(2.5)] * (pages - 1)


@pytest.mark.slow
def test_search_filters_by_time_and_collapses_identical_digests(archive: WaybackReplica) -> None:
    with client_for(archive) as client:
        everything = list(client.search(A1, collapse=None))
        december_16 = list(client.search(A1, from_="20251216", to="20251216", collapse=None))
        html_only = list(client.search(A1, filters=("statuscode:200",)))
    # CDX keys ignore the scheme: the http capture (a 301 to https) comes with the https ones.
    assert [(r.timestamp, r.statuscode) for r in everything] == [
        ("20251215011000", 200), ("20251216020000", 200), ("20251216030000", 301), ("20251217020000", 200),
    ]
    assert [r.timestamp for r in december_16] == ["20251216020000", "20251216030000"]
    # collapse=digest on the server collapses consecutive rows only: the two 200s with one digest
    # are consecutive once the 301 is filtered out.
    assert [r.timestamp for r in html_only] == ["20251215011000", "20251216020000"]
    kept = dedupe_digests(everything)
    assert [r.captured_at.isoformat() for r in kept if r.statuscode == 200] == ["2025-12-15T01:10:00+00:00", "2025-12-16T02:00:00+00:00"]


@pytest.mark.slow
def test_every_request_sends_the_configured_user_agent_and_accept_encoding_identity(archive: WaybackReplica) -> None:
    with client_for(archive) as client:
        list(client.search(A1))
        client.memento("20251216020000", A1)
    assert archive.requests
    for _path, headers in archive.requests:
        assert headers["accept-encoding"] == "identity"
        assert headers["user-agent"] == "series-archiver-test/1; +contact"


@pytest.mark.slow
def test_a_blocked_url_answers_an_error_body_and_is_refused(archive: WaybackReplica) -> None:
    attempts: list[Attempt] = []
    with client_for(archive) as client, pytest.raises(WaybackBlocked) as caught:
        list(client.search(HISTORY["blocked_prefix"] + "232108/2025/1216/1051299.html", attempts=attempts))
    assert "AdministrativeAccessControlException" in str(caught.value)
    assert caught.value.outcome == "refused" and attempts[-1].status == 403 and attempts[-1].outcome == "refused"


@pytest.mark.slow
@pytest.mark.parametrize(("retry_after", "waited"), [(None, 60.0), ("7", 7.0)])
def test_a_429_waits_retry_after_or_60_seconds_then_retries(archive: WaybackReplica, retry_after: str | None, waited: float) -> None:
    time = FakeTime()
    archive.rate_limit(1, retry_after)
    attempts: list[Attempt] = []
    with client_for(archive, time) as client:
        records = list(client.search(A1, attempts=attempts))
    assert len(records) == 4
    assert [a.outcome for a in attempts] == ["retry", "ok"] and attempts[0].status == 429
    assert time.sleeps == [pytest.approx(waited + 2.5, abs=0.01)] or time.sleeps == [pytest.approx(waited, abs=0.01)]


def test_a_memento_carries_its_datetime_the_archive_source_and_the_original_headers(archive: WaybackReplica) -> None:
    with client_for(archive) as client:
        memento = client.memento("20251215011000", A1)
    assert memento.status == 200 and memento.captured_at.isoformat() == "2025-12-15T01:10:00+00:00"
    assert memento.archive_src and memento.archive_src.endswith(".warc.gz")
    assert memento.header("server") == "nginx" and memento.header("date") == "Mon, 15 Dec 2025 01:10:00 GMT"
    assert memento.links and 'rel="original"' in memento.links and 'rel="memento"' in memento.links
    assert HISTORY["earlier_text"]["old"] in memento.content.decode("utf-8")
    assert memento.memento_url.endswith(f"/web/20251215011000id_/{A1}")


@pytest.mark.slow
def test_a_time_between_captures_is_redirected_to_the_nearest_and_that_is_no_capture_itself(archive: WaybackReplica) -> None:
    with client_for(archive) as client:
        memento = client.memento("20251216000000", A1)
    assert memento.captured_at.isoformat() == "2025-12-16T02:00:00+00:00"
    first, second = memento.attempts
    assert first.status == 302 and "20251216000000id_" in first.url and "20251216020000id_" in second.url


@pytest.mark.slow
def test_an_unarchived_url_is_the_archives_own_error_not_a_capture(archive: WaybackReplica) -> None:
    with client_for(archive) as client, pytest.raises(NoMemento, match="without Memento-Datetime"):
        client.memento("20251216000000", "https://www.takungpao.com/news/232108/2025/1299/9999999.html")


def test_captured_redirects_and_404s_read_as_a_live_fetch_would(archive: WaybackReplica) -> None:
    with client_for(archive) as client:
        pages = MementoPages(client, FETCH, "20251216030000")
        page = pages(A1.replace("https://", "http://"))  # captured as http, answering 301 to https: followed in the archive
        assert page.redirects == (A1,) and page.final_url == A1 and page.fetched_at.isoformat() == "2025-12-16T02:00:00+00:00"
        assert page.provenance is not None and page.provenance.source == "wayback"
        assert page.provenance.memento_url is not None and page.provenance.memento_url.endswith(f"20251216020000id_/{A1}")
        with pytest.raises(GoneError) as gone:
            MementoPages(client, FETCH, "20251220040000")(REMOVED)
    assert gone.value.status == 404 and "2025-12-20" in str(gone.value)


def test_a_takedown_redirect_in_a_capture_is_a_removal() -> None:
    home = "https://www.takungpao.com/index.html"
    captures = [WaybackCapture(A1, "20251220000000", 302, b"", location=home)]
    with WaybackReplica(captures) as archive, client_for(archive) as client, pytest.raises(GoneError) as gone:
        MementoPages(client, FETCH, "20251220000000")(A1)
    assert gone.value.target == home


def test_timestamps_pad_as_cdx_servers_do() -> None:
    assert parse_timestamp("2025").isoformat() == "2025-01-01T00:00:00+00:00"
    assert json.dumps(parse_cdx_json('[["timestamp"],["20251215000000"],[],["key 1"]]').resume_key) == '"key 1"'
