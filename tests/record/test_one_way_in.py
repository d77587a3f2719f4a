"""One way in: the live site, a web archive and a WARC file are read and recorded by the same code.

For each of the three sources, the same pages give the same result:

* a redirect, a 404, a 410 and a takedown redirect mean the same (``read.response``);
* the http/https and ``www.`` twins of a URL are one URL (``urls``): a capture of
  either twin is a capture of the archived URL, never another article;
* a configured ``[[sites]]`` outlet's articles are recorded;
* an installment's label is taken from any reading of the article (here its
  mirror's page), not from its primary URL's page alone.

The pages are the bundled replica's, served three ways: by HTTP servers on
127.0.0.1 (the live site, through ``LoopbackTransport``), by the replica
Wayback (``WaybackReplica``), and as records of a WARC file warcio writes here.
"""

from __future__ import annotations

import dataclasses
import io
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from series_archiver import urls
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.wayback_replica import WaybackCapture, WaybackReplica
from series_archiver.jobs import core
from series_archiver.jobs.backfill import run_backfill
from series_archiver.jobs.importer import run_import
from series_archiver.read.article import ArticleRead, PageSource, read_article
from series_archiver.settings import Settings, load_settings
from series_archiver.sources.live import Fetcher
from series_archiver.sources.warc import RecordPages, WarcFile
from series_archiver.sources.wayback import MementoPages, WaybackClient
from tests.support.crawl import Crawler
from tests.support.wayback import pointed

MAIN = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"  # ①
MIRROR = "https://www.takungpao.com.hk/news/232108/2025/1215/1050001.html"
SECOND_HTTP = "http://www.takungpao.com/news/232108/2025/1216/1050318.html"  # ②, as the replica's list links it
HOME = "https://www.takungpao.com/"
STAMP = "20251215040000"
WARC_DATE = "2025-12-15T04:00:00Z"


def replica_page(url: str) -> bytes:
    """A page of the bundled replica, as its host serves it."""
    parts = urlsplit(url)
    return resources.files("series_archiver.demo").joinpath("replica_site", parts.hostname or "", *parts.path.strip("/").split("/")).read_bytes()


def rows(db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    location: str | None = None


World = Mapping[str, Answer]  # real URL -> what its server answers


# --- the three sources, serving the same world ----------------------------------------------------


@contextmanager
def live_site(world: World) -> Iterator[LoopbackTransport]:
    """One HTTP server on 127.0.0.1 per origin of ``world``; a transport that sends the real URLs to them."""
    servers: dict[str, ThreadingHTTPServer] = {}
    by_origin: dict[str, dict[str, Answer]] = {}
    for url, answer in world.items():
        parts = urlsplit(url)
        by_origin.setdefault(f"{parts.scheme}://{parts.netloc}", {})[parts.path] = answer
    for origin, paths in by_origin.items():

        class Handler(BaseHTTPRequestHandler):
            served = paths

            def do_GET(self) -> None:
                answer = self.served.get(self.path.split("?", 1)[0], Answer(404, b"not here"))
                self.send_response(answer.status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(answer.body)))
                if answer.location:
                    self.send_header("Location", answer.location)
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[origin] = server
    try:
        yield LoopbackTransport({origin: f"http://127.0.0.1:{s.server_address[1]}" for origin, s in servers.items()})
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()


def wayback_of(world: World, stamp: str = STAMP) -> WaybackReplica:
    return WaybackReplica([WaybackCapture(url, stamp, a.status, a.body, location=a.location) for url, a in world.items()])


def write_warc(path: Path, world: World, date: str = WARC_DATE) -> Path:
    """``world`` as a WARC file, one warcio response record per URL."""
    reasons = {200: "OK", 301: "Moved Permanently", 302: "Found", 403: "Forbidden", 404: "Not Found", 410: "Gone"}
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        for url, a in world.items():
            headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(a.body)))]
            if a.location:
                headers.append(("Location", a.location))
            http = StatusAndHeaders(f"{a.status} {reasons[a.status]}", headers, protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(url, "response", payload=io.BytesIO(a.body), length=len(a.body), http_headers=http,
                                          warc_headers_dict={"WARC-Date": date})
            )
    return path


# --- a redirect, a 404, a 410, a takedown: the same for every source -----------------------------

ARTICLE = "https://www.takungpao.com/news/232108/2025/1216/1050318.html"
CASES: dict[str, Answer] = {
    "https://www.takungpao.com/news/232108/2025/1216/1059001.html": Answer(301, location="/news/232108/2025/1216/1059002.html"),
    "https://www.takungpao.com/news/232108/2025/1216/1059002.html": Answer(302, location=ARTICLE),
    ARTICLE: Answer(200, replica_page(ARTICLE)),
    "https://www.takungpao.com/news/232108/2025/1217/1059404.html": Answer(404, b"<html><body>404 Not Found</body></html>"),
    "https://www.takungpao.com/news/232108/2025/1217/1059410.html": Answer(410, b"<html><body>410 Gone</body></html>"),
    "https://www.takungpao.com/news/232108/2025/1217/1059302.html": Answer(302, location=HOME),
    "https://www.takungpao.com/news/232108/2025/1217/1059403.html": Answer(403, b"<html><body>Forbidden</body></html>"),
    HOME: Answer(200, replica_page("https://www.takungpao.com/index.html")),
}


def outcome(read: ArticleRead) -> tuple[Any, ...]:
    """What a reading means, and nothing of which source gave it."""
    if read.error is not None:
        e = read.error
        return (type(e).__name__, getattr(e, "status", None), getattr(e, "target", None))
    assert read.article is not None and read.pages
    page = read.pages[0]
    return ("page", page.final_url, page.redirects, read.article.title, read.reading.key if read.reading else None)


def outcomes(pages_for: Callable[[str], PageSource], settings: Settings) -> dict[str, tuple[Any, ...]]:
    asked = [u for u in CASES if u not in (ARTICLE, HOME)]
    return {url: outcome(read_article(url, pages_for(url), settings.site_profiles)) for url in asked}


def test_redirects_removals_and_takedowns_mean_the_same_from_every_source(settings: Settings, tmp_path: Path) -> None:
    with live_site(CASES) as transport, Fetcher(settings.fetch, transport=transport, registry=settings.registry) as fetcher:
        live = outcomes(lambda _url: fetcher.fetch, settings)
    with wayback_of(CASES) as archive, WaybackClient(pointed(settings, archive).wayback, settings.fetch) as client:
        wayback = outcomes(lambda _url: MementoPages(client, settings.fetch, STAMP, registry=settings.registry), settings)
    warc = WarcFile(write_warc(tmp_path / "cases.warc.gz", CASES), "cases.warc.gz")
    warc.index()
    entries = {e.uri: e for e in warc.entries}
    from_file = outcomes(lambda url: RecordPages(warc, entries[url], settings.registry), settings)

    assert live == wayback == from_file
    by_kind = {url: o[0] for url, o in live.items()}
    assert list(by_kind.values()) == ["page", "page", "GoneError", "GoneError", "GoneError", "HTTPStatusError"]
    first = live["https://www.takungpao.com/news/232108/2025/1216/1059001.html"]
    assert first[1] == ARTICLE and first[2] == ("https://www.takungpao.com/news/232108/2025/1216/1059002.html", ARTICLE)
    assert live["https://www.takungpao.com/news/232108/2025/1217/1059302.html"] == ("GoneError", 302, HOME)
    assert live["https://www.takungpao.com/news/232108/2025/1217/1059410.html"] == ("GoneError", 410, None)


# --- twins are one URL ----------------------------------------------------------------------------


def earlier(url: str, old: str, new: str) -> bytes:
    """The replica's page with one figure as it was before an edit."""
    text = replica_page(url).decode("utf-8")
    assert new in text
    return text.replace(new, old, 1).encode("utf-8")


def assert_earlier_text_is_version_1(db: Path, run_id: int, url: str, at: str, old: str, new: str) -> None:
    article = rows(db, "SELECT article_id FROM article_urls WHERE url = ?", url)[0][0]
    versions = rows(db, "SELECT version, captured_at, text FROM versions WHERE article_id = ? ORDER BY version", article)
    assert [v for v, _at, _t in versions] == [1, 2]
    assert versions[0][1] == at and old in versions[0][2] and new not in versions[0][2]
    assert new in versions[1][2]
    summary, diff = rows(db, "SELECT summary, diff_html FROM changes WHERE article_id = ? AND to_version = 2", article)[0]
    # The diff names the changed figure and nothing else of the text.
    marked = re.findall(r"<(del|ins)[^>]*>(.*?)</\1>", diff)
    assert [kind for kind, _ in marked] == ["del", "ins"], marked
    assert marked[0][1] in old and marked[1][1] in new and marked[0][1] != marked[1][1]
    assert marked[0][1] in summary and marked[1][1] in summary
    # No other URL was made of the twin, and no capture of it was filed as another rendering.
    assert rows(db, "SELECT count(*) FROM article_urls WHERE article_id = ?", article)[0][0] == len(
        rows(db, "SELECT url FROM article_urls WHERE article_id = ?", article)
    )
    outcomes = rows(db, "SELECT url, outcome FROM fetch_log WHERE run_id = ? AND outcome IS NOT NULL", run_id)
    assert all(o in ("new_version", "evidence", "cdx") for _u, o in outcomes), outcomes
    # Every capture of the article is filed under one of its URLs: the twin's went to the archived URL.
    captured = {u for (u,) in rows(db, "SELECT url FROM captures WHERE article_id = ?", article)}
    assert captured <= {u for (u,) in rows(db, "SELECT url FROM article_urls WHERE article_id = ?", article)}
    keys = [urls.key(u) for (u,) in rows(db, "SELECT url FROM article_urls WHERE article_id = ?", article)]
    assert len(keys) == len(set(keys)), f"two rows for one page: {keys}"


def test_backfill_after_a_crawl_reads_captures_of_the_other_scheme_as_the_archived_url(crawler: Crawler) -> None:
    crawler.crawl()
    db = crawler.settings.archive.db
    assert rows(db, "SELECT count(*) FROM article_urls WHERE url = ?", SECOND_HTTP) == [(1,)], "the crawl holds ② at http"
    https = SECOND_HTTP.replace("http://", "https://")
    bare = https.replace("://www.", "://")
    old, new = "按年增長6.8%", "按年增長7.4%"
    captures = [
        WaybackCapture(https, "20251216050000", 200, earlier(SECOND_HTTP, old, new)),  # the other scheme
        WaybackCapture(bare, "20251217050000", 200, replica_page(SECOND_HTTP)),  # without www.
    ]
    with WaybackReplica(captures) as wayback:
        result = run_backfill(pointed(crawler.settings, wayback))
    assert result.failed == 0, result.failures
    assert result.earlier_versions == 1 and result.new_articles == 0
    assert_earlier_text_is_version_1(db, result.run_id, SECOND_HTTP, "2025-12-16T05:00:00+00:00", old, new)


def test_import_after_a_crawl_reads_records_of_a_twin_as_the_archived_url(crawler: Crawler, tmp_path: Path) -> None:
    crawler.crawl()
    db = crawler.settings.archive.db
    old, new = "1萬億元", "0.9萬億元"
    twin = MAIN.replace("https://www.", "http://")
    warc = write_warc(tmp_path / "twin.warc.gz", {twin: Answer(200, earlier(MAIN, new, old))}, date="2025-12-15T01:00:00Z")
    result = run_import(crawler.settings, [warc])
    assert result.failed == 0, result.failures
    assert result.earlier_versions == 1 and result.new_articles == 0
    assert_earlier_text_is_version_1(db, result.run_id, MAIN, "2025-12-15T01:00:00+00:00", new, old)
    assert run_import(crawler.settings, [warc]).new_versions == 0, "importing again adds nothing"


def test_a_crawl_reads_a_page_linked_at_both_schemes_once(crawler: Crawler) -> None:
    """The replica's lists link ② at http and at https: one page, so one read in the pass (two concurrent reads
    of one page could date the second before the first one's version)."""
    result = crawler.crawl()
    db = crawler.settings.archive.db
    https = SECOND_HTTP.replace("http://", "https://")
    read = rows(db, "SELECT url FROM fetch_log WHERE run_id = ? AND url IN (?, ?) AND outcome IS NOT NULL", result.run_id, SECOND_HTTP, https)
    assert read == [(SECOND_HTTP,)]


def test_a_live_fetch_of_a_twin_is_a_check_of_the_archived_url(crawler: Crawler, replica: ReplicaSite) -> None:
    crawler.crawl()
    db = crawler.settings.archive.db
    before = rows(db, "SELECT url, article_id FROM article_urls ORDER BY url")
    twin = MAIN.replace("https://www.", "http://")
    origins = {**replica.origins, "http://takungpao.com": replica.origins["https://www.takungpao.com"]}
    result = core.fetch(crawler.settings, [twin], transport=LoopbackTransport(origins))
    assert result.counts.failed == 0 and result.counts.new_articles == 0 and result.counts.unchanged == 1
    assert rows(db, "SELECT url, article_id FROM article_urls ORDER BY url") == before
    logged = rows(db, "SELECT url, outcome FROM fetch_log WHERE run_id = ? AND outcome IS NOT NULL", result.run_id)
    assert logged and all(o in ("unchanged", "not_modified") for _u, o in logged), logged


# --- a configured outlet, from every source -------------------------------------------------------


@pytest.fixture(scope="module")
def outlet(manifest: dict[str, Any]) -> dict[str, Any]:
    wenweipo: dict[str, Any] = manifest["outlets"]["wenweipo"]
    return wenweipo


def outlet_settings(tmp_path: Path, outlet: dict[str, Any], extra: str = "") -> Settings:
    start = ", ".join(f'"{u}"' for u in outlet["start_urls"])
    text = f'[[series]]\nname = "貿戰下中國力量"\npattern = "貿戰下中國力量"\nstart_urls = [{start}]\n' + outlet["site_toml"] + extra
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    settings = load_settings(path, db=tmp_path / "series.db")
    return settings.replace(fetch__delay_seconds=0.0, fetch__retries=0)


def outlet_world(outlet: dict[str, Any]) -> dict[str, Answer]:
    root = resources.files("series_archiver.demo").joinpath("replica_site", outlet["root"])
    world: dict[str, Answer] = {}
    for url in [*outlet["start_urls"], *(a["url"] for a in outlet["articles"])]:
        parts = urlsplit(url)
        world[url] = Answer(200, root.joinpath(parts.hostname or "", *parts.path.strip("/").split("/")).read_bytes())
    return world


def outlet_articles(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT installment, label, url FROM articles WHERE series = '貿戰下中國力量' ORDER BY url")


def expected(outlet: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(((a["installment"], a["label"], a["url"]) for a in outlet["articles"]), key=lambda r: r[2])


@pytest.mark.parametrize("by", ["markup", "article_urls"])
def test_a_configured_outlets_warc_imports_its_articles(tmp_path: Path, outlet: dict[str, Any], by: str) -> None:
    extra = 'article_urls = "/a/\\\\d{6}/\\\\d{2}/AP[0-9a-f]{24}\\\\.html$"\n' if by == "article_urls" else ""
    settings = outlet_settings(tmp_path, outlet, extra)
    assert settings.sites[0].name == "wenweipo"
    warc = write_warc(tmp_path / "wenweipo.warc.gz", outlet_world(outlet))
    result = run_import(settings, [warc])
    assert result.failed == 0, result.failures
    assert outlet_articles(settings.archive.db) == expected(outlet)


def test_a_configured_outlet_is_backfilled_from_a_web_archive(tmp_path: Path, outlet: dict[str, Any]) -> None:
    settings = outlet_settings(tmp_path, outlet)
    with wayback_of(outlet_world(outlet)) as wayback:
        result = run_backfill(pointed(settings, wayback))
    assert result.failed == 0, result.failures
    assert outlet_articles(settings.archive.db) == expected(outlet)


def test_a_configured_outlet_is_crawled_live(tmp_path: Path, outlet: dict[str, Any]) -> None:
    settings = outlet_settings(tmp_path, outlet)
    with live_site(outlet_world(outlet)) as transport:
        result = core.crawl(settings, transport=transport)
    assert result.counts.failed == 0, result.counts.failures
    assert outlet_articles(settings.archive.db) == expected(outlet)


# --- the label, from any reading of the article ---------------------------------------------------


def unlabelled_world() -> dict[str, Answer]:
    """① with its label (志氣篇) printed on its mirror's page only."""
    main = replica_page(MAIN).decode("utf-8").replace("志氣篇", "")
    assert "貿戰下中國力量①" in main
    return {MAIN: Answer(200, main.encode("utf-8")), MIRROR: Answer(200, replica_page(MIRROR))}


def labels(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT installment, label, url FROM articles")


def test_the_label_comes_from_any_reading_live(settings: Settings) -> None:
    world = unlabelled_world()
    with live_site(world) as transport:
        first = core.fetch(settings, [MAIN], transport=transport)
        assert labels(settings.archive.db) == [(1, None, MAIN)] and first.counts.new_articles == 1
        core.fetch(settings, [MIRROR], transport=transport)
    assert labels(settings.archive.db) == [(1, "志氣篇", MAIN)]


def test_the_label_comes_from_any_reading_imported(settings: Settings, tmp_path: Path) -> None:
    world = unlabelled_world()
    main = write_warc(tmp_path / "main.warc.gz", {MAIN: world[MAIN]}, date="2025-12-15T04:00:00Z")
    mirror = write_warc(tmp_path / "mirror.warc.gz", {MIRROR: world[MIRROR]}, date="2025-12-15T05:00:00Z")
    run_import(settings, [main])
    assert labels(settings.archive.db) == [(1, None, MAIN)]
    run_import(settings, [mirror])
    assert labels(settings.archive.db) == [(1, "志氣篇", MAIN)]


def test_the_label_comes_from_any_reading_backfilled(settings: Settings) -> None:
    world = unlabelled_world()
    captures = [
        WaybackCapture(MAIN, "20251215040000", 200, world[MAIN].body),
        WaybackCapture(MIRROR, "20251215050000", 200, world[MIRROR].body),
    ]
    with WaybackReplica(captures) as wayback:
        series = dataclasses.replace(settings.series[0], urls=(MAIN,))
        result = run_backfill(pointed(settings.replace(series=(series,)), wayback))
    assert result.failed == 0, result.failures
    assert labels(settings.archive.db) == [(1, "志氣篇", MAIN)]
