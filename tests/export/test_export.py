"""Export and verify: the replica archived for real, exported, read back with warcio.

The archive is made once per module: a crawl of the replica, a silent edit of
installment ①, a re-crawl (a new version, 304s, re-fetches of the same bytes)
and a crawl with nothing changed. Tests that alter the archive work on a copy.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import subprocess
import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import zstandard
from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

from series_archiver._version import __version__
from series_archiver.archive import Archive, views
from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.errors import ConfigError, ExportError, StoreError
from series_archiver.export.jsonl import export_jsonl
from series_archiver.export.snapshot import CaptureProblem, checked_body, output, parse_since, read_snapshot
from series_archiver.export.warc import REVISIT_IDENTICAL, REVISIT_NOT_MODIFIED, export_warc, response_record_id, stored_response_headers
from series_archiver.jobs import core
from series_archiver.jobs.verify import verify_archive
from series_archiver.settings import Settings

SERIES = "貿戰下中國力量"


@dataclass(frozen=True)
class Archived:
    db: Path
    settings: Settings
    edited_url: str


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archived]:
    db = tmp_path_factory.mktemp("export") / "series.db"
    settings = demo_settings(db)
    with ReplicaSite() as site:
        transport = LoopbackTransport(site.origins)
        first = core.crawl(settings, transport=transport)
        assert first.counts.new_articles == 4 and first.ok
        target = site.manifest["edit_targets"][0]
        site.edit(target["url"], target["text"], target["text"].replace("1", "2"))
        second = core.crawl(settings, transport=transport)
        assert second.counts.new_versions == 1 and second.ok
        third = core.crawl(settings, transport=transport)
        assert third.counts.new_versions == 0 and third.ok
    yield Archived(db, settings, target["url"])


def copy_of(archived: Archived, tmp_path: Path) -> Settings:
    db = tmp_path / "copy.db"
    with sqlite3.connect(archived.db) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    return demo_settings(db)


def rows(db: Path, sql: str, *params: Any) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def warc_date(stored: str) -> str:
    return datetime.fromisoformat(stored).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


@dataclass
class Record:
    type: str
    protocol: str
    headers: dict[str, str]
    status: str | None
    http: list[tuple[str, str]]
    http_protocol: str | None
    payload: bytes
    digest_ok: bool | None


def read_warc(path: Path) -> list[Record]:
    out = []
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh, check_digests=True):
            payload = rec.content_stream().read()
            http = rec.http_headers
            out.append(
                Record(
                    type=rec.rec_type,
                    protocol=rec.rec_headers.protocol,
                    headers=dict(rec.rec_headers.headers),
                    status=http.get_statuscode() if http else None,
                    http=list(http.headers) if http else [],
                    http_protocol=(http.protocol or http.statusline.rsplit(" ", 1)[-1]) if http else None,
                    payload=payload,
                    digest_ok=rec.digest_checker.passed,
                )
            )
    return out


# Outcomes of a fetch that stores a capture (the first row naming it): a response.
STORING = {"new_article", "new_version", "restored", "unchanged", "duplicate", "changed_secondary", "suspect", "extract_error", "ok"}
# Outcomes that name no capture: no record.
NOTHING_KEPT = {"list_page", "gone", "skipped", "refused", "error", "retry", "too_large", "truncated"}


def expected_records(db: Path) -> list[tuple[str, str, str, str | None, str, str]]:
    """What the fetch log says the WARC must hold, one entry per row naming a capture.

    The first row naming a capture is the fetch that stored it: a response.
    Every later row is a revisit of that response; a 304 (not_modified) with the
    server-not-modified profile, anything else with identical-payload-digest.
    Entries: (type, target, date, profile, response record id, outcome).
    """
    out: list[tuple[str, str, str, str | None, str, str]] = []
    seen: set[int] = set()
    for r in rows(
        db,
        "SELECT f.id, f.url, f.requested_at, f.outcome, f.status, c.id AS cid, c.final_url, c.fetched_at, c.sha256 "
        "FROM fetch_log f JOIN captures c ON c.id = f.capture_id ORDER BY f.id",
    ):
        response_id = response_record_id(r["cid"], r["final_url"], r["fetched_at"], r["sha256"])
        if r["cid"] not in seen:
            seen.add(r["cid"])
            out.append(("response", r["final_url"], warc_date(r["fetched_at"]), None, response_id, r["outcome"]))
        else:
            profile = REVISIT_NOT_MODIFIED if r["outcome"] == "not_modified" else REVISIT_IDENTICAL
            out.append(("revisit", r["url"], warc_date(r["requested_at"]), profile, response_id, r["outcome"]))
    return sorted(out)


@pytest.fixture(scope="module")
def warc(archived: Archived, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Record]]:
    path = tmp_path_factory.mktemp("warc") / "series.warc.gz"
    result = export_warc(archived.settings, path)
    records = read_warc(path)
    assert result.records == len(records)
    return path, records


# --- the WARC, record by record ------------------------------------------------------------


def test_every_record_is_warc_1_1_and_the_first_is_a_warcinfo_naming_the_tool(warc: tuple[Path, list[Record]]) -> None:
    path, records = warc
    assert {r.protocol for r in records} == {"WARC/1.1"}
    assert [r.type for r in records].count("warcinfo") == 1 and records[0].type == "warcinfo"
    info = dict(
        line.split(": ", 1) for line in records[0].payload.decode("utf-8").splitlines() if line
    )
    assert info["software"].startswith(f"series-archiver/{__version__} (warcio/")
    assert info["format"] == "WARC File Format 1.1"
    assert records[0].headers["WARC-Filename"] == path.name
    config = json.loads(info["configuration"])
    assert config["series"][0]["name"] == SERIES and config["fetch"]["respect_robots"] is True
    assert json.loads(info["export-filter"]) == {"series": None, "since": None}
    assert all(r.digest_ok is not False for r in records)


def test_records_match_the_fetch_log_one_for_one(archived: Archived, warc: tuple[Path, list[Record]]) -> None:
    _, records = warc
    got = sorted(
        (
            r.type,
            r.headers["WARC-Target-URI"],
            r.headers["WARC-Date"],
            r.headers.get("WARC-Profile"),
            r.headers["WARC-Record-ID"] if r.type == "response" else r.headers["WARC-Refers-To"],
        )
        for r in records
        if r.type in ("response", "revisit")
    )
    expected = expected_records(archived.db)
    assert got == sorted(e[:5] for e in expected)
    naming = rows(archived.db, "SELECT count(*) FROM fetch_log WHERE capture_id IS NOT NULL")[0][0]
    assert len(got) == naming
    by_kind = Counter((e[0], e[3], e[5]) for e in expected)
    assert {o for t, _, o in by_kind if t == "response"} <= STORING
    assert {o for t, p, o in by_kind if p == REVISIT_NOT_MODIFIED} == {"not_modified"}
    assert "not_modified" not in {o for t, p, o in by_kind if p == REVISIT_IDENTICAL}
    # Four installments stored, one edit stored, 304s and unchanged bytes revisited.
    assert by_kind[("response", None, "new_article")] == 4 and by_kind[("response", None, "new_version")] == 1
    # Every capture is named by the fetch that stored it (so every capture has its response).
    orphans = rows(archived.db, "SELECT count(*) FROM captures WHERE id NOT IN (SELECT capture_id FROM fetch_log WHERE capture_id IS NOT NULL)")
    assert orphans[0][0] == 0
    kinds = Counter((t, p) for t, _, _, p, _ in got)  # type, profile
    # The scenario holds every kind: responses (first crawl and the edit), 304s, same bytes again.
    assert kinds[("response", None)] == rows(archived.db, "SELECT count(*) FROM captures")[0][0]
    assert kinds[("revisit", REVISIT_NOT_MODIFIED)] == rows(archived.db, "SELECT count(*) FROM fetch_log WHERE outcome = 'not_modified' AND capture_id IS NOT NULL")[0][0] > 0
    assert kinds[("revisit", REVISIT_IDENTICAL)] > 0
    # Rows that name no capture (list pages, 404s on mirrors, robots.txt) are no record.
    silent = {r[0] for r in rows(archived.db, "SELECT DISTINCT outcome FROM fetch_log WHERE capture_id IS NULL")}
    assert {"list_page", "skipped"} <= silent <= NOTHING_KEPT | {"ok"}  # ok: a redirect hop


def test_each_response_holds_the_stored_bytes_with_honest_headers(archived: Archived, warc: tuple[Path, list[Record]]) -> None:
    _, records = warc
    responses = {r.headers["WARC-Record-ID"]: r for r in records if r.type == "response"}
    captures = rows(archived.db, "SELECT id, url, final_url, fetched_at, sha256, size FROM captures")
    assert len(responses) == len(captures)
    with Archive(archived.db, readonly=True) as archive:
        stored = {c["id"]: archive.rebuilt_capture(c["id"]) for c in captures}
    for c in captures:
        r = responses[response_record_id(c["id"], c["final_url"], c["fetched_at"], c["sha256"])]
        body = stored[c["id"]].body
        assert r.payload == body
        assert hashlib.sha256(r.payload).hexdigest() == c["sha256"]
        assert r.headers["WARC-Payload-Digest"] == sha1_b32(body)
        assert r.headers["WARC-Date"] == warc_date(c["fetched_at"])
        assert r.headers["WARC-Target-URI"] == c["final_url"]
        assert r.digest_ok is True  # block and payload digests recomputed by warcio
        assert r.status == "200"
        received = {k.lower(): v for k, v in json.loads(stored[c["id"]].response_headers())}
        http = {k.lower(): v for k, v in r.http}
        # The replica gzips pages; the record holds them decoded and says so.
        assert received["content-encoding"] == "gzip"
        assert "content-encoding" not in http and "transfer-encoding" not in http
        assert http["x-crawler-content-encoding"] == "gzip"
        assert http["x-crawler-content-length"] == received["content-length"]
        assert http["content-length"] == str(len(body)) == str(c["size"])
        assert http["etag"] == received["etag"] and http["content-type"] == received["content-type"]


def test_each_request_is_concurrent_to_its_response(warc: tuple[Path, list[Record]]) -> None:
    _, records = warc
    responses = {r.headers["WARC-Record-ID"]: r for r in records if r.type == "response"}
    requests = [r for r in records if r.type == "request"]
    assert len(requests) == len(responses)
    assert sorted(r.headers["WARC-Concurrent-To"] for r in requests) == sorted(responses)
    for req in requests:
        resp = responses[req.headers["WARC-Concurrent-To"]]
        url = req.headers["WARC-Target-URI"]
        assert url == resp.headers["WARC-Target-URI"] and req.headers["WARC-Date"] == resp.headers["WARC-Date"]
        http = dict(req.http)
        assert http["Host"] == urlsplit(url).hostname  # the real host: the loopback transport is invisible
        assert http["User-Agent"].startswith("series-archiver/")
        assert req.digest_ok is True


def test_revisits_refer_to_the_response_they_repeat(archived: Archived, warc: tuple[Path, list[Record]]) -> None:
    _, records = warc
    responses = {r.headers["WARC-Record-ID"]: r for r in records if r.type == "response"}
    revisits = [r for r in records if r.type == "revisit"]
    for v in revisits:
        original = responses[v.headers["WARC-Refers-To"]]
        assert v.headers["WARC-Refers-To-Target-URI"] == original.headers["WARC-Target-URI"]
        assert v.headers["WARC-Refers-To-Date"] == original.headers["WARC-Date"]
        assert v.headers["WARC-Payload-Digest"] == original.headers["WARC-Payload-Digest"]
        assert v.headers["WARC-Date"] >= original.headers["WARC-Date"]
        # An empty block: the re-fetch's headers are not kept, so none are claimed.
        assert v.payload == b"" and v.status is None and v.headers["Content-Length"] == "0"
        assert "Content-Type" not in v.headers and "WARC-Truncated" not in v.headers
        assert v.headers["WARC-Profile"] in (REVISIT_NOT_MODIFIED, REVISIT_IDENTICAL)
    # The edit: installment ① has two responses with different bytes, and the
    # unchanged crawl after it revisits the second.
    edited = sorted(
        (r for r in responses.values() if r.headers["WARC-Target-URI"] == archived.edited_url),
        key=lambda r: r.headers["WARC-Record-ID"],
    )
    assert len(edited) == 2 and edited[0].payload != edited[1].payload
    assert {b"1\xe8\x90\xac\xe5\x84\x84\xe5\x85\x83" in r.payload for r in edited} == {True, False}  # 1萬億元 in one only
    last = max((v for v in revisits if v.headers["WARC-Target-URI"] == archived.edited_url), key=lambda v: v.headers["WARC-Date"])
    assert "2萬億元".encode() in responses[last.headers["WARC-Refers-To"]].payload


@pytest.mark.slow
def test_warcio_check_passes_and_catches_a_damaged_record(warc: tuple[Path, list[Record]], tmp_path: Path) -> None:
    path, records = warc
    proc = warcio("check", "-v", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("digest pass") == sum(r.type != "revisit" for r in records)
    assert "failed" not in proc.stdout
    # warcio check really checks: one byte changed inside a payload fails it.
    plain = tmp_path / "plain.warc"
    plain.write_bytes(b"".join(_members(path)))
    data = bytearray(plain.read_bytes())
    at = data.index("星河芯".encode())
    data[at] ^= 0x01
    plain.write_bytes(bytes(data))
    bad = warcio("check", str(plain))
    assert bad.returncode == 1 and "digest failed" in bad.stdout


def _members(path: Path) -> Iterator[bytes]:
    """The records of a .warc.gz, uncompressed (each record is one gzip member)."""
    raw = path.read_bytes()
    while raw:
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        yield d.decompress(raw)
        raw = d.unused_data


def warcio(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("warcio")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "warcio.cli"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=60, check=False)


def test_exporting_again_gives_the_same_records(archived: Archived, warc: tuple[Path, list[Record]], tmp_path: Path) -> None:
    _, records = warc
    again = read_warc(export_warc(archived.settings, tmp_path / "again.warc").path)
    strip = [(r.type, r.headers, r.http, r.payload) for r in records[1:]]
    assert [(r.type, r.headers, r.http, r.payload) for r in again[1:]] == strip


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_since_exports_later_records_whose_revisits_refer_to_the_earlier_file(archived: Archived, tmp_path: Path) -> None:
    settings = copy_of(archived, tmp_path)
    db = settings.archive.db
    # Move the first crawl a day back, so --since can split it from the re-crawls.
    with sqlite3.connect(db) as conn:
        first_run = conn.execute("SELECT min(id) FROM runs").fetchone()[0]
        shift = "strftime('%Y-%m-%dT%H:%M:%S+00:00', julianday({}) - 1)"
        # The tables under the fetch_log and captures views (schema step 11).
        conn.execute(f"UPDATE fetches SET requested_at = {shift.format('requested_at')} WHERE run_id = ?", (first_run,))
        conn.execute(
            f"UPDATE capture_store SET fetched_at = {shift.format('fetched_at')} "
            "WHERE id IN (SELECT capture_id FROM fetches WHERE run_id = ?)",
            (first_run,),
        )
    full = read_warc(export_warc(settings, tmp_path / "full.warc.gz").path)
    since = datetime.now(UTC) - timedelta(hours=12)
    later_path = tmp_path / "later.warc.gz"
    later = read_warc(export_warc(settings, later_path, since=since).path)
    cut = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    full_ids = {r.headers["WARC-Record-ID"]: r for r in full}
    expected = [r for r in full[1:] if r.headers["WARC-Date"] >= cut]
    assert [r.headers["WARC-Record-ID"] for r in later[1:]] == [r.headers["WARC-Record-ID"] for r in expected]
    responses = [r for r in later if r.type == "response"]
    assert [r.headers["WARC-Target-URI"] for r in responses] == [archived.edited_url]  # only the edit is new
    earlier = [v for v in later if v.type == "revisit" and v.headers["WARC-Refers-To"] not in {r.headers["WARC-Record-ID"] for r in responses}]
    assert earlier, "re-crawls of first-crawl captures refer back to the earlier file"
    for v in earlier:
        assert full_ids[v.headers["WARC-Refers-To"]].type == "response"
        assert full_ids[v.headers["WARC-Refers-To"]].headers["WARC-Date"] < cut
        assert v.headers["WARC-Payload-Digest"] == full_ids[v.headers["WARC-Refers-To"]].headers["WARC-Payload-Digest"]
    assert json.loads(dict(line.split(": ", 1) for line in later[0].payload.decode().splitlines() if line)["export-filter"])["since"]
    assert warcio("check", str(later_path)).returncode == 0
    assert [r.headers["WARC-Record-ID"] for r in read_warc(export_warc(settings, tmp_path / "none.warc", since=datetime.now(UTC) + timedelta(days=1)).path)[1:]] == []


def test_series_keeps_only_that_series_captures_and_versions(archived: Archived, tmp_path: Path) -> None:
    settings = copy_of(archived, tmp_path)
    db = settings.archive.db
    # Installment ③ has two pages; its page 2 has no URL row of its own.
    moved = rows(db, "SELECT id FROM articles WHERE installment = 3")[0][0]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE articles SET series = '另一系列' WHERE id = ?", (moved,))
    moved_captures = {
        (r[0], r[1])
        for r in rows(db, "SELECT DISTINCT c.final_url, c.fetched_at FROM captures c JOIN fetch_log f ON f.capture_id = c.id WHERE f.article_id = ?", moved)
    }
    assert len({u for u, _ in moved_captures}) == 2
    full = read_warc(export_warc(settings, tmp_path / "all.warc.gz").path)
    kept = read_warc(export_warc(settings, tmp_path / "kept.warc.gz", series=SERIES).path)
    other = read_warc(export_warc(settings, tmp_path / "other.warc.gz", series="另一系列").path)

    def urls(records: list[Record]) -> set[str]:
        return {r.headers["WARC-Target-URI"] for r in records if r.type != "warcinfo"}

    assert urls(other) == {u for u, _ in moved_captures}
    assert urls(kept) == urls(full) - urls(other)
    assert len(kept) + len(other) == len(full) + 1  # two warcinfo records
    versions = [json.loads(line) for line in export_jsonl(settings, tmp_path / "other.jsonl", series="另一系列").path.read_text().splitlines()]
    assert [(v["article_id"], v["version"]) for v in versions] == [(moved, 1)]
    with pytest.raises(ConfigError) as info:
        export_warc(settings, tmp_path / "x.warc.gz", series="不存在")
    assert info.value.key == "--series" and SERIES in str(info.value)
    assert not (tmp_path / "x.warc.gz").exists() and not (tmp_path / "x.warc.gz.part").exists()


def test_parse_since() -> None:
    assert parse_since("2025-12-15") == datetime(2025, 12, 15, tzinfo=UTC)
    assert parse_since("2025-12-15T08:00:00+08:00") == datetime(2025, 12, 15, tzinfo=UTC)
    assert parse_since("2025-12-15T08:00Z") == datetime(2025, 12, 15, 8, tzinfo=UTC)
    with pytest.raises(ConfigError) as info:
        parse_since("last week")
    assert info.value.key == "--since" and "YYYY-MM-DD" in str(info.value)


def test_stored_response_headers_describe_the_decoded_bytes() -> None:
    received = [
        ("Content-Type", "text/html"),
        ("Transfer-Encoding", "chunked"),
        ("Content-Encoding", "br"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
    ]
    assert stored_response_headers(received, 120) == [
        ("Content-Type", "text/html"),
        ("X-Crawler-Transfer-Encoding", "chunked"),
        ("X-Crawler-Content-Encoding", "br"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Content-Length", "120"),
    ]
    # Nothing to adjust: the headers stay as received.
    plain = [("Content-Length", "7"), ("Content-Encoding", "identity")]
    assert stored_response_headers(plain, 7) == plain


# --- JSON Lines ----------------------------------------------------------------------------------


def test_jsonl_has_one_line_per_version_with_article_fields_and_text(archived: Archived, warc: tuple[Path, list[Record]], tmp_path: Path) -> None:
    _, records = warc
    result = export_jsonl(archived.settings, tmp_path / "versions.jsonl")
    lines = result.path.read_text(encoding="utf-8").splitlines()
    versions = rows(archived.db, "SELECT article_id, version, text, title, captured_at FROM versions")
    assert result.versions == len(lines) == len(versions)
    objects = [json.loads(line) for line in lines]
    assert sorted((o["article_id"], o["version"]) for o in objects) == sorted((v[0], v[1]) for v in versions)
    assert [o["installment"] for o in objects] == sorted(o["installment"] for o in objects)
    stored = {(v[0], v[1]): v for v in versions}
    response_ids = {r.headers["WARC-Record-ID"] for r in records if r.type == "response"}
    for o in objects:
        v = stored[(o["article_id"], o["version"])]
        assert (o["text"], o["title"], o["captured_at"]) == (v["text"], v["title"], v["captured_at"])
        assert o["series"] == SERIES and o["url"] in o["urls"] and o["article_url"] in o["urls"]
        assert "\n".join(b["text"] for b in o["blocks"]) == o["text"]
        assert o["captures"] and all(c["warc_record_id"] in response_ids for c in o["captures"])
    first = [o for o in objects if o["installment"] == 1]
    assert [(o["version"], o["versions"]) for o in first] == [(1, 2), (2, 2)]
    assert "1萬億元" in first[0]["text"] and "2萬億元" in first[1]["text"]
    assert len(next(o for o in objects if o["installment"] == 3)["captures"]) == 2  # both pages


# --- verify ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_verify_passes_then_detects_a_flipped_byte(archived: Archived, tmp_path: Path) -> None:
    settings = copy_of(archived, tmp_path)
    db = settings.archive.db
    report = verify_archive(settings)
    assert report.ok and report.checked == rows(db, "SELECT count(*) FROM captures")[0][0]

    # Two captures no other capture is a delta against (test_storage.py damages a base).
    last_of_chain = "SELECT id, url, raw FROM captures WHERE id NOT IN (SELECT base_capture_id FROM captures WHERE base_capture_id IS NOT NULL) ORDER BY id"
    target, other = rows(db, last_of_chain)[1:3]
    flipped = bytearray(target["raw"])
    flipped[len(flipped) // 2] ^= 0x04
    with Archive(db, readonly=True) as archive:
        body = bytearray(archive.capture_bytes(other["id"]))
    body[len(body) // 2] ^= 0x01
    second = other["id"]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE capture_store SET raw = ? WHERE id = ?", (bytes(flipped), target["id"]))
        conn.execute(
            "UPDATE capture_store SET codec = 'zstd', base_capture_id = NULL, chain = 0, raw = ? WHERE id = ?",
            (zstandard.ZstdCompressor().compress(bytes(body)), second),
        )

    report = verify_archive(settings)
    assert not report.ok
    assert [(p.capture_id, p.kind) for p in report.problems] == [(target["id"], "undecompressable"), (second, "mismatch")]
    mismatch = report.problems[1]
    assert mismatch.actual_sha256 == hashlib.sha256(bytes(body)).hexdigest() != mismatch.stored_sha256

    proc = cli("verify", "--json", "--db", str(db), cwd=tmp_path)
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["ok"] is False and [p["capture_id"] for p in out["problems"]] == [target["id"], second]
    text = cli("verify", "--db", str(db), cwd=tmp_path)
    assert text.returncode == 1 and f"capture {target['id']} ({target['url']}" in text.stdout
    # An export refuses to carry damaged bytes.
    with pytest.raises(StoreError, match=f"capture {target['id']} .*verify"):
        export_warc(settings, tmp_path / "damaged.warc.gz")
    assert not list(tmp_path.glob("damaged*"))


def test_the_payload_check_returns_the_bytes_or_what_is_wrong() -> None:
    body = "星河芯".encode() * 10

    def stored(raw: bytes | None, sha256: str = hashlib.sha256(body).hexdigest(), size: int = len(body)) -> views.StoredPayload:
        return views.StoredPayload(7, "https://example.test/a", "2025-12-15T00:00:00+00:00", sha256, size, raw, None if raw else "zstd: bad frame")

    assert checked_body(stored(body)) == body
    broken = checked_body(stored(None))
    assert isinstance(broken, CaptureProblem) and broken.kind == "undecompressable" and broken.detail == "zstd: bad frame"
    wrong = checked_body(stored(body + b"!"))
    assert isinstance(wrong, CaptureProblem) and wrong.kind == "mismatch"
    assert wrong.actual_sha256 == hashlib.sha256(body + b"!").hexdigest() != wrong.stored_sha256
    short = checked_body(stored(body, size=len(body) - 1))
    assert isinstance(short, CaptureProblem) and short.kind == "mismatch" and short.actual_sha256 == short.stored_sha256
    assert f"number {len(body)}, not the {len(body) - 1} recorded" in short.detail


def test_verify_and_export_both_refuse_a_capture_whose_size_is_wrong(archived: Archived, tmp_path: Path) -> None:
    settings = copy_of(archived, tmp_path)
    db = settings.archive.db
    target = rows(db, "SELECT id, url FROM captures ORDER BY id LIMIT 1")[0]
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE capture_store SET size = size + 1 WHERE id = ?", (target["id"],))
    report = verify_archive(settings)
    assert [(p.capture_id, p.kind) for p in report.problems] == [(target["id"], "mismatch")]
    with pytest.raises(StoreError, match=f"capture {target['id']} .*size recorded.*verify"):
        export_warc(settings, tmp_path / "short.warc.gz")
    assert not list(tmp_path.glob("short*"))


def test_output_appears_only_once_complete(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    with pytest.raises(RuntimeError), output(path) as fh:
        fh.write(b"half")
        assert (tmp_path / "out.jsonl.part").exists() and not path.exists()
        raise RuntimeError("interrupted")
    assert not list(tmp_path.iterdir())
    with output(path) as fh:
        fh.write(b"whole")
    assert path.read_bytes() == b"whole" and not (tmp_path / "out.jsonl.part").exists()
    with pytest.raises(ExportError) as info, output(tmp_path / "no" / "such.jsonl"):
        pass
    assert "no/such.jsonl" in str(info.value)


def test_read_snapshot_sees_one_state_while_a_writer_commits(archived: Archived, tmp_path: Path) -> None:
    settings = copy_of(archived, tmp_path)
    db = settings.archive.db
    with read_snapshot(db) as archive:
        before = sum(1 for _ in views.stored_payloads(archive.conn))
        with sqlite3.connect(db) as conn:
            conn.execute("DELETE FROM capture_store WHERE id = (SELECT max(id) FROM capture_store)")
        assert sum(1 for _ in views.stored_payloads(archive.conn)) == before
    with read_snapshot(db) as archive:
        assert sum(1 for _ in views.stored_payloads(archive.conn)) == before - 1


def test_installment_order_is_one_text_for_every_query() -> None:
    assert views.INSTALLMENT_ORDER == "a.series, a.installment IS NULL, a.installment, a.published, a.id"
    assert views.installment_order(None) == views.INSTALLMENT_ORDER.replace("a.", "")
    for sql in (views.INSTALLMENTS_SQL, views.REMOVED_ARTICLES_SQL):
        assert sql.endswith(views.INSTALLMENT_ORDER)


# --- the commands ---------------------------------------------------------------------------------


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "series_archiver", *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow
def test_export_and_verify_commands(archived: Archived, tmp_path: Path) -> None:
    db = str(archived.db)
    proc = cli("export", "--db", db, "--warc", "a.warc.gz", "--jsonl", "a.jsonl", "--series", SERIES, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("wrote a.warc.gz: ") and "wrote a.jsonl: 5 versions" in proc.stdout
    assert warcio("check", str(tmp_path / "a.warc.gz")).returncode == 0
    assert cli("verify", "--db", db, cwd=tmp_path).returncode == 0
    usage = cli("export", "--db", db, cwd=tmp_path)
    assert usage.returncode == 2 and "--warc" in usage.stderr
    bad = cli("export", "--db", db, "--jsonl", "b.jsonl", "--since", "soon", cwd=tmp_path)
    assert bad.returncode == 2 and "--since" in bad.stderr
    nowhere = cli("export", "--db", db, "--jsonl", str(tmp_path / "no" / "b.jsonl"), cwd=tmp_path)
    assert nowhere.returncode == 1 and "no/b.jsonl" in nowhere.stderr
    missing = cli("verify", "--db", str(tmp_path / "none.db"), cwd=tmp_path)
    assert missing.returncode == 1 and "crawl" in missing.stderr
