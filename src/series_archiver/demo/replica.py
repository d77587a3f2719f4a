"""A local replica of the sites that publish the series, for the demo and the tests.

No machine here reaches the real sites, so ``replica_site/`` holds the pages as
each host would serve them (``replica_site/<host>/<path>``, synthetic text,
real markup) and ``ReplicaSite`` serves them on 127.0.0.1: one
``ThreadingHTTPServer`` per real host, each on its own ephemeral port::

    with ReplicaSite() as site:
        url = site.local_url("https://www.takungpao.com/news/232108/index.html")
        httpx.get(url)                                # the list page, links rewritten
        site.edit(article_url, "1萬億元", "1.2萬億元")  # a silent edit for the next pass
        site.remove(article_url)                      # a takedown: 404 from now on

The pages keep the real origins (https://www.takungpao.com …). A client that
asks a server by its loopback address gets every real origin in the body
rewritten to its local origin, so the links in a served page lead back into the
replica. A client that sends the real ``Host`` (a transport that routes real
URLs to loopback, such as ``loopback.LoopbackTransport``) gets the page exactly
as the live site would serve it, real links and all, as a virtual host would.

``manifest.json`` beside the pages says what the replica holds (installments,
every URL each is reached at, the expected cleaned text); tests assert
against it. The tree is written by ``tools/replica_gen.py`` (a development tool, not shipped).

The servers behave like a plain static host: ETag and Last-Modified with 304
answers, gzip on request, 404 for what is not there, ``/robots.txt`` per host.
They never write to stderr.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = ["ReplicaSite", "RequestRecord", "main"]

# Packaged files have no meaningful mtime (a checkout sets it), so they all
# carry one fixed date: the replica's snapshot, 08:30 HKT on 18 December 2025.
FILE_LAST_MODIFIED = datetime(2025, 12, 18, 0, 30, tzinfo=UTC).timestamp()

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
}
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")

NOT_FOUND_PAGE = """<!DOCTYPE html>
<html lang="zh-Hant">
<head><meta charset="utf-8"><title>404 頁面不存在_大公网</title></head>
<body>
<div class="tkp_404">
  <h1>404 Not Found</h1>
  <p>對不起，您訪問的頁面不存在或已被刪除。</p>
  <p><a href="https://www.takungpao.com/">返回大公网首頁</a></p>
</div>
</body>
</html>
"""


@dataclass(frozen=True)
class RequestRecord:
    """One request a replica server answered, as tests assert on it."""

    method: str
    real_url: str  # https://<real host><path?query>, whatever scheme the client meant
    headers: Mapping[str, str] = field(compare=False)  # request headers, names lower-cased
    status: int
    bytes_sent: int  # body bytes on the wire (after gzip); 0 for HEAD and 304


@dataclass
class _Override:
    body: bytes
    status: int
    headers: dict[str, str]


@dataclass(frozen=True)
class _Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class _HostServer(ThreadingHTTPServer):
    """One real host's server; knows which host it plays and whose data it serves."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site: ReplicaSite, real_host: str) -> None:
        super().__init__(address, _Handler)
        self.site = site
        self.real_host = real_host

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response is normal in tests; the default
        # prints a traceback to stderr, which the replica promises never to do.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _HostServer
    protocol_version = "HTTP/1.1"  # keep-alive, so a crawl reuses connections as it would live
    timeout = 10  # an idle keep-alive connection ends instead of pinning a thread
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle and
    # delayed ACKs add ~40 ms to every response.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            site, real_host = self.server.site, self.server.real_host
            response = site._respond(real_host, self.command, self.path, headers, head=head)
        except Exception as exc:  # a bug in the replica surfaces as a 500, never as silence
            body = f"replica error: {exc!r}".encode()
            response = _Response(500, [("Content-Type", "text/plain; charset=utf-8")], body)
        try:
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            if response.status != 304:  # a 304 has no body, and its length would describe the 200's
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if not head and response.body:
                self.wfile.write(response.body)
        except ConnectionError:
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        # Requests go to ReplicaSite.requests; stderr stays clean for the CLI's output.
        pass


class ReplicaSite:
    """The replica of every host in ``root``, served on ``host`` until ``stop()``."""

    def __init__(self, root: Path | None = None, host: str = "127.0.0.1") -> None:
        self.root = Path(root) if root is not None else _packaged_root()
        if not self.root.is_dir():
            raise FileNotFoundError(f"replica data not found: {self.root}")
        self.host = host
        # Every folder named like a host is one; "_build", ".cache" and files are not.
        self.hosts: tuple[str, ...] = tuple(
            sorted(
                p.name
                for p in self.root.iterdir()
                if p.is_dir() and "." in p.name and not p.name.startswith((".", "_"))
            )
        )
        self.origins: dict[str, str] = {}
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._servers: dict[str, _HostServer] = {}
        self._threads: list[threading.Thread] = []
        self._overrides: dict[tuple[str, str], _Override] = {}
        # When a URL last changed (override set, edited, removed or restored):
        # its Last-Modified is then newer than anything served before.
        self._changed: dict[tuple[str, str], float] = {}
        self._clock = FILE_LAST_MODIFIED
        self._local_host: dict[str, str] = {}  # "127.0.0.1:40123" -> real host
        self._rewrite: re.Pattern[str] | None = None
        self._manifest: dict[str, Any] | None = None

    def __repr__(self) -> str:
        state = f"{len(self._servers)} servers" if self._servers else "stopped"
        return f"<ReplicaSite {self.root} {state}>"

    # --- lifecycle ---------------------------------------------------------

    def start(self) -> ReplicaSite:
        if self._servers:
            raise RuntimeError("ReplicaSite is already started")
        for real_host in self.hosts:
            server = _HostServer((self.host, 0), self, real_host)
            self._servers[real_host] = server
            local = f"http://{self.host}:{server.server_address[1]}"
            self.origins[f"https://{real_host}"] = local
            self.origins[f"http://{real_host}"] = local
            self._local_host[f"{self.host}:{server.server_address[1]}"] = real_host
            # A short poll interval: stop() waits up to one interval per server.
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"replica-{real_host}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        # Longest host first, and no host character may follow: otherwise
        # https://www.takungpao.com would eat the front of https://www.takungpao.com.hk.
        names = "|".join(re.escape(h) for h in sorted(self.hosts, key=len, reverse=True))
        self._rewrite = re.compile(rf"https?://(?:{names})(?![A-Za-z0-9.\-])", re.IGNORECASE)
        return self

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()
        self.origins.clear()
        self._local_host.clear()
        self._rewrite = None

    def __enter__(self) -> ReplicaSite:
        return self.start() if not self._servers else self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- URLs --------------------------------------------------------------

    def local_url(self, real_url: str) -> str:
        """``https://www.takungpao.com/x.html`` -> ``http://127.0.0.1:40123/x.html``."""
        parts = urlsplit(real_url)
        origin = f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}"
        if origin not in self.origins:
            raise ValueError(f"not a replicated origin (is the site started?): {real_url}")
        local = urlsplit(self.origins[origin])
        return urlunsplit((local.scheme, local.netloc, parts.path or "/", parts.query, parts.fragment))

    def real_url(self, local_url: str) -> str:
        """The inverse of ``local_url``; http:// and https:// share a server, so this gives https://."""
        parts = urlsplit(local_url)
        real_host = self._local_host.get(parts.netloc)
        if real_host is None:
            raise ValueError(f"not a URL of this replica: {local_url}")
        return urlunsplit(("https", real_host, parts.path or "/", parts.query, parts.fragment))

    def rewrite(self, text: str) -> str:
        """Every real origin in ``text`` replaced by its local origin."""
        if self._rewrite is None:
            return text
        return self._rewrite.sub(lambda m: self.origins[_origin_key(m.group(0))], text)

    @property
    def manifest(self) -> dict[str, Any]:
        """``manifest.json`` of the replica: what it holds and the expected results."""
        if self._manifest is None:
            self._manifest = json.loads((self.root / "manifest.json").read_text(encoding="utf-8"))
        return self._manifest

    # --- changing pages ----------------------------------------------------

    def set_page(
        self, real_url: str, html: str | bytes, *, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        """Serve ``html`` at ``real_url`` from now on (real origins in it are rewritten too)."""
        body = html.encode("utf-8") if isinstance(html, str) else html
        key = self._key(real_url)
        with self._lock:
            self._overrides[key] = _Override(body, status, dict(headers or {}))
            self._touch(key)

    def edit(self, real_url: str, old: str, new: str) -> None:
        """Replace every ``old`` by ``new`` in the page as currently served (a silent edit)."""
        key = self._key(real_url)
        with self._lock:
            current = self._overrides.get(key)
            body = current.body if current else self._file_bytes(key)
            if body is None:
                raise LookupError(f"no page to edit at {real_url}")
            text = body.decode("utf-8")
            if old not in text:
                raise ValueError(f"{old!r} is not in the page at {real_url}")
            status, headers = (current.status, current.headers) if current else (200, {})
            self._overrides[key] = _Override(text.replace(old, new).encode("utf-8"), status, headers)
            self._touch(key)

    def remove(self, real_url: str, status: int = 404) -> None:
        """Answer ``status`` (404, 410 …) with the site's not-found page from now on."""
        self.set_page(real_url, NOT_FOUND_PAGE, status=status)

    def restore(self, real_url: str) -> None:
        """Serve the packaged file again."""
        key = self._key(real_url)
        with self._lock:
            self._overrides.pop(key, None)
            self._touch(key)

    def text(self, real_url: str) -> str:
        """The page as currently served, before origins are rewritten."""
        key = self._key(real_url)
        with self._lock:
            current = self._overrides.get(key)
            body = current.body if current else self._file_bytes(key)
        if body is None:
            raise LookupError(f"no page at {real_url}")
        return body.decode("utf-8")

    # --- serving -----------------------------------------------------------

    def _key(self, real_url: str) -> tuple[str, str]:
        parts = urlsplit(real_url)
        host = (parts.hostname or "").lower()
        if host not in self.hosts:
            raise ValueError(f"{real_url}: host {host!r} is not replicated (hosts: {', '.join(self.hosts)})")
        return host, _normal_path(parts.path)

    def _touch(self, key: tuple[str, str]) -> None:
        # A logical clock: each change is at least a second newer than the last,
        # so If-Modified-Since (one-second resolution) always sees it.
        self._clock = max(float(int(time.time())), self._clock + 1)
        self._changed[key] = self._clock

    def _file_bytes(self, key: tuple[str, str]) -> bytes | None:
        host, path = key
        base = (self.root / host).resolve()
        target = (base / path.lstrip("/")).resolve()
        if not target.is_relative_to(base) or not target.is_file():
            return None
        return target.read_bytes()

    def _respond(
        self, real_host: str, method: str, raw_path: str, headers: dict[str, str], *, head: bool
    ) -> _Response:
        parts = urlsplit(raw_path)
        key = (real_host, _normal_path(parts.path))
        rewrite = self.rewrite if _addressed_locally(headers.get("host", ""), self.hosts) else _unchanged
        real_url = urlunsplit(("https", real_host, parts.path or "/", parts.query, ""))
        with self._lock:
            override = self._overrides.get(key)
            changed = self._changed.get(key)
        extra: dict[str, str] = {}
        if override is not None:
            body: bytes | None = override.body
            status = override.status
            extra = dict(override.headers)
        else:
            body = self._file_bytes(key)
            status = 200
            if body is None and (self.root / real_host / key[1].lstrip("/")).is_dir():
                # A directory without its slash: redirect, as a static server does.
                location = urlunsplit(("https", real_host, parts.path + "/", parts.query, ""))
                moved = _Response(301, [("Location", rewrite(location))], b"")
                return self._finish(method, real_url, headers, moved, head)
        if body is None:
            body, status = NOT_FOUND_PAGE.encode("utf-8"), 404
        content_type = _pop_header(extra, "content-type") or _content_type(key[1])
        is_text = content_type.startswith(_TEXT_TYPES)
        # The ETag hashes the page as the live site would serve it (before the
        # rewrite to local ports), so it is the same on every run of the replica.
        tag = hashlib.sha256(body).hexdigest()[:32]
        last_modified = max(FILE_LAST_MODIFIED, changed or 0.0)
        if is_text:
            # surrogateescape: a Big5 or GBK page set by a test passes through byte for byte.
            body = rewrite(body.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        use_gzip = status == 200 and is_text and _accepts_gzip(headers.get("accept-encoding", ""))
        if use_gzip:
            tag += "-gzip"  # a strong ETag names one representation
        etag = f'"{tag}"'
        response_headers = [("Content-Type", content_type)]
        if status == 200:
            validators = [
                ("ETag", etag),
                ("Last-Modified", _http_date(last_modified)),
                ("Vary", "Accept-Encoding"),
            ]
            if _not_modified(headers, etag, last_modified):
                # A 304 repeats the validators and sends no body.
                return self._finish(method, real_url, headers, _Response(304, validators, b""), head)
            response_headers += validators
            if use_gzip:
                response_headers.append(("Content-Encoding", "gzip"))
                # Compressed once it is sure to be sent: a 304 costs no compression, as on a real server.
                body = gzip.compress(body, mtime=0)
        response_headers += [(name, rewrite(value)) for name, value in extra.items()]
        return self._finish(method, real_url, headers, _Response(status, response_headers, body), head)

    def _finish(
        self, method: str, real_url: str, headers: dict[str, str], response: _Response, head: bool
    ) -> _Response:
        # Logged before the body is written: a test that has its response can
        # already see the record.
        sent = 0 if head else len(response.body)
        with self._lock:
            self.requests.append(RequestRecord(method, real_url, headers, response.status, sent))
        return response


def _packaged_root() -> Path:
    traversable = resources.files("series_archiver.demo").joinpath("replica_site")
    # Installed from a wheel or a checkout, this is a plain directory; a
    # zipped install would need as_file(), which only handles directories from 3.12.
    return Path(str(traversable))


def _normal_path(path: str) -> str:
    path = unquote(path or "/")
    if path.endswith("/"):
        path += "index.html"
    return str(PurePosixPath("/" + path.lstrip("/")))


def _addressed_locally(host_header: str, real_hosts: tuple[str, ...]) -> bool:
    """False when the client named the real host: it then wants the real links."""
    name = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    return name.strip().lower().rstrip(".") not in real_hosts


def _unchanged(text: str) -> str:
    return text


def _origin_key(matched: str) -> str:
    scheme, _, host = matched.partition("://")
    return f"{scheme.lower()}://{host.lower()}"


def _http_date(timestamp: float) -> str:
    return format_datetime(datetime.fromtimestamp(timestamp, UTC), usegmt=True)


def _content_type(path: str) -> str:
    return CONTENT_TYPES.get(PurePosixPath(path).suffix.lower(), "text/html; charset=utf-8")


def _pop_header(headers: dict[str, str], name: str) -> str | None:
    for key in list(headers):
        if key.lower() == name:
            return headers.pop(key)
    return None


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip"):
            q = params.strip()
            return not (q.startswith("q=") and float(q[2:] or 0) == 0)
    return False


def _not_modified(headers: dict[str, str], etag: str, last_modified: float) -> bool:
    if_none_match = headers.get("if-none-match")
    if if_none_match is not None:
        # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2); weak comparison.
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = headers.get("if-modified-since")
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return int(last_modified) <= since
    return False


def main() -> None:
    """Serve the replica until Ctrl-C: ``python -m series_archiver.replica``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m series_archiver.replica", description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--root", type=Path, default=None, help="replica data tree (default: the packaged one)")
    args = parser.parse_args()
    with ReplicaSite(args.root, args.host) as site:
        width = max(len(origin) for origin in site.origins)
        for origin, local in sorted(site.origins.items()):
            print(f"{origin:<{width}}  ->  {local}", flush=True)
        print("serving; Ctrl-C to stop", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
