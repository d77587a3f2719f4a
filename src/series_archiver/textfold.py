"""Text normalisation shared by every stage.

Two forms of the same text:

* ``normalize`` is what is **stored**: the text as printed (script, full-width
  punctuation), minus invisible characters and stray spacing.
* ``fold`` is what is **compared** (content hash, dedupe, search): width,
  script, case, quote and dash variants and all whitespace are folded away, so
  a re-typeset page is not a new version but ``1萬億`` -> ``1.2萬億`` still is.

Chinese has no spaces between words: nothing here tokenises on whitespace;
shingles are runs of characters.
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
import zlib
from collections.abc import Set
from functools import lru_cache
from typing import Literal

import opencc

__all__ = [
    "normalize",
    "fold",
    "fold_key",
    "shingles",
    "similarity",
    "to_simplified",
    "to_traditional",
    "convert",
]

# One paragraph is normalized and folded several times per page (extraction,
# cleaning, its repeated-block check, the search index's document, dedupe), so
# results for lines are remembered; a whole article's text is not (it is done
# once, and would crowd the lines out).
_LINE_CHARS = 1_000  # a cache then holds at most ~16 MB, however long the pages

# --- normalize ------------------------------------------------------------

_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
# Every space a page may carry, mapped to " ". "\n" is left alone: it separates
# blocks. U+2028/U+2029 become spaces rather than new blocks, so normalising a
# block never splits it.
_SPACES = "\t\v\f\r\x85\u00a0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)

# str.translate looks every character up in a dict (~60 ns each); a regex
# only stops at the few characters it has to replace, several times faster on
# Chinese text, where these are rare.
_NORMALIZE_MAP = {**dict.fromkeys(_ZERO_WIDTH, ""), **dict.fromkeys(_SPACES, " ")}
_NORMALIZE_RE = re.compile("[" + re.escape("".join(_NORMALIZE_MAP)) + "]")
_SPACE_RUN = re.compile(r" {2,}")
_SPACE_AROUND_NEWLINE = re.compile(r" ?\n ?")


def _normalize_char(match: re.Match[str]) -> str:
    return _NORMALIZE_MAP[match[0]]


def normalize(text: str) -> str:
    """The stored form: NFC, no zero-width characters, plain single spaces, stripped.

    Line breaks ("\\n", the block separator) are kept; each line is stripped.
    """
    if len(text) <= _LINE_CHARS:
        return _normalize_cached(text)
    return _normalize(text)


def _normalize(text: str) -> str:
    text = _NORMALIZE_RE.sub(_normalize_char, text.replace("\r\n", "\n"))
    text = unicodedata.normalize("NFC", text)
    text = _SPACE_RUN.sub(" ", text)
    return _SPACE_AROUND_NEWLINE.sub("\n", text).strip()


_normalize_cached = lru_cache(maxsize=4_096)(_normalize)


# --- fold -----------------------------------------------------------------

_FOLD_QUOTE = '"'
_FOLD_DASH = "-"
_QUOTES = "「」『』“”‘’\"'〝〞〟„‟‚‛"
# Dashes, interpuncts and the marks a series title uses between its name and
# the installment ("中美角力｜之一", "中美角力︱之一", "中美角力·之一", "欄目\\標題"):
# one class, since NFKC already turns ︱ into an em dash.
_DASHES = "-‐‑‒–—―−⸺⸻─━|¦│\\/·・‧•∙⋅"


def _fold_char_map() -> dict[str, str]:
    # What fold does to a single character, for the characters it changes and
    # that are common in Chinese text: full-width forms, ideographic space,
    # quotes, dashes. Each maps to its NFKC form, then to the unified mark.
    table = {c: _FOLD_QUOTE for c in _QUOTES}
    table.update({c: _FOLD_DASH for c in _DASHES})
    table["⋯"] = "."  # "⋯⋯" and "……" (NFKC "......") are the same ellipsis
    fullwidth = [chr(c) for c in range(0xFF01, 0xFF5F)] + list("\u3000\u00a0︱︳﹁﹂﹃﹄﹘﹣･")
    for char in fullwidth:
        nfkc = unicodedata.normalize("NFKC", char)
        table[char] = "".join(table.get(c, c) for c in nfkc)
    table.update(dict.fromkeys(_ZERO_WIDTH, ""))
    return table


_FOLD_MAP = _fold_char_map()
_FOLD_RE = re.compile("[" + re.escape("".join(_FOLD_MAP)) + "]")
_RUNS = re.compile(r"-{2,}|\.{2,}")


def _fold_char(match: re.Match[str]) -> str:
    return _FOLD_MAP[match[0]]


def _collapse_run(match: re.Match[str]) -> str:
    return "-" if match[0][0] == "-" else "..."


_converters: dict[str, opencc.OpenCC] = {}
_converters_lock = threading.Lock()


def _converter(config: str) -> opencc.OpenCC:
    # Loading a dictionary takes tens of milliseconds: do it once per config,
    # on first use, and never twice when threads race for it.
    try:
        return _converters[config]
    except KeyError:
        pass
    with _converters_lock:
        if config not in _converters:
            _converters[config] = opencc.OpenCC(config)
        return _converters[config]


def convert(config: str, text: str) -> str:
    """``text`` through OpenCC's ``config`` (``s2twp.json`` …), with the one converter cache of the package."""
    return str(_converter(config).convert(text))


def fold(text: str) -> str:
    """The comparison form: half-width, simplified, lower-case, quotes and dashes unified, no whitespace.

    >>> fold("華為　「１萬億」") == fold('华为"1萬億"')
    True
    """
    if len(text) <= _LINE_CHARS:
        return _fold_cached(text, _converter)
    if "\n" in text:
        # An article's text, one block a line: folded line by line through the cache, so the
        # reading, dedupe's shingles, the search index and next pass's look at the stored text
        # fold each paragraph once. Folding drops line breaks, so the joined lines are the fold.
        return "".join(fold(line) for line in text.split("\n"))
    return _fold(text)


def _fold(text: str) -> str:
    # The common cases by regex first; full NFKC (slow) only if anything is left
    # for it, such as circled digits ① or ligatures. Zero-width characters go
    # in this first pass so they cannot split a sequence NFKC would compose.
    text = _FOLD_RE.sub(_fold_char, text)
    if not unicodedata.is_normalized("NFKC", text):
        text = _FOLD_RE.sub(_fold_char, unicodedata.normalize("NFKC", text))
    # str.split() knows every Unicode space.
    text = _converter("t2s.json").convert("".join(text.split())).lower()
    if "--" in text or ".." in text:
        text = _RUNS.sub(_collapse_run, text)
    return text


@lru_cache(maxsize=4_096)
def _fold_cached(text: str, converter: object) -> str:
    # The converter in use is part of the key: a fold by other OpenCC
    # dictionaries (a test's, a later release's in one process) is another fold.
    return _fold(text)


def fold_key(text: str) -> str:
    """Content hash: the first 16 hex digits (64 bits) of sha256 of ``fold(text)``."""
    return hashlib.sha256(fold(text).encode("utf-8")).hexdigest()[:16]


# --- near-duplicates ------------------------------------------------------


def shingles(text: str, size: int = 5, *, folded: bool = False) -> set[int]:
    """CRC-32 of every ``size``-character run of ``fold(text)``.

    The hash is stable across processes (unlike ``hash()``), so shingles may be
    stored. A folded text shorter than ``size`` is one shingle; an empty one none.
    """
    if size < 1:
        raise ValueError(f"shingle size must be at least 1, not {size}")
    if not folded:
        text = fold(text)
    if not text:
        return set()
    # UTF-32 gives every character four bytes: a shingle is a plain byte slice.
    data = text.encode("utf-32-le")
    width = 4 * size
    if len(text) <= size:
        return {zlib.crc32(data)}
    crc32 = zlib.crc32
    return {crc32(data[i : i + width]) for i in range(0, len(data) - width + 4, 4)}


def similarity(a: Set[int], b: Set[int]) -> float:
    """Jaccard similarity of two shingle sets; two empty sets are identical (1.0)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


# --- script conversion ----------------------------------------------------

_TRADITIONAL_CONFIGS = {"standard": "s2t.json", "hk": "s2hk.json", "tw": "s2tw.json"}


def to_simplified(text: str) -> str:
    """Traditional to simplified Chinese (OpenCC ``t2s``); simplified text passes through."""
    converted: str = _converter("t2s.json").convert(text)
    return converted


def to_traditional(text: str, variant: Literal["standard", "hk", "tw"] = "standard") -> str:
    """Simplified to traditional Chinese: OpenCC standard (``s2t``), Hong Kong or Taiwan forms."""
    try:
        config = _TRADITIONAL_CONFIGS[variant]
    except KeyError:
        raise ValueError(
            f"unknown traditional variant {variant!r}: use one of {', '.join(_TRADITIONAL_CONFIGS)}"
        ) from None
    converted: str = _converter(config).convert(text)
    return converted
