"""A version's blocks as a layout over its one stored text.

A version's body is stored once, as ``versions.text`` (one block per line: what
readers, Datasette, search and diffs read). Its blocks, paragraphs and headings
used to be stored beside it as JSON, the same characters twice more (47% of an
archive). What the text lacks is only each block's kind and where it ends, so
``versions.layout`` holds that: one token per block, its kind's letter and its
length in characters, ``"h12 p230 p96"``. Paragraphs and headings are the
blocks of that kind. A block's text may itself hold a line break: lengths, not
line counts, say where it ends.

A row whose text is not its blocks joined by line breaks (never written by
this tool, but kept whole if met) keeps its blocks as JSON in ``layout``
(a layout starting with ``[``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

__all__ = ["KINDS", "decode_layout", "encode_layout", "headings", "paragraphs"]

KINDS = {"paragraph": "p", "heading": "h"}
_LETTERS = {letter: kind for kind, letter in KINDS.items()}


def encode_layout(text: str, blocks: Sequence[tuple[str, str]]) -> str:
    """The layout of ``blocks`` over ``text``.

    >>> encode_layout("標題\\n第一段", [("heading", "標題"), ("paragraph", "第一段")])
    'h2 p3'
    >>> encode_layout("", [])
    ''
    """
    if "\n".join(t for _, t in blocks) != text or any(k not in KINDS for k, _ in blocks):
        return json.dumps([[k, t] for k, t in blocks], ensure_ascii=False)
    return " ".join(f"{KINDS[k]}{len(t)}" for k, t in blocks)


def decode_layout(text: str, layout: str) -> list[tuple[str, str]]:
    """The (kind, text) blocks a layout describes, in order.

    >>> decode_layout("標題\\n第一段", "h2 p3")
    [('heading', '標題'), ('paragraph', '第一段')]
    """
    if layout.startswith("["):
        return [(str(k), str(t)) for k, t in json.loads(layout)]
    blocks: list[tuple[str, str]] = []
    at = 0
    for token in layout.split():
        length = int(token[1:])
        blocks.append((_LETTERS[token[0]], text[at : at + length]))
        at += length + 1
    if blocks and at - 1 != len(text):
        raise ValueError(f"the layout {layout!r} does not cover the text's {len(text)} characters")
    return blocks


def paragraphs(blocks: Sequence[tuple[str, str]]) -> list[str]:
    return [t for k, t in blocks if k == "paragraph"]


def headings(blocks: Sequence[tuple[str, str]]) -> list[str]:
    return [t for k, t in blocks if k == "heading"]
