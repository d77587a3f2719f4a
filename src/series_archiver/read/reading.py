"""A reading: an article's title and text as the running code read them, folded once.

Folding (``textfold.fold``: one script, one width, no spaces, one quote style)
is what every comparison works on: the version decision, dedupe, time order,
search. It is the costliest step after parsing, so a text is folded once,
here, and the ``Reading`` travels with it.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from series_archiver.models import document_text
from series_archiver.textfold import fold

__all__ = ["Reading"]


@dataclass(frozen=True)
class Reading:
    """An article's title and text as one derivation read them, folded once by the running code."""

    title: str
    text: str
    folded_title: str
    folded_text: str

    @classmethod
    def of(cls, title: str, text: str) -> Reading:
        return cls(title, text, fold(title), fold(text))

    @functools.cached_property  # compared many times when a history is renumbered (timeline.recompute)
    def key(self) -> str:
        """The content hash: 16 hex digits of the SHA-256 of the folded title line and text."""
        return hashlib.sha256(f"{self.folded_title}\n{self.folded_text}".encode()).hexdigest()[:16]

    @property
    def document(self) -> str:
        return document_text(self.title, self.text)
