"""The generic path: the article of a page that no site profile knows.

Two readings that look at a page in different ways, checked against each other:

1. trafilatura with precision first (no comments, tables kept, its own
   fallbacks off: they cost more CPU than they add here), read as its
   structured tree so that headings, list items and table rows stay lines;
2. a structural density reading of our own: the container with the most
   sentence text that is not link text, furniture (nav, aside, footer,
   comment sections, forms) dropped by element, by class name and by link
   density, never by a word that can be ordinary text. A wrapper holding
   most of the page's text is never furniture; in a run of template-alike
   records (a thread's posts) the first record is the article.

Where they agree on the region, the article is trafilatura's lines that lie in
the container (its furniture outside goes), or the container's lines over
trafilatura's span when trafilatura missed much of it (text outside ``<p>``,
a list of linked titles). Where they disagree, or trafilatura found too
little, trafilatura favouring recall is the third opinion. Whichever reading
has text gives it: the path is never empty on a page with text.

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
from series_archiver.textfold import normalize

__all__ = ["GENERIC", "GenericText", "read_generic"]

GENERIC = "generic"  # the profile name of everything this path reads (clean.py keeps its paragraphs as they are)

# "Too little": less than this many characters of text (whitespace aside).
_ENOUGH_CHARS = 250

_FAST = True
_PRECISION = True
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
# Elements that are furniture wherever they stand.
_FURNITURE_TAGS = frozenset(("nav", "aside", "footer", "form", "script", "style", "noscript", "iframe", "select", "button", "textarea", "header"))
# Elements whose text is never the page's text.
_HIDDEN = frozenset({"script", "style", "noscript", "template", "select", "button", "textarea", "iframe"})
# Class or id tokens of furniture: structural names, not words of the text.
_FURNITURE_NAME = re.compile(
    r"(?:^|[\s_-])(?:comments?|commentlist|reply|replies|respond|sidebar|side|nav|navbar|menu|footer|foot|breadcrumbs?"
    r"|share|sharing|social|related|recommend|advert|ads?|banner|pagination|pager|toolbar|copyright)(?:$|[\s_-])",
    re.IGNORECASE,
)
# The names of comment sections and replies: furniture however much text they hold.
_REPLIES_NAME = re.compile(r"(?:^|[\s_-])(?:comments?|commentlist|reply|replies|respond)(?:$|[\s_-])", re.IGNORECASE)
_CONTAINERS = frozenset({"div", "td", "article", "section", "main", "body", "font", "span", "center", "blockquote", "dd"})
_BLOCKS = frozenset(
    {"p", "div", "td", "tr", "li", "br", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "pre", "dd", "dt", "figure", "figcaption"}
)
_PUNCT = re.compile(r"[，。！？；、,.!?;]")
_SPACE = re.compile(r"\s+")
# Deeper than any real page. On such a tree each element object lxml frees walks up to the
# root, so a reading that touches every element costs depth x elements: no density reading there.
_TOO_DEEP = etree.XPath("boolean(/" + "/".join(["*"] * 200) + ")")


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
    recall reading is the third opinion.
    """
    found = _density(root) if root is not None else _Density(())
    post = found.post
    density = _Reading(found.blocks, "density", found.titles)
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

    def __init__(self, blocks: tuple[Block, ...], name: str, titles: frozenset[int] = frozenset()) -> None:
        self.blocks = blocks
        self.name = name
        self.titles = titles  # the blocks that are linked titles in a list (density only)
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
    missed = [
        i
        for i in range(first, last + 1)
        if not inside[i]
        and (
            (len(density.squeezed[i]) >= _PROSE_CHARS and _PROSE.search(density.blocks[i].text))
            or (i in density.titles and len(density.squeezed[i]) >= _TITLE_CHARS)
        )
    ]
    big = sum(len(density.squeezed[i]) for i in missed) > _MISSED * reading.size
    # What trafilatura drops as links, between its lines: the article when the titles are a good part
    # of the container's text (a round-up, a deals post), not when they are a box of related stories.
    titles = {i for i in missed if i in density.titles}
    if sum(len(density.squeezed[i]) for i in titles) < _TITLES_SHARE * density.size:
        titles = set()
    if container or big or titles:
        kinds = dict(zip(reading.squeezed, (b.kind for b in reading.blocks), strict=True))
        fill = set() if container else set(missed) if big else titles
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


# --- density ---------------------------------------------------------------------


def _is_furniture(el: etree._Element) -> bool:
    if el.tag in _FURNITURE_TAGS:
        return True
    attrib = el.attrib
    if not attrib:
        return False
    cls, ident = attrib.get("class"), attrib.get("id")
    return (cls is not None and _FURNITURE_NAME.search(cls) is not None) or (ident is not None and _FURNITURE_NAME.search(ident) is not None)


def _density_blocks(root: etree._Element) -> tuple[Block, ...]:
    """Blocks of the container whose own text is richest in sentences and poorest in links."""
    return _density(root).blocks


@dataclass(frozen=True)
class _Density:
    """The density reading."""

    blocks: tuple[Block, ...]
    post: bool = False  # the blocks are the first of a run of records (a thread's opening post)
    titles: frozenset[int] = frozenset()  # which blocks are linked titles
    furniture: tuple[etree._Element, ...] = ()  # the outermost furniture of the page, in document order


def _density(root: etree._Element) -> _Density:
    """The density reading of the page. Every walk is one pass over the tree, without recursion."""
    if _TOO_DEEP(root):
        return _Density(())
    text_len, link_len, dead, furniture = _measure(root)
    scores: dict[etree._Element, float] = {}
    for el in root.iter("p", "td", "div", "pre", "font", "span", "dd", "article", "section", "figcaption"):
        if text_len.get(el, 0) < 20 or el in dead:  # too little text inside, let alone of its own
            continue
        text = _own_text(el)
        if len(text) < 20:
            continue
        score = 1 + len(_PUNCT.findall(text)) + min(len(text) / 100, 3)
        parent = el if el.tag in ("td", "div", "article", "section", "pre", "dd") else el.getparent()
        if parent is not None and parent.tag == "figure":
            parent = parent.getparent()  # a photo post's captions are its text: they count for the gallery
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
    for score, _, best in sorted(adjusted, key=lambda x: x[:2], reverse=True):
        el, record = _first_record(best, scores, text_len, link_len, dead)
        lines = _container_lines(el, text_len, link_len, dead)
        if score > 0 and lines:
            titles = frozenset(i for i, (_, title) in enumerate(lines) if title)
            return _Density(tuple(Block("paragraph", line) for line, _ in lines), record, titles, tuple(furniture))
    return _Density((), furniture=tuple(furniture))


def _first_record(
    el: etree._Element,
    scores: dict[etree._Element, float],
    text_len: dict[etree._Element, int],
    link_len: dict[etree._Element, int],
    dead: set[etree._Element],
) -> tuple[etree._Element, bool]:
    """In a run of records (a thread's posts, the entries of a blog's page), the first record's text.

    A thread's opening post is its article, and the replies are not; the longest post, or the
    element holding them all, is what the density finds. A run is two or more siblings of one tag
    and class and inner structure (``_kind_of``), each a composite of blocks with text of its own:
    paragraphs in divs of one class are no run, they hold no blocks.
    """
    run = _run_of(el, text_len, dead)
    node = el
    for _ in range(3):
        if run or node.getparent() is None:
            break
        node = node.getparent()
        run = _run_of(node, text_len, dead, siblings=True)
    if not run:
        return el, False
    first = run[0]
    if el is first or any(a is first for a in el.iterancestors()):
        return el, True  # already inside the opening post
    inside = [(scores[e] * (1 - link_len.get(e, 0) / max(1, text_len.get(e, 0))), e) for e in first.iter() if e in scores and e.tag in _CONTAINERS]
    return (max(inside, key=lambda x: x[0])[1] if inside else first), True


def _run_of(el: etree._Element, text_len: dict[etree._Element, int], dead: set[etree._Element], *, siblings: bool = False) -> list[etree._Element]:
    """The records of a run: ``el``'s siblings like it (``siblings``), or the children of ``el`` that
    make one and hold most of its text."""
    if siblings:
        parent = el.getparent()
        if parent is None:
            return []
        kind = _kind_of(el)
        groups = [[c for c in parent if c.tag == el.tag and _kind_of(c) == kind]]
    else:
        by_kind: dict[tuple[object, ...], list[etree._Element]] = {}
        for c in el:
            if c.tag in _RECORD_TAGS:
                by_kind.setdefault(_kind_of(c), []).append(c)
        groups = list(by_kind.values())
    for group in groups:
        records = [c for c in group if c not in dead and text_len.get(c, 0) >= 20 and c.tag in _RECORD_TAGS and _COMPOSITE(c)]
        if len(records) >= 2 and (siblings or sum(text_len.get(c, 0) for c in records) * 10 >= 6 * text_len.get(el, 0)):
            return records
    return []


def _kind_of(el: etree._Element) -> tuple[object, ...]:
    """What a template makes alike: tag and class of the element, its children and theirs.

    The posts of a thread share it; the stacked tables of an old layout do not.
    """
    kind: list[object] = [el.tag, el.get("class")]
    for child in el:
        if isinstance(child.tag, str):
            kind.append((child.tag, child.get("class"), tuple((g.tag, g.get("class")) for g in child if isinstance(g.tag, str))))
    return tuple(kind)


# What a record of a run is made of: a post is a table or a div of blocks, never a lone paragraph.
_RECORD_TAGS = frozenset({"table", "div", "li", "article", "section", "dl", "tbody", "tr"})
_COMPOSITE = etree.XPath("boolean(.//p | .//div | .//td | .//table | .//br | .//dd)")


def _measure(
    root: etree._Element,
) -> tuple[dict[etree._Element, int], dict[etree._Element, int], set[etree._Element], list[etree._Element]]:
    """Per element: characters of text and of link text inside it; the furniture, all of it; and the
    outermost furniture elements, in document order.

    One walk gives the lengths and the elements that look like furniture; which of those are is
    judged after it, with the lengths. A wrapper that holds most of the page's text is no sidebar,
    whatever its class says (``ad_body``, ``side-by-side``), and an ASP.NET page sits in one <form>.
    """
    text_len: dict[etree._Element, int] = {}
    link_len: dict[etree._Element, int] = {}
    suspects: list[etree._Element] = []  # in document order: an outer one comes first
    stack: list[etree._Element] = []
    links = 0  # open <a> elements
    body = root.find("body")  # the <head> holds no text of the page
    for event, el in etree.iterwalk(root if body is None else body, events=("start", "end")):
        tag = el.tag
        if event == "start":
            stack.append(el)
            if tag == "a":
                links += 1
            if tag in _FURNITURE_TAGS or tag in _HIDDEN:
                suspects.append(el)
            else:
                cls, ident = el.get("class"), el.get("id")
                if (cls and _FURNITURE_NAME.search(cls)) or (ident and _FURNITURE_NAME.search(ident)):
                    suspects.append(el)
            # Lengths with inner spaces: a measure of how much text, not an exact count (a regex per node costs more).
            n = len(el.text.strip()) if el.text and tag not in _HIDDEN else 0
            text_len[el] = n
            link_len[el] = n if links else 0
            continue
        stack.pop()
        if tag == "a":
            links -= 1
        if stack:
            if tag in _HIDDEN:
                text_len[el] = link_len[el] = 0
            tail = len(el.tail.strip()) if el.tail else 0
            parent = stack[-1]
            text_len[parent] += text_len[el] + tail
            link_len[parent] += link_len[el] + (tail if links else 0)
    total = text_len.get(root if body is None else body, 0)
    dead: set[etree._Element] = set()
    outermost: list[etree._Element] = []
    for el in suspects:
        if el not in dead and (el.tag in _HIDDEN or not _wraps_article(el, text_len.get(el, 0), total)):
            dead.update(el.iter())
            outermost.append(el)
    return text_len, link_len, dead, outermost


def _wraps_article(el: etree._Element, chars: int, total: int) -> bool:
    """A wrapper of the page's article, whatever its tag or name says (``ad_body``, ``side-by-side``,
    the <form> of an ASP.NET page): it holds most of the page's text. Sidebars, menus and footers
    never do; a comment section or the replies of a thread can, so those stay furniture."""
    return chars * 2 >= total and not _REPLIES_NAME.search(f"{el.get('class') or ''} {el.get('id') or ''}")


def _own_text(el: etree._Element) -> str:
    """Text directly in ``el`` and its inline children, not in links or nested blocks."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in _BLOCKS and child.tag != "a":
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return "".join("".join(parts).split())


# Inside the article's container, a list item or heading that is one long link is a title the
# article lists (a round-up, a deals post), not navigation: menus are short words.
_TITLE_ITEMS = frozenset({"li", "dt", "dd", "h2", "h3", "h4"})
_TITLE_CHARS = 20


def _container_lines(
    container: etree._Element, text_len: dict[etree._Element, int], link_len: dict[etree._Element, int], dead: set[etree._Element]
) -> list[tuple[str, bool]]:
    """The container's text, a line per block element or <br>, furniture and link-dense blocks dropped;
    each line with whether it is a linked title.

    A list item or heading that is one long link stays when the container's own text goes on after
    it (a round-up, a deals post); a run of them that ends the container, or opens it, is the
    related stories or the replies to a post, and goes.
    """
    parts: list[str] = []
    walk = etree.iterwalk(container, events=("start", "end", "comment"))
    for event, el in walk:
        if event == "comment":
            parts.append(el.tail or "")
            continue
        block = el.tag in _BLOCKS
        if event == "start":
            chars = text_len.get(el, 0)
            linked = block and el.tag != "br" and chars and link_len.get(el, 0) * 2 > chars
            if el is not container and (el in dead or (linked and not _is_title(el, chars))):
                walk.skip_subtree()
                parts.append("\n")
                continue
            parts.append(_TITLE_MARK if linked and el is not container else "\n" if block else "")
            parts.append(el.text or "")
        else:
            parts.append("\n" if block else "")
            if el is not container:
                parts.append(el.tail or "")
    mark = _TITLE_MARK[1:]
    lines = [(t, raw.startswith(mark)) for raw in "".join(parts).split("\n") if (t := normalize(raw.lstrip(mark)))]
    titles = [title for _, title in lines]
    if all(titles):
        return []  # nothing but links: a list of them, and the density looks further
    first, last = titles.index(False), len(titles) - 1 - titles[::-1].index(False)
    return lines[first : last + 1]


def _is_title(el: etree._Element, chars: int) -> bool:
    """A list item or heading that is one long link and nothing more (no list of replies inside)."""
    return el.tag in _TITLE_ITEMS and chars >= _TITLE_CHARS and not _HOLDS_BLOCKS(el)


_HOLDS_BLOCKS = etree.XPath("boolean(.//li | .//ul | .//ol | .//div | .//table | .//p | .//dl)")


# Starts each line of a title item, so that the runs of them at either end can be told and dropped.
_TITLE_MARK = "\n\x01"
