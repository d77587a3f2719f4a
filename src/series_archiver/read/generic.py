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

from series_archiver.models import Block, BlockKind
from series_archiver.textfold import normalize

__all__ = ["GENERIC", "GenericText", "read_generic"]

GENERIC = "generic"  # the profile name of everything this path reads (clean.py keeps its paragraphs as they are)

# "Too little": less than this many characters of text (whitespace aside) and less
# than this share of what the density reading finds.
_ENOUGH_CHARS = 250
_ENOUGH_SHARE = 0.5

_FAST = True
_PRECISION = True
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
# Deeper than any real page. On such a tree each element object lxml frees walks up to the
# root, so a reading that touches every element costs depth x elements: no density reading there.
_TOO_DEEP = etree.XPath("boolean(/" + "/".join(["*"] * 200) + ")")


@dataclass(frozen=True)
class GenericText:
    """What the chain read: the blocks and which reading gave them (for logs and the benchmark)."""

    blocks: tuple[Block, ...]
    reader: str  # trafilatura-precision, trafilatura-recall, density


def read_generic(html: str, url: str, root: etree._Element | None) -> GenericText | None:
    """The article's blocks, or None when no reading finds any text."""
    links = _link_texts(root) if root is not None else {}
    best: GenericText | None = None
    density: tuple[Block, ...] | None = None  # read only when a cheaper reading fell short
    for reader, recall in (("trafilatura-precision", False), ("trafilatura-recall", True)):
        blocks = _without_link_lines(_trafilatura_blocks(html, url, recall), links)
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


def _link_texts(root: etree._Element) -> dict[str, int]:
    """The texts of the page's links (whitespace removed), each with its length."""
    found: dict[str, int] = {}
    for a in root.iter("a"):
        text = _SPACE.sub("", "".join(a.itertext()))
        if len(text) >= 2:
            found[text] = len(text)
    return found


def _without_link_lines(blocks: tuple[Block, ...], links: dict[str, int]) -> tuple[Block, ...]:
    """Blocks less than half made of the page's link texts: a line of links is navigation, not text.

    trafilatura drops links' markup, so which words were links is read off the page itself.
    """
    if not links:
        return blocks
    kept: list[Block] = []
    for block in blocks:
        text = _SPACE.sub("", block.text)
        if not text:
            continue
        linked = len(text) if text in links else sum(n for t, n in links.items() if n <= len(text) and t in text)
        if linked * 2 <= len(text):
            kept.append(block)
    return tuple(kept)


def _size(blocks: tuple[Block, ...]) -> int:
    return sum(len(_SPACE.sub("", b.text)) for b in blocks)


# --- trafilatura -------------------------------------------------------------------


def _trafilatura_blocks(html: str, url: str, recall: bool) -> tuple[Block, ...]:
    import trafilatura  # slow to import: only pages without a profile need it

    doc = trafilatura.bare_extraction(
        html,
        url=url,
        fast=_FAST,
        favor_precision=_PRECISION and not recall,
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
            cells = [lines for lines in (_lines(c) for c in node if c.tag == "cell") if lines]
            if len(cells) == 1:  # a layout table: the cell's lines are the page's lines
                out.extend(Block("paragraph", line) for line in cells[0])
                return
            row = [" ".join(lines) for lines in cells]
            # A row of one- and two-character cells is a widget (a calendar, a pager), not a table of the article.
            if row and (len(row) < 3 or any(len(c) > 2 for c in row)):
                out.append(Block("paragraph", " ".join(row)))
            return
        for child in node:
            _structured(child, out)
        return
    kind: BlockKind = "heading" if tag == "head" else "paragraph"
    # A <lb/> inside a paragraph is a line break the page made: each line stays a line.
    for line in _lines(node):
        out.append(Block(kind, line))


# Elements of trafilatura's output tree that start a new line.
_OUTPUT_BLOCKS = frozenset({"p", "head", "lb", "list", "item", "quote", "table", "row", "cell", "code"})


def _lines(node: etree._Element) -> list[str]:
    """The text of ``node``, a line per <lb/> and per block inside it."""
    parts: list[str] = []
    walk = etree.iterwalk(node, events=("start", "end"))
    for event, el in walk:
        block = el is not node and el.tag in _OUTPUT_BLOCKS
        if event == "start":
            parts.append("\n" if block else "")
            parts.append(el.text or "")
        else:
            parts.append("\n" if block else "")
            if el is not node:
                parts.append(el.tail or "")
    return [t for t in (normalize(x) for x in "".join(parts).split("\n")) if t]


# --- density ---------------------------------------------------------------------


def _is_furniture(el: etree._Element) -> bool:
    if el.tag in _FURNITURE_TAGS:
        return True
    names = f"{el.get('class') or ''} {el.get('id') or ''}".strip()
    return bool(names) and _FURNITURE_NAME.search(names) is not None


def _density_blocks(root: etree._Element) -> tuple[Block, ...]:
    """Blocks of the container whose own text is richest in sentences and poorest in links.

    Every walk is one pass over the tree, without recursion.
    """
    if _TOO_DEEP(root):
        return ()
    text_len, link_len, dead = _measure(root)
    scores: dict[etree._Element, float] = {}
    for el in root.iter("p", "td", "div", "pre", "font", "span", "dd", "article", "section"):
        if el in dead:
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
    ranked = sorted(((sc, -i, el) for i, (el, sc) in enumerate(scores.items()) if el.tag in _CONTAINERS), key=lambda x: x[:2], reverse=True)
    adjusted = []
    for score, order, el in ranked[:8]:
        chars = text_len.get(el, 0)
        adjusted.append((score * (1 - (link_len.get(el, 0) / chars if chars else 1)), order, el))
    for score, _, el in sorted(adjusted, key=lambda x: x[:2], reverse=True):
        lines = _container_lines(el, text_len, link_len)
        if score > 0 and lines:
            return tuple(Block("paragraph", line) for line in lines)
    return ()


def _measure(root: etree._Element) -> tuple[dict[etree._Element, int], dict[etree._Element, int], set[etree._Element]]:
    """Per element: characters of text (whitespace aside) and of link text inside it; and the furniture, all of it."""
    text_len: dict[etree._Element, int] = {}
    link_len: dict[etree._Element, int] = {}
    dead: set[etree._Element] = set()
    stack: list[etree._Element] = []
    links = 0  # open <a> elements
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if event == "start":
            if (stack and stack[-1] in dead) or _is_furniture(el):
                dead.add(el)
            stack.append(el)
            if el.tag == "a":
                links += 1
            n = len(_SPACE.sub("", el.text or "")) if el.tag not in ("script", "style") else 0
            text_len[el] = n
            link_len[el] = n if links else 0
            continue
        stack.pop()
        if el.tag == "a":
            links -= 1
        tail = len(_SPACE.sub("", el.tail or ""))
        parent = stack[-1] if stack else None
        if parent is not None:
            text_len[parent] += text_len[el] + tail
            link_len[parent] += link_len[el] + (tail if links else 0)
    return text_len, link_len, dead


def _own_text(el: etree._Element) -> str:
    """Text directly in ``el`` and its inline children, not in links or nested blocks."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in _BLOCKS and child.tag != "a":
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return _SPACE.sub("", "".join(parts))


def _container_lines(container: etree._Element, text_len: dict[etree._Element, int], link_len: dict[etree._Element, int]) -> list[str]:
    """The container's text, a line per block element or <br>, furniture and link-dense blocks dropped."""
    parts: list[str] = []
    walk = etree.iterwalk(container, events=("start", "end", "comment"))
    for event, el in walk:
        if event == "comment":
            parts.append(el.tail or "")
            continue
        block = el.tag in _BLOCKS
        if event == "start":
            chars = text_len.get(el, 0)
            if el is not container and (
                _is_furniture(el) or (block and el.tag != "br" and chars and link_len.get(el, 0) * 2 > chars)
            ):
                walk.skip_subtree()
                parts.append("\n")
                continue
            parts.append("\n" if block else "")
            parts.append(el.text or "")
        else:
            parts.append("\n" if block else "")
            if el is not container:
                parts.append(el.tail or "")
    return [t for t in (normalize(x) for x in "".join(parts).split("\n")) if t]
