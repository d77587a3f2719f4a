"""The one HTML parsing path: a page as an lxml tree, queried with the sites' compiled selectors.

Why lxml with cssselect and not BeautifulSoup: a 30–80 KB article page takes
BeautifulSoup ~20 ms to build and match in Python; lxml parses it with the
same libxml2 parser in well under a millisecond and the selectors, compiled
to XPath once (``sites.base.Selector``), run in C.

Text is read as the archive has always read it, so that stored versions stay
comparable across this change (release 0.1 read pages with BeautifulSoup):

* a string of ASCII whitespace alone counts as one "\\n" (or " "), except
  inside ``pre`` and ``textarea``;
* comments, processing instructions and the text of ``script``, ``style``,
  ``template``, ``rt`` and ``rp`` are no text, unless one asks for that
  element's own text;
* removing an element (page furniture) keeps the text after it where it was;
* a selector matches in document order, never inside a ``<template>`` (its
  contents are not part of the document), and never a removed element;
* ``class`` is split on any whitespace, an ideographic space included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import lxml.html
from lxml import etree

from series_archiver.sites import Selector

__all__ = ["Page", "parse"]

# Elements whose strings are not text of the elements around them.
_CONTAINERS = frozenset({"rt", "rp", "style", "script", "template"})
# Where whitespace-only strings are kept as they are.
_PRESERVE = frozenset({"pre", "textarea"})
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"
# XPath (normalize-space) splits class only on these; the archive always split on any whitespace.
_NOT_XPATH_SPACE = re.compile(r"[^\S \t\r\n]")
_TOKENS = re.compile(r"\S+")
# Attributes whose value is a list of tokens (class on any element, rel on a and link).
_LIST_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({"class", "accesskey", "dropzone"}),
    "a": frozenset({"rel", "rev"}),
    "link": frozenset({"rel", "rev"}),
    "area": frozenset({"rel"}),
}
# Some element lies deeper than 250 levels (XPath in C: /*/*/…, 251 steps).
_TOO_DEEP = etree.XPath("boolean(/" + "/".join(["*"] * 251) + ")")
_Context = tuple[str | None, bool]  # innermost string container around a string, and inside pre/textarea?


def parse(html: str, *, html_elements: bool = False) -> Page | None:
    """The page's tree, or None when it holds no element at all. Raises what lxml raises on input it refuses.

    ``html_elements``: lxml.html's element classes, which the generic path needs (it hands
    the tree to trafilatura, which takes nothing else, rather than have it parse the page
    again). Both parsers are libxml2's HTML parser with the same options, so the trees are
    the same; but lxml.html finds each element's class by a call into Python every time
    lxml makes an object for an element, about a tenth of the CPU of reading a profiled
    page. So the plain classes, unless asked.
    """
    if html[:1] == "\ufeff":
        html = html[1:]
    parser = lxml.html.HTMLParser(recover=True) if html_elements else etree.HTMLParser(recover=True)
    parser.feed(html)
    root = parser.close()
    if root is not None and _TOO_DEEP(root):
        # libxml2 builds its own tree only 256 levels down (100,000 nested
        # divs), silently; built from the parser's events, the tree keeps every level.
        parser = etree.HTMLParser(recover=True, target=etree.TreeBuilder())
        parser.feed(html)
        root = parser.close()
    if root is None or not isinstance(root.tag, str):
        return None
    for el in root.xpath("//*[@class]"):
        value = el.get("class")
        if _NOT_XPATH_SPACE.search(value):
            el.set("class", " ".join(_TOKENS.findall(value)))
    return Page(root)


class Page:
    """A parsed page, and the elements removed from it as furniture."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        # Removed elements and everything inside them. Nothing leaves the tree:
        # the text after a removed element must stay a string of its own.
        self._dead: set[etree._Element] = set()

    def remove(self, el: etree._Element) -> None:
        self._dead.update(el.iter())

    def alive(self, el: etree._Element) -> bool:
        return el not in self._dead

    # --- finding elements ------------------------------------------------------

    def select(self, selector: Selector, within: etree._Element | None = None) -> list[etree._Element]:
        """Elements matching ``selector`` in the whole document (inside ``within`` only, if given), in document order."""
        found = []
        # Inside ``within`` only: a selector that tests the element alone is run from
        # ``within`` (its matches there, and ``within`` itself, dropped below).
        local = within is not None and selector.element_only
        for el in selector.xpath(within if local else self.root):
            if not isinstance(el, etree._Element) or el in self._dead or (local and el is within):
                continue
            ancestors = list(el.iterancestors())
            if any(a.tag == "template" for a in ancestors):
                continue
            if within is not None and not local and not any(a is within for a in ancestors):
                continue
            found.append(el)
        return found

    def select_one(self, selector: Selector) -> etree._Element | None:
        found = self.select(selector)
        return found[0] if found else None

    def find_all(self, tags: str | Iterable[str], within: etree._Element | None = None, **attrs: str | bool) -> Iterator[etree._Element]:
        """Elements by tag name, in document order; an attribute given True must be present, a string must equal (one token of) it."""
        names = (tags,) if isinstance(tags, str) else tuple(tags)
        elements = within.iterdescendants(*names) if within is not None else self.root.iter(*names)
        for el in elements:
            if el not in self._dead and all(_has(el, key, wanted) for key, wanted in attrs.items()):
                yield el

    def find(self, tags: str | Iterable[str], within: etree._Element | None = None, **attrs: str | bool) -> etree._Element | None:
        return next(self.find_all(tags, within, **attrs), None)

    def children(self, el: etree._Element) -> Iterator[etree._Element]:
        """The elements directly inside ``el`` (no comments, no processing instructions)."""
        for child in el:
            if isinstance(child.tag, str) and child not in self._dead:
                yield child

    # --- reading text ------------------------------------------------------------

    def text(self, el: etree._Element, separator: str = "", strip: bool = False) -> str:
        """The text of ``el``: its strings in document order, joined by ``separator`` (each stripped, empty ones left out, if ``strip``)."""
        strings: Iterable[str] = self._strings(el)
        if strip:
            strings = (s for s in (s.strip() for s in strings) if s)
        return separator.join(strings)

    def string(self, el: etree._Element) -> str | None:
        """The one string inside ``el``, when it holds exactly one thing (a string, or an element holding one)."""
        while True:
            _, preserve = _context_in(el, _context_above(el))
            things: list[etree._Element | str] = [_as_parsed(el.text, preserve)] if el.text else []
            for child in el:
                if child not in self._dead:
                    things.append(child)
                if child.tail:
                    things.append(_as_parsed(child.tail, preserve))
                if len(things) > 1:
                    return None
            if len(things) != 1:
                return None
            (only,) = things
            if isinstance(only, str):
                return only
            if not isinstance(only.tag, str):
                return only.text or ""  # a comment or processing instruction
            el = only

    def title(self) -> str | None:
        """The text of the page's ``<title>``, None when it has none."""
        node = self.find("title")
        return None if node is None else self.text(node)

    def _strings(self, root: etree._Element) -> Iterator[str]:
        """The strings of ``root``'s subtree that are its text, in document order; iterative, for deep markup.

        A string counts when the innermost string container around it (script,
        style …, or none) is the one ``root`` itself is in.
        """
        wanted = root.tag if root.tag in _CONTAINERS else None
        dead = self._dead
        # (element, context it sits in, is it the root) or (tail text, context it sits in)
        stack: list[tuple[etree._Element, _Context, bool] | tuple[str, _Context]] = [(root, _context_above(root), True)]
        while stack:
            item = stack.pop()
            if len(item) == 2:
                text, where = item
                if where[0] == wanted:
                    yield _as_parsed(text, where[1])
                continue
            el, outer, is_root = item
            if not is_root and el.tail:
                stack.append((el.tail, outer))
            if el in dead or not isinstance(el.tag, str):
                continue  # removed, a comment or a processing instruction: only its tail is text
            inner = _context_in(el, outer)
            if el.text and inner[0] == wanted:
                yield _as_parsed(el.text, inner[1])
            for child in reversed(el):
                stack.append((child, inner, False))


def attribute(el: etree._Element, key: str) -> str | list[str] | None:
    """An attribute's value; class, rel … as the list of their tokens."""
    value = el.get(key)
    if value is None:
        return None
    if key in _LIST_ATTRIBUTES["*"] or key in _LIST_ATTRIBUTES.get(str(el.tag), ()):
        return _TOKENS.findall(value)
    return str(value)


def _has(el: etree._Element, key: str, wanted: str | bool) -> bool:
    value = attribute(el, key)
    if wanted is True:
        return value is not None
    if wanted is False:
        return value is None
    if isinstance(value, list):
        return wanted in value or (len(value) != 1 and " ".join(value) == wanted)
    return value == wanted


def _context_above(el: etree._Element) -> _Context:
    """The innermost string container around ``el`` (not itself), and whether a pre/textarea is around it."""
    container: str | None = None
    preserve = False
    for a in el.iterancestors():
        if container is None and a.tag in _CONTAINERS:
            container = str(a.tag)
        if a.tag in _PRESERVE:
            preserve = True
    return container, preserve


def _context_in(el: etree._Element, outer: _Context) -> _Context:
    """The context of ``el``'s own strings, given the context ``el`` sits in."""
    tag = el.tag
    return (str(tag) if tag in _CONTAINERS else outer[0], outer[1] or tag in _PRESERVE)


def _as_parsed(text: str, preserve: bool) -> str:
    """All-ASCII-whitespace counts as one newline or one space, outside pre and textarea."""
    if preserve or text.strip(_ASCII_SPACES):
        return text
    return "\n" if "\n" in text else " "
