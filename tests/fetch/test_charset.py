"""Content types and text: non-HTML refused, charsets from header, BOM, meta and detection."""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx
import pytest

from series_archiver.errors import (
    NotHTML,
    UndecodableText,
)
from series_archiver.fetch import Fetcher
from series_archiver.fetch.charset import (
    DecodedPage,
    decode_page,
    parse_content_type,
    refuse_non_html,
)

from .scripted import (
    ARTICLE,
    SIMPLIFIED,
    LocalSite,
    Reply,
    outcomes,
    page,
)

# -- content type and text ---------------------------------------------------------------------------------


def test_non_html_is_refused(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, b"%PDF-1.4 ...", (("Content-Type", "application/pdf"),)))
    with pytest.raises(NotHTML) as info:
        make().fetch(url)
    assert "application/pdf" in str(info.value)
    assert outcomes(info.value) == ["refused"]
    assert site.hits(ARTICLE) == 1


def test_xhtml_is_accepted(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, page().encode(), (("Content-Type", "application/xhtml+xml; charset=utf-8"),)))
    assert make().fetch(url).content_type == "application/xhtml+xml"


def test_missing_content_type_is_sniffed(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    html_url = site.route("/a/1234567.html", Reply(200, page().encode(), ()))
    png_url = site.route("/a/7654321.html", Reply(200, b"\x89PNG\r\n\x1a\n" + bytes(100), ()))
    fetcher = make()
    assert fetcher.fetch(html_url).content_type == "text/html"
    with pytest.raises(NotHTML):
        fetcher.fetch(png_url)


def test_big5_declared_only_in_meta(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    text = page("大公報記者攝：香港嘅市民喺屋邨度食緊嘢，佢哋話今年嘅經濟會好啲。", head='<meta charset="big5">')
    url = site.route(ARTICLE, Reply(200, text.encode("big5hkscs"), (("Content-Type", "text/html"),)))
    got = make().fetch(url)
    assert got.text == text
    assert got.encoding == "big5hkscs"


def test_big5_declared_in_http_equiv(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=big5">'
    text = page("香港嘅市民", head=head)
    url = site.route(ARTICLE, Reply(200, text.encode("big5hkscs"), (("Content-Type", "text/html"),)))
    assert make().fetch(url).text == text


def test_gbk_declared_in_header(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    text = page(SIMPLIFIED)  # 镕 is in GBK, not in GB2312: the declared gb2312 is read as gb18030
    url = site.route(ARTICLE, Reply(200, text.encode("gbk"), (("Content-Type", "text/html; charset=gb2312"),)))
    got = make().fetch(url)
    assert got.text == text
    assert got.encoding == "gb18030"


def test_gbk_undeclared_is_detected(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    text = page(SIMPLIFIED * 3)
    url = site.route(ARTICLE, Reply(200, text.encode("gbk"), (("Content-Type", "text/html"),)))
    got = make().fetch(url)
    assert got.text == text
    assert got.encoding == "gb18030"


def test_bom_beats_a_wrong_header(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    text = page()
    url = site.route(
        ARTICLE, Reply(200, b"\xef\xbb\xbf" + text.encode(), (("Content-Type", "text/html; charset=gbk"),))
    )
    got = make().fetch(url)
    assert got.text == text
    assert got.content.decode(got.encoding) == got.text


def test_binary_junk_is_undecodable(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    junk = random.Random(7).randbytes(20_000)
    url = site.route(ARTICLE, Reply(200, junk, (("Content-Type", "text/html"),)))
    with pytest.raises(UndecodableText) as info:
        make().fetch(url)
    assert outcomes(info.value) == ["error"]
    assert info.value.attempts[0].status == 200
    assert url in str(info.value)


# -- decoding on its own ---------------------------------------------------------------------------------


def test_decode_page_names_codec_and_type() -> None:
    body = page().encode("big5hkscs")
    got = decode_page(ARTICLE, httpx.Headers({"Content-Type": "text/html; charset=big5"}), body, len(body))
    assert got == DecodedPage(text=page(), encoding="big5hkscs", content_type="text/html")


def test_decode_page_reports_what_was_received() -> None:
    with pytest.raises(NotHTML) as info:
        decode_page(ARTICLE, httpx.Headers(), b"\x89PNG\r\n\x1a\n" + bytes(100), 60)
    assert vars(info.value)["received"] == 60 and vars(info.value)["content_type"] is None


@pytest.mark.parametrize(
    "value, parsed",
    [
        (None, (None, None)),
        ("text/html", ("text/html", None)),
        ("TEXT/HTML ; Charset = 'GB2312'", ("text/html", "GB2312")),
        ("; charset=utf-8", (None, "utf-8")),
    ],
)
def test_parse_content_type(value: str | None, parsed: tuple[str | None, str | None]) -> None:
    assert parse_content_type(value) == parsed


def test_refuse_non_html_lets_html_and_undeclared_through() -> None:
    refuse_non_html(ARTICLE, httpx.Headers({"Content-Type": "application/xhtml+xml"}))
    refuse_non_html(ARTICLE, httpx.Headers())
    with pytest.raises(NotHTML):
        refuse_non_html(ARTICLE, httpx.Headers({"Content-Type": "image/png"}))
