"""The Save Page Now 2 protocol, on httpx: ask for a capture, ask how it went, ask how busy the account is.

- ``submit(url)``: ``POST <endpoint>/save`` with ``Accept: application/json``,
  ``Authorization: LOW <access>:<secret>`` (when keys are set), and the form
  fields ``url``, ``if_not_archived_within`` and, for a removal,
  ``capture_all=1`` (without it the service captures only 200 pages). The
  answer is a job (``{"url", "job_id"}``) or a refusal
  (``{"status": "error", "status_ext", "message"}``; HTTP 429 with
  ``Retry-After`` when the account asks too fast).
- ``status(job_id)``: ``GET <endpoint>/save/status/<job_id>``: ``pending``,
  ``success`` (``timestamp``, ``original_url``, ``duration_sec``,
  ``resources``…), ``error`` (``status_ext``, ``message``), or not found (the
  service keeps a job's status about an hour).
- ``user_status()``: ``GET <endpoint>/save/status/user``: ``available`` and
  ``processing`` capture sessions of the account.

Each call returns its answer as a value and the ``Attempt`` the fetch log
records (its URL names no key: ``<endpoint>/save/<url>`` for a submission).
Nothing here raises for what the service answers; the keys are never part of
a message, a URL or a repr. ``timeout`` is per call, so a caller bounds every
request by what is left of its budget. The client is ``sources.http``'s, so
the service sees the User-Agent every other request sends, with the contact.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx

from series_archiver.decide.witness import is_transient
from series_archiver.models import Attempt
from series_archiver.settings import FetchSettings, WitnessSettings
from series_archiver.sources.http import open_client, parse_retry_after

__all__ = ["JobState", "Refused", "SpnClient", "Submitted", "UserStatus"]


@dataclass(frozen=True)
class Submitted:
    job_id: str
    message: str | None = None


@dataclass(frozen=True)
class Refused:
    """The service did not take the request: ``status_ext`` says why (``network``, ``rate-limited``, ``auth`` are ours)."""

    status_ext: str
    message: str
    retry_after: float | None = None


@dataclass(frozen=True)
class JobState:
    status: str  # pending, success, error, not_found, unanswered
    timestamp: str | None = None
    original_url: str | None = None
    status_ext: str | None = None
    message: str | None = None
    duration_sec: float | None = None


@dataclass(frozen=True)
class UserStatus:
    available: int | None
    processing: int | None


class SpnClient:
    """One Save Page Now 2 endpoint; ``fetch`` names the User-Agent, ``transport`` for tests, ``clock`` dates the attempts."""

    def __init__(
        self,
        settings: WitnessSettings,
        fetch: FetchSettings,
        *,
        clock: Callable[[], datetime],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.endpoint = settings.endpoint.rstrip("/")
        self._clock = clock
        headers = {"Accept": "application/json"}
        if settings.has_keys:
            headers["Authorization"] = f"LOW {settings.access_key}:{settings.secret_key}"
        self._client = open_client(fetch, headers=headers, transport=transport)

    def __repr__(self) -> str:  # never the keys
        return f"SpnClient(endpoint={self.endpoint!r}, keys={'set' if self.settings.has_keys else 'none'})"

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # --- the three requests -------------------------------------------------------------

    def submit(self, url: str, *, capture_all: bool, within_seconds: int, timeout: float) -> tuple[Submitted | Refused, Attempt]:
        form = {"url": url, "if_not_archived_within": str(within_seconds)}
        if capture_all:
            form["capture_all"] = "1"
        logged = f"{self.endpoint}/save/{url}"
        response, attempt = self._send("POST", f"{self.endpoint}/save", logged, timeout, data=form)
        if response is None:
            return Refused("network", attempt.error or "no answer"), attempt
        refused = self._refusal(response)
        if refused is not None:
            return refused, _relabel(attempt, "retry" if refused.status_ext != "auth" else "refused", refused.message)
        body = _json(response)
        if not isinstance(body, dict):
            return Refused("error:unknown", "the answer is not the JSON asked for"), _relabel(attempt, "error", "not SPN2 JSON")
        job_id = body.get("job_id")
        if body.get("status") == "error" or not job_id:
            status_ext = str(body.get("status_ext") or "error:unknown")
            message = str(body.get("message") or "no job was started")
            outcome = "retry" if is_transient(status_ext) else "error"
            return Refused(status_ext, message), _relabel(attempt, outcome, f"{status_ext}: {message}")
        return Submitted(str(job_id), body.get("message")), _relabel(attempt, "ok", None)

    def status(self, job_id: str, *, timeout: float) -> tuple[JobState, Attempt]:
        url = f"{self.endpoint}/save/status/{job_id}"
        response, attempt = self._send("GET", url, url, timeout)
        if response is None:
            return JobState("unanswered", message=attempt.error), attempt
        if response.status_code == 404:
            return JobState("not_found", message=f"job {job_id} is not known to the service (HTTP 404)"), _relabel(attempt, "ok", None)
        refused = self._refusal(response)
        if refused is not None:
            return JobState("unanswered", status_ext=refused.status_ext, message=refused.message), _relabel(attempt, "retry", refused.message)
        body = _json(response)
        if not isinstance(body, dict) or body.get("status") not in ("pending", "success", "error"):
            return JobState("unanswered", message="the status answer is not the JSON asked for"), _relabel(attempt, "error", "not SPN2 status JSON")
        status = str(body["status"])
        if status == "error" and not body.get("status_ext"):
            # An error with no kind of error is the service not knowing the job (expired).
            return JobState("not_found", message=str(body.get("message") or f"job {job_id} not found")), _relabel(attempt, "ok", None)
        duration = body.get("duration_sec")
        return (
            JobState(
                status,
                timestamp=body.get("timestamp"),
                original_url=body.get("original_url"),
                status_ext=body.get("status_ext"),
                message=body.get("message"),
                duration_sec=float(duration) if isinstance(duration, (int, float)) else None,
            ),
            _relabel(attempt, "error" if status == "error" else "ok", f"{body.get('status_ext')}: {body.get('message')}" if status == "error" else None),
        )

    def user_status(self, *, timeout: float) -> tuple[UserStatus | Refused, Attempt]:
        url = f"{self.endpoint}/save/status/user"
        response, attempt = self._send("GET", url, url, timeout)
        if response is None:
            return Refused("network", attempt.error or "no answer"), attempt
        refused = self._refusal(response)
        if refused is not None:
            return refused, _relabel(attempt, "refused" if refused.status_ext == "auth" else "retry", refused.message)
        body = _json(response)
        if not isinstance(body, dict):
            return UserStatus(None, None), _relabel(attempt, "error", "not SPN2 user-status JSON")
        return UserStatus(_int(body.get("available")), _int(body.get("processing"))), attempt

    # --- one request ----------------------------------------------------------------------

    def _send(self, method: str, url: str, logged: str, timeout: float, **kwargs: Any) -> tuple[httpx.Response | None, Attempt]:
        started = self._clock()
        try:
            response = self._client.request(method, url, timeout=httpx.Timeout(max(0.05, timeout)), **kwargs)
        except httpx.HTTPError as exc:
            elapsed = (self._clock() - started).total_seconds() * 1000
            why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            return None, Attempt(logged, started, 1, None, "retry", f"Save Page Now did not answer ({why})", elapsed)
        elapsed = (self._clock() - started).total_seconds() * 1000
        return response, Attempt(logged, started, 1, response.status_code, "ok", None, elapsed, len(response.content))

    def _refusal(self, response: httpx.Response) -> Refused | None:
        """What the service answers when it takes nothing: no keys or wrong ones, too fast, or down."""
        status = response.status_code
        if status in (401, 403):
            return Refused(
                "auth",
                f"Save Page Now refused the keys (HTTP {status}); check witness.access_key and witness.secret_key "
                "(or SERIES_ARCHIVER_SPN_ACCESS / SERIES_ARCHIVER_SPN_SECRET)",
            )
        if status == 429:
            wait = parse_retry_after(response.headers.get("retry-after"))
            return Refused("rate-limited", f"Save Page Now asks to slow down (HTTP 429{f', Retry-After {wait:.0f}s' if wait else ''})", wait)
        if status >= 500:
            return Refused("error:service-unavailable", f"Save Page Now answered HTTP {status}")
        return None


def _json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.text)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _relabel(attempt: Attempt, outcome: str, error: str | None) -> Attempt:
    return Attempt(attempt.url, attempt.started_at, attempt.attempt, attempt.status, outcome, error, attempt.elapsed_ms, attempt.bytes)
