"""One way onto the wire (sources/http.py): every service sends the same User-Agent, and there is one backoff."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx

import series_archiver
from series_archiver.settings import WaybackSettings, WitnessSettings
from series_archiver.sources import http
from series_archiver.sources.live import Fetcher
from series_archiver.sources.live import client as live_client
from series_archiver.sources.wayback import WaybackClient
from series_archiver.sources.wayback import client as wayback_client
from series_archiver.witness import worker as witness_worker
from series_archiver.witness.client import SpnClient, UserStatus
from tests.support.scripted import ARTICLE, LocalSite, Reply, fetch_settings, html_reply

CONTACT = "https://example.org/series-archiver-contact"


def test_every_service_sends_the_one_user_agent_with_the_contact(site: LocalSite) -> None:
    site.route(ARTICLE, html_reply())
    site.route("/cdx", Reply(200, b"", (("Content-Type", "application/json"),)))
    site.route("/save/status/user", Reply(200, json.dumps({"available": 4, "processing": 1}).encode(), (("Content-Type", "application/json"),)))
    fetch = fetch_settings(user_agent="series-archiver/9.9", contact=CONTACT)

    with Fetcher(fetch) as fetcher:
        assert fetcher.fetch(site.url(ARTICLE)).status == 200
    wayback = WaybackSettings(cdx_url=site.url("/cdx"), playback_url=site.url("/web/"))
    with WaybackClient(wayback, fetch) as archive:
        assert list(archive.search(site.url(ARTICLE))) == []
    with SpnClient(WitnessSettings(endpoint=site.url("")), fetch, clock=lambda: datetime.now(UTC)) as spn:
        answer, _attempt = spn.user_status(timeout=5.0)
    assert answer == UserStatus(4, 1)

    paths = [s.path.split("?")[0] for s in site.seen]
    assert paths == ["/robots.txt", ARTICLE, "/cdx", "/save/status/user"]  # the live site, the archive, Save Page Now
    agents = {s.headers.get("User-Agent") or s.headers.get("user-agent") for s in site.seen}
    assert agents == {f"series-archiver/9.9; {CONTACT}"} == {http.user_agent(fetch)}


def test_a_service_cannot_replace_the_user_agent() -> None:
    fetch = fetch_settings(user_agent="series-archiver/9.9", contact=CONTACT)
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with http.open_client(fetch, headers={"User-Agent": "other/1", "Accept": "x/y"}, transport=httpx.MockTransport(answer)) as client:
        client.get("http://a.test/")
    assert seen[0].headers["user-agent"] == f"series-archiver/9.9; {CONTACT}" and seen[0].headers["accept"] == "x/y"
    assert client.follow_redirects is False and client.timeout.read == fetch.timeout_seconds


def test_the_backoff_is_one_function() -> None:
    # The live Fetcher, the web archive client and the witness queue wait by the same rule...
    assert live_client.backoff_seconds is wayback_client.backoff_seconds is witness_worker.backoff_seconds is http.backoff_seconds
    # ...and no other module of the package defines a backoff of its own.
    package = Path(series_archiver.__file__).parent
    defined = sorted(
        f"{path.relative_to(package)}:{node.name}"
        for path in package.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and "backoff" in node.name
    )
    assert defined == ["sources/http.py:backoff_seconds"]


def test_a_cookie_a_site_sets_is_sent_back_and_answers_without_one_set_none(site: LocalSite) -> None:
    # Cookies are looked for only in answers that set one (http._SetCookies): what is kept is as before.
    site.route("/plain", Reply(200, b"<p>x</p>", (("Content-Type", "text/html"),)))
    site.route("/sets", Reply(200, b"<p>x</p>", (("Content-Type", "text/html"), ("Set-Cookie", "session=abc; Path=/"))))
    with http.open_client(fetch_settings()) as client:
        client.get(site.url("/plain"))
        assert not client.cookies
        client.get(site.url("/sets"))
        assert client.cookies.get("session") == "abc"
        client.get(site.url("/plain"))
    cookies = [next((v for k, v in s.headers.items() if k.lower() == "cookie"), None) for s in site.seen]
    assert cookies == [None, None, "session=abc"]
