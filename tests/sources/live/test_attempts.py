"""Errors restated for the URL asked for: every FetchError subclass keeps its class and its data."""

from __future__ import annotations

import pytest

from series_archiver import errors
from series_archiver.errors import (
    Blocked,
    DamagedRecord,
    FetchError,
    GoneError,
    HostNotAllowed,
    HTTPStatusError,
    NetworkError,
    NotHTML,
    RobotsDisallowed,
    TooLarge,
    TruncatedBody,
    UndecodableText,
)
from series_archiver.sources.live.attempts import Attempts, restated

ASKED = "http://127.0.0.1/news/1234567.html"
HOP = "http://127.0.0.1/news/7654321.html"

# One of each FetchError class, with the data its constructor takes.
ERRORS: list[FetchError] = [
    FetchError(HOP, "it broke"),
    HostNotAllowed(HOP, "host is not in fetch.allowed_hosts"),
    RobotsDisallowed(HOP, "robots.txt disallows it"),
    Blocked(HOP, "HTTP 503 is a block page", site="127.0.0.1", reason="a maintenance page (it says '系統維護中')", status=503),
    HTTPStatusError(HOP, 503, "HTTP 503 Service Unavailable after 3 attempts"),
    GoneError(HOP, 404, "the page is gone", reason="Not Found"),
    GoneError(HOP, 302, "a home or list page", target="http://127.0.0.1/"),
    TooLarge(HOP, "body is larger than fetch.max_bytes", received=4096),
    TruncatedBody(HOP, "the connection broke", received=512),
    NotHTML(HOP, "content type 'application/pdf' is not a web page", received=0, content_type="application/pdf"),
    UndecodableText(HOP, "no encoding gives clean text", received=77),
    NetworkError(HOP, "timed out"),
    DamagedRecord(HOP, "crawl.warc.gz", 1234, "no HTTP status line"),
]


def _fetch_error_classes(cls: type[FetchError] = FetchError) -> set[type[FetchError]]:
    found = {cls}
    for sub in cls.__subclasses__():
        if sub.__module__ == errors.__name__:
            found |= _fetch_error_classes(sub)
    return found


def test_the_cases_cover_every_fetch_error_class() -> None:
    assert {type(e) for e in ERRORS} == _fetch_error_classes()


def _data(error: FetchError) -> dict[str, object]:
    return {k: v for k, v in vars(error).items() if k not in ("url", "message")}


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_restated_keeps_class_and_data(error: FetchError) -> None:
    attempts = Attempts()
    attempts.add(HOP, status=None, outcome=error.outcome, error=error.message)
    error.with_attempts(attempts.items)
    cause = OSError("reset by peer")
    error.__cause__ = cause
    before = (error.url, error.message, str(error), _data(error))

    again = restated(error, ASKED, 3)

    assert type(again) is type(error)
    assert again.url == ASKED
    assert again.message == f"gave up after 3 attempts: redirected to {HOP}: {error.message}"
    assert str(again) == f"{ASKED}: {again.message}"
    assert _data(again) == _data(error)  # status, reason, target, received, content_type, attempts
    assert again.attempts == tuple(attempts.items)
    assert again.outcome == error.outcome
    assert again.__cause__ is cause
    assert (error.url, error.message, str(error), _data(error)) == before  # the original is left as it was


def test_restated_gone_error_still_summarises_its_takedown() -> None:
    gone = GoneError(HOP, 302, "a home or list page", target="http://127.0.0.1/")
    again = restated(gone, ASKED, 1)
    assert isinstance(again, GoneError)
    assert (again.status, again.target, again.reason) == (302, "http://127.0.0.1/", "")
    assert again.summary == "HTTP 302 to http://127.0.0.1/ (a home or list page)"
    assert again.message == f"redirected to {HOP}: a home or list page"


def test_an_error_of_the_url_asked_on_the_first_try_is_raised_as_it_is() -> None:
    error = NetworkError(ASKED, "timed out")
    assert restated(error, ASKED, 1) is error


def test_only_the_attempt_count_is_named_when_the_url_is_the_one_asked() -> None:
    again = restated(TruncatedBody(ASKED, "the stream ends early", received=9), ASKED, 2)
    assert again.message == "gave up after 2 attempts: the stream ends early"
    assert vars(again)["received"] == 9


def test_attempts_are_numbered_across_hops_and_relabelled() -> None:
    attempts = Attempts()
    attempts.add(ASKED, status=302, outcome="ok")
    attempts.add(HOP, status=200, outcome="ok", bytes_=10)
    attempts.relabel_last("gone", "taken down")
    assert [(a.url, a.attempt, a.outcome, a.error) for a in attempts.items] == [
        (ASKED, 1, "ok", None),
        (HOP, 2, "gone", "taken down"),
    ]
    assert attempts.items[1].bytes == 10
    assert all(a.started_at.utcoffset() is not None for a in attempts.items)
