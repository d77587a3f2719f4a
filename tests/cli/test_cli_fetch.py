"""`fetch URL...` exits 1 unless every URL it was asked for was archived: real subprocesses, real servers on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from series_archiver.demo.replica import ReplicaSite
from tests.support.command import loopback_config, run, write_config

ARTICLE = "/news/232108/2025/1215/1234567.html"


class _Failing(BaseHTTPRequestHandler):
    """No robots.txt (404: crawling allowed), and HTTP 500 for every page."""

    def do_GET(self) -> None:
        self.send_response(404 if self.path == "/robots.txt" else 500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def failing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_fetch_of_an_unreachable_site_exits_1(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}{ARTICLE}"
    config = write_config(tmp_path, [url])
    proc = run("fetch", "--config", str(config), url, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not archived: 1 URL" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_fetch_of_a_page_answering_http_500_exits_1_naming_it(tmp_path: Path, failing_server: str) -> None:
    url = failing_server + ARTICLE
    config = write_config(tmp_path, [url])
    proc = run("fetch", "--config", str(config), url, cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "failed:" in proc.stderr and "1234567.html" in proc.stderr


def test_fetch_exits_0_only_when_every_url_was_archived(tmp_path: Path) -> None:
    with ReplicaSite() as site:
        config = loopback_config(site, tmp_path)
        good = site.local_url(site.manifest["installments"][0]["url"])
        proc = run("fetch", "--json", "--config", str(config), good, cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        # robots.txt refuses this one: the pipeline skips it, and fetch, asked for it by name, says so.
        refused = site.local_url(site.manifest["robots_disallowed"]["url"])
        proc = run("fetch", "--config", str(config), good, refused, cwd=tmp_path)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "1 skipped" in proc.stdout and "not archived: 1 URL" in proc.stderr
