"""Is it a web page, and what text does it hold: content type, charset and strict decoding.

A declared non-HTML type is refused before its body is downloaded; a page with no
Content-Type must look like HTML (WHATWG sniffing). The text is decoded strictly with
the first codec that gives clean text, most authoritative first: BOM, header, ``<meta>``,
UTF-8, then detection. Legacy Chinese labels are read as their supersets, as browsers do.

Detection only considers what Chinese and English news are written in (UTF-8, GB18030,
Big5-HKSCS, windows-1252): a guess among a hundred codecs reads a GBK page with two
damaged bytes as ptcp154. When no codec decodes strictly, a page that is mostly GB18030,
Big5-HKSCS or UTF-8 with a few damaged bytes is decoded with U+FFFD in their place, and
the number of bytes replaced is returned with it (the capture records it; the raw bytes
stay as they came).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass

import charset_normalizer
import httpx

from series_archiver.errors import NotHTML, UndecodableText

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
# What detection may answer (charset_normalizer's names).
_DETECTABLE = ["utf_8", "gb18030", "big5hkscs", "cp1252"]
# What may be read with replacement: multi-byte codecs whose damage is local (a bad byte
# costs one character, the text after it decodes as before). An 8-bit codec never needs it.
_REPAIRABLE = frozenset({"gb18030", "big5hkscs", "utf-8"})
# "A few damaged bytes": at most this share of the non-ASCII bytes, and at least this many allowed.
_DAMAGE_RATIO = 0.01
_DAMAGE_MIN = 8
# The commonest characters of Chinese news text, in both scripts: Big5 bytes read as GB18030
# (or the reverse) decode without error into rare characters, so these tell the two apart.
_COMMON_HAN = frozenset(
    "的一是不了在人有我他这這个個们們中来來上大为為和国國地到以说說时時要就出会會可也你对對生能而子那得于於"
    "着著下自之年过過发發后後作里裡用道行所然家种種事成方多经經么麼去法学學如都同现現当當没沒动動面起看定天分"
    "还還进進好小部其些主样樣理心她本前开開但因只从從想实實日月新市记記者公司报報"
)


@dataclass(frozen=True)
class DecodedPage:
    """The text of a page, the codec that gave it, and its media type (``text/html`` when sniffed)."""

    text: str
    encoding: str
    content_type: str
    replaced_bytes: int = 0  # damaged bytes read as U+FFFD; 0 for a page that decoded strictly


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
        text, encoding, replaced = _decode_html(content, charset)
    except ValueError as exc:
        raise UndecodableText(
            url,
            f"no encoding gives clean text (tried {exc}); the body looks binary or damaged, "
            "open the URL in a browser to check",
            received=received,
        ) from None
    return DecodedPage(text=text, encoding=encoding, content_type=media_type, replaced_bytes=replaced)


def _decode_html(content: bytes, header_charset: str | None) -> tuple[str, str, int]:
    """Decoded text, the codec used and the bytes replaced; ``ValueError`` naming the codecs tried."""
    tried: list[str] = []
    declared: list[str] = []
    for label, source in _encoding_candidates(content, header_charset):
        codec = _codec(label, source)
        if codec is None or codec in tried:
            continue
        tried.append(codec)
        if source in ("bom", "header", "meta"):
            declared.append(codec)
        try:
            text = content.decode(codec)
        except UnicodeDecodeError:
            continue
        if _clean(text):
            return text, codec, 0
    repaired = _decode_damaged(content, declared)
    if repaired is not None:
        return repaired
    raise ValueError(", ".join(tried) or "none")


def _clean(text: str) -> bool:
    return len(_JUNK.findall(text)) <= len(text) * _JUNK_RATIO


def _decode_damaged(content: bytes, declared: list[str]) -> tuple[str, str, int] | None:
    """Mostly one repairable codec with a few damaged bytes: (text, codec, bytes replaced), or None.

    A declared codec that fits is taken, as in the strict round; then UTF-8, whose
    multi-byte structure does not fit other text by chance; then GB18030 or
    Big5-HKSCS, whichever reads as more common Chinese characters (each decodes
    the other's bytes without error, into rare ones), fewer bytes replaced breaking a tie.
    """
    allowed = max(_DAMAGE_MIN, int(sum(1 for b in content if b > 0x7F) * _DAMAGE_RATIO))
    readings: dict[str, tuple[str, int] | None] = {}

    def read(codec: str) -> tuple[str, int] | None:
        if codec not in readings:
            decoded = _decode_replacing(content, codec, allowed)
            readings[codec] = decoded if decoded is not None and _clean(decoded[0]) else None
        return readings[codec]

    for codec in [*(c for c in declared if c in _REPAIRABLE), "utf-8"]:
        decoded = read(codec)
        if decoded is not None:
            return decoded[0], codec, decoded[1]
    best: tuple[int, int, str] | None = None
    for codec in ("gb18030", "big5hkscs"):
        decoded = read(codec)
        if decoded is not None:
            key = (-sum(1 for ch in decoded[0] if ch in _COMMON_HAN), decoded[1], codec)
            best = key if best is None or key[:2] < best[:2] else best
    if best is None:
        return None
    text, replaced = readings[best[2]] or ("", 0)
    return text, best[2], replaced


def _decode_replacing(content: bytes, codec: str, allowed: int) -> tuple[str, int] | None:
    """``content`` decoded with U+FFFD for each damaged sequence, and the bytes replaced; None past ``allowed``.

    >>> _decode_replacing("中文".encode("gbk") + b"\\xff" + "字".encode("gbk"), "gb18030", 8)
    ('中文\\ufffd字', 1)
    """
    parts: list[str] = []
    replaced = pos = 0
    while True:
        try:
            parts.append(content[pos:].decode(codec))
            return "".join(parts), replaced
        except UnicodeDecodeError as exc:
            parts.append(content[pos : pos + exc.start].decode(codec))
            parts.append("\ufffd")
            replaced += exc.end - exc.start
            pos += exc.end
            if replaced > allowed:
                return None


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
    best = charset_normalizer.from_bytes(content, cp_isolation=_DETECTABLE).best()
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
