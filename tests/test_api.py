"""The library's stable API at the package's top level: every name there, ``extract_article`` and ``open_archive``."""

from __future__ import annotations

import sqlite3
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import series_archiver
from series_archiver import ExtractedArticle, extract_article, open_archive
from series_archiver.errors import ExtractError, StoreError
from tests.support.crawl import Crawler

MAIN = "https://www.takungpao.com/news/232108/2025/1215/1050001.html"


def replica_page(url: str) -> bytes:
    parts = urlsplit(url)
    return resources.files("series_archiver.demo").joinpath("replica_site", parts.hostname or "", *parts.path.strip("/").split("/")).read_bytes()


def test_every_public_name_resolves_and_is_documented() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "library.md").read_text(encoding="utf-8")
    for name in series_archiver.__all__:
        assert getattr(series_archiver, name) is not None
        assert f"`{name}`" in docs, f"docs/library.md does not name {name}"
    assert series_archiver.__version__


def test_extract_article_reads_a_page_as_the_archive_stores_it(crawler: Crawler) -> None:
    crawler.crawl()
    found = extract_article(replica_page(MAIN), MAIN, {"Content-Type": "text/html; charset=utf-8"})
    assert isinstance(found, ExtractedArticle)
    assert (found.series, found.installment, found.label) == ("貿戰下中國力量", 1, "志氣篇")
    assert found.published is not None and found.published.isoformat().startswith("2025-12-15")
    assert found.byline and found.profile == "takungpao"
    conn = sqlite3.connect(f"file:{crawler.settings.archive.db}?mode=ro", uri=True)
    title, text, content_hash = conn.execute(
        "SELECT v.title, v.text, v.content_hash FROM versions v JOIN articles a ON a.id = v.article_id WHERE a.url = ? AND v.version = 1", (MAIN,)
    ).fetchone()
    conn.close()
    assert (found.title, found.text, found.content_hash) == (title, text, content_hash)


def test_extract_article_decodes_legacy_chinese_bytes() -> None:
    body = "<p>這是一段用傳統中文編碼寫成的示例文字，足夠長，抽取器會認得它是正文，並且以句號結束。</p>" * 10
    html = f'<html><head><meta charset="big5"><title>示例新聞</title></head><body><h1>示例新聞</h1><article>{body}</article></body></html>'
    found = extract_article(html.encode("big5"), "https://news.example.org/a/2.html")
    assert "傳統中文編碼" in found.text and found.series == "unsorted" and found.installment is None


def test_extract_article_says_when_a_page_holds_no_article() -> None:
    with pytest.raises(ExtractError):
        extract_article("<html><body></body></html>", "https://news.example.org/empty.html")


def test_open_archive_reads_without_writing(crawler: Crawler, tmp_path: Path) -> None:
    crawler.crawl()
    db = crawler.settings.archive.db
    before = db.stat().st_mtime_ns
    with open_archive(db) as archive:
        assert archive.readonly
        titles = [row.title for row in archive.articles()]
    assert len(titles) >= 4 and any("志氣篇" in t for t in titles)
    assert db.stat().st_mtime_ns == before
    with pytest.raises(StoreError):
        open_archive(tmp_path / "none.db").articles()
