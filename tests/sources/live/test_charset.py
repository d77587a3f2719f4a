"""Content types and text: non-HTML refused, charsets from header, BOM, meta and detection."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from series_archiver.errors import NotHTML, UndecodableText
from series_archiver.read.charset import DecodedPage, decode_page, parse_content_type, refuse_non_html
from series_archiver.sources.live import Fetcher
from tests.support.scripted import (
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


# -- damaged bytes ------------------------------------------------------------------------------------------

DAMAGED = b"\xff"  # no GBK or Big5 character starts with 0xFF: one damaged byte in either


def test_gbk_with_a_damaged_byte_is_read_with_replacement(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    body = page(SIMPLIFIED * 3).encode("gbk")
    cut = body.index("改革".encode("gbk"))
    body = body[:cut] + DAMAGED + body[cut:]  # declared nowhere, so detection cannot save it
    url = site.route(ARTICLE, Reply(200, body, (("Content-Type", "text/html"),)))
    got = make().fetch(url)
    assert got.encoding == "gb18030"
    assert got.replaced_bytes == 1
    assert got.text == page(SIMPLIFIED * 3).replace("改革", "\ufffd改革", 1)
    assert got.content == body  # the raw bytes stay as evidence


def test_big5_with_a_damaged_byte_is_read_as_big5_hkscs(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    text = page("大公報記者報道：香港的市民在屋邨裡生活，他們說今年的經濟會好一些。中國企業堅持自主創新，以科技突破回應外部挑戰。" * 2)
    body = text.encode("big5hkscs")
    cut = body.index("經濟".encode("big5hkscs"))
    body = body[:cut] + DAMAGED + body[cut:]
    url = site.route(ARTICLE, Reply(200, body, (("Content-Type", "text/html"),)))
    got = make().fetch(url)
    # GB18030 also reads these bytes with one error, into rare characters: the common ones decide.
    assert got.encoding == "big5hkscs"
    assert got.replaced_bytes == 1
    assert got.text == text.replace("經濟", "\ufffd經濟", 1)


def test_declared_gb2312_with_damaged_bytes_keeps_its_codec(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    body = page(SIMPLIFIED * 4).encode("gbk")
    body = body.replace("改革".encode("gbk"), "改".encode("gbk") + b"\xa1", 1)  # half a character
    url = site.route(ARTICLE, Reply(200, body, (("Content-Type", "text/html; charset=gb2312"),)))
    got = make().fetch(url)
    assert got.encoding == "gb18030" and got.replaced_bytes >= 1
    assert "朱镕基" in got.text and "\ufffd" in got.text


def test_clean_pages_replace_nothing(site: LocalSite, make: Callable[..., Fetcher]) -> None:
    url = site.route(ARTICLE, Reply(200, page(SIMPLIFIED).encode("gbk"), (("Content-Type", "text/html; charset=gbk"),)))
    assert make().fetch(url).replaced_bytes == 0


def test_too_much_damage_is_still_undecodable() -> None:
    body = page(SIMPLIFIED * 3).encode("gbk")
    body = b"".join(body[i : i + 7] + DAMAGED for i in range(0, len(body), 7))  # one byte in eight
    with pytest.raises(UndecodableText):
        decode_page(ARTICLE, httpx.Headers({"Content-Type": "text/html"}), body, len(body))


def test_detection_answers_only_news_encodings() -> None:
    # A GBK page with damage used to be detected as ptcp154 (Kazakh): never an exotic codec now.
    body = page(SIMPLIFIED * 5).encode("gbk") + DAMAGED + "结束".encode("gbk")
    got = decode_page(ARTICLE, httpx.Headers({"Content-Type": "text/html"}), body, len(body))
    assert got.encoding == "gb18030" and got.replaced_bytes == 1


def test_replaced_bytes_are_stored_with_the_capture(site: LocalSite, make: Callable[..., Fetcher], tmp_path: Path) -> None:
    from series_archiver.archive import Archive

    body = page(SIMPLIFIED * 3).encode("gbk") + DAMAGED
    url = site.route(ARTICLE, Reply(200, body, (("Content-Type", "text/html"),)))
    fetched = make().fetch(url)
    with Archive(tmp_path / "a.db") as archive:
        capture_id, _ = archive.add_capture(fetched, article_id=None)
        row = archive.conn.execute("SELECT replaced_bytes FROM captures WHERE id = ?", (capture_id,)).fetchone()
        assert row[0] == 1
        assert archive.capture_bytes(capture_id) == body
