"""The replica of the sites: real servers on 127.0.0.1, the packaged data tree, its manifest.

Every request here goes to the loopback servers that ``ReplicaSite`` starts;
the real hosts appear only as keys that ``local_url`` maps.
"""

from __future__ import annotations

import gzip
import html
import importlib.util
import re
import sys
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.robotparser import RobotFileParser

import httpx
import pytest

from series_archiver.demo.replica import ReplicaSite
from tests.support.paths import REPO

SEED_DIR = REPO.parent / "shared" / "seed"
DATA = REPO / "src" / "series_archiver" / "demo" / "replica_site"

ARTICLE_1 = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"
ARTICLE_2 = "https://www.takungpao.com/news/232108/2025/1216/1050318.html"
LIST_1 = "https://www.takungpao.com/news/232108/index.html"
REAL_ORIGIN = re.compile(r"https?://(?:[a-z0-9-]+\.)*(?:takungpao\.com(?:\.hk)?|tkww\.hk)(?![a-z0-9.-])", re.I)


@pytest.fixture(scope="module")
def site() -> Iterator[ReplicaSite]:
    """A replica shared by the read-only tests."""
    with ReplicaSite() as replica:
        yield replica


@pytest.fixture
def fresh() -> Iterator[ReplicaSite]:
    """A replica of its own, for tests that change pages."""
    with ReplicaSite() as replica:
        yield replica


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    # trust_env=False: a proxy set in the environment must not see loopback traffic.
    with httpx.Client(timeout=10, trust_env=False) as c:
        yield c


def get(client: httpx.Client, site: ReplicaSite, real_url: str, **headers: str) -> httpx.Response:
    return client.get(site.local_url(real_url), headers=headers)


# --- origins and URLs ---------------------------------------------------------


def test_every_host_has_a_loopback_server_for_both_schemes(site: ReplicaSite) -> None:
    assert set(site.hosts) == {
        "www.takungpao.com",
        "www.takungpao.com.hk",
        "img.takungpao.com",
        "epaper.tkww.hk",
        "www.tkww.hk",
    }
    for host in site.hosts:
        local = site.origins[f"https://{host}"]
        assert site.origins[f"http://{host}"] == local
        assert local.startswith("http://127.0.0.1:")
    assert len(set(site.origins.values())) == len(site.hosts)


def test_local_and_real_urls_map_both_ways(site: ReplicaSite) -> None:
    local = site.local_url(ARTICLE_1 + "?from=list#top")
    assert local.startswith(site.origins["https://www.takungpao.com"] + "/news/")
    assert site.real_url(local) == ARTICLE_1 + "?from=list#top"
    assert site.local_url(ARTICLE_1.replace("https:", "http:")) == site.local_url(ARTICLE_1)
    with pytest.raises(ValueError):
        site.local_url("https://example.org/")
    with pytest.raises(ValueError):
        site.real_url("http://127.0.0.1:1/")


def test_served_pages_link_back_into_the_replica(site: ReplicaSite, client: httpx.Client) -> None:
    body = get(client, site, ARTICLE_2).text
    assert not REAL_ORIGIN.search(body), "a real origin survived the rewrite"
    # ②'s related box links ① on the .com.hk mirror: that link must reach the
    # mirror's own server, not www.takungpao.com's with ".hk" glued on.
    mirror = site.local_url("https://www.takungpao.com.hk/news/232108/2025/1215/1050001.html")
    assert f'href="{mirror}"' in body
    assert site.origins["https://www.takungpao.com"] + ".hk" not in body
    # The file itself keeps the real origins.
    assert "https://www.takungpao.com.hk/" in site.text(ARTICLE_2)


def test_a_client_naming_the_real_host_gets_the_real_links(site: ReplicaSite, client: httpx.Client) -> None:
    # What a transport routing real URLs to loopback sends: the real Host header.
    response = get(client, site, ARTICLE_2, Host="www.takungpao.com", **{"Accept-Encoding": "identity"})
    assert response.text == site.text(ARTICLE_2)
    assert "127.0.0.1" not in response.text
    moved = get(client, site, "https://www.tkww.hk/hongkong", Host="www.tkww.hk")
    assert moved.headers["location"] == "https://www.tkww.hk/hongkong/"
    # Same page, same ETag, whichever way it was asked for.
    assert response.headers["etag"] == get(client, site, ARTICLE_2, **{"Accept-Encoding": "identity"}).headers["etag"]


def test_relative_and_absolute_links_of_a_list_page_resolve(site: ReplicaSite, client: httpx.Client) -> None:
    page = get(client, site, LIST_1)
    hrefs = re.findall(r'(?:href|src)="([^"]+)"', page.text)
    local = [str(page.url.join(h)) for h in hrefs if not h.startswith("javascript:")]
    assert local
    for url in local:
        if "/search/" in url or "/private/" in url:
            continue
        assert client.get(url).status_code == 200, site.real_url(url)


# --- HTTP behaviour -------------------------------------------------------------


def test_content_types(site: ReplicaSite, client: httpx.Client) -> None:
    assert get(client, site, ARTICLE_1).headers["content-type"] == "text/html; charset=utf-8"
    robots = get(client, site, "https://www.tkww.hk/robots.txt")
    assert robots.headers["content-type"] == "text/plain; charset=utf-8"
    jpeg = get(client, site, "https://img.takungpao.com/2025/1215/1765743865.jpg")
    assert jpeg.headers["content-type"] == "image/jpeg"
    assert "content-encoding" not in jpeg.headers  # pictures are not gzipped
    assert jpeg.content[:2] == b"\xff\xd8" and jpeg.content[-2:] == b"\xff\xd9"


def test_robots_txt_allows_all_but_search_and_private(site: ReplicaSite, client: httpx.Client) -> None:
    for host in site.hosts:
        text = get(client, site, f"https://{host}/robots.txt").text
        assert "Crawl-delay" not in text  # keeps the demo fast
        robots = RobotFileParser()
        robots.parse(text.splitlines())
        assert robots.can_fetch("series-archiver", f"https://{host}/news/232108/index.html")
        assert not robots.can_fetch("series-archiver", f"https://{host}/private/x.html")
        assert not robots.can_fetch("series-archiver", f"https://{host}/search/?q=1")


def test_etag_and_last_modified_answer_304(site: ReplicaSite, client: httpx.Client) -> None:
    first = get(client, site, ARTICLE_1)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}(-gzip)?"', etag)
    again = get(client, site, ARTICLE_1, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert get(client, site, ARTICLE_1, **{"If-None-Match": f"W/{etag}"}).status_code == 304
    assert get(client, site, ARTICLE_1, **{"If-None-Match": '"other"'}).status_code == 200
    assert get(client, site, ARTICLE_1, **{"If-Modified-Since": last_modified}).status_code == 304
    earlier = format_datetime(datetime(2025, 1, 1, tzinfo=UTC), usegmt=True)
    assert get(client, site, ARTICLE_1, **{"If-Modified-Since": earlier}).status_code == 200


def test_etag_is_the_same_on_every_run(site: ReplicaSite, client: httpx.Client) -> None:
    # The ports differ between runs; the ETag must not, or no re-run would see a 304.
    with ReplicaSite() as other:
        assert other.origins != site.origins
        assert get(client, other, ARTICLE_1).headers["etag"] == get(client, site, ARTICLE_1).headers["etag"]


def test_gzip_only_when_asked(site: ReplicaSite, client: httpx.Client) -> None:
    url = site.local_url(ARTICLE_1)
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as zipped:
        raw = b"".join(zipped.iter_raw())
        assert zipped.headers["content-encoding"] == "gzip"
        assert zipped.headers["vary"] == "Accept-Encoding"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert gzip.decompress(raw) == plain.content
    assert int(plain.headers["content-length"]) == len(plain.content)
    # Two representations, two strong ETags.
    assert zipped.headers["etag"] != plain.headers["etag"]
    refused = client.get(url, headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_head_sends_headers_only(site: ReplicaSite, client: httpx.Client) -> None:
    head = client.head(site.local_url(ARTICLE_1), headers={"Accept-Encoding": "identity"})
    full = client.get(site.local_url(ARTICLE_1), headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == full.headers["content-length"]
    assert head.headers["etag"] == full.headers["etag"]


def test_missing_pages_get_the_404_page(site: ReplicaSite, client: httpx.Client) -> None:
    for url in (
        "https://www.takungpao.com/news/232108/2025/1215/9999999.html",
        "https://www.takungpao.com/paper/20251214.html",  # no paper that day
        "https://epaper.tkww.hk/nothing",
        "https://www.takungpao.com/../../etc/passwd",
    ):
        response = get(client, site, url)
        assert response.status_code == 404, url
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "頁面不存在" in response.text
        assert "etag" not in response.headers


def test_a_folder_without_its_slash_redirects(site: ReplicaSite, client: httpx.Client) -> None:
    response = get(client, site, "https://www.tkww.hk/hongkong")
    assert response.status_code == 301
    assert response.headers["location"] == site.local_url("https://www.tkww.hk/hongkong/")
    assert get(client, site, "https://www.tkww.hk/hongkong/").status_code == 200


def test_requests_are_logged_with_real_urls(fresh: ReplicaSite, client: httpx.Client) -> None:
    get(client, fresh, ARTICLE_1 + "?a=1", **{"User-Agent": "replica-test", "Accept-Encoding": "identity"})
    get(client, fresh, "https://www.takungpao.com/missing.html")
    client.head(fresh.local_url(ARTICLE_1))
    first, missing, head = fresh.requests
    assert (first.method, first.real_url, first.status) == ("GET", ARTICLE_1 + "?a=1", 200)
    assert first.headers["user-agent"] == "replica-test"
    assert first.bytes_sent == len(fresh.rewrite(fresh.text(ARTICLE_1)).encode())
    assert (missing.status, missing.real_url) == (404, "https://www.takungpao.com/missing.html")
    assert (head.method, head.bytes_sent) == ("HEAD", 0)


def test_the_servers_write_nothing_to_stderr(
    fresh: ReplicaSite, client: httpx.Client, capfd: pytest.CaptureFixture[str]
) -> None:
    get(client, fresh, ARTICLE_1)
    get(client, fresh, "https://www.takungpao.com/missing.html")
    # A client that hangs up mid-body must not print a traceback either.
    with client.stream("GET", fresh.local_url(ARTICLE_1), headers={"Accept-Encoding": "identity"}) as r:
        next(r.iter_raw(16))
    _, err = capfd.readouterr()
    assert err == ""


# --- changing pages --------------------------------------------------------------


def test_edit_changes_the_body_and_its_validators(fresh: ReplicaSite, client: httpx.Client) -> None:
    before = get(client, fresh, ARTICLE_1)
    assert "1萬億元" in before.text
    fresh.edit(ARTICLE_1, "1萬億元", "1.2萬億元")
    after = get(client, fresh, ARTICLE_1)
    assert "1.2萬億元" in after.text and "1萬億元" not in after.text
    assert after.headers["etag"] != before.headers["etag"]
    assert _date(after.headers["last-modified"]) > _date(before.headers["last-modified"])
    # Validators of the old version must not produce a 304 for the new one.
    assert get(client, fresh, ARTICLE_1, **{"If-None-Match": before.headers["etag"]}).status_code == 200
    assert get(client, fresh, ARTICLE_1, **{"If-Modified-Since": before.headers["last-modified"]}).status_code == 200
    # Edits stack on the current version, and are rewritten like any page.
    fresh.edit(ARTICLE_1, "1.2萬億元", "1.3萬億元")
    third = get(client, fresh, ARTICLE_1)
    assert "1.3萬億元" in third.text and not REAL_ORIGIN.search(third.text)
    assert _date(third.headers["last-modified"]) > _date(after.headers["last-modified"])


def test_edit_of_absent_text_or_page_raises(fresh: ReplicaSite) -> None:
    with pytest.raises(ValueError, match="not in the page"):
        fresh.edit(ARTICLE_1, "沒有這段文字", "x")
    with pytest.raises(LookupError):
        fresh.edit("https://www.takungpao.com/missing.html", "a", "b")
    with pytest.raises(ValueError, match="not replicated"):
        fresh.edit("https://example.org/x.html", "a", "b")


def test_remove_then_restore(fresh: ReplicaSite, client: httpx.Client) -> None:
    original = get(client, fresh, ARTICLE_2, **{"Accept-Encoding": "identity"})
    fresh.remove(ARTICLE_2)
    gone = get(client, fresh, ARTICLE_2)
    assert gone.status_code == 404 and "頁面不存在" in gone.text
    fresh.remove(ARTICLE_2, status=410)
    assert get(client, fresh, ARTICLE_2).status_code == 410
    fresh.restore(ARTICLE_2)
    back = get(client, fresh, ARTICLE_2, **{"Accept-Encoding": "identity"})
    assert back.status_code == 200 and back.content == original.content
    assert back.headers["etag"] == original.headers["etag"]
    # Restored content is newer than the takedown: Last-Modified moved on.
    assert _date(back.headers["last-modified"]) > _date(original.headers["last-modified"])


def test_set_page_serves_new_pages_statuses_and_headers(fresh: ReplicaSite, client: httpx.Client) -> None:
    new = "https://www.takungpao.com/news/232108/2025/1219/1051500.html"
    fresh.set_page(new, '<html><body><a href="https://www.tkww.hk/">x</a>貿戰下中國力量⑤</body></html>')
    page = get(client, fresh, new)
    assert page.status_code == 200 and "貿戰下中國力量⑤" in page.text
    assert fresh.origins["https://www.tkww.hk"] + "/" in page.text
    fresh.set_page(ARTICLE_1, "", status=301, headers={"Location": LIST_1})
    moved = get(client, fresh, ARTICLE_1)
    assert moved.status_code == 301 and moved.headers["location"] == fresh.local_url(LIST_1)
    fresh.set_page("https://www.takungpao.com/data.json", b'{"a": 1}', headers={"Content-Type": "application/json"})
    assert get(client, fresh, "https://www.takungpao.com/data.json").json() == {"a": 1}


def _date(http_date: str) -> datetime:
    return parsedate_to_datetime(http_date)


# --- the manifest ----------------------------------------------------------------


def _all_manifest_urls(manifest: dict[str, Any]) -> list[str]:
    urls: list[str] = [*manifest["list_pages"], *manifest["start_urls"], manifest["paper_index"]]
    urls.append(manifest["home_page"])
    for inst in manifest["installments"]:
        urls += inst["urls"] + inst["pages"]
        urls += [entry["list_url"] for entry in inst["listed_as"]] + [entry["url"] for entry in inst["listed_as"]]
    urls += [d["url"] for d in manifest["distractors"]] + [u["url"] for u in manifest["unrelated"]]
    urls += manifest["images"]
    urls.append(manifest["robots_disallowed"]["url"])  # exists, so a crawler ignoring robots would be caught
    return list(dict.fromkeys(urls))


def test_every_manifest_url_resolves(site: ReplicaSite, client: httpx.Client) -> None:
    urls = _all_manifest_urls(site.manifest)
    assert len(urls) > 50
    for url in urls:
        assert get(client, site, url).status_code == 200, url


def test_manifest_describes_four_installments_one_day_apart(site: ReplicaSite) -> None:
    installments = site.manifest["installments"]
    assert [i["number"] for i in installments] == [1, 2, 3, 4]
    assert [i["label"] for i in installments] == ["志氣篇", "底氣篇", "骨氣篇", "硬氣篇"]
    times = [datetime.fromisoformat(i["published"]) for i in installments]
    assert all(t.isoformat().endswith("+08:00") and (t.hour, t.minute) == (4, 24) for t in times)  # print stamps
    assert [(b.date() - a.date()).days for a, b in pairwise(times)] == [1, 1, 1]
    assert len(installments[2]["pages"]) == 2  # ③ runs over two pages
    assert [len(i["editor_note"]) > 0 for i in installments] == [True, True, True, False]
    assert installments[1]["editor_note"] == installments[2]["editor_note"]
    for inst in installments:
        assert inst["story_chars"] >= 1500
        assert inst["paragraph_count"] == len(inst["paragraphs"])
        assert inst["byline_line"] == "大公報記者 " + inst["byline"]
        assert inst["cuts"] and inst["captions"] and inst["caption_fragments"]


_PARAGRAPH_ROLES = ("paragraph", "editor_note", "pull_quote")


def test_manifest_text_is_what_the_pages_print(site: ReplicaSite) -> None:
    for inst in site.manifest["installments"]:
        pages = [site.text(url) for url in inst["pages"]]
        first = pages[0]
        assert re.search(rf'<h[12] class="tkp_con_title">{re.escape(inst["title_raw"])}</h[12]>', first)
        assert datetime.fromisoformat(inst["published"]).strftime("%Y-%m-%d %H:%M:%S") in first
        assert html.escape(inst["editor_line"]) in pages[-1]
        # Every printed line is on its page, in order.
        for page, lines in zip(pages, inst["printed_lines"], strict=True):
            content = page.split('class="tkp_content"', 1)[1]
            at = 0
            for line in lines:
                found = content.find(html.escape(line["text"].removeprefix(line.get("lead", ""))), at)
                assert found >= 0, (inst["number"], line)
                at = found
        # The cleaned paragraphs are the printed paragraph pieces, rejoined.
        pieces = [ln["text"] for page in inst["printed_lines"] for ln in page if ln["role"] in _PARAGRAPH_ROLES]
        assert "".join(pieces) == "".join(inst["paragraphs"])
        captions = [ln["text"] for page in inst["printed_lines"] for ln in page if ln["role"] == "caption"]
        assert captions == ["▲" + c for c in inst["captions"]]
        assert ("1萬億元" in first) == (inst["number"] == 1)


def test_copies_carry_the_same_text(site: ReplicaSite) -> None:
    by_number = {i["number"]: i for i in site.manifest["installments"]}
    mirror = site.text("https://www.takungpao.com.hk/news/232108/2025/1215/1050001.html")
    assert '<h1 class="tkp_con_title">' in mirror
    for para in by_number[1]["paragraphs"][:3]:
        assert html.escape(para) in mirror
    epaper = site.text(by_number[2]["copies"][1]["url"])
    assert '"datePublished": "Tue Dec 16 04:24:11 HKT 2025"' in epaper
    assert "- 大公報 | 大公文匯 www.tkww.hk</title>" in epaper
    # The e-paper differs only in the width of some punctuation.
    body = html.unescape(epaper.split("content-body-inner", 1)[1])
    assert "(" in body and ":" in body
    inner = unicodedata.normalize("NFKC", html.unescape(epaper))
    for page in by_number[2]["printed_lines"]:
        for line in page:
            if line["role"] != "image":
                assert unicodedata.normalize("NFKC", line["text"]) in inner, line
    simplified = site.text(by_number[4]["copies"][1]["url"])
    assert by_number[4]["copies"][1]["title"] in simplified
    assert "贸战下中国力量" in simplified and "貿戰" not in simplified


def test_list_pages_spread_the_installments(site: ReplicaSite) -> None:
    manifest = site.manifest
    where = {i["number"]: {e["list_url"] for e in i["listed_as"]} for i in manifest["installments"]}
    news = [u for u in manifest["list_pages"] if "/news/232108/" in u]
    assert len(news) == 3
    assert where[1] & set(news) == {news[2]}  # ① only on the last page
    assert where[2] & set(news) == {news[1]}
    assert manifest["paper_index"] in where[1]
    titles = [e["title"] for i in manifest["installments"] for e in i["listed_as"]]
    for separator in ("｜", "︱", "\\", "/"):
        assert any(separator in t for t in titles), separator
    for entry in (e for i in manifest["installments"] for e in i["listed_as"]):
        assert html.escape(entry["title"], quote=True) in site.text(entry["list_url"])
        assert f'href="{entry["url"]}"' in site.text(entry["list_url"])


def test_the_private_link_is_listed_but_disallowed(site: ReplicaSite) -> None:
    private = site.manifest["robots_disallowed"]
    assert private["path"].startswith(private["disallow_rule"])
    assert f'href="{private["url"]}"' in site.text(private["linked_from"])
    robots = RobotFileParser()
    robots.parse(site.text("https://www.takungpao.com/robots.txt").splitlines())
    assert not robots.can_fetch("series-archiver", private["url"])


def test_distractors_are_not_installments(site: ReplicaSite) -> None:
    titles = [d["title"] for d in site.manifest["distractors"]]
    assert "中國力量閃耀冬季運動會" in titles and "貿戰陰霾下港股反彈" in titles
    assert not any(re.search(r"貿戰下中國力量[①-⑳]", t) for t in titles)


# --- the data tree -------------------------------------------------------------------


def test_data_tree_matches_its_generator(tmp_path: Path) -> None:
    pytest.importorskip("opencc")
    spec = importlib.util.spec_from_file_location("replica_generate", REPO / "tools" / "replica_gen.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    module.main([str(tmp_path)])
    generated = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    packaged = {
        p.relative_to(DATA): p.read_bytes()
        for p in DATA.rglob("*")
        if p.is_file() and p.name != "_generate.py" and "__pycache__" not in p.parts
    }
    assert sorted(map(str, generated)) == sorted(map(str, packaged)), "run tools/replica_gen.py"
    stale = [str(path) for path, data in generated.items() if packaged[path] != data]
    assert not stale, f"hand-edited or stale (run tools/replica_gen.py): {stale}"


# --- no real article text --------------------------------------------------------------

# The series' own name is the one 12-character run the replica must share with
# a printed installment: it is what the archiver looks for.
SERIES_NAME = "貿戰下中國力量① 志氣篇"
RUN = 12


def _fold(text: str) -> str:
    """Width-, space- and script-insensitive, so a copied run cannot hide."""
    text = unicodedata.normalize("NFKC", text.replace(SERIES_NAME, "\n"))
    try:
        import opencc

        text = opencc.OpenCC("t2s").convert(text)
    except ImportError:  # the check still runs on the traditional text
        pass
    return re.sub(r"[ \t\u3000]+", "", text)


@pytest.mark.seed
def test_no_run_of_the_seed_is_in_the_replica() -> None:
    seeds = sorted(SEED_DIR.glob("*.txt"))
    if not seeds:
        pytest.skip(f"no seed text at {SEED_DIR} (it sits beside the repository in CI)")
    runs: set[str] = set()
    for seed in seeds:
        for line in _fold(seed.read_text(encoding="utf-8")).splitlines():
            runs.update(line[i : i + RUN] for i in range(len(line) - RUN + 1))
    offenders = []
    for path in sorted(DATA.rglob("*")):
        if not path.is_file() or path.suffix not in (".html", ".txt", ".json", ".py"):
            continue
        text = _fold(path.read_text(encoding="utf-8"))
        hits = {text[i : i + RUN] for i in range(len(text) - RUN + 1)} & runs
        if hits:
            offenders.append(f"{path.relative_to(DATA)}: {sorted(hits)[:3]}")
    assert not offenders, "seed text copied into the replica:\n" + "\n".join(offenders)
