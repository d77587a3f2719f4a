"""``import`` of archives as real crawlers write them (issue 21, items 1-7): content codings, header bytes,
damage with its offset, cut files, ARC files, revisits across files and against the archive, empty and
foreign files, folders and progress.

Every file is written here, by real tools: warcio's ``capture_http`` through a loopback proxy that serves
br, gzip, deflate, zstd and chains of them with header bytes that are not ASCII; wget; py-wacz; warcio's
writer; ARC and odd WARC records byte by byte as Heritrix, the Internet Archive and wget lay them out.
Then the test damages them: a gzip member corrupted, a file cut, a ``WARC/1.1`` line dropped.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import io
import itertools
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import brotli
import httpx
import pytest
import zstandard
from warcio.archiveiterator import ArchiveIterator
from warcio.capture_http import capture_http
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.wayback_replica import HISTORY
from series_archiver.export import export_warc
from series_archiver.jobs.importer import run_import
from series_archiver.settings import Settings
from series_archiver.sources.encoding import decode_content
from tests.support.cli import run_cli, write_config
from tests.support.crawl import Crawler
from tests.support.db import rows, versions
from tests.support.tools import Offline, require
from tests.support.warcs import write_other_crawlers_warc, write_wget_warc

A1 = HISTORY["earlier_text"]["url"]
FILENAME = "大公報·系列①.html"


def _pages(replica: ReplicaSite) -> list[str]:
    """The replica's first list page and every installment page (real URLs)."""
    manifest = replica.manifest
    return [manifest["list_pages"][0]] + [u for inst in manifest["installments"] for u in inst["pages"]]


def _texts(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT a.installment, v.version, v.content_hash FROM versions v JOIN articles a ON a.id = v.article_id ORDER BY 1, 2")


def _counts(db: Path) -> tuple[Any, ...]:
    return rows(db, "SELECT (SELECT count(*) FROM captures), (SELECT count(*) FROM versions), (SELECT count(*) FROM changes)")[0]


def _captured(db: Path) -> set[tuple[str, str]]:
    return set(rows(db, "SELECT url, fetched_at FROM captures"))


def _record_offsets(path: Path) -> list[tuple[int, str, str]]:
    """(offset, type, URI) of each record, as warcio's own iterator finds them in an intact file."""
    with path.open("rb") as fh:
        it = ArchiveIterator(fh)
        return [(it.get_record_offset(), r.rec_type, r.rec_headers.get_header("WARC-Target-URI") or "") for r in it]


# --- a proxy that serves every content coding, and header bytes that are not ASCII -------------------


def _encode(body: bytes, coding: str) -> bytes:
    """``body`` with the codings of a Content-Encoding applied, in the order listed."""
    for c in [c.strip() for c in coding.split(",") if c.strip()]:
        if c == "gzip":
            body = gzip.compress(body)
        elif c == "deflate":
            body = zlib.compress(body)
        elif c == "br":
            body = brotli.compress(body)
        elif c == "zstd":
            body = zstandard.ZstdCompressor().compress(body)
    return body


class _CodingProxy:
    """An HTTP proxy on 127.0.0.1: the replica's pages, each sent with the content coding ``plan`` names for it
    (chunked when ``chunked`` holds it) and two headers with bytes beyond ASCII, written as raw bytes."""

    def __init__(self, site: ReplicaSite, plan: dict[str, str], chunked: set[str]) -> None:
        client = httpx.Client(transport=LoopbackTransport(site.origins))

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                r = client.get(self.path)
                coding = plan.get(self.path, "")
                body = _encode(r.content, coding)
                head = [f"HTTP/1.1 {r.status_code} OK".encode(), f"Content-Type: {r.headers.get('content-type', 'text/html')}".encode()]
                head += [f'Content-Disposition: inline; filename="{FILENAME}"'.encode(), b"X-Served-By: caf\xe9 \xa7 latin-1"]
                if coding:
                    head.append(f"Content-Encoding: {coding}".encode())
                if self.path in chunked:
                    head.append(b"Transfer-Encoding: chunked")
                    half = len(body) // 2
                    payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:half], body[half:]) if p) + b"0\r\n\r\n"
                else:
                    head.append(f"Content-Length: {len(body)}".encode())
                    payload = body
                self.wfile.write(b"\r\n".join(head) + b"\r\n\r\n" + payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.port = self.server.server_address[1]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def write_coded_warc(path: Path, replica: ReplicaSite) -> dict[str, str]:
    """warcio's ``capture_http`` records GETs of the replica's pages through the coding proxy; the plan used."""
    pages = _pages(replica)
    articles = pages[1:]
    codings = ["br", "gzip", "deflate", "zstd", "gzip, br"]
    plan = {pages[0]: "deflate, zstd", **{url: codings[i % len(codings)] for i, url in enumerate(articles)}}
    chunked = {articles[1], articles[-1], pages[0]}
    proxy = _CodingProxy(replica, plan, chunked)
    try:
        with path.open("wb") as fh:
            writer = WARCWriter(fh, gzip=True, warc_version="1.1")
            with capture_http(writer):
                for url in pages:
                    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=30)
                    conn.request("GET", url, headers={"Accept-Encoding": "br, gzip, deflate, zstd"})
                    conn.getresponse().read()
                    conn.close()
    finally:
        proxy.close()
    return plan


def test_every_content_coding_and_header_bytes_beyond_ascii_give_what_a_crawl_gives(
    tmp_path: Path, replica: ReplicaSite, crawler: Crawler
) -> None:
    warc = tmp_path / "coded.warc.gz"
    plan = write_coded_warc(warc, replica)
    assert {"br", "gzip", "deflate", "zstd", "gzip, br", "deflate, zstd"} <= set(plan.values())
    # The records hold the bodies as they came over the wire: compressed, two of them chunked.
    with warc.open("rb") as fh:
        stored = {r.rec_headers.get_header("WARC-Target-URI"): r.http_headers for r in ArchiveIterator(fh) if r.rec_type == "response"}
    assert {h.get_header("Content-Encoding") for h in stored.values()} >= {"br", "zstd", "gzip, br"}
    assert any(h.get_header("Transfer-Encoding") == "chunked" for h in stored.values())

    target = crawler.settings.replace(archive__db=tmp_path / "from-coded.db")
    result = run_import(target, [warc])
    assert result.failed == 0 and not result.damaged, (result.failures, result.damaged)
    assert result.new_articles == 4
    crawler.crawl()
    assert _texts(target.archive.db) == _texts(crawler.settings.archive.db)
    again = run_import(target, [warc])
    assert (again.new_articles, again.new_versions, again.failed) == (0, 0, 0)

    # The headers are kept as sent (UTF-8 read as UTF-8, the rest as ISO-8859-1), and an export writes them out again.
    exported = tmp_path / "export.warc.gz"
    export_warc(target, exported)
    with exported.open("rb") as fh:
        dispositions = {r.http_headers.get_header("Content-Disposition") for r in ArchiveIterator(fh) if r.rec_type == "response"}
    # (warcio writes a value beyond ISO-8859-1 in the RFC 5987 form.)
    assert any(FILENAME in unquote(d or "") for d in dispositions), dispositions


def test_the_bounded_decoder_undoes_chains_and_refuses_what_it_cannot() -> None:
    body = "大公報".encode() * 5000
    for coding in ("br", "gzip", "deflate", "zstd", "gzip, br", "br, zstd, deflate"):
        assert decode_content("https://x.test/", coding, _encode(body, coding), len(body)) == body
    from series_archiver.errors import TooLarge, TruncatedBody, UndecodableText

    with pytest.raises(TooLarge):
        decode_content("https://x.test/", "zstd", _encode(b"\0" * (64 << 20), "zstd"), 1 << 20)
    with pytest.raises(TooLarge):
        decode_content("https://x.test/", "gzip, br", _encode(b"\0" * (64 << 20), "gzip, br"), 1 << 20)
    with pytest.raises(TruncatedBody):
        decode_content("https://x.test/", "br", _encode(body, "br")[:-20], len(body))
    with pytest.raises(UndecodableText, match="x-snappy"):
        decode_content("https://x.test/", "gzip, x-snappy", body, len(body))


# --- records laid out byte by byte: odd shapes real files take -----------------------------------------


def _rid() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"


def raw_record(uri: str, date: str, block: bytes, *, kind: str = "response", extra: tuple[tuple[str, str], ...] = (), lf: bool = False) -> bytes:
    """One WARC/1.1 record as bytes; ``lf``: its HTTP headers end in bare newlines, as some writers leave them."""
    if lf:
        head, _sep, body = block.partition(b"\r\n\r\n")
        block = head.replace(b"\r\n", b"\n") + b"\n\n" + body
    headers = [("WARC-Type", kind), ("WARC-Target-URI", uri), ("WARC-Date", date), ("WARC-Record-ID", _rid()), *extra,
               ("Content-Type", "application/http; msgtype=response"), ("Content-Length", str(len(block)))]
    return b"WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers).encode() + b"\r\n" + block + b"\r\n\r\n"


def _http_block(body: bytes, status: str = "200 OK", headers: tuple[str, ...] = ("Content-Type: text/html; charset=utf-8",)) -> bytes:
    return (f"HTTP/1.1 {status}\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n").encode() + body


def _replica_body(replica: ReplicaSite, url: str) -> bytes:
    with httpx.Client(transport=LoopbackTransport(replica.origins)) as client:
        return client.get(url).content


def test_odd_shapes_of_real_files_a_malformed_record_and_an_unknown_coding(tmp_path: Path, replica: ReplicaSite, settings: Settings) -> None:
    """A status line without a reason, bare newlines, a URI in angle brackets (wget 1.19), a chunked body stored
    as sent, a server-not-modified revisit naming its original by URI and date only; then a record whose block
    is no HTTP response (damage, with its offset) and a coding none can undo (that record's failure)."""
    a1 = _replica_body(replica, A1)
    chunked = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in (a1[:1000], a1[1000:])) + b"0\r\n\r\n"
    a2 = replica.manifest["installments"][1]["pages"][0]
    a3 = replica.manifest["installments"][3]["pages"][0]
    records = [
        raw_record(f"<{A1}>", "2025-12-15T01:00:00Z", _http_block(chunked, "200", ("Content-Type: text/html", "Transfer-Encoding: chunked")), lf=True),
        raw_record(A1, "2025-12-16T01:00:00Z", _http_block(b"", "304 Not Modified", ()), kind="revisit", extra=(
            ("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/server-not-modified"),
            ("WARC-Refers-To-Target-URI", A1), ("WARC-Refers-To-Date", "2025-12-15T01:00:00Z"))),
        raw_record(a2, "2025-12-16T02:00:00Z", b"<html>no status line, no headers</html>"),
        raw_record(a2, "2025-12-16T03:00:00Z", _http_block(a1, headers=("Content-Type: text/html", "Content-Encoding: x-snappy"))),
        # As a browser-based crawler may store it: the body decoded, the server's Content-Encoding kept.
        raw_record(a3, "2025-12-16T04:00:00Z", _http_block(_replica_body(replica, a3), headers=("Content-Type: text/html", "Content-Encoding: br"))),
    ]
    warc = tmp_path / "shapes.warc"
    warc.write_bytes(b"".join(records))
    malformed_at = len(records[0]) + len(records[1])
    result = run_import(settings, [warc])
    assert result.new_articles == 2 and result.unresolved == []
    assert result.duplicates == 1, "the revisit is resolved to the response of its URI and date: the same bytes"
    assert [(d.path, d.offset) for d in result.damaged] == [("shapes.warc", malformed_at)]
    assert "no HTTP status line" in result.damaged[0].problem
    assert result.failed == 1 and "x-snappy" in result.failures[0][1]
    assert rows(settings.archive.db, "SELECT url, warc_offset FROM captures ORDER BY 2") == [(A1, 0), (a3, sum(map(len, records[:4])))]


# --- damage: a corrupt gzip member, a cut, a dropped WARC/1.1 line, foreign and empty files ---------------


def _corrupt_member(data: bytes, offset: int) -> bytes:
    """The gzip member at ``offset`` with bytes in the middle of its deflate stream inverted."""
    damaged = bytearray(data)
    for i in range(offset + 40, offset + 60):
        damaged[i] ^= 0xFF
    return bytes(damaged)


def _first_article_response(path: Path) -> tuple[int, int]:
    """The offset of the first article response with a record after it, and that next record's offset."""
    found = _record_offsets(path)
    for (off, kind, uri), (nxt, _k, _u) in itertools.pairwise(found):
        if kind == "response" and uri == A1:
            return off, nxt
    raise AssertionError("no response of A1")


def test_a_corrupt_gzip_member_is_passed_over_with_its_offset_and_the_rest_imported(tmp_path: Path, settings: Settings) -> None:
    good = tmp_path / "good" / "history.warc.gz"
    good.parent.mkdir()
    write_other_crawlers_warc(good)
    off, nxt = _first_article_response(good)
    bad = tmp_path / "history.warc.gz"
    bad.write_bytes(_corrupt_member(good.read_bytes(), off))
    # What the file holds without that one record: its gzip member cut out.
    without = tmp_path / "without" / "history.warc.gz"
    without.parent.mkdir()
    data = good.read_bytes()
    without.write_bytes(data[:off] + data[nxt:])

    result = run_import(settings, [bad])
    assert [(d.path, d.offset) for d in result.damaged] == [("history.warc.gz", off)]
    assert "gzip member" in result.damaged[0].problem and result.failed == 0
    expected = settings.replace(archive__db=tmp_path / "expected.db")
    run_import(expected, [without])
    assert versions(settings.archive.db) == versions(expected.archive.db)
    assert _captured(settings.archive.db) == _captured(expected.archive.db)


def test_a_cut_file_imports_what_comes_before_the_cut_and_says_where(tmp_path: Path, settings: Settings, replica: ReplicaSite) -> None:
    good = tmp_path / "good.warc.gz"
    write_other_crawlers_warc(good)
    found = _record_offsets(good)
    middle = found[len(found) // 2][0]
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(good.read_bytes()[: middle + 100])
    result = run_import(settings, [cut])
    assert [(d.path, d.offset) for d in result.damaged] == [("cut.warc.gz", middle)]
    assert "cut" in result.damaged[0].problem and not result.ok
    before_cut = {u for o, k, u in found if o < middle and k == "response"}
    assert {u for u, _ in _captured(settings.archive.db)} <= before_cut

    # A plain WARC cut inside a record's block, through the command: exit 1, the file and the byte named.
    plain = tmp_path / "plain.warc"
    plain.write_bytes(gzip.decompress(good.read_bytes()))
    last = [o for o, k, u in _record_offsets(plain) if k == "response" and u == A1][-1]
    plain.write_bytes(plain.read_bytes()[: last + 700])
    config = write_config(tmp_path, replica)
    proc = run_cli(replica, config, "import", str(plain), "--json")
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert [(d["file"], d["offset"]) for d in out["damaged"]] == [("plain.warc", last)]
    assert "Traceback" not in proc.stderr


def test_a_record_without_its_warc_line_is_passed_over_and_the_next_one_found(tmp_path: Path, settings: Settings) -> None:
    good = tmp_path / "good.warc"
    with good.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False, warc_version="1.1")
        for i, day in enumerate((15, 16, 17)):
            body = f"<html><body>page {i}</body></html>".encode()
            writer.write_record(writer.create_warc_record(
                A1, "response", payload=io.BytesIO(body), length=len(body),
                http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": f"2025-12-{day}T01:00:00Z"}))
    found = _record_offsets(good)
    second = found[1][0]
    data = good.read_bytes()
    assert data[second : second + 10] == b"WARC/1.1\r\n"
    bad = tmp_path / "dropped.warc"
    bad.write_bytes(data[:second] + data[second + 10 :])
    result = run_import(settings, [bad])
    assert [(d.path, d.offset) for d in result.damaged] == [("dropped.warc", second)]
    assert "WARC/1.x" in result.damaged[0].problem
    assert result.records == 2, "the first and the third record are read"


def test_empty_foreign_and_single_stream_files_each_get_one_line_and_exit_1(tmp_path: Path, replica: ReplicaSite) -> None:
    config = write_config(tmp_path, replica)
    good = tmp_path / "good.warc.gz"
    write_other_crawlers_warc(good)
    (tmp_path / "empty.warc.gz").write_bytes(b"")
    (tmp_path / "page.warc").write_text("<!DOCTYPE html><html><body>not an archive</body></html>", encoding="utf-8")
    (tmp_path / "notes.arc").write_text("nothing here\n", encoding="utf-8")
    (tmp_path / "broken.wacz").write_bytes(b"PK but no zip")
    (tmp_path / "one-stream.warc.gz").write_bytes(gzip.compress(gzip.decompress(good.read_bytes())))
    for name, says in [("empty.warc.gz", "empty file"), ("page.warc", "not a WARC or ARC file"), ("notes.arc", "not a WARC or ARC file"),
                       ("broken.wacz", "zip"), ("one-stream.warc.gz", "warcio recompress")]:
        proc = run_cli(replica, config, "import", str(tmp_path / name))
        assert proc.returncode == 1, (name, proc.stderr)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and name in lines[0] and says in lines[0], (name, proc.stderr)
        assert f"damaged: {name}" in proc.stdout


# --- ARC files ------------------------------------------------------------------------------------------


def _arc_record(uri: str, stamp: str, block: bytes, mime: str = "text/html", v2: str = "") -> bytes:
    return f"{uri} 127.0.0.1 {stamp} {mime} {v2}{len(block)}\n".encode() + block + b"\n"


def write_arc(path: Path, replica: ReplicaSite, *, gz: bool, version: int = 1) -> list[tuple[int, str]]:
    """An ARC file of the replica's pages, as the Internet Archive's and Heritrix's writers lay it out
    (a ``filedesc`` record first; in a ``.arc.gz`` each record a gzip member); (offset, URL) of each page.
    Version 2 header lines carry a result code, checksum, location, offset and file name before the length."""
    if version == 1:
        desc = b"1 0 series-archiver-tests\nURL IP-address Archive-date Content-type Archive-length\n"
    else:
        desc = (b"2 0 series-archiver-tests\nURL IP-address Archive-date Content-type Result-code Checksum Location "
                b"Offset Filename Archive-length\n")
    extra = "" if version == 1 else f"200 - - 0 {path.name} "
    records = [_arc_record(f"filedesc://{path.name}", "20251215000000", desc, "text/plain", extra)]
    pages = _pages(replica)
    for i, url in enumerate(pages):
        body = _replica_body(replica, url)
        block = f"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
        records.append(_arc_record(url, f"202512150{i}0000", block, v2=extra))
    out, where, pos = [], [], 0
    for i, rec in enumerate(records):
        data = gzip.compress(rec) if gz else rec
        if i:
            where.append((pos, pages[i - 1]))
        out.append(data)
        pos += len(data)
    path.write_bytes(b"".join(out))
    return where


@pytest.mark.parametrize(("name", "version"), [("crawl.arc", 1), ("crawl.arc.gz", 1), ("v2.arc.gz", 2)])
def test_an_arc_file_gives_the_installments_with_its_name_and_offsets(
    tmp_path: Path, replica: ReplicaSite, crawler: Crawler, name: str, version: int
) -> None:
    arc = tmp_path / name
    where = write_arc(arc, replica, gz=name.endswith(".gz"), version=version)
    target = crawler.settings.replace(archive__db=tmp_path / "from-arc.db")
    result = run_import(target, [arc])
    assert result.failed == 0 and not result.damaged, (result.failures, result.damaged)
    assert result.new_articles == 4 and result.records == len(where) + 1
    crawler.crawl()
    assert _texts(target.archive.db) == _texts(crawler.settings.archive.db)
    got = set(rows(target.archive.db, "SELECT url, warc_file, warc_offset FROM captures WHERE source = 'warc'"))
    assert got and got <= {(url, name, off) for off, url in where}
    before = _counts(target.archive.db)
    again = run_import(target, [arc])
    assert (again.new_articles, again.new_versions) == (0, 0) and again.duplicates > 0
    assert _counts(target.archive.db) == before


# --- revisits across files and against the archive -------------------------------------------------------


def _sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def _write(path: Path, *records: tuple[str, str, dict[str, str], bytes | None]) -> list[str]:
    """warcio-written records (uri, kind, WARC headers, body or None for a revisit); their record ids."""
    ids = []
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        for uri, kind, headers, body in records:
            if kind == "revisit":
                rec = writer.create_revisit_record(uri, headers.pop("digest"), uri, headers.pop("refers_date", "2025-12-15T01:00:00Z"),
                                                   warc_headers_dict=headers)
            else:
                assert body is not None
                rec = writer.create_warc_record(uri, "response", payload=io.BytesIO(body), length=len(body),
                                                http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                                                              protocol="HTTP/1.1"), warc_headers_dict=headers)
            writer.write_record(rec)
            ids.append(rec.rec_headers.get_header("WARC-Record-ID"))
    return ids


def test_revisits_resolve_in_another_file_and_against_the_archive_and_the_rest_are_reported(
    tmp_path: Path, replica: ReplicaSite, crawler: Crawler
) -> None:
    a1 = _replica_body(replica, A1)
    a2_url = replica.manifest["installments"][1]["pages"][0]
    a2 = _replica_body(replica, a2_url)
    originals = tmp_path / "b-originals.warc.gz"
    ids = _write(originals, (A1, "response", {"WARC-Date": "2025-12-15T01:00:00Z"}, a1),
                 (a2_url, "response", {"WARC-Date": "2025-12-15T02:00:00Z"}, a2))
    revisits = tmp_path / "a-revisits.warc.gz"
    _write(revisits,
           (A1, "revisit", {"WARC-Date": "2025-12-17T01:00:00Z", "WARC-Refers-To": ids[0], "digest": _sha1_b32(a1)}, None),
           (a2_url, "revisit", {"WARC-Date": "2025-12-17T02:00:00Z", "digest": _sha1_b32(a2)}, None))  # by digest alone

    # The revisits' file comes first by name; their originals are in the file after it.
    both = crawler.settings.replace(archive__db=tmp_path / "both.db")
    result = run_import(both, [revisits, originals])
    assert result.ok and result.unresolved == [] and result.duplicates == 2, (result.failures, result.unresolved)

    # Alone, the revisits are reported, each with its file and offset, and nothing else goes wrong.
    alone = crawler.settings.replace(archive__db=tmp_path / "alone.db")
    lonely = run_import(alone, [revisits])
    offsets = [o for o, k, _u in _record_offsets(revisits) if k == "revisit"]
    assert lonely.unresolved == [("a-revisits.warc.gz", offsets[0], A1), ("a-revisits.warc.gz", offsets[1], a2_url)]
    assert lonely.ok and lonely.failed == 0

    # Against the archive: once the originals are imported, the revisits alone resolve to those captures ...
    run_import(alone, [originals])
    later = run_import(alone, [revisits])
    assert later.unresolved == [] and later.duplicates == 2
    # ... and to captures fetched live, by payload digest (a live capture has no record id to refer to).
    crawler.crawl()
    live_only = _write(tmp_path / "c-live.warc.gz",
                       (A1, "revisit", {"WARC-Date": "2026-01-05T01:00:00Z", "digest": _sha1_b32(a1)}, None))
    assert live_only
    resolved = run_import(crawler.settings, [tmp_path / "c-live.warc.gz"])
    assert resolved.unresolved == [] and resolved.failed == 0 and resolved.duplicates == 1


# --- a folder of many files, one damaged; progress on a terminal -------------------------------------------


@pytest.fixture
def tools(tmp_path: Path) -> Iterator[Offline]:
    made = Offline(tmp_path)
    yield made
    assert made.attempts() == [], "a tool tried to reach beyond 127.0.0.0/8"


def test_a_folder_of_mixed_files_one_damaged_imports_every_good_one_and_names_the_damaged(
    tmp_path: Path, replica: ReplicaSite, tools: Offline
) -> None:
    require("wacz")
    folder = tmp_path / "crawls"
    folder.mkdir()
    write_wget_warc(tmp_path, replica)
    shutil.move(tmp_path / "wget.warc", folder / "01-wget.warc")
    write_coded_warc(folder / "02-coded.warc.gz", replica)
    write_arc(folder / "03-heritrix.arc.gz", replica, gz=True)
    write_arc(folder / "04-ia.arc", replica, gz=False)
    history = tmp_path / "history.warc.gz"
    write_other_crawlers_warc(history)
    off, nxt = _first_article_response(history)
    (folder / "05-history.warc.gz").write_bytes(_corrupt_member(history.read_bytes(), off))
    # py-wacz packs the wget file: its indexer, warcio's, cannot read a br record (the crash this issue began with).
    made = tools.run("wacz", "create", "-o", str(folder / "06-collection.wacz"), str(folder / "01-wget.warc"), cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    (folder / "07-empty.warc").write_bytes(b"")
    (folder / "README.txt").write_text("crawl notes, not an archive\n", encoding="utf-8")
    (folder / "subfolder").mkdir()

    # What the good files give, with the damaged record cut out of its file: the same command, the same order.
    expected_folder = tmp_path / "expected"
    shutil.copytree(folder, expected_folder)
    data = history.read_bytes()
    (expected_folder / "05-history.warc.gz").write_bytes(data[:off] + data[nxt:])
    (expected_folder / "07-empty.warc").unlink()

    work = tmp_path / "work"
    work.mkdir()
    config = write_config(work, replica)
    proc = run_cli(replica, config, "import", str(folder), "--json", timeout=180)
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert [(d["file"], d["offset"]) for d in out["damaged"]] == [("05-history.warc.gz", off), ("07-empty.warc", None)]
    assert out["failed"] == 0 and out["files"] == 6 and out["new_articles"] == 5, out

    expected_work = tmp_path / "expected-work"
    expected_work.mkdir()
    expected_config = write_config(expected_work, replica)
    clean = run_cli(replica, expected_config, "import", str(expected_folder), "--json", timeout=180)
    assert clean.returncode == 0, clean.stderr
    assert out["records"] == json.loads(clean.stdout)["records"], "every record of every file is read, but the damaged one"
    db = work / "series.db"
    assert versions(db) == versions(expected_work / "series.db")
    assert _captured(db) == _captured(expected_work / "series.db")
    every = {name for (name,) in rows(db, "SELECT DISTINCT warc_file FROM captures")}
    assert {"03-heritrix.arc.gz", "05-history.warc.gz"} <= every, "the oldest captures of each page come from these two"

    # Again, as a person at a terminal would read it: nothing added, the damage named again, exit 1.
    before = _counts(db)
    again = run_cli(replica, config, "import", str(folder), timeout=180)
    assert again.returncode == 1
    assert "damaged: 05-history.warc.gz, 07-empty.warc" in again.stdout
    assert f"05-history.warc.gz at byte {off}:" in again.stderr and "Traceback" not in again.stderr
    assert _counts(db) == before
    verify = run_cli(replica, config, "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_a_terminal_shows_the_file_records_per_second_and_bytes_done(tmp_path: Path, replica: ReplicaSite) -> None:
    warc = tmp_path / "history.warc.gz"
    write_other_crawlers_warc(warc)
    config = write_config(tmp_path, replica)
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "160", "PYTHONUNBUFFERED": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("SERIES_ARCHIVER_")}
    child = subprocess.Popen([sys.executable, "-m", "series_archiver", "import", str(warc), "--config", str(config)],
                             cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            shown += chunk
        elif child.poll() is not None:
            break
    os.close(master)
    out, _ = child.communicate(timeout=60)
    assert child.returncode == 0, shown.decode(errors="replace")
    text = shown.decode("utf-8", "replace")
    assert "history.warc.gz" in text and "records/s" in text
    assert "kB" in text or "MB" in text or "bytes" in text
    assert b"records" in out
