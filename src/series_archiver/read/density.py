"""The density reading of a page: the container with the most sentence text that is not link text.

One of the two readings the generic path compares (generic.py). Furniture (nav, aside, footer,
comment sections, forms) goes by element, by class name and by link density, never by a word that
can be ordinary text. A wrapper holding most of the page's text is never furniture; in a run of
template-alike records (a thread's posts, a blog's entries on an archive page) the first record
is the article; on a short page whose text is mostly a form, the form is its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from series_archiver.models import Block
from series_archiver.textfold import normalize

__all__ = ["TITLE_CHARS", "Density", "density", "density_blocks"]

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
# Deeper than any real page. On such a tree each element object lxml frees walks up to the
# root, so a reading that touches every element costs depth x elements: no density reading there.
_TOO_DEEP = etree.XPath("boolean(/" + "/".join(["*"] * 200) + ")")


def _is_furniture(el: etree._Element) -> bool:
    if el.tag in _FURNITURE_TAGS:
        return True
    attrib = el.attrib
    if not attrib:
        return False
    cls, ident = attrib.get("class"), attrib.get("id")
    return (cls is not None and _FURNITURE_NAME.search(cls) is not None) or (ident is not None and _FURNITURE_NAME.search(ident) is not None)


def density_blocks(root: etree._Element) -> tuple[Block, ...]:
    """Blocks of the container whose own text is richest in sentences and poorest in links."""
    return density(root).blocks


@dataclass(frozen=True)
class Density:
    """The density reading."""

    blocks: tuple[Block, ...]
    post: bool = False  # the blocks are the first of a run of records (a thread's opening post)
    titles: frozenset[int] = frozenset()  # which blocks are linked titles
    furniture: tuple[etree._Element, ...] = ()  # the outermost furniture of the page, in document order
    form_page: tuple[Block, ...] = ()  # a short page's text with its forms, where forms hold much of it (_form_page)
    lead: int = 0  # how many of the blocks are the standfirst set just above the container (_lead)


def density(root: etree._Element) -> Density:
    """The density reading of the page. Every walk is one pass over the tree, without recursion."""
    if _TOO_DEEP(root):
        return Density(())
    text_len, link_len, dead, furniture = _measure(root)
    form_page = _form_page(root, text_len, link_len, dead, furniture)
    for box in _form_boxes(furniture, text_len):
        dead.update(box.iter())
        furniture.append(box)
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
            lead = [] if record else _lead(el, text_len, link_len, dead)
            lines = [(line, False) for line in lead] + lines
            titles = frozenset(i for i, (_, title) in enumerate(lines) if title)
            blocks = tuple(Block("paragraph", line) for line, _ in lines)
            return Density(blocks, record, titles, tuple(furniture), form_page, len(lead))
    return Density((), furniture=tuple(furniture), form_page=form_page)


# A form whose own text (labels, not links) is at least this long says something; a page whose text
# with its forms is at most _FORM_PAGE_CHARS is a short page, no article with a form beside it.
_FORM_CHARS = 40
_FORM_PAGE_CHARS = 1000


# A standfirst is one paragraph of sentences: this long at least, with two marks of punctuation.
_LEAD_CHARS = 80
_LEAD_TAGS = frozenset({"div", "p", "section"})


def _lead(el: etree._Element, text_len: dict[etree._Element, int], link_len: dict[etree._Element, int], dead: set[etree._Element]) -> list[str]:
    """The standfirst set just above the article's container, in a block of its own beside it: the
    first sibling before the container that holds text, when it is one paragraph of sentences with
    no link text (a teaser of another story is a link; a title, a byline or a caption is no such
    paragraph). Text loose between the two is no layout of this kind: nothing then."""
    sib = el.getprevious()
    while sib is not None and not (sib.tail or "").strip() and (not isinstance(sib.tag, str) or (sib not in dead and not text_len.get(sib))):
        sib = sib.getprevious()
    if sib is None or (sib.tail or "").strip() or sib in dead or sib.tag not in _LEAD_TAGS or link_len.get(sib):
        return []
    lines = _container_lines(sib, text_len, link_len, dead)
    line = lines[0][0] if len(lines) == 1 else ""
    return [line] if len("".join(line.split())) >= _LEAD_CHARS and len(_PUNCT.findall(line)) >= 2 else []


# A form's box says this much beside the form at most (a heading, a line of pitch, the fine print),
# in two paragraphs at most and none longer than a line of pitch: a short article beside a comment
# form has more of them, or longer.
_BOX_CHARS = 500
_PITCH_CHARS = 150
_PITCH_LINES = 2
_TYPED = etree.XPath("boolean(.//input[not(@type) or @type='text' or @type='email'] | .//textarea)")


def _form_boxes(furniture: list[etree._Element], text_len: dict[etree._Element, int]) -> list[etree._Element]:
    """The boxes the page's forms for typing in stand in (a newsletter sign-up, a comment form), with
    the heading and the pitch beside the form: the outermost element around such a form whose text
    outside the form is short. Inside an article's container the box is furniture as its form is."""
    boxes = []
    for form in furniture:
        if form.tag != "form" or not _TYPED(form):
            continue
        box, node = None, form
        while (up := node.getparent()) is not None and up.tag not in ("body", "html"):
            said = [p for p in up.iter("p") if text_len.get(p) and form not in p.iterancestors()]
            if text_len.get(up, 0) - text_len.get(form, 0) > _BOX_CHARS or len(said) > _PITCH_LINES or any(text_len[p] > _PITCH_CHARS for p in said):
                break
            node = up
            if text_len.get(up, 0) > text_len.get(form, 0):
                box = up
        if box is not None:
            boxes.append(box)
    return boxes


def _form_page(
    root: etree._Element,
    text_len: dict[etree._Element, int],
    link_len: dict[etree._Element, int],
    dead: set[etree._Element],
    furniture: list[etree._Element],
) -> tuple[Block, ...]:
    """The text of a short page whose forms say much of it (a login form, an error page), the forms
    included; nothing on any other page. Forms are furniture beside an article, but on a page
    with no article they are its text."""
    forms = [el for el in furniture if el.tag == "form" and text_len.get(el, 0) - link_len.get(el, 0) >= _FORM_CHARS]
    body = root.find("body")
    if not forms or body is None:
        return ()
    alive = set().union(*(set(form.iter()) for form in forms))
    lines = _container_lines(body, text_len, link_len, dead - alive)
    blocks = tuple(Block("paragraph", line) for line, _ in lines)
    return blocks if sum(len("".join(b.text.split())) for b in blocks) <= _FORM_PAGE_CHARS else ()


def _first_record(
    el: etree._Element,
    scores: dict[etree._Element, float],
    text_len: dict[etree._Element, int],
    link_len: dict[etree._Element, int],
    dead: set[etree._Element],
) -> tuple[etree._Element, bool]:
    """In a run of records (a thread's posts, the entries of a blog's page), the first record's text.

    A thread's opening post is its article, and the replies are not; a blog's page of several
    entries (a date archive) reads as its first, newest entry. The longest record, or the element
    holding them all, is what the density finds. A run is two or more siblings of one tag and class
    and inner structure (``_kind_of``), each a composite of blocks with text of its own: paragraphs
    in divs of one class are no run, they hold no blocks. Further up than ``_NEAR`` levels (an old
    layout nests each entry in tables), a run must look like one beyond doubt: three records or
    more, none of them link-dense, that hold most of their parent's text.
    """
    run = _run_of(el, text_len, link_len, dead)
    node = el
    for level in range(_FAR):
        if run or node.getparent() is None:
            break
        node = node.getparent()
        run = _run_of(node, text_len, link_len, dead, siblings=True, strict=level >= _NEAR)
    if not run:
        return el, False
    first = run[0]
    if el is first or any(a is first for a in el.iterancestors()):
        return el, True  # already inside the opening post
    inside = [(scores[e] * (1 - link_len.get(e, 0) / max(1, text_len.get(e, 0))), e) for e in first.iter() if e in scores and e.tag in _CONTAINERS]
    return (max(inside, key=lambda x: x[0])[1] if inside else first), True


_NEAR = 3  # levels above the density's container where a run of two records counts
_FAR = 9  # levels above it where a run counts at all (see _first_record)


def _run_of(
    el: etree._Element,
    text_len: dict[etree._Element, int],
    link_len: dict[etree._Element, int],
    dead: set[etree._Element],
    *,
    siblings: bool = False,
    strict: bool = False,
) -> list[etree._Element]:
    """The records of a run: ``el``'s siblings like it (``siblings``), or the children of ``el`` that
    make one and hold most of its text; with ``strict``, three or more that are not link-dense and
    hold most of their parent's text."""
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
        if len(records) < 2:
            continue
        if strict:
            parent = el.getparent()
            held = sum(text_len.get(c, 0) for c in records)
            if (
                len(records) < 3
                or parent is None
                or held * 10 < 6 * text_len.get(parent, 0)
                or any(link_len.get(c, 0) * 2 >= text_len.get(c, 0) for c in records)
            ):
                continue
            return records
        if siblings or sum(text_len.get(c, 0) for c in records) * 10 >= 6 * text_len.get(el, 0):
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
        # A script's code is no text of the page, wherever it stands.
        if isinstance(child.tag, str) and child.tag not in _BLOCKS and child.tag != "a" and child.tag not in _HIDDEN:
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return "".join("".join(parts).split())


# Inside the article's container, a list item or heading that is one long link is a title the
# article lists (a round-up, a deals post), not navigation: menus are short words.
_TITLE_ITEMS = frozenset({"li", "dt", "dd", "h2", "h3", "h4"})
TITLE_CHARS = 20


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
    return el.tag in _TITLE_ITEMS and chars >= TITLE_CHARS and not _HOLDS_BLOCKS(el)


_HOLDS_BLOCKS = etree.XPath("boolean(.//li | .//ul | .//ol | .//div | .//table | .//p | .//dl)")


# Starts each line of a title item, so that the runs of them at either end can be told and dropped.
_TITLE_MARK = "\n\x01"
