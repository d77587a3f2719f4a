"""Bodies: broken, truncated, oversized, compressed, and gzip bombs."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import brotli  # type: ignore[import-untyped]
import pytest

from series_archiver.errors import TooLarge, TruncatedBody
from series_archiver.sources.live import Fetcher
from tests.support.scripted import (
    ARTICLE,
    HTML,
    TRAD,
    LocalSite,
    Reply,
    html_reply,
    outcomes,
    page,
)

# -- broken and oversized bodies -------------------------------------------------------------------------


def test_reset_mid_body_is_truncated(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, b"x" * 50_000, mode="reset_mid_body"))
    with pytest.raises(TruncatedBody) as info:
        make(retries=0).fetch(url)
    assert outcomes(info.value) == ["truncated"]
    assert info.value.attempts[0].status == 200


def test_content_length_larger_than_body(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    body = page().encode()
    url = site.route(ARTICLE, Reply(200, body, content_length=len(body) + 500))
    with pytest.raises(TruncatedBody) as info:
        make(retries=1).fetch(url)
    assert outcomes(info.value) == ["retry", "truncated"]  # a broken stream may be a passing glitch
    assert url in str(info.value)


def test_truncated_once_then_whole(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    body = page().encode()
    url = site.route(ARTICLE, Reply(200, body, content_length=len(body) + 500), html_reply())
    assert make().fetch(url).text == page()


def test_broken_chunked_stream(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, page(TRAD * 100).encode(), mode="chunked_broken"))
    with pytest.raises(TruncatedBody):
        make(retries=0).fetch(url)


def test_whole_chunked_stream(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, page(TRAD * 100).encode(), mode="chunked"))
    assert make().fetch(url).text == page(TRAD * 100)


def test_max_bytes_refused_up_front_by_content_length(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, b"a" * 200_000))
    with pytest.raises(TooLarge) as info:
        make(max_bytes=100_000).fetch(url)
    assert outcomes(info.value) == ["too_large"]
    assert info.value.attempts[0].bytes == 0
    assert "fetch.max_bytes" in str(info.value)


def test_max_bytes_while_streaming(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, b"a" * 300_000, mode="chunked"))
    with pytest.raises(TooLarge) as info:
        make(max_bytes=100_000).fetch(url)
    assert info.value.attempts[0].bytes < 200_000


def test_gzip_bomb_stops_early(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    headers = (("Content-Type", HTML), ("Content-Encoding", "gzip"))
    url = site.route(ARTICLE, Reply(200, bomb, headers))
    with pytest.raises(TooLarge) as info:
        make(max_bytes=100_000).fetch(url)
    assert len(bomb) < 100_000  # Content-Length alone would have let it through
    assert outcomes(info.value) == ["too_large"]


@pytest.mark.parametrize(
    "coding, compress",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
        ("br", brotli.compress),
    ],
)
def test_compressed_pages(
    site: LocalSite, make: Callable[..., Fetcher], coding: str, compress: Callable[[bytes], bytes]
) -> None:
    text = page(TRAD * 50)
    url = site.route(
        ARTICLE, Reply(200, compress(text.encode()), (("Content-Type", HTML), ("Content-Encoding", coding)))
    )
    got = make().fetch(url)
    assert got.text == text
    assert got.content == text.encode()


def test_corrupt_gzip_is_truncated(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    data = gzip.compress(page(TRAD * 50).encode())
    headers = (("Content-Type", HTML), ("Content-Encoding", "gzip"))
    url = site.route(ARTICLE, Reply(200, data[: len(data) // 2], headers))
    with pytest.raises(TruncatedBody) as info:
        make(retries=0).fetch(url)
    assert "ends early" in str(info.value)
