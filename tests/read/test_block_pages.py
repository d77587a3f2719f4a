"""Block pages (read.pagekind): a challenge, captcha or maintenance page is never a page, whatever door it came by.

The rules on their own (every kind, short and long, with 200, 403, 429 and 503;
no real page and no replica page mistaken for one), a site's own phrases, the
Fetcher on a real loopback server (one attempt, logged ``blocked``, never
retried), a WARC record, the streak ``blocked_sites`` counts and the
notification of a site that keeps blocking. The passes against the replica are
in test_block_soak.py.
"""

from __future__ import annotations

import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from series_archiver.archive import Archive
from series_archiver.archive.runs import blocked_sites
from series_archiver.demo import demo_settings
from series_archiver.demo.loopback import LoopbackTransport
from series_archiver.demo.replica import ReplicaSite
from series_archiver.demo.wayback_replica import WaybackCapture, WaybackReplica
from series_archiver.errors import Blocked, ConfigError, GoneError, HTTPStatusError
from series_archiver.jobs.notify import notify, payload
from series_archiver.models import Attempt, BlockedSite, PassCounts, PassResult
from series_archiver.read.charset import decode_page
from series_archiver.read.pagekind import STRONG_LIMIT, block_page, kept_by_fold, visible_text
from series_archiver.read.response import check_block, judge
from series_archiver.settings import FetchSettings, NotifySettings, WaybackSettings
from series_archiver.sites import SITES, Registry
from series_archiver.sites.config import site_from_table
from series_archiver.sources.live import Fetcher
from series_archiver.sources.warc import RecordPages, WarcFile
from series_archiver.sources.wayback import MementoPages, WaybackClient
from series_archiver.textfold import fold
from tests.support.block_pages import CF_BLOCKED, CF_CHALLENGE, KINDS, MAINTENANCE_ZH, WAF_ZH, BlockKind
from tests.support.paths import REPO

REAL_PAGES = REPO.parent / "shared" / "real-pages"
REPLICA_PAGES = REPO / "src" / "series_archiver" / "demo" / "replica_site"
ARTICLE = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"
STATUSES = (200, 403, 429, 503)
FETCH = FetchSettings(user_agent="series-archiver-test/1", contact="+contact", retries=0, timeout_seconds=10.0)


# --- the rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("page", KINDS, ids=lambda k: k.name)
def test_every_kind_is_a_block_page_short_and_long_with_every_status(page: BlockKind, status: int) -> None:
    for long in (False, True):
        found = block_page(page.body(long), status=status)
        assert found is not None, (page.name, long, status)
        assert found.kind == page.kind, (page.name, long, status, found)


@pytest.mark.parametrize("page", KINDS, ids=lambda k: k.name)
def test_the_short_bodies_are_under_min_chars_and_the_long_ones_are_not(page: BlockKind) -> None:
    # A long one read as an article would pass quality.min_chars (200): only the rule keeps it out.
    assert len(fold(visible_text(page.short))) < 200 <= len(fold(visible_text(page.long)))


def test_chinese_and_english_pages_are_both_covered() -> None:
    assert {k.lang for k in KINDS} == {"zh", "en"}
    assert {k.kind for k in KINDS if k.lang == "zh"} == {"block", "captcha", "maintenance"}
    assert {k.kind for k in KINDS if k.lang == "en"} == {"challenge", "block", "captcha", "maintenance"}


def test_a_404_or_410_with_a_block_body_is_a_removal_and_a_redirect_a_hop() -> None:
    for status in (404, 410, 301, 302, 304):
        assert block_page(WAF_ZH.long, status=status) is None


def test_the_cf_mitigated_header_alone_makes_a_challenge() -> None:
    found = block_page("<html><body></body></html>", status=403, headers=[("CF-Mitigated", "challenge")])
    assert found is not None and found.kind == "challenge"
    assert block_page("<html><body></body></html>", status=403) is None, "a bare 403 is an HTTP error, not a block page"
    assert block_page("<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1><hr>nginx</body></html>", status=403) is None


def test_an_article_that_quotes_block_phrases_is_an_article() -> None:
    body = "".join(
        f"<p>第{i}段：網站若顯示「Just a moment...」或「請完成安全驗證」、「系統維護中」，多半是防火牆所致，"
        "並非文章被刪除；Cloudflare Ray ID 與 Access Denied 頁面同理。</p>"
        for i in range(40)
    )
    page = f"<html><head><title>網站為何顯示安全驗證？_大公网</title></head><body><h1>網站為何顯示安全驗證？</h1>{body}</body></html>"
    assert len(fold(visible_text(page))) > STRONG_LIMIT
    assert block_page(page) is None
    # A short article whose title merely contains such a word is an article too.
    short = "<html><head><title>網購安全驗證新規明起實施_大公网</title></head><body><h1>網購安全驗證新規明起實施</h1>" + (
        "<p>新規要求網購平台在大額支付前加設一道驗證，以減少盜用。</p>" * 8
    ) + "</body></html>"
    assert block_page(short) is None
    # A page of a few words whose heading is the word alone is a block page, title or none.
    bare = "<html><body><h1>安全驗證</h1><div id='nc_wrapper'></div></body></html>"
    assert (found := block_page(bare)) is not None and found.kind == "captcha"


@pytest.mark.skipif(not (REAL_PAGES / "index.jsonl").exists(), reason=f"no real pages at {REAL_PAGES} (shared/real-pages)")
def test_no_real_page_is_a_block_page() -> None:
    """210 real news, forum and blog pages (read where they are, never copied): not one is taken for a block page."""
    mistaken = []
    lines = (REAL_PAGES / "index.jsonl").read_text(encoding="utf-8").splitlines()
    for line in lines:
        entry = json.loads(line)
        raw = (REAL_PAGES / "pages" / f"{entry['id']}.html").read_bytes()
        text = decode_page(entry["url"], httpx.Headers({"content-type": "text/html"}), raw, len(raw)).text
        for status in (200, 503):
            if (found := block_page(text, status=status)) is not None and status == 200:
                mistaken.append((entry["id"], found))
    assert len(lines) >= 200
    assert mistaken == []


def test_no_page_of_the_replica_is_a_block_page() -> None:
    pages = sorted(REPLICA_PAGES.rglob("*.htm*"))
    assert len(pages) > 30
    assert [p for p in pages if block_page(p.read_text(encoding="utf-8", errors="replace")) is not None] == []


# --- the count that spares a long page its fold ------------------------------------------

# Traditional and simplified ideographs, full-width forms, ASCII, spaces, dashes and dots (runs fold
# collapses), a ligature and a circled digit (NFKC), zero-width characters: what moves fold's length.
_FOLD_MOVERS = st.text(
    alphabet=st.sampled_from(list("華為發佈會體體臺灣乾乾淨淨後來里裡面髮廣東話范範ＡＢＣ１２３　 \t-—.…・「」ﬁ①\u200bİaZ09，。")),
    max_size=400,
)


@given(_FOLD_MOVERS)
def test_kept_by_fold_never_exceeds_the_folded_length(text: str) -> None:
    assert kept_by_fold(text) <= len(fold(text))


def _pages_read_by_block_page() -> list[str]:
    from bench import sitegen

    pages = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(REPLICA_PAGES.rglob("*.htm*"))]
    return pages + [sitegen._article_page(random.Random(f"8:{n}"), n, 10_000)[1] for n in range(1, 61)]


def test_the_count_decides_as_the_fold_would_on_replica_and_bench_pages() -> None:
    """A page the count passes over is one whose fold is longer than STRONG_LIMIT: the decision is the fold's."""
    passed_over = 0
    for page in _pages_read_by_block_page():
        text = visible_text(page)
        assert kept_by_fold(text) <= len(fold(text))
        passed_over += kept_by_fold(text) > STRONG_LIMIT
    assert passed_over >= 50  # the bench's installments: most are spared their fold


def test_a_long_page_quoting_block_phrases_is_decided_as_before() -> None:
    # Over the limit by its ideographs alone: no fold, no block page, as when it was folded.
    quoted = "<p>網站顯示「Just a moment...」時請完成安全驗證，系統維護中。</p>"
    long = "<html><body>" + quoted + "<p>" + "華為今日發布新機" * 400 + "</p></body></html>"
    assert kept_by_fold(visible_text(long)) > STRONG_LIMIT and block_page(long) is None
    # Under it, the page is folded and its phrase found, as before.
    short = "<html><head><title>Just a moment...</title></head><body>" + quoted + "</body></html>"
    assert (found := block_page(short)) is not None and found.kind == "captcha"


# --- a site's own phrases -----------------------------------------------------------------

SITE_TABLE = {"name": "wenweipo", "hosts": ["www.wenweipo.com"], "body": "div.post-body", "block_phrases": ["系統升級中，請稍後再訪問"]}
OWN_PAGE = "<html><head><title>香港文匯網</title></head><body><div class='notice'><p>系統升級中，請稍後再訪問。</p></div></body></html>"


def test_a_site_profile_adds_phrases_for_its_own_hosts() -> None:
    site = site_from_table(SITE_TABLE, "sites[0]")
    registry = Registry((site, *SITES))
    assert block_page(OWN_PAGE) is None, "no built-in rule knows this page"
    phrases = registry.block_phrases("https://www.wenweipo.com/a/202512/16/AP69406e6ce4b0a1c2d3e4f504.html")
    assert phrases == ("系統升級中，請稍後再訪問",)
    assert registry.block_phrases(ARTICLE) == ()
    found = block_page(OWN_PAGE, phrases=phrases)
    assert found is not None and "a phrase of the site's profile" in found.reason
    with pytest.raises(Blocked) as caught:
        check_block("https://www.wenweipo.com/a/1.html", "https://www.wenweipo.com/a/1.html", 200, OWN_PAGE, registry=registry)
    assert (caught.value.site, caught.value.status, caught.value.outcome) == ("www.wenweipo.com", 200, "blocked")
    # Elsewhere the phrase is nobody's: the same page on takungpao is no block page.
    check_block(ARTICLE, ARTICLE, 200, OWN_PAGE, registry=registry)


def test_block_phrases_are_not_part_of_the_derivation_and_must_be_strings() -> None:
    with_phrases = site_from_table(SITE_TABLE, "sites[0]")
    without = site_from_table({k: v for k, v in SITE_TABLE.items() if k != "block_phrases"}, "sites[0]")
    assert with_phrases.definition == without.definition, "a phrase decides no text: no new derivation"
    with pytest.raises(ConfigError) as caught:
        site_from_table({**SITE_TABLE, "block_phrases": [3]}, "sites[0]")
    assert caught.value.key == "sites[0].block_phrases"


# --- what an answer means: read.response --------------------------------------------------


def test_check_block_raises_blocked_naming_site_status_and_reason() -> None:
    with pytest.raises(Blocked) as caught:
        check_block(ARTICLE, ARTICLE, 503, CF_CHALLENGE.short, where=" in a test")
    error = caught.value
    assert isinstance(error, Blocked) and not isinstance(error, (HTTPStatusError, GoneError))
    assert (error.site, error.status, error.outcome) == ("www.takungpao.com", 503, "blocked")
    assert error.reason.startswith("a CDN or firewall challenge (")
    assert "HTTP 503 Service Unavailable in a test is a block page, not the page" in error.message
    assert "www.takungpao.com is blocking the crawler" in error.message


def test_judge_still_reads_removals_and_takedowns_by_the_page_kind_rules() -> None:
    class Answer:
        url, status, location = ARTICLE, 302, "https://www.takungpao.com/"

    with pytest.raises(GoneError) as caught:
        judge(ARTICLE, Answer())
    assert caught.value.target == "https://www.takungpao.com/"


# --- the Fetcher on a loopback server ----------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
def test_the_fetcher_refuses_a_block_page_in_one_attempt_logged_blocked(replica: ReplicaSite, tmp_path: Path, status: int) -> None:
    settings = demo_settings(tmp_path / "s.db").replace(fetch__retries=2)
    replica.set_page(ARTICLE, MAINTENANCE_ZH.long, status=status, headers={"Retry-After": "1"})
    with (
        Fetcher(settings.fetch, transport=LoopbackTransport(replica.origins), registry=settings.registry) as fetcher,
        pytest.raises(Blocked) as caught,
    ):
        fetcher.fetch(ARTICLE)
    error = caught.value
    assert error.status == status and error.reason.startswith("a maintenance page (")
    assert [(a.status, a.outcome) for a in error.attempts] == [(status, "blocked")], "a block page is not retried"
    assert error.attempts[-1].error == error.message
    asked = [r for r in replica.requests if r.real_url == ARTICLE]
    assert len(asked) == 1


def test_a_plain_503_is_still_retried_and_a_plain_403_still_an_http_error(replica: ReplicaSite, tmp_path: Path) -> None:
    settings = demo_settings(tmp_path / "s.db").replace(fetch__retries=1, fetch__backoff_base_seconds=0.01)
    replica.set_page(ARTICLE, "<html><head><title>503 Service Temporarily Unavailable</title></head><body><h1>503</h1></body></html>", status=503)
    with Fetcher(settings.fetch, transport=LoopbackTransport(replica.origins), registry=settings.registry) as fetcher:
        with pytest.raises(HTTPStatusError) as caught:
            fetcher.fetch(ARTICLE)
        assert not isinstance(caught.value, Blocked)
        assert [a.outcome for a in caught.value.attempts] == ["retry", "error"]
        replica.set_page(ARTICLE, "<html><body><h1>403 Forbidden</h1></body></html>", status=403)
        with pytest.raises(HTTPStatusError) as caught:
            fetcher.fetch(ARTICLE)
        assert not isinstance(caught.value, Blocked) and caught.value.attempts[-1].outcome == "error"


# --- another door: a WARC record ----------------------------------------------------------


def test_a_warc_record_of_a_challenge_is_blocked_not_a_page(tmp_path: Path) -> None:
    path = tmp_path / "crawl.warc.gz"
    body = CF_CHALLENGE.long.encode("utf-8")
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(ARTICLE, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers,
                                      warc_headers_dict={"WARC-Date": "2025-12-16T02:00:00Z"})
        )
    warc = WarcFile(path, path.name)
    warc.index()
    [entry] = warc.entries
    with pytest.raises(Blocked) as caught:
        RecordPages(warc, entry)(ARTICLE)
    assert "crawl.warc.gz" in caught.value.message and caught.value.site == "www.takungpao.com"


def test_a_web_archive_memento_of_a_challenge_is_blocked_not_a_page() -> None:
    """The web archive's crawler meets challenges too: a memento of one is no capture of the article."""
    captures = [WaybackCapture(ARTICLE, "20251216050000", 200, CF_BLOCKED.long.encode("utf-8"))]
    with WaybackReplica(captures) as wayback:
        settings = WaybackSettings(cdx_url=wayback.cdx_url, playback_url=wayback.playback_url)
        with WaybackClient(settings, FETCH) as client, pytest.raises(Blocked) as caught:
            MementoPages(client, FETCH, "20251216050000")(ARTICLE)
    error = caught.value
    assert error.reason.startswith("a CDN or firewall block (") and "in the web archive's capture of 2025-12-16" in error.message
    assert error.attempts, "the memento's request is logged with the error"


# --- a site that keeps blocking -----------------------------------------------------------


def _run(archive: Archive, *rows: tuple[str, str]) -> int:
    run_id = archive.start_run("crawl")
    now = datetime.now(UTC)
    with archive.transaction():
        for i, (url, outcome) in enumerate(rows):
            attempt = Attempt(url=url, started_at=now + timedelta(seconds=i), attempt=1, status=503, outcome=outcome,
                              error=f"HTTP 503 Service Unavailable is a block page, not the page: a maintenance page (x). {httpx.URL(url).host} is blocking the crawler; …")
            archive.log_attempts([attempt], run_id=run_id)
    archive.finish_run(run_id, PassCounts().as_dict(), [], "partial")
    return run_id


def test_blocked_sites_counts_the_passes_in_a_row_a_site_blocked(tmp_path: Path) -> None:
    other = "https://www.tkww.hk/hongkong/"
    with Archive(tmp_path / "s.db") as archive:
        first = _run(archive, (ARTICLE, "blocked"), (other, "list_page"))
        assert [(b.site, b.urls, b.passes) for b in blocked_sites(archive, first)] == [("www.takungpao.com", 1, 1)]
        _run(archive, (other, "list_page"))  # asked nothing of the site: the streak goes on
        third = _run(archive, (ARTICLE, "blocked"), (ARTICLE.replace("1050001", "1050002"), "blocked"))
        [site] = blocked_sites(archive, third)
        assert (site.urls, site.passes, site.reason) == (2, 2, "a maintenance page (x)")
        assert site.since == archive.conn.execute("SELECT started_at FROM runs WHERE id = ?", (first,)).fetchone()[0]
        _run(archive, (ARTICLE, "unchanged"))  # it answered: the streak ends
        fifth = _run(archive, (ARTICLE, "blocked"))
        assert [b.passes for b in blocked_sites(archive, fifth)] == [1]
        assert blocked_sites(archive, fifth - 1) == []


def _blocked(passes: int) -> PassResult:
    site = BlockedSite("www.takungpao.com", 7, ARTICLE, "a CDN or firewall challenge (it says 'just a moment')", passes, "2025-12-19T02:17:00+00:00")
    return PassResult(run_id=9, counts=PassCounts(failed=7), blocked=[site])


@pytest.mark.parametrize(("passes", "told"), [(1, False), (2, True), (3, False), (4, True), (6, False), (8, True)])
def test_a_site_that_keeps_blocking_is_notified_at_2_4_8_passes(tmp_path: Path, passes: int, told: bool) -> None:
    out = tmp_path / "got.json"
    sent = notify(NotifySettings(command=f'cat > "{out}"; echo "$SERIES_ARCHIVER_EVENTS" > "{out}.env"'), _blocked(passes), archive=tmp_path / "s.db")
    assert sent == (["command"] if told else [])
    if told:
        body = json.loads(out.read_text(encoding="utf-8"))
        assert f"keeps blocking: www.takungpao.com blocked 7 URLs ({passes} passes in a row, since 2025-12-19T02:17:00+00:00)" in body["text"]
        assert body["blocked"][0]["site"] == "www.takungpao.com" and body["blocked"][0]["passes"] == passes
        assert (tmp_path / "got.json.env").read_text().strip() == "blocked"
    assert payload(_blocked(passes), archive=tmp_path / "s.db")["blocked"][0]["urls"] == 7


# pagekind._INVISIBLE finds a page's scripts, styles and comments run by run (possessive, no backtracking);
# it must find exactly what the plain lazy form finds, whatever the markup.
_LAZY_INVISIBLE = r"<(script|style|template|svg|head)\b[^>]*>.*?</\1\s*>|<!--.*?-->"
_MARKUP_PIECES = ["<script>", "<SCRIPT type=x>", "</script>", "</Script >", "</script", "<style>", "</style>", "<svg>", "</svg\n>",
                  "<head>", "<header>", "</head>", "<template>", "</template>", "<!--", "-->", "--->", "-", "--", "<", ">", "/",
                  "a", "中文", "\n", " ", "<p>", "</p>", "<scripts>"]


@given(st.lists(st.sampled_from(_MARKUP_PIECES), max_size=30))
def test_the_invisible_parts_are_those_the_lazy_expression_finds(pieces: list[str]) -> None:
    import re

    from series_archiver.read import pagekind

    markup = "".join(pieces)
    lazy = re.compile(_LAZY_INVISIBLE, re.IGNORECASE | re.DOTALL)
    assert pagekind._INVISIBLE.sub(" ", markup) == lazy.sub(" ", markup)
