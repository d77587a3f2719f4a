"""The generic path: the article of a page that no site profile knows.

Two readings that look at a page in different ways, checked against each other:

1. trafilatura with precision first (no comments, tables kept, its own
   fallbacks off: they cost more CPU than they add here), read as its
   structured tree so that headings, list items and table rows stay lines;
2. a structural density reading of our own (density.py): the container
   with the most sentence text that is not link text, furniture dropped by
   structure; in a run of template-alike records (a thread's posts, a
   blog's entries) the first record is the article.

Where they agree on the region, the article is trafilatura's lines that lie in
the container (its furniture outside goes), or the container's lines over
trafilatura's span when trafilatura missed much of it (text outside ``<p>``,
a list of linked titles). Where they disagree, or trafilatura found too
little, trafilatura favouring recall is the third opinion. Whichever reading
has text gives it: the path is never empty on a page with text. A short page
with no article whose text is mostly a form (a forum's login or error page)
reads as its text, the form's included.

Title, time and author are read off the page's own tree (``<title>``,
``<h1>``, JSON-LD, ``<meta>``), not by trafilatura's metadata pass: it would
run date detection a second time for nothing the archive keeps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

from series_archiver.models import Block, BlockKind
from series_archiver.read.density import TITLE_CHARS, Density, density
from series_archiver.textfold import normalize

__all__ = ["GENERIC", "GenericText", "read_generic"]

GENERIC = "generic"  # the profile name of everything this path reads (clean.py keeps its paragraphs as they are)

# "Too little": less than this many characters of text (whitespace aside).
_ENOUGH_CHARS = 250

_FAST = True
_PRECISION = True
@dataclass(frozen=True)
class GenericText:
    """What the chain read: the blocks and which reading gave them (for logs and the benchmark)."""

    blocks: tuple[Block, ...]
    reader: str  # trafilatura-precision, trafilatura-recall or density; "&density": its lines in the container, "+density": the container's


def read_generic(html: str, url: str, root: etree._Element | None) -> GenericText | None:
    """The article's blocks, or None when no reading finds any text. ``root`` is pruned: read it first.

    Two readings that look at the page differently are compared, so that neither's blind spot
    decides alone: trafilatura reads node by node and cleans well, but with its fallbacks off it
    can settle on a sidebar or drop text outside ``<p>``; the density reading finds the one
    container of the article, but keeps what sits in it. Where they agree on the region, the
    article is trafilatura's lines that lie in that container; where they do not, trafilatura's
    recall reading is the third opinion. A page with no article whose text is a form (a forum's
    error page asking to log in) reads as its text, the form's included.
    """
    found = density(root) if root is not None else Density(())
    read = _chain(html, url, root, found)
    if found.form_page and (read is None or _size(read.blocks) < _ENOUGH_CHARS):
        # Too little for an article on a short page whose forms say much: the page's text, forms and
        # all, is what it says (trafilatura's few lines there are its menus as often as not).
        return GenericText(found.form_page, "page")
    return read


def _chain(html: str, url: str, root: etree._Element | None, found: Density) -> GenericText | None:
    """The readings compared (read_generic)."""
    post = found.post
    density = _Reading(found.blocks, "density", found.titles, found.lead)
    # trafilatura prunes the tree it reads: the page's own, now that the density reading is done
    # with it (parsing the page again would cost more than all the rest of this path).
    tree: str | lxml.html.HtmlElement = html
    if isinstance(root, lxml.html.HtmlElement):
        # As trafilatura's own parser leaves a page (no comments, no processing instructions), and
        # without the furniture the density reading found: trafilatura has less to read and no
        # sidebar or menu left to settle on. Text after a removed element stays (drop_tree).
        etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
        for el in found.furniture:
            if el.getparent() is not None:
                el.drop_tree()
        tree = root
    precise = _Reading(_trafilatura_blocks(tree, url, recall=False), "trafilatura-precision")
    if precise.size >= _ENOUGH_CHARS and precise.share_in(density) >= _AGREE:
        return _merged(precise, density)
    if precise.size >= _ENOUGH_CHARS and density.size <= precise.size and not post:
        # They disagree, but the container holds no more text than trafilatura found: it is the
        # density reading that went astray (a list of teasers), and no third opinion is needed.
        return GenericText(precise.blocks, precise.name)
    recall = _Reading(_trafilatura_blocks(html, url, recall=True), "trafilatura-recall")
    wider = recall if recall.size > precise.size else precise
    if density.size and wider.size and density.share_in(wider) >= _AGREE and (post or density.size * 2 >= wider.size):
        # The container lies inside what trafilatura found: trafilatura kept furniture around it
        # (a sidebar, the article's teaser a second time, the replies to a thread's opening post),
        # so the container's lines are the article.
        return _merged(wider, density, container=True)
    if precise.size >= _ENOUGH_CHARS and precise.share_in(recall) >= _AGREE:
        return GenericText(precise.blocks, precise.name)
    for reading in (wider, density):
        if reading.size:
            return GenericText(reading.blocks, reading.name)
    return None


# --- comparing readings ---------------------------------------------------------------

# Readings are compared by runs of this many characters (whitespace removed): long enough that a
# shared run is shared text, short enough that lines cut differently still match.
_SHINGLE = 8
_SAMPLES = 6  # runs looked for along a line that is not the same line in the other reading
# A line lies in another reading when at least half of its runs are found there; two readings
# agree when at least half of one's text lies in the other.
_AGREE = 0.5
# Text the container holds between trafilatura's first and last line, that trafilatura left out:
# past this share of trafilatura's own text it is the article trafilatura missed (text outside
# <p>, a list), not the captions and bylines it dropped on purpose.
_MISSED = 0.5
_TITLES_SHARE = 0.2
# What counts of it: sentences, and the titles a round-up lists; not labels ("Advertisement").
_PROSE = re.compile(r"[，。！？；,.!?;]")
_PROSE_CHARS = 40


class _Reading:
    """One reading's blocks and their text without whitespace."""

    def __init__(self, blocks: tuple[Block, ...], name: str, titles: frozenset[int] = frozenset(), lead: int = 0) -> None:
        self.blocks = blocks
        self.name = name
        self.titles = titles  # the blocks that are linked titles in a list (density only)
        self.lead = lead  # how many blocks the standfirst above the container is (density only)
        self.squeezed = ["".join(b.text.split()) for b in blocks]
        self.size = sum(map(len, self.squeezed))
        self.text = "".join(self.squeezed)
        self.lines = frozenset(self.squeezed)

    def lying_in(self, other: _Reading) -> list[bool]:
        """Per block: does it lie in ``other``? The same line there, or at least half of a few runs
        of it, spread along it, found in ``other``'s text."""
        text, lines = other.text, other.lines
        found = []
        for line in self.squeezed:
            if line in lines or len(line) < _SHINGLE:
                found.append(bool(line) and line in text)
                continue
            step = max(_SHINGLE, (len(line) - _SHINGLE) // (_SAMPLES - 1))
            starts = range(0, len(line) - _SHINGLE + 1, step)
            found.append(sum(1 for i in starts if line[i : i + _SHINGLE] in text) * 2 >= len(starts))
        return found

    def share_in(self, other: _Reading) -> float:
        """The share of this reading's text that lies in ``other``."""
        if not self.size or not other.size:
            return 0.0
        return sum(len(line) for line, inside in zip(self.squeezed, self.lying_in(other), strict=True) if inside) / self.size


def _merged(reading: _Reading, density: _Reading, *, container: bool = False) -> GenericText:
    """``reading``'s lines that lie in the density container (with ``container``, the container's
    lines that lie in ``reading``); or, when it missed much of the text between its first and last
    line there, the container's lines over that span."""
    inside = density.lying_in(reading)
    if not any(inside):
        return GenericText(reading.blocks, reading.name)
    first, last = inside.index(True), len(inside) - 1 - inside[::-1].index(True)
    # The standfirst set above the container, when trafilatura's reading starts where the container
    # does: trafilatura reads the container alone and leaves it out, as it leaves a caption out.
    lead = set(range(density.lead)) if not container and first == density.lead else set()
    # Paragraphs of sentences that go on in the container right after trafilatura's last line, or
    # lead to its first, are the article that trafilatura stopped short of (a piece the layout cuts
    # in chunks around an ad) when there is much of them; the first line that is no such paragraph
    # ends the run.
    grown: set[int] = set()
    if not container:
        while last + 1 < len(inside) and (
            _is_paragraph(density.squeezed[last + 1], density.blocks[last + 1].text)
            or (_is_sentence(density.blocks[last + 1].text) and last + 2 < len(inside) and _is_paragraph(density.squeezed[last + 2], density.blocks[last + 2].text))
        ):
            last += 1
            grown.add(last)
        while first > 0 and _is_paragraph(density.squeezed[first - 1], density.blocks[first - 1].text):
            first -= 1
            grown.add(first)
        if sum(len(density.squeezed[i]) for i in grown) <= _MISSED * reading.size:
            # A paragraph or two beyond trafilatura's ends is a bio, a pitch or a teaser it dropped on
            # purpose; the article it stopped short of is as long as a good part of what it read.
            first, last = inside.index(True), len(inside) - 1 - inside[::-1].index(True)
            grown = set()
    missed = [
        i
        for i in range(first, last + 1)
        if not inside[i]
        and (
            (len(density.squeezed[i]) >= _PROSE_CHARS and _PROSE.search(density.blocks[i].text))
            or (i in density.titles and len(density.squeezed[i]) >= TITLE_CHARS)
        )
    ]
    big = sum(len(density.squeezed[i]) for i in missed) > _MISSED * reading.size
    # What trafilatura drops as links, between its lines: the article when the titles are a good part
    # of the container's text (a round-up, a deals post), not when they are a box of related stories.
    titles = {i for i in missed if i in density.titles}
    if sum(len(density.squeezed[i]) for i in titles) < _TITLES_SHARE * density.size:
        titles = set()
    if lead:
        first = 0
    if container or big or titles or grown or lead:
        kinds = dict(zip(reading.squeezed, (b.kind for b in reading.blocks), strict=True))
        fill = set() if container else (set(missed) if big else titles) | grown | lead
        span = tuple(
            Block(kinds.get(density.squeezed[i], "paragraph"), density.blocks[i].text)
            for i in range(first, last + 1)
            if inside[i] or i in fill
        )
        return GenericText(span, f"{reading.name}+density")
    keep = reading.lying_in(density)
    outside = sum(len(line) for line, b, k in zip(reading.squeezed, reading.blocks, keep, strict=True) if not k and _is_paragraph(line, b.text))
    if outside > _SPLIT * reading.size:
        # Much of what trafilatura found outside the container is paragraphs of sentences: the article
        # runs on in a container beside it (a long piece cut in two by the layout), and all of it stands.
        return GenericText(reading.blocks, reading.name)
    kept = tuple(b for b, k in zip(reading.blocks, keep, strict=True) if k)
    return GenericText(kept or reading.blocks, f"{reading.name}&density")


_SPLIT = 0.4  # of trafilatura's text; agreement leaves at most half of it outside
_PARAGRAPH_CHARS = 2 * _PROSE_CHARS


def _is_paragraph(squeezed: str, text: str) -> bool:
    """A paragraph of sentences, not a label, a link line or a one-line promotion."""
    return len(squeezed) >= _PARAGRAPH_CHARS and len(_PROSE.findall(text)) >= 2


_SENTENCE_END = (".", "。", ":", "：", "?", "？", "!", "！")


def _is_sentence(text: str) -> bool:
    """A one-sentence paragraph (it ends as a sentence does), not a label or a title."""
    return len(text) >= _PROSE_CHARS and text.endswith(_SENTENCE_END)


def _size(blocks: tuple[Block, ...]) -> int:
    return sum(len("".join(b.text.split())) for b in blocks)


# --- trafilatura -------------------------------------------------------------------


def _trafilatura_blocks(html: str | lxml.html.HtmlElement, url: str, recall: bool) -> tuple[Block, ...]:
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
            if len(cells) == 1 or any(len(lines) > 1 for lines in cells):
                # A layout table (one cell, or cells of several lines: the post beside the menu):
                # each cell's lines are the page's lines, never one run-on row.
                out.extend(Block("paragraph", line) for lines in cells for line in lines)
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
