"""Is it a web page, and what text does it hold: content type, charset and strict decoding.

A declared non-HTML type is refused before its body is downloaded; a page with no
Content-Type must look like HTML (WHATWG sniffing). The text is decoded strictly with
the first codec that gives clean text, most authoritative first: BOM, header, ``<meta>``,
UTF-8, then detection. Legacy Chinese labels are read as their supersets, as browsers do.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass

import charset_normalizer
import httpx

from ..errors import NotHTML, UndecodableText

__all__ = ["DecodedPage", "decode_page", "parse_content_type", "refuse_non_html"]

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# WHATWG MIME sniffing: what a page without a Content-Type must start with to count as HTML.
_HTML_START = re.compile(
    rb"\s*(?:<!doctype\s+html|<(?:html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p|meta)"
    rb"[\s>/]|<!--)",
    re.IGNORECASE,
)
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.IGNORECASE)
# Control characters (bar tab, newlines, form feed), C1 controls and U+FFFD: what junk decodes into.
_JUNK = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
# Any 8-bit codec turns random bytes into ~11% control characters; real pages have next to none.
_JUNK_RATIO = 0.05
# gb2312/gbk pages routinely use characters only their superset has; same for big5 in Hong Kong.
# Browsers also read "latin-1" and "ascii" as windows-1252.
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs", "ascii": "cp1252", "iso8859-1": "cp1252"}
_WEB_LABELS = {"x-gbk": "gbk", "x-big5": "big5", "x-sjis": "shift_jis", "x-euc-tw": "euc_tw"}


@dataclass(frozen=True)
class DecodedPage:
    """The text of a page, the codec that gave it, and its media type (``text/html`` when sniffed)."""

    text: str
    encoding: str
    content_type: str


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """(media type, charset) of a Content-Type header, each None when absent.

    >>> parse_content_type('Text/HTML; charset="big5"')
    ('text/html', 'big5')
    """
    if not value:
        return None, None
    media_type = value.split(";", 1)[0].strip().lower() or None
    match = re.search(r"charset\s*=\s*[\"']?([^\"';\s]+)", value, re.IGNORECASE)
    return media_type, match.group(1) if match else None


def refuse_non_html(url: str, headers: httpx.Headers) -> None:
    """Refuse a declared non-HTML type before any of its body is downloaded."""
    media_type, _ = parse_content_type(headers.get("content-type"))
    if media_type is not None and media_type not in _HTML_TYPES:
        raise NotHTML(
            url,
            f"content type {media_type!r} is not a web page (only text/html and application/xhtml+xml "
            "are archived); check that the URL points at an article",
            content_type=media_type,
        )


def decode_page(url: str, headers: httpx.Headers, content: bytes, received: int) -> DecodedPage:
    """The text of a 200 body, or ``NotHTML`` / ``UndecodableText`` (``received`` raw bytes)."""
    media_type, charset = parse_content_type(headers.get("content-type"))
    if media_type is None:
        if not _HTML_START.match(content.removeprefix(b"\xef\xbb\xbf")[:1024]):
            raise NotHTML(
                url,
                "no Content-Type, and the body does not look like HTML; check that the URL points at an article",
                received=received,
                content_type=None,
            )
        media_type = "text/html"
    try:
        text, encoding = _decode_html(content, charset)
    except ValueError as exc:
        raise UndecodableText(
            url,
            f"no encoding gives clean text (tried {exc}); the body looks binary or damaged, "
            "open the URL in a browser to check",
            received=received,
        ) from None
    return DecodedPage(text=text, encoding=encoding, content_type=media_type)


def _decode_html(content: bytes, header_charset: str | None) -> tuple[str, str]:
    """Strictly decoded text and the codec used; ``ValueError`` naming the codecs tried."""
    tried: list[str] = []
    for label, source in _encoding_candidates(content, header_charset):
        codec = _codec(label, source)
        if codec is None or codec in tried:
            continue
        tried.append(codec)
        try:
            text = content.decode(codec)
        except UnicodeDecodeError:
            continue
        if len(_JUNK.findall(text)) <= len(text) * _JUNK_RATIO:
            return text, codec
    raise ValueError(", ".join(tried) or "none")


def _encoding_candidates(content: bytes, header_charset: str | None) -> Iterator[tuple[str, str]]:
    """Labels to try, most authoritative first; lazy, so detection only runs when needed."""
    # A BOM beats the header (as in browsers): it cannot be there by accident, a header can be stale.
    if content.startswith(b"\xef\xbb\xbf"):
        yield "utf-8-sig", "bom"
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        yield "utf-16", "bom"
    if header_charset:
        yield header_charset, "header"
    meta = _META_CHARSET.search(content[:4096])
    if meta:
        yield meta.group(1).decode("ascii", errors="replace"), "meta"
    # Valid UTF-8 with non-ASCII bytes is almost never anything else, and it is cheap to try.
    yield "utf-8", "guess"
    best = charset_normalizer.from_bytes(content).best()
    if best is not None:
        yield best.encoding, "detected"


def _codec(label: str, source: str) -> str | None:
    """The Python codec to decode a charset label with, or None for an unknown label.

    >>> _codec("GBK", "header"), _codec("x-big5", "meta"), _codec("utf-16le", "meta")
    ('gb18030', 'big5hkscs', 'utf-8')
    """
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(_WEB_LABELS.get(label, label)).name
    except LookupError:
        return None
    if source == "meta" and name.startswith("utf-16"):
        return "utf-8"  # a page that can state its charset in ASCII is not UTF-16 (WHATWG)
    return _SUPERSETS.get(name, name)
