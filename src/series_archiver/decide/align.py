"""Keep the previous version's rendering wherever the content did not change.

A page is not always served the same way: some paragraphs in simplified
script, full-width digits, spaces inside a line, another quote style. Folding
makes such renderings equal, so they never make a version; but when a real
edit is captured on a page that also shows another rendering, the new
version's text would carry that rendering, and its diff would count it as
edits. ``keep_rendering`` rewrites the new text so that:

* a line whose folded form equals a line of the previous version takes that
  line's text exactly;
* a line that really changed takes the previous rendering for every run of
  characters whose folded form is unchanged, and the new characters only
  where the folded content changed (an edit inside a re-rendered paragraph
  shows as that edit alone);
* the result always folds to what the new text folds to: it is the same
  content, in the previous rendering. Where that cannot be guaranteed for a
  line, the line is kept as the page has it.

Pure functions of strings; the raw capture stays the evidence of what was served.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from functools import lru_cache

from series_archiver.textfold import fold

__all__ = ["keep_rendering", "keep_line_rendering"]


def keep_rendering(previous: list[str], new: list[str]) -> list[str]:
    """``new``'s lines, each in ``previous``' rendering where its content is unchanged.

    >>> keep_rendering(["華為 １萬億", "第二段"], ["华为1万亿", "第二段改"])
    ['華為 １萬億', '第二段改']
    >>> keep_rendering(["真正的骨氣，是安"], ["真正的骨气，是心"])
    ['真正的骨氣，是心']
    """
    old_folded = [fold(line) for line in previous]
    new_folded = [fold(line) for line in new]
    out = list(new)
    matcher = SequenceMatcher(None, old_folded, new_folded, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out[j1:j2] = previous[i1:i2]
        elif tag == "replace":
            for j, i in _pairs(old_folded, new_folded, range(i1, i2), range(j1, j2)):
                out[j] = keep_line_rendering(previous[i], new[j])
    return out


def _pairs(old: list[str], new: list[str], olds: range, news: range) -> list[tuple[int, int]]:
    """Changed new lines paired with the changed old line each most resembles (in order; at least half alike)."""
    pairs: list[tuple[int, int]] = []
    start = olds.start
    for j in news:
        best, best_ratio = None, 0.5
        for i in range(start, olds.stop):
            ratio = SequenceMatcher(None, old[i], new[j], autojunk=False).ratio()
            if ratio > best_ratio:
                best, best_ratio = i, ratio
        if best is not None:
            pairs.append((j, best))
            start = best + 1  # keep the order of paragraphs: no crossing pairs
    return pairs


def keep_line_rendering(previous: str, new: str) -> str:
    """One line: the previous rendering for unchanged runs, the new text where the content changed."""
    old_units, new_units = _units(previous), _units(new)
    matcher = SequenceMatcher(None, [u[0] for u in old_units], [u[0] for u in new_units], autojunk=False)
    pieces: list[str] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pieces.extend(u[1] for u in old_units[i1:i2])
        elif tag in ("replace", "insert"):
            pieces.extend(u[1] for u in new_units[j1:j2])
    merged = "".join(pieces).strip()
    # Character by character folding can differ from folding the whole line
    # (OpenCC converts some phrases as a whole): then the line stays as served.
    return merged if fold(merged) == fold(new) else new


def _units(line: str) -> list[tuple[str, str]]:
    """The line as (folded form, source text) units: one per character that folds to something.

    Characters that fold to nothing (spaces, zero-width) ride with the unit
    before them, so an equal run keeps its own spacing and an edited one the new.
    """
    units: list[tuple[str, str]] = []
    lead = ""
    for char in line:
        folded = _fold_char(char)
        if folded:
            units.append((folded, lead + char))
            lead = ""
        elif units:
            units[-1] = (units[-1][0], units[-1][1] + char)
        else:
            lead += char
    if lead and units:
        units[0] = (units[0][0], lead + units[0][1])
    return units


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    return fold(char)
