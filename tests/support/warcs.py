"""WARC files of the replica written as other tools write them: warcio's own records, and Debian's wget."""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
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

A1 = HISTORY["earlier_text"]["url"]


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


class WgetProxy:
    """An HTTP proxy on 127.0.0.1 that hands wget's requests for the real hosts to the replica (and refuses any other).

    ``https_as_http``: the pages' and headers' https links are served as http ones (the proxy speaks plain
    HTTP and CONNECT is not spoken, so the WARC then holds http URLs, twins of the https ones).
    ``requested`` lists the paths asked for.
    """

    def __init__(self, site: ReplicaSite, *, https_as_http: bool = False) -> None:
        client = httpx.Client(transport=LoopbackTransport(site.origins))
        self.requested: list[str] = []
        dropped = ("proxy-connection", "connection", *(("accept-encoding",) if https_as_http else ()))

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(inner) -> None:  # inner: the handler; self: the proxy
                self.requested.append(inner.path)
                try:
                    headers = {k: v for k, v in inner.headers.items() if k.lower() not in dropped}
                    r = client.get(inner.path, headers=headers)
                    body, status = r.content, r.status_code
                    items = [(k, v) for k, v in r.headers.items()
                             if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")]
                    if https_as_http:
                        items = [(k, v.replace("https://", "http://")) for k, v in items]
                        if "html" in r.headers.get("content-type", ""):
                            body = body.replace(b"https://", b"http://")
                except httpx.HTTPError:
                    body, status, items = b"refused", 502, []
                inner.send_response(status)
                for k, v in items:
                    inner.send_header(k, v)
                inner.send_header("Content-Length", str(len(body)))
                inner.end_headers()
                inner.wfile.write(body)

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
    proxy = WgetProxy(replica)
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
