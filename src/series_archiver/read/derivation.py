"""Which code read a version's text from its raw pages, and reading stored pages again.

A version's text is *derived*: extraction, cleaning and folding turn the raw
pages into it, and each of those changes between releases (a new rule, a
dependency's new dictionary, another Unicode table). Each version records
the ``Derivation`` that produced it, so a later release can tell its own
change from the site's: it reads the stored pages again (``derive``) and
compares like with like (versions.py).

The identity is a digest of the source of the modules that turn bytes into
text, plus the versions of the libraries they lean on. It changes with any
release that touches them, which costs one re-reading per article on the
first pass after an upgrade, and never a false version.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import metadata, resources

from series_archiver.models import Article, StoredPage
from series_archiver.read.clean import clean
from series_archiver.read.extract import extract
from series_archiver.sites import Site

__all__ = ["Derivation", "current", "derive", "StoredPage"]

# The modules whose code decides what text a page yields.
_MODULES = ("read/extract.py", "read/generic.py", "read/density.py", "read/clean.py", "textfold.py", "read/reading.py", "decide/versions.py")
_PACKAGES = ("sites",)
# The libraries whose behaviour does too: trafilatura (pages no profile reads),
# lxml and cssselect (parsing, selectors), OpenCC (folding), and the Unicode
# tables behind NFKC, which follow the Python version.
_LIBRARIES = ("trafilatura", "lxml", "cssselect", "opencc")


@dataclass(frozen=True)
class Derivation:
    """The code that reads text from pages: a name per part, its version or digest."""

    components: Mapping[str, str]

    # Both are asked for every version recorded; the running derivation never changes.
    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.as_json().encode()).hexdigest()[:16]

    def as_json(self) -> str:
        return self._json

    @cached_property
    def _json(self) -> str:
        return json.dumps(dict(sorted(self.components.items())), ensure_ascii=False)


def current(sites: Sequence[Site] = ()) -> Derivation:
    """The running code's derivation, with the site profiles written in config (``settings.sites``).

    A configured site is code too: a changed selector is a new derivation.
    """
    configured = tuple(site.definition for site in sites if site.definition)
    return _current(configured)


@cache
def _current(configured: tuple[str, ...]) -> Derivation:
    from series_archiver._version import __version__

    package = resources.files("series_archiver")
    code = hashlib.sha256()
    for name in _MODULES:
        code.update(package.joinpath(name).read_bytes())
    for sub in _PACKAGES:
        for entry in sorted(package.joinpath(sub).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".py"):
                code.update(entry.read_bytes())
    components = {"series-archiver": __version__, "code": code.hexdigest()[:16], "unicode": unicodedata.unidata_version}
    if configured:
        components["sites"] = hashlib.sha256("\n".join(configured).encode()).hexdigest()[:16]
    for library in _LIBRARIES:
        try:
            components[library] = metadata.version(library)
        except metadata.PackageNotFoundError:
            continue
    return Derivation(components)


def derive(pages: Sequence[StoredPage], *, sites: Sequence[Site] | None = None) -> Article:
    """Read an article from its stored pages (page 1 first) with the running code.

    Raises ``ExtractError`` when the pages yield no article, like a live fetch.
    ``sites`` as for ``extract``.
    """
    extracted = [extract(page.content.decode(page.encoding, errors="replace"), page.url, sites=sites) for page in pages]
    return clean(extracted)
