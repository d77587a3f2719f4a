"""A replica of Save Page Now 2 on 127.0.0.1: captures, job status, user status, with the real JSON shapes.

The shapes are those of the SPN2 public API document (learnt from it and from
client libraries; the texts here are this project's own):

- ``POST /save`` (form ``url``, ``capture_all``, ``if_not_archived_within``;
  ``Authorization: LOW <access>:<secret>``) answers ``{"url", "job_id"}``; a
  refusal ``{"status": "error", "status_ext", "message"}``; too many a minute
  HTTP 429 with ``Retry-After``; wrong keys HTTP 401.
- ``GET /save/status/<job_id>``: ``{"status": "pending", "job_id", "resources"}``,
  then ``{"status": "success", "job_id", "original_url", "timestamp",
  "duration_sec", "resources", "outlinks", "http_status"}`` or ``{"status":
  "error", "job_id", "status_ext", "message", "exception", "resources"}``; a
  job it no longer keeps (``expire_jobs()``) answers HTTP 404.
- ``GET /save/status/user``: ``{"daily_captures", "daily_captures_limit",
  "available", "processing"}``.

A capture is decided as SPN2 decides it: with ``site_transport`` (the
replica site's ``LoopbackTransport``) the page is fetched; a page that does
not answer 200 is ``error:not-found`` (404, 410) unless ``capture_all=1``,
when the error page itself is captured. A capture of the same URL made
within ``if_not_archived_within`` is answered instead of a new one.

For tests: ``fail_next(status_ext, …)`` scripts refusals (at submission or as
the job's result), ``throttle(n, retry_after)`` answers 429 to the next
``n`` submissions, ``expire_jobs()`` forgets every job, ``delay_seconds``
slows every answer, ``clock`` (a UTC ``datetime`` function) dates captures and
counts the minute, and ``requests`` records every request.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

__all__ = ["SpnReplica", "SpnRequest"]


@dataclass(frozen=True)
class SpnRequest:
    method: str
    path: str
    at: datetime
    form: dict[str, str]
    authorization: str | None


@dataclass
class _Job:
    job_id: str
    url: str
    capture_all: bool
    polls_left: int
    status_ext: str | None = None  # None: success
    message: str | None = None
    timestamp: str | None = None
    http_status: int = 200
    recent: bool = False  # an earlier capture answered for if_not_archived_within


@dataclass
class _Script:
    status_ext: str
    message: str
    at: str  # "submit" or "job"


@dataclass
class _State:
    jobs: dict[str, _Job] = field(default_factory=dict)
    captures: list[tuple[str, datetime, str, int]] = field(default_factory=list)  # url, at, timestamp, status
    scripts: list[_Script] = field(default_factory=list)
    started: list[datetime] = field(default_factory=list)  # when each job was started (the minute's count)
    throttled: int = 0
    retry_after: int = 60


class SpnReplica:
    """Save Page Now 2 on a loopback port; ``url`` is its endpoint (``[witness] endpoint``)."""

    def __init__(
        self,
        *,
        access_key: str = "replica-access",
        secret_key: str = "replica-secret",
        anonymous: bool = False,
        captures_per_minute: int = 7,
        session_limit: int = 12,
        polls_pending: int = 1,
        delay_seconds: float = 0.0,
        site_transport: httpx.BaseTransport | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.access_key, self.secret_key = access_key, secret_key
        self.anonymous = anonymous
        self.captures_per_minute = captures_per_minute
        self.session_limit = session_limit
        self.polls_pending = polls_pending
        self.delay_seconds = delay_seconds
        self.clock = clock or (lambda: datetime.now(UTC))
        self.requests: list[SpnRequest] = []
        self._state = _State()
        self._lock = threading.Lock()
        self._site = httpx.Client(transport=site_transport, follow_redirects=True, timeout=10) if site_transport else None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="spn-replica", daemon=True)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"

    def __repr__(self) -> str:
        return f"SpnReplica({self.url})"

    def __enter__(self) -> SpnReplica:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._site is not None:
            self._site.close()

    # --- for tests ------------------------------------------------------------------------

    def fail_next(self, status_ext: str, message: str = "", *, at: str = "job", count: int = 1) -> None:
        """The next ``count`` captures are refused (``at="submit"``) or end in that error (``at="job"``)."""
        with self._lock:
            self._state.scripts.extend(_Script(status_ext, message or f"the replica refuses this capture ({status_ext})", at) for _ in range(count))

    def throttle(self, count: int, retry_after: int = 60) -> None:
        with self._lock:
            self._state.throttled, self._state.retry_after = count, retry_after

    def expire_jobs(self) -> None:
        with self._lock:
            self._state.jobs.clear()

    def submissions(self) -> list[SpnRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path == "/save"]

    def captured(self) -> list[tuple[str, str, int]]:
        """(url, timestamp, captured status) of every capture made."""
        with self._lock:
            return [(u, ts, status) for u, _at, ts, status in self._state.captures]

    # --- the service ----------------------------------------------------------------------

    def answer(self, method: str, path: str, form: dict[str, str], authorization: str | None) -> tuple[int, dict[str, Any], dict[str, str]]:
        now = self.clock()
        self.requests.append(SpnRequest(method, path, now, dict(form), authorization))
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        if authorization is not None and authorization != f"LOW {self.access_key}:{self.secret_key}":
            return 401, {"status": "error", "message": "These keys are not known here. Check your S3 keys."}, {}
        if authorization is None and not self.anonymous:
            return 401, {"status": "error", "message": "Log in (send your S3 keys) to use this service."}, {}
        if method == "POST" and path == "/save":
            return self._save(form, now, authorized=authorization is not None)
        if method == "GET" and path == "/save/status/user":
            return 200, self._user_status(authorized=authorization is not None), {}
        if method == "GET" and path.startswith("/save/status/"):
            return self._status(path.rsplit("/", 1)[1], now)
        return 404, {"status": "error", "message": f"nothing at {path}"}, {}

    def _save(self, form: dict[str, str], now: datetime, *, authorized: bool) -> tuple[int, dict[str, Any], dict[str, str]]:
        url = form.get("url", "")
        with self._lock:
            state = self._state
            if state.throttled > 0:
                state.throttled -= 1
                return 429, {"status": "error", "message": "Too many captures asked for; wait and try again."}, {"Retry-After": str(state.retry_after)}
            minute = [t for t in state.started if t > now - timedelta(seconds=60)]
            limit = self.captures_per_minute if authorized else min(3, self.captures_per_minute)
            if len(minute) >= limit:
                return 429, {"status": "error", "message": f"More than {limit} captures a minute."}, {"Retry-After": "60"}
            if not url.startswith(("http://", "https://")):
                return 200, {"status": "error", "status_ext": "error:invalid-url-syntax", "message": f"{url!r} is not a URL."}, {}
            processing = sum(1 for j in state.jobs.values() if j.polls_left > 0)
            if processing >= self.session_limit:
                return 200, {"status": "error", "status_ext": "error:user-session-limit", "message": "All your capture sessions are busy; wait for one to end."}, {}
            script = next((s for s in state.scripts if s.at == "submit"), None)
            if script is not None:
                state.scripts.remove(script)
                return 200, {"status": "error", "status_ext": script.status_ext, "message": script.message}, {}
            job_id = "spn2-" + hashlib.sha1(f"{url} {len(self.requests)} {now.isoformat()}".encode()).hexdigest()
            job = _Job(job_id, url, form.get("capture_all") in ("1", "on"), self.polls_pending)
            script = next((s for s in state.scripts if s.at == "job"), None)
            if script is not None:
                state.scripts.remove(script)
                job.status_ext, job.message = script.status_ext, script.message
            else:
                self._capture(job, now, _seconds(form.get("if_not_archived_within")))
            state.jobs[job_id] = job
            state.started.append(now)
        return 200, {"url": url, "job_id": job_id}, {}

    def _capture(self, job: _Job, now: datetime, within: int) -> None:
        """Capture the page now, or answer a capture of it made within ``within`` seconds (caller holds the lock)."""
        recent = [c for c in self._state.captures if c[0] == job.url and c[1] >= now - timedelta(seconds=within)]
        if recent:
            job.timestamp, job.http_status, job.recent = recent[-1][2], recent[-1][3], True
            job.message = "A capture of this URL made a short while ago is answered instead of a new one."
            return
        status = 200
        if self._site is not None:
            try:
                status = self._site.get(job.url).status_code
            except httpx.HTTPError as exc:
                job.status_ext, job.message = "error:invalid-host-resolution", f"Cannot reach {job.url} ({type(exc).__name__})."
                return
        if status != 200 and not job.capture_all:
            ext = "error:not-found" if status in (404, 410) else "error:no-access" if status == 403 else "error:bad-gateway"
            job.status_ext, job.message = ext, f"The page answered HTTP {status}; nothing was captured."
            return
        job.timestamp, job.http_status = now.strftime("%Y%m%d%H%M%S"), status
        self._state.captures.append((job.url, now, job.timestamp, status))

    def _status(self, job_id: str, now: datetime) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            job = self._state.jobs.get(job_id)
            if job is None:
                return 404, {"status": "error", "message": f"No job {job_id} is kept here (job statuses are kept about an hour)."}, {}
            if job.polls_left > 0:
                job.polls_left -= 1
                return 200, {"status": "pending", "job_id": job_id, "resources": [job.url]}, {}
        if job.status_ext is not None:
            return 200, {
                "status": "error", "job_id": job_id, "status_ext": job.status_ext, "message": job.message,
                "exception": job.message, "resources": [],
            }, {}
        body: dict[str, Any] = {
            "status": "success",
            "job_id": job_id,
            "original_url": job.url,
            "timestamp": job.timestamp,
            "duration_sec": 0.0 if job.recent else 4.2,
            "resources": [job.url, urlsplit(job.url)._replace(path="/favicon.ico", query="").geturl()],
            "outlinks": {},
            "http_status": job.http_status,
        }
        if job.message:
            body["message"] = job.message
        return 200, body, {}

    def _user_status(self, *, authorized: bool) -> dict[str, Any]:
        with self._lock:
            processing = sum(1 for j in self._state.jobs.values() if j.polls_left > 0)
            today = len(self._state.captures)
        return {
            "daily_captures": today,
            "daily_captures_limit": 100000 if authorized else 4000,
            "available": max(0, self.session_limit - processing),
            "processing": processing,
        }


def _seconds(value: str | None) -> int:
    """``if_not_archived_within`` in seconds (a number, or d/h/m/s parts); SPN2's default is an hour."""
    from series_archiver.settings import parse_duration

    seconds = parse_duration(value or "")
    return seconds or 3600


def _handler(replica: SpnReplica) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer("GET", {})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            self._answer("POST", dict(parse_qsl(body, keep_blank_values=True)))

        def _answer(self, method: str, form: dict[str, str]) -> None:
            path = urlsplit(self.path).path
            status, body, headers = replica.answer(method, path, form, self.headers.get("Authorization"))
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its budget ran out): nothing to tell it

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
