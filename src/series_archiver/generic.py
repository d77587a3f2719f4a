"""The generic path: the article of a page that no site profile knows.

A chain, cheapest reading first, each tried only when the one before found
nothing or too little:

1. trafilatura with precision first (no comments, tables kept, its own
   fallbacks off: they cost more CPU than they add here), read as its
   structured tree so that headings, list items and table rows stay lines;
2. trafilatura again favouring recall (short pages, forum posts);
3. a structural density reading of our own: the container with the most
   sentence text that is not link text, furniture (nav, aside, footer,
   comment sections, forms) dropped by element and by link density, never by
   a word that can be ordinary text.

Title, time and author are read off the page's own tree (``<title>``,
``<h1>``, JSON-LD, ``<meta>``), not by trafilatura's metadata pass: it would
run date detection a second time for nothing the archive keeps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .models import Block, BlockKind
from .textfold import normalize

__all__ = ["GENERIC", "GenericText", "read_generic"]

GENERIC = "generic"  # the profile name of everything this path reads (clean.py keeps its paragraphs as they are)

# "Too little": less than this many characters of text (whitespace aside) and less
# than this share of what the density reading finds.
_ENOUGH_CHARS = 250
_ENOUGH_SHARE = 0.5

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements that are furniture wherever they stand.
_FURNITURE_TAGS = ("nav", "aside", "footer", "form", "script", "style", "noscript", "iframe", "select", "button", "textarea", "header")
# Class or id tokens of furniture: structural names, not words of the text.
_FURNITURE_NAME = re.compile(
    r"(?:^|[\s_-])(?:comments?|commentlist|reply|replies|respond|sidebar|side|nav|navbar|menu|footer|foot|breadcrumbs?"
    r"|share|sharing|social|related|recommend|advert|ads?|banner|pagination|pager|toolbar|copyright)(?:$|[\s_-])",
    re.IGNORECASE,
)
_CONTAINERS = frozenset({"div", "td", "article", "section", "main", "body", "font", "span", "center", "blockquote", "dd"})
_BLOCKS = frozenset({"p", "div", "td", "tr", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "dd", "dt"})
_PUNCT = re.compile(r"[，。！？；、,.!?;]")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class GenericText:
    """What the chain read: the blocks and which reading gave them (for logs and the benchmark)."""

    blocks: tuple[Block, ...]
    reader: str  # trafilatura-precision, trafilatura-recall, density


def read_generic(html: str, url: str, root: etree._Element | None) -> GenericText | None:
    """The article's blocks, or None when no reading finds any text."""
    best: GenericText | None = None
    density: tuple[Block, ...] | None = None  # read only when a cheaper reading fell short
    for reader, recall in (("trafilatura-precision", False), ("trafilatura-recall", True)):
        blocks = _trafilatura_blocks(html, url, recall)
        if blocks and (best is None or _size(blocks) > _size(best.blocks)):
            best = GenericText(blocks, reader)
        if best is not None and _size(best.blocks) >= _ENOUGH_CHARS:
            return best
        if density is None:
            density = _density_blocks(root) if root is not None else ()
        if best is not None and _size(best.blocks) >= _ENOUGH_SHARE * _size(density):
            return best
    if density and (best is None or _size(density) > _size(best.blocks)):
        return GenericText(density, "density")
    return best


def _size(blocks: tuple[Block, ...]) -> int:
    return sum(len(_SPACE.sub("", b.text)) for b in blocks)


# --- trafilatura -------------------------------------------------------------------


def _trafilatura_blocks(html: str, url: str, recall: bool) -> tuple[Block, ...]:
    import trafilatura  # slow to import: only pages without a profile need it

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        fast=True,
        favor_precision=not recall,
        favor_recall=recall,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
    )
    body = getattr(doc, "body", None)
    if body is None:
        return ()
    blocks: list[Block] = []
    for node in body:
        _structured(node, blocks)
    return tuple(blocks)


def _structured(node: etree._Element, out: list[Block]) -> None:
    """trafilatura's output tree (p, head, list/item, table/row/cell, quote, lb) as lines, in order."""
    tag = node.tag
    if tag in ("list", "table", "row"):
        if tag == "row":
            cells = [normalize(" ".join(c.itertext())) for c in node if c.tag == "cell"]
            line = " ".join(c for c in cells if c)
            if line:
                out.append(Block("paragraph", line))
            return
        for child in node:
            _structured(child, out)
        return
    kind: BlockKind = "heading" if tag == "head" else "paragraph"
    # A <lb/> inside a paragraph is a line break the page made: each line stays a line.
    for line in _lines(node):
        out.append(Block(kind, line))


def _lines(node: etree._Element) -> list[str]:
    parts: list[str] = [node.text or ""]
    for child in node:
        if child.tag == "lb":
            parts.append("\n")
        else:
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return [t for t in (normalize(x) for x in "".join(parts).split("\n")) if t]


# --- density ---------------------------------------------------------------------


def _is_furniture(el: etree._Element) -> bool:
    if el.tag in _FURNITURE_TAGS:
        return True
    names = f"{el.get('class') or ''} {el.get('id') or ''}".strip()
    return bool(names) and _FURNITURE_NAME.search(names) is not None


def _density_blocks(root: etree._Element) -> tuple[Block, ...]:
    """Blocks of the container whose own text is richest in sentences and poorest in links."""
    scores: dict[etree._Element, float] = {}
    for el in root.iter("p", "td", "div", "pre", "font", "span", "dd", "article", "section"):
        if _skipped(el):
            continue
        text = _own_text(el)
        if len(text) < 20:
            continue
        score = 1 + len(_PUNCT.findall(text)) + min(len(text) / 100, 3)
        parent = el if el.tag in ("td", "div", "article", "section", "pre", "dd") else el.getparent()
        if parent is None:
            continue
        scores[parent] = scores.get(parent, 0.0) + score
        grand = parent.getparent()
        if grand is not None:
            scores[grand] = scores.get(grand, 0.0) + score / 2
    best: etree._Element | None = None
    best_score = 0.0
    ranked = sorted(((sc, el) for el, sc in scores.items() if el.tag in _CONTAINERS), key=lambda x: -x[0])[:8]
    for score, el in ranked:
        if el.tag not in _CONTAINERS:
            continue
        text_len = len(_SPACE.sub("", "".join(el.itertext())))
        link_len = sum(len(_SPACE.sub("", "".join(a.itertext()))) for a in el.iter("a"))
        adjusted = score * (1 - (link_len / text_len if text_len else 1))
        if adjusted > best_score:
            best, best_score = el, adjusted
    if best is None:
        return ()
    return tuple(Block("paragraph", line) for line in _container_lines(best))


def _skipped(el: etree._Element) -> bool:
    return any(_is_furniture(a) for a in (el, *el.iterancestors()))


def _own_text(el: etree._Element) -> str:
    """Text directly in ``el`` and its inline children, not in links or nested blocks."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in _BLOCKS and child.tag != "a":
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return _SPACE.sub("", "".join(parts))


def _container_lines(container: etree._Element) -> list[str]:
    """The container's text, a line per block element or <br>, furniture and link-dense blocks dropped."""
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        if not isinstance(el.tag, str) or _is_furniture(el):
            parts.append(el.tail or "") if isinstance(el.tag, str) else None
            return
        block = el.tag in _BLOCKS
        if block:
            parts.append("\n")
            if _link_dense(el):
                parts.append("\n" + (el.tail or ""))
                return
        parts.append(el.text or "")
        for child in el:
            walk(child)
        if block:
            parts.append("\n")
        parts.append(el.tail or "")

    parts.append(container.text or "")
    for child in container:
        walk(child)
    return [t for t in (normalize(x) for x in "".join(parts).split("\n")) if t]


def _link_dense(el: etree._Element) -> bool:
    if el.tag == "br":
        return False
    text_len = len(_SPACE.sub("", "".join(el.itertext())))
    if text_len == 0:
        return False
    link_len = sum(len(_SPACE.sub("", "".join(a.itertext()))) for a in el.iter("a"))
    return link_len / text_len > 0.5
