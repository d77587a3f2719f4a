"""``import``: WARC files (warcio-written, and this project's own export) and a WACZ, into an archive."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import subprocess
import threading
import zipfile
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.wayback_replica import HISTORY, default_captures
from series_archiver.export import export_warc
from series_archiver.jobs.importer import run_import
from series_archiver.settings import Settings
from tests.conftest import Crawler
from tests.e2e.test_crash import run_cli, write_config

A1 = HISTORY["earlier_text"]["url"]
REMOVED = HISTORY["removed"]["url"]


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def versions(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT a.installment, a.label, a.url, v.version, v.content_hash, v.text FROM versions v JOIN articles a ON a.id = v.article_id ORDER BY 1, 4")


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


def _http(status: int, body: bytes, extra: list[tuple[str, str]] | None = None) -> StatusAndHeaders:
    reason = {200: "OK", 301: "Moved Permanently", 404: "Not Found"}[status]
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body))), *(extra or [])]
    return StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1")


def write_other_crawlers_warc(path: Path) -> None:
    """What another crawler would write of the replica's history: warcio's own records, in its own order."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "a test crawler", "format": "WARC File Format 1.1"}))
        captures = {(c.url, c.timestamp): c for c in default_captures()}
        first_digest, a1_id = "", ""
        # Newest first on purpose: the import reads records in WARC-Date order whatever the file's order.
        for (url, stamp), c in sorted(captures.items(), key=lambda kv: kv[0][1], reverse=True):
            if c.status is None:
                continue
            date = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            extra = [("Location", c.location)] if c.location else []
            request = writer.create_warc_record(url, "request", http_headers=StatusAndHeaders(f"GET {url} HTTP/1.1", [("User-Agent", "test")], is_http_request=True),
                                                warc_headers_dict={"WARC-Date": date})
            response = writer.create_warc_record(url, "response", payload=io.BytesIO(c.body), length=len(c.body),
                                                 http_headers=_http(c.status, c.body, extra), warc_headers_dict={"WARC-Date": date})
            writer.write_request_response_pair(request, response)
            if url == A1 and stamp == "20251216020000":
                first_digest = response.rec_headers.get_header("WARC-Payload-Digest")
                a1_id = response.rec_headers.get_header("WARC-Record-ID")
        # A revisit of ① the next day: the same payload, by digest and by id.
        revisit = writer.create_revisit_record(A1, first_digest, A1, "2025-12-16T02:00:00Z", warc_headers_dict={"WARC-Date": "2025-12-18T02:00:00Z", "WARC-Refers-To": a1_id})
        writer.write_record(revisit)
        image = writer.create_warc_record("https://img.example.org/x.jpg", "response", payload=io.BytesIO(b"\xff\xd8"), length=2,
                                          http_headers=StatusAndHeaders("200 OK", [("Content-Type", "image/jpeg")], protocol="HTTP/1.1"),
                                          warc_headers_dict={"WARC-Date": "2025-12-16T00:00:00Z"})
        writer.write_record(image)


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


# --- a WARC written by Debian's wget ------------------------------------------------------------


class _Proxy:
    """An HTTP proxy on 127.0.0.1 that hands wget's requests for the real hosts to the replica (and refuses any other)."""

    def __init__(self, site: ReplicaSite) -> None:
        client = httpx.Client(transport=LoopbackTransport(site.origins))

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
                    r = client.get(self.path, headers=headers)
                    body, status, items = r.content, r.status_code, [(k, v) for k, v in r.headers.items()
                                                                      if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")]
                except httpx.HTTPError:
                    body, status, items = b"refused", 502, []
                self.send_response(status)
                for k, v in items:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.address = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_wget_warc(tmp_path: Path, replica: ReplicaSite) -> tuple[Path, list[str]]:
    """Debian's wget fetches the replica's first list pages and every installment page (through the
    loopback proxy) into ``tmp_path/wget.warc``; the file and the URLs asked for. Skips without wget."""
    wget = shutil.which("wget")
    if wget is None:
        pytest.skip("Debian's wget is not installed (.ci/run installs it)")
    manifest = replica.manifest
    urls = [u.replace("https://", "http://") for u in manifest["list_pages"][:3]]
    for inst in manifest["installments"]:
        urls += [u.replace("https://", "http://") for u in inst["pages"]]
    proxy = _Proxy(replica)
    try:
        env = {"PATH": "/usr/bin:/bin", "http_proxy": proxy.address, "no_proxy": ""}
        subprocess.run(
            [wget, "--quiet", "--warc-file", str(tmp_path / "wget"), "--no-warc-compression", "-e", "robots=off",
             "-O", str(tmp_path / "pages.out"), *urls],
            env=env, cwd=tmp_path, check=False, timeout=120,
        )
    finally:
        proxy.close()
    warc = tmp_path / "wget.warc"
    assert warc.exists() and warc.stat().st_size > 0
    return warc, urls


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
