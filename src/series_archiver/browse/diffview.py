"""A diff of two versions as the article page shows it: inline, and side by side.

Both views come from one ``TextDiff`` (``decide.diff``): paragraphs are rows;
deletions are ``<del class="diff-del">`` (struck through), insertions
``<ins class="diff-ins">`` (highlighted). Runs of unchanged paragraphs more than
one paragraph from a change fold into a ``<details>`` the reader can open, so
the whole text is there and the change is what shows. Every text is escaped:
article text is untrusted.
"""

from __future__ import annotations

from collections.abc import Iterator
from html import escape

import markupsafe

from series_archiver.decide.diff import DisplayRow, OpKind, TextDiff, display_rows

__all__ = ["inline_html", "side_by_side_html"]

_Row = DisplayRow
_CONTEXT = 1  # unchanged paragraphs shown on either side of a change


def _runs(rows: list[_Row]) -> Iterator[tuple[bool, list[_Row]]]:
    """(folded, rows): shown rows one by one, and runs of two or more unchanged rows far from a change."""
    changed = [i for i, row in enumerate(rows) if any(kind != "equal" for kind, _ in row)]
    keep = {j for i in changed for j in range(i - _CONTEXT, i + _CONTEXT + 1)}
    hidden: list[_Row] = []
    for i, row in enumerate(rows):
        if i in keep:
            if hidden:
                yield len(hidden) > 1, hidden
                hidden = []
            yield False, [row]
        else:
            hidden.append(row)
    if hidden:
        yield len(hidden) > 1, hidden


def _marked(row: _Row, show: tuple[OpKind, ...]) -> str:
    out = []
    for kind, text in row:
        if kind not in show:
            continue
        if kind == "delete":
            out.append(f'<del class="diff-del">{escape(text)}</del>')
        elif kind == "insert":
            out.append(f'<ins class="diff-ins">{escape(text)}</ins>')
        else:
            out.append(escape(text))
    return "".join(out)


def _fold(count: int, inner: str) -> str:
    words = f"{count} unchanged paragraph{'s' if count != 1 else ''}"
    return f'<details class="sa-fold"><summary>… {words}</summary>{inner}</details>'


def inline_html(diff: TextDiff) -> markupsafe.Markup:
    """One column: each paragraph with its deletions struck and insertions highlighted."""
    parts = ['<div class="sa-diff sa-inline">']
    for folded, rows in _runs(display_rows(diff)):
        inner = "".join(f"<p>{_marked(row, ('equal', 'delete', 'insert'))}</p>" for row in rows)
        parts.append(_fold(len(rows), inner) if folded else inner)
    parts.append("</div>")
    return markupsafe.Markup("".join(parts))


def side_by_side_html(diff: TextDiff, *, before: str, after: str) -> markupsafe.Markup:
    """Two columns, the earlier text (with its deletions) beside the later one (with its insertions)."""

    def pair(row: _Row) -> str:
        old = _marked(row, ("equal", "delete"))
        new = _marked(row, ("equal", "insert"))
        return f'<div class="sa-old"><p>{old}</p></div><div class="sa-new"><p>{new}</p></div>'

    parts = [
        '<div class="sa-diff sa-sbs">',
        f'<div class="sa-sbs-head">{escape(before)}</div><div class="sa-sbs-head">{escape(after)}</div>',
    ]
    for folded, rows in _runs(display_rows(diff)):
        inner = "".join(pair(row) for row in rows)
        parts.append(_fold(len(rows), f'<div class="sa-sbs-rows">{inner}</div>') if folded else inner)
    parts.append("</div>")
    return markupsafe.Markup("".join(parts))
