"""The project's own markup in the archive, served as HTML only when it is exactly that.

Two kinds of stored value are HTML: the diffs the pipeline renders with
``decide.diff.render_html`` (``changes.diff_html``) and search snippets
(``search.snippet_html``). Article text is untrusted, so a value is served as
HTML only when it is exactly the markup those functions write (a fixed set of
tags, no attributes of our own choosing, every other ``<`` escaped); anything
else is shown escaped by the caller.
"""

from __future__ import annotations

import re

__all__ = ["safe_diff_html", "safe_snippet_html"]

# What diff.render_html writes: the wrapper, paragraphs, the "… n unchanged
# paragraphs" line, deletions and insertions. Its <style> block is dropped
# (browse.css carries the same rules), so no CSS from the database is served.
_DIFF_OPEN = '<div class="sa-diff">'
_DIFF_TAGS = {
    "<p>": "p",
    '<p class="diff-skip">': "p",
    '<del class="diff-del">': "del",
    '<ins class="diff-ins">': "ins",
}
_SNIPPET_TAGS = {"<mark>": "mark"}
_STYLE = re.compile(r"<style>[^<]*</style>")
_TAG = re.compile(r"(<[^<>]*>)")


def _balanced(html: str, opening: dict[str, str]) -> bool:
    """True when ``html`` is text and the allowed tags only, properly nested."""
    stack: list[str] = []
    for n, part in enumerate(_TAG.split(html)):
        if n % 2 == 0:
            if "<" in part or ">" in part:
                return False
        elif part in opening:
            stack.append(opening[part])
        elif part.startswith("</") and stack and part == f"</{stack[-1]}>":
            stack.pop()
        else:
            return False
    return not stack


def safe_diff_html(value: str) -> str | None:
    """The diff fragment ready to serve, or None when it is not what render_html writes."""
    if not (value.startswith(_DIFF_OPEN) and value.endswith("</div>")):
        return None
    inner = value[len(_DIFF_OPEN) : -len("</div>")]
    style = _STYLE.match(inner)
    if style:
        inner = inner[style.end() :]
    if not _balanced(inner, _DIFF_TAGS):
        return None
    return _DIFF_OPEN + inner + "</div>"


def safe_snippet_html(value: str) -> str | None:
    """The snippet ready to serve, or None when it holds any markup but ``<mark>``."""
    return value if _balanced(value, _SNIPPET_TAGS) else None
