"""The BeautifulSoup calls extract.py and discovery.py make, answered by lxml: 10× faster, same answers.

Why: a takungpao article page (30–80 KB) takes BeautifulSoup ~9 ms to build
(one Python object per node) and soupsieve another ~10 ms to match the
profile's selectors in Python, where trafilatura reads the whole page in
~14 ms. lxml parses it with the same parser (libxml2, the one BeautifulSoup's
"lxml" builder drives) in ~0.5 ms, and XPath compiled from the same CSS
selectors (cssselect) answers in C. So ``extract()`` runs its profile code,
unchanged, on an ``LxmlSoup`` first, and discovery reads list pages with one.
BeautifulSoup stays the reference: it reads the pages ``parse`` declines
(None), and any page where a call is made that this module does not answer
(``Unanswered``, an AttributeError).

The semantics copied from BeautifulSoup 4 (``bs4.element.Tag``, ``BeautifulSoup.endData``) and soupsieve:

* strings: a run of ASCII whitespace alone is stored as one "\n" (or " "),
  except inside ``pre`` and ``textarea``; ``get_text`` joins the strings of the
  subtree in document order, leaving out comments, processing instructions and
  the text of ``script``, ``style``, ``template``, ``rt`` and ``rp`` (other string
  classes in BeautifulSoup), unless the tag itself is one of those.
* ``decompose``: the tag and its subtree leave the document; the text after it
  (lxml's ``tail``) stays where it was, a string of its own.
* ``select``: matches in document order, nothing inside a ``<template>``
  (soupsieve does not count its contents as part of the document); on a tag,
  its descendants (never itself) that match in the context of the whole document.
* ``find`` / ``find_all`` / ``find_parent`` by tag names; attribute filters
  True (present) or a string (equal; for class, rel … equal to one token or to all).
* ``get``: class, rel and the other multi-valued attributes as lists of tokens.

tests/test_lxmlsoup.py holds both paths equal on every page of the bundled
replica, on markup made to tell them apart and on random documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from bs4 import Comment, NavigableString, Tag
from bs4.element import ProcessingInstruction, RubyParenthesisString, RubyTextString, Script, Stylesheet, TemplateString
from cssselect import HTMLTranslator
from lxml import etree

__all__ = ["LxmlSoup", "LxmlTag", "Unanswered", "parse"]

# Tags whose strings BeautifulSoup's HTML builders keep as other classes than
# NavigableString (DEFAULT_STRING_CONTAINERS), so get_text() leaves them out.
_STRING_CLASSES: dict[str | None, type[NavigableString]] = {
    None: NavigableString,
    "rt": RubyTextString,
    "rp": RubyParenthesisString,
    "style": Stylesheet,
    "script": Script,
    "template": TemplateString,
}
_CONTAINERS = frozenset(k for k in _STRING_CLASSES if k)
# Where BeautifulSoup keeps whitespace-only strings as they are; elsewhere it
# stores one "\n" (or " ") for them (BeautifulSoup.endData).
_PRESERVE = frozenset({"pre", "textarea"})
_ASCII_SPACES = "\x20\x0a\x09\x0c\x0d"
# BeautifulSoup splits class="a b" on any Unicode whitespace; XPath's
# normalize-space only on these four. A page with other spaces in a class
# attribute goes to BeautifulSoup.
_XML_SPACE_ONLY = re.compile(r"[^\S \t\r\n]")
# Attributes BeautifulSoup splits into a list of tokens
# (HTMLTreeBuilder.DEFAULT_CDATA_LIST_ATTRIBUTES): "*" is every tag.
_LIST_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({"class", "accesskey", "dropzone"}),
    "a": frozenset({"rel", "rev"}),
    "link": frozenset({"rel", "rev"}),
    "td": frozenset({"headers"}),
    "th": frozenset({"headers"}),
    "form": frozenset({"accept-charset"}),
    "object": frozenset({"archive"}),
    "area": frozenset({"rel"}),
    "icon": frozenset({"sizes"}),
    "iframe": frozenset({"sandbox"}),
    "output": frozenset({"for"}),
}
_TOKENS = re.compile(r"\S+")
_TRANSLATOR = HTMLTranslator()
_MAX_DEPTH = 250


class Unanswered(AttributeError):
    """A BeautifulSoup call this facade does not answer: the caller reads the page with BeautifulSoup."""


@lru_cache(maxsize=128)
def _xpath(selector: str) -> etree.XPath:
    return etree.XPath(_TRANSLATOR.css_to_xpath(selector))


def parse(html: str) -> LxmlSoup | None:
    """The page as BeautifulSoup(html, "lxml") would see it, or None where this module may not agree."""
    if html[:1] == "\ufeff":
        html = html[1:]  # BeautifulSoup drops a leading byte order mark too
    # The parser BeautifulSoup's lxml builder makes (recover=True), fed the
    # whole string at once, as it does.
    parser = etree.HTMLParser(recover=True)
    try:
        parser.feed(html)
        root = parser.close()
    except (etree.LxmlError, ValueError, TypeError):
        return None
    if root is None or not isinstance(root.tag, str):
        return None
    if _deeper_than(root, _MAX_DEPTH):
        return None  # libxml2 drops what lies deeper than 256 levels, silently; BeautifulSoup's events keep it
    if any(_XML_SPACE_ONLY.search(value) for value in root.xpath("//@class")):
        return None
    return LxmlSoup(root)


def _deeper_than(root: etree._Element, limit: int) -> bool:
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > limit:
            return True
    return False


class LxmlSoup:
    """The document: what extract.py asks of a ``BeautifulSoup``."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self.removed: set[etree._Element] = set()

    def __getattr__(self, name: str) -> Any:
        raise Unanswered(f"lxmlsoup.LxmlSoup has no {name!r}; BeautifulSoup reads this page instead")

    def wrap(self, el: etree._Element) -> LxmlTag:
        return LxmlTag(self, el)

    def alive(self, el: etree._Element) -> bool:
        """False for a decomposed tag or anything inside one."""
        if not self.removed:
            return True
        if el in self.removed:
            return False
        return not any(a in self.removed for a in el.iterancestors())

    # --- BeautifulSoup's API, as extract.py uses it -----------------------------

    def matches(self, selector: str) -> Iterator[etree._Element]:
        """Elements matching ``selector``, in document order, as soupsieve finds them.

        soupsieve never enters a ``<template>``: its contents are not part of the document.
        """
        for el in _xpath(selector)(self.root):
            if self.alive(el) and not any(a.tag == "template" for a in el.iterancestors()):
                yield el

    def select(self, selector: str) -> list[LxmlTag]:
        return [self.wrap(el) for el in self.matches(selector)]

    def select_one(self, selector: str) -> LxmlTag | None:
        for el in self.matches(selector):
            return self.wrap(el)
        return None

    def find(self, name: str | Iterable[str], attrs: dict[str, Any] | None = None, **kwargs: Any) -> LxmlTag | None:
        for tag in self.find_all(name, attrs, **kwargs):
            return tag
        return None

    def find_all(self, name: str | Iterable[str], attrs: dict[str, Any] | None = None, **kwargs: Any) -> list[LxmlTag]:
        return _find_all(self, self.root.iter(*_names(name)), {**(attrs or {}), **kwargs})

    @property
    def title(self) -> LxmlTag | None:
        return self.find("title")


class LxmlTag(Tag):
    """One element: what extract.py asks of a ``bs4.Tag``.

    A subclass of ``Tag`` only so that ``isinstance(x, Tag)`` holds; none of
    Tag's machinery runs (its __init__ is not called). Whatever is not
    defined here raises AttributeError, and extract() then gives the page to
    BeautifulSoup: a call this facade cannot answer costs time, never a wrong answer.
    """

    def __init__(self, soup: LxmlSoup, el: etree._Element) -> None:
        # No Tag.__init__, on purpose; __dict__ directly, since Tag may one day define __setattr__.
        self.__dict__["soup"] = soup
        self.__dict__["el"] = el

    soup: LxmlSoup
    el: etree._Element

    def __getattr__(self, name: str) -> Any:
        raise Unanswered(f"lxmlsoup.LxmlTag has no {name!r}; BeautifulSoup reads this page instead")

    def __repr__(self) -> str:
        return f"<LxmlTag {self.el.tag}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LxmlTag) and other.el is self.el

    def __hash__(self) -> int:
        return hash(self.el)

    def __bool__(self) -> bool:
        return True  # as a bs4.Tag, whatever it holds

    @property
    def name(self) -> str:
        return str(self.el.tag)

    def get(self, key: str, default: Any = None) -> Any:
        value = _attribute(self.el, key)
        return default if value is None else value

    def __getitem__(self, key: str) -> Any:
        value = _attribute(self.el, key)
        if value is None:
            raise KeyError(key)
        return value

    def get_text(self, separator: str = "", strip: bool = False) -> str:
        strings: Iterable[str] = _strings(self.soup, self.el)
        if strip:
            strings = (s for s in (s.strip() for s in strings) if s)
        return separator.join(strings)

    @property
    def string(self) -> str | None:
        """The one string inside, as ``Tag.string``: None when there are several children."""
        children = list(self.children)
        if len(children) != 1:
            return None
        (only,) = children
        return only.string if isinstance(only, LxmlTag) else str(only)

    @property
    def children(self) -> Iterator[PageElementLike]:
        """Strings (of BeautifulSoup's classes), comments and tags directly inside, in order."""
        el, soup = self.el, self.soup
        container, preserve = _context_in(el, _context_above(el))
        text_class = _STRING_CLASSES[container]
        if el.text:
            yield text_class(_as_parsed(el.text, preserve))
        for child in el:
            if child not in soup.removed:
                if isinstance(child.tag, str):
                    yield soup.wrap(child)
                else:
                    kind = Comment if child.tag is etree.Comment else ProcessingInstruction
                    yield kind(child.text or "")
            if child.tail:
                yield text_class(_as_parsed(child.tail, preserve))

    def select(self, selector: str) -> list[LxmlTag]:
        el = self.el
        return [self.soup.wrap(m) for m in self.soup.matches(selector) if any(a is el for a in m.iterancestors())]

    def select_one(self, selector: str) -> LxmlTag | None:
        found = self.select(selector)
        return found[0] if found else None

    def find(self, name: str | Iterable[str], attrs: dict[str, Any] | None = None, **kwargs: Any) -> LxmlTag | None:
        for tag in self.find_all(name, attrs, **kwargs):
            return tag
        return None

    def find_all(self, name: str | Iterable[str], attrs: dict[str, Any] | None = None, **kwargs: Any) -> list[LxmlTag]:
        return _find_all(self.soup, self.el.iterdescendants(*_names(name)), {**(attrs or {}), **kwargs})

    def find_parent(self, name: str | Iterable[str]) -> LxmlTag | None:
        names = set(_names(name))
        for a in self.el.iterancestors():
            if a.tag in names:
                return self.soup.wrap(a)
        return None

    def decompose(self) -> None:
        self.soup.removed.add(self.el)


PageElementLike = LxmlTag | NavigableString


def _names(name: str | Iterable[str]) -> tuple[str, ...]:
    return (name,) if isinstance(name, str) else tuple(name)


def _attribute(el: etree._Element, key: str) -> str | list[str] | None:
    """An attribute as BeautifulSoup gives it: class, rel … as a list of tokens."""
    value = el.get(key)
    if value is None:
        return None
    if key in _LIST_ATTRIBUTES["*"] or key in _LIST_ATTRIBUTES.get(el.tag, ()):
        return _TOKENS.findall(value)
    return str(value)


def _matches(el: etree._Element, key: str, wanted: Any) -> bool:
    """BeautifulSoup's attribute filter: True for present, a string for equal (any token, or all of them)."""
    value = _attribute(el, key)
    if wanted is True:
        return value is not None
    if not isinstance(wanted, str) or key.endswith("_"):
        raise Unanswered(f"attribute filter {key}={wanted!r} is left to BeautifulSoup")
    if isinstance(value, list):
        return wanted in value or (len(value) != 1 and " ".join(value) == wanted)
    return value == wanted


def _find_all(soup: LxmlSoup, elements: Iterable[etree._Element], attrs: dict[str, Any]) -> list[LxmlTag]:
    out = []
    for el in elements:
        if not soup.alive(el):
            continue
        if attrs and not all(_matches(el, k, v) for k, v in attrs.items()):
            continue
        out.append(soup.wrap(el))
    return out


def _context_above(el: etree._Element) -> tuple[str | None, bool]:
    """The innermost string container around ``el`` (not itself), and whether a pre/textarea is around it."""
    container: str | None = None
    preserve = False
    for a in el.iterancestors():
        if container is None and a.tag in _CONTAINERS:
            container = str(a.tag)
        if a.tag in _PRESERVE:
            preserve = True
    return container, preserve


def _context_in(el: etree._Element, outer: tuple[str | None, bool]) -> tuple[str | None, bool]:
    """The context of ``el``'s own text, given the context ``el`` sits in."""
    tag = el.tag
    return (tag if tag in _CONTAINERS else outer[0], outer[1] or tag in _PRESERVE)


def _as_parsed(text: str, preserve: bool) -> str:
    """The string as BeautifulSoup stores it: all-ASCII-whitespace becomes one newline or one space."""
    if preserve or text.strip(_ASCII_SPACES):
        return text
    return "\n" if "\n" in text else " "


def _strings(soup: LxmlSoup, root: etree._Element) -> Iterator[str]:
    """The strings ``Tag._all_strings`` yields for ``root``, in document order.

    A string counts when the innermost string container around it (script,
    style …, or none) is the one ``root`` is interested in. Iterative, so deep
    markup cannot exhaust the stack.
    """
    wanted = root.tag if root.tag in _CONTAINERS else None
    removed = soup.removed
    Context = tuple[str | None, bool]
    # (element, context it sits in, is it the root) or (tail text, context it sits in)
    stack: list[tuple[etree._Element, Context, bool] | tuple[str, Context]] = [(root, _context_above(root), True)]
    while stack:
        item = stack.pop()
        if len(item) == 2:
            text, where = item  # type: ignore[misc]
            if where[0] == wanted:
                yield _as_parsed(text, where[1])
            continue
        el, outer, is_root = item  # type: ignore[misc]
        if not is_root and el.tail:
            stack.append((el.tail, outer))
        if el in removed or not isinstance(el.tag, str):
            continue  # a decomposed tag, a comment or a processing instruction: only its tail is text
        inner = _context_in(el, outer)
        if el.text and inner[0] == wanted:
            yield _as_parsed(el.text, inner[1])
        for child in reversed(el):
            stack.append((child, inner, False))
