"""Character-level diffs of two versions of an article, made to read well in Chinese.

A version is text with one block (paragraph or heading) per line. Paragraphs
are aligned first, as whole lines; only a paragraph replaced by another is
diffed character by character, with diff-match-patch's semantic cleanup, and a
changed number is widened to the whole number (``1萬億`` -> ``1.2萬億``, not an
inserted ``.2``). A paragraph moved elsewhere is one delete and one insert.

The ops re-compose both texts exactly: equal + delete ops give the old text,
equal + insert ops the new one, "\\n" separators included. Within a run of
changes between two equal ops, the delete comes first.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from diff_match_patch import diff_match_patch

__all__ = ["DiffOp", "TextDiff", "diff_texts", "DisplayRow", "display_rows", "layout", "skipped_line", "render_html"]

OpKind = Literal["equal", "insert", "delete"]

#: Seconds one ``diff_texts`` call may spend searching for a minimal diff; past
#: it the result is still correct, only coarser (whole paragraphs replaced).
DIFF_TIMEOUT = 1.0
# A replaced paragraph pair sharing less than this share of its characters is
# shown as one paragraph deleted and another inserted, not as confetti.
_MIN_SHARED = 0.2


@dataclass(frozen=True)
class DiffOp:
    op: OpKind
    text: str


@dataclass(frozen=True)
class TextDiff:
    """The ops turning one version into the next, and how many characters changed.

    ``chars_added`` / ``chars_removed`` count the code points of insert / delete
    ops *without* the "\\n" block separators: splitting a paragraph in two is a
    change (``changed`` is true) that adds no characters.
    """

    ops: tuple[DiffOp, ...]
    chars_added: int
    chars_removed: int

    @classmethod
    def from_ops(cls, ops: Iterable[DiffOp]) -> TextDiff:
        ops = tuple(ops)
        return cls(
            ops=ops,
            chars_added=sum(_count(o.text) for o in ops if o.op == "insert"),
            chars_removed=sum(_count(o.text) for o in ops if o.op == "delete"),
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TextDiff:
        """Inverse of ``as_json``."""
        return cls.from_ops(DiffOp(o["op"], o["text"]) for o in data["ops"])

    @property
    def changed(self) -> bool:
        return any(o.op != "equal" for o in self.ops)

    @property
    def old(self) -> str:
        return "".join(o.text for o in self.ops if o.op != "insert")

    @property
    def new(self) -> str:
        return "".join(o.text for o in self.ops if o.op != "delete")

    def as_json(self) -> dict[str, Any]:
        return {
            "chars_added": self.chars_added,
            "chars_removed": self.chars_removed,
            "ops": [{"op": o.op, "text": o.text} for o in self.ops],
        }

    def summary(self, width: int = 40) -> str:
        """One line naming the first change.

        ``「…突破1萬億→1.2萬億美元…」`` for a replacement, with up to six
        characters of context from the same paragraph; ``+「新增一句。」`` for an
        insertion, ``-「刪去的句子。」`` for a deletion; `` (+N more)`` when other
        changes follow; ``no change``. ``width`` bounds the characters quoted.
        """
        hunks = list(_hunks(self.ops))
        if not hunks:
            return "no change"
        start, end = hunks[0]
        deleted = "".join(o.text for o in self.ops[start:end] if o.op == "delete")
        inserted = "".join(o.text for o in self.ops[start:end] if o.op == "insert")
        if deleted and inserted:
            half = max(width // 2, 1)
            deleted = _clip(_one_line(deleted), half)
            inserted = _clip(_one_line(inserted), max(width - len(deleted), 1))
            room = max(width - len(deleted) - len(inserted), 0)
            before = self.ops[start - 1].text.rpartition("\n")[2] if start > 0 else ""
            after = self.ops[end].text.partition("\n")[0] if end < len(self.ops) else ""
            n_before = min(len(before), 6, room // 2)
            n_after = min(len(after), 6, room - n_before)
            text = (
                ("…" if n_before < len(before) else "")
                + before[len(before) - n_before :]
                + f"{deleted}→{inserted}"
                + after[:n_after]
                + ("…" if n_after < len(after) else "")
            )
            line = f"「{text}」"
        elif inserted:
            line = f"+「{_clip(_one_line(inserted), width)}」"
        else:
            line = f"-「{_clip(_one_line(deleted), width)}」"
        if len(hunks) > 1:
            line += f" (+{len(hunks) - 1} more)"
        return line


def diff_texts(old: str, new: str, *, timeout: float = DIFF_TIMEOUT) -> TextDiff:
    """Diff two versions, paragraphs ("\\n"-separated lines) first, then characters."""
    if old == new:
        return TextDiff.from_ops([DiffOp("equal", old)] if old else [])
    dmp = diff_match_patch()
    deadline = time.monotonic() + timeout
    old_lines, new_lines = old.split("\n"), new.split("\n")
    # Work on old + "\n" and new + "\n" so that every paragraph, the last one
    # included, carries its separator; _drop_final_newline takes it off again.
    ops: list[DiffOp] = []
    for kind, deleted, inserted in _align_lines(dmp, old_lines, new_lines, deadline):
        if kind == "equal":
            ops.append(DiffOp("equal", "".join(line + "\n" for line in deleted)))
        elif not inserted:
            ops.append(DiffOp("delete", "".join(line + "\n" for line in deleted)))
        elif not deleted:
            ops.append(DiffOp("insert", "".join(line + "\n" for line in inserted)))
        elif len(deleted) == len(inserted):
            for old_par, new_par in zip(deleted, inserted, strict=True):
                ops.extend(_diff_paragraphs(dmp, old_par, new_par, deadline))
        else:  # paragraphs split, joined, or some added or dropped around an edit
            ops.extend(_diff_paragraphs(dmp, "\n".join(deleted), "\n".join(inserted), deadline))
    return TextDiff.from_ops(_canonical(_drop_final_newline(_canonical(ops))))


# --- paragraphs -----------------------------------------------------------


def _align_lines(
    dmp: diff_match_patch, old: list[str], new: list[str], deadline: float
) -> Iterator[tuple[str, list[str], list[str]]]:
    """(kind, old lines, new lines) runs: "equal", or "replace" (either side may be empty)."""
    # diff-match-patch's line mode: one character stands for one distinct line.
    codes: dict[str, str] = {}

    def encode(lines: list[str]) -> str:
        out = []
        for line in lines:
            code = codes.get(line)
            if code is None:
                n = len(codes) + 1
                code = codes[line] = chr(n + 0x800 if n >= 0xD800 else n)  # skip surrogates
            out.append(code)
        return "".join(out)

    dmp.Diff_Timeout = max(deadline - time.monotonic(), 0.001)
    diffs = dmp.diff_main(encode(old), encode(new), False)
    i = j = 0
    deleted: list[str] = []
    inserted: list[str] = []
    for op, chars in diffs:
        n = len(chars)
        if op == 0:
            if deleted or inserted:
                yield "replace", deleted, inserted
                deleted, inserted = [], []
            yield "equal", old[i : i + n], new[j : j + n]
            i, j = i + n, j + n
        elif op == -1:
            deleted.extend(old[i : i + n])
            i += n
        else:
            inserted.extend(new[j : j + n])
            j += n
    if deleted or inserted:
        yield "replace", deleted, inserted


# --- characters -----------------------------------------------------------

# A changed digit is widened to the whole number around it, units included.
_NUMBER_CHARS = frozenset("0123456789０１２３４５６７８９.,．%％十百千萬万億亿兆")
_SEPARATORS = ",.．"
_DIGIT = re.compile(r"[0-9０-９]")


def _diff_paragraphs(dmp: diff_match_patch, old: str, new: str, deadline: float) -> list[DiffOp]:
    """Ops for ``old + "\\n"`` -> ``new + "\\n"``."""
    whole = [DiffOp("delete", old + "\n"), DiffOp("insert", new + "\n")]
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return whole
    dmp.Diff_Timeout = remaining
    diffs = dmp.diff_main(old, new, False)
    dmp.diff_cleanupSemantic(diffs)
    kinds: dict[int, OpKind] = {0: "equal", -1: "delete", 1: "insert"}
    ops = _widen_numbers([DiffOp(kinds[op], text) for op, text in diffs])
    shared = sum(len(o.text) for o in ops if o.op == "equal")
    if shared < _MIN_SHARED * max(len(old), len(new)):
        return whole
    ops.append(DiffOp("equal", "\n"))
    return ops


def _widen_numbers(ops: list[DiffOp]) -> list[DiffOp]:
    """Turn an edit inside a number (``1`` + ``.2`` + ``萬億``) into the whole number replaced."""
    # Canonical ops alternate: equal text, then a [deleted, inserted] hunk, ...
    parts: list[str | list[str]] = []
    for op in _canonical(ops):
        if op.op == "equal":
            parts.append(op.text)
        else:
            if not parts or isinstance(parts[-1], str):
                parts.append(["", ""])
            hunk = parts[-1]
            assert isinstance(hunk, list)
            hunk[1 if op.op == "insert" else 0] += op.text
    for n, part in enumerate(parts):
        if isinstance(part, str):
            continue
        edited = part[0] + part[1]
        if not _DIGIT.search(edited) or not _NUMBER_CHARS.issuperset(edited):
            continue
        before = parts[n - 1] if n > 0 else ""
        after = parts[n + 1] if n + 1 < len(parts) else ""
        assert isinstance(before, str) and isinstance(after, str)
        k = 0
        while k < len(before) and before[-1 - k] in _NUMBER_CHARS:
            k += 1
        m = 0
        while m < len(after) and after[m] in _NUMBER_CHARS:
            m += 1
        # A comma or point at either end is punctuation, not part of the number.
        head = before[len(before) - k :].lstrip(_SEPARATORS)
        tail = after[:m].rstrip(_SEPARATORS)
        if n > 0:
            parts[n - 1] = before[: len(before) - len(head)]
        if n + 1 < len(parts):
            parts[n + 1] = after[len(tail) :]
        part[0], part[1] = head + part[0] + tail, head + part[1] + tail
    widened: list[DiffOp] = []
    for part in parts:
        if isinstance(part, str):
            widened.append(DiffOp("equal", part))
        else:
            widened += [DiffOp("delete", part[0]), DiffOp("insert", part[1])]
    return _canonical(widened)


# --- op lists -------------------------------------------------------------


def _hunks(ops: Iterable[DiffOp]) -> Iterator[tuple[int, int]]:
    """(start, end) index ranges of the runs of non-equal ops."""
    start = None
    i = -1
    for i, op in enumerate(ops):
        if op.op == "equal":
            if start is not None:
                yield start, i
                start = None
        elif start is None:
            start = i
    if start is not None:
        yield start, i + 1


def _canonical(ops: Iterable[DiffOp]) -> list[DiffOp]:
    """No empty ops, no two equal ops in a row, each run of changes one delete then one insert."""
    out: list[DiffOp] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            out.append(DiffOp("delete", "".join(deleted)))
        if inserted:
            out.append(DiffOp("insert", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for op in ops:
        if not op.text:
            continue
        if op.op == "delete":
            deleted.append(op.text)
        elif op.op == "insert":
            inserted.append(op.text)
        else:
            flush()
            if out and out[-1].op == "equal":
                out[-1] = DiffOp("equal", out[-1].text + op.text)
            else:
                out.append(op)
    flush()
    return out


def _drop_final_newline(ops: list[DiffOp]) -> list[DiffOp]:
    """Take the "\\n" diff_texts appended off both sides (``ops`` canonical)."""
    ops = list(ops)
    if not ops:
        return ops
    if ops[-1].op == "equal":
        ops[-1] = DiffOp("equal", ops[-1].text[:-1])
        return ops
    start = len(ops) - 1
    while start > 0 and ops[start - 1].op != "equal":
        start -= 1
    kinds = {o.op for o in ops[start:]}
    for i in range(start, len(ops)):
        ops[i] = DiffOp(ops[i].op, ops[i].text[:-1])
    if len(kinds) == 1:
        # Only one side changed at the very end (a last paragraph added or
        # dropped): the other side's final "\n" is in the equal before (there is
        # one: both sides end in "\n", so neither is all change), and the
        # separator moves to the front of the change: "A\n"+"B\n" -> "A"+"\nB".
        equal = ops[start - 1]
        ops[start - 1] = DiffOp("equal", equal.text[:-1])
        ops[start] = DiffOp(ops[start].op, "\n" + ops[start].text)
    return ops


def _count(text: str) -> int:
    return len(text) - text.count("\n")


def _one_line(text: str) -> str:
    return text.strip("\n").replace("\n", "¶") or "¶"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


# --- rendering ------------------------------------------------------------
# The layout is shared by the HTML stored in the archive (render_html, below)
# and the terminal's rendering (cli/render.py), so both fold the same paragraphs.

DisplayRow = list[tuple[OpKind, str]]
"""One paragraph as shown: its runs of equal, deleted and inserted text."""


def display_rows(diff: TextDiff) -> list[DisplayRow]:
    """The diff as display lines; a bare inserted or deleted line break shows as ¶."""
    rows: list[DisplayRow] = [[]]
    for op in diff.ops:
        if op.op != "equal" and op.text == "\n":
            rows[-1].append((op.op, "¶"))
            rows.append([])
            continue
        for n, part in enumerate(op.text.split("\n")):
            if n:
                rows.append([])
            if part:
                rows[-1].append((op.op, part))
    return rows


def layout(diff: TextDiff, context: int | None = 1) -> list[DisplayRow | int]:
    """The paragraphs to show, with runs of unchanged ones more than ``context`` away from a change replaced by their count.

    ``context=None`` shows everything.
    """
    rows = display_rows(diff)
    if context is None:
        everything: list[DisplayRow | int] = list(rows)
        return everything
    changed = [i for i, row in enumerate(rows) if any(kind != "equal" for kind, _ in row)]
    keep = {j for i in changed for j in range(i - context, i + context + 1)}
    out: list[DisplayRow | int] = []
    hidden: list[DisplayRow] = []
    for i, row in enumerate([*rows, []]):  # a sentinel flushes the last run
        if i in keep or i == len(rows):
            # One hidden paragraph takes no more room than its "…" line: show it.
            out.extend(hidden if len(hidden) == 1 else [len(hidden)] if hidden else [])
            hidden = []
            if i < len(rows):
                out.append(row)
        else:
            hidden.append(row)
    return out


def skipped_line(n: int) -> str:
    """What stands for ``n`` folded paragraphs."""
    return f"… {n} unchanged paragraph{'s' if n != 1 else ''}"


_HTML_STYLE = (
    "<style>"
    ".sa-diff ins.diff-ins{background:#d7f5dd;color:#05400a;text-decoration:none}"
    ".sa-diff del.diff-del{background:#ffe0e0;color:#8b0000;text-decoration:line-through}"
    ".sa-diff p.diff-skip{color:#777;font-style:italic}"
    "</style>"
)


def render_html(diff: TextDiff, *, context: int | None = 1) -> str:
    """The diff as a self-contained HTML fragment (inline style, every text escaped).

    ``<div class="sa-diff">``, one ``<p>`` per paragraph, ``<del class="diff-del">``
    and ``<ins class="diff-ins">``; ``context`` as for ``layout``.
    """
    parts = ['<div class="sa-diff">', _HTML_STYLE]
    for item in layout(diff, context):
        if isinstance(item, int):
            parts.append(f'<p class="diff-skip">{html.escape(skipped_line(item))}</p>')
            continue
        parts.append("<p>")
        for kind, part in item:
            escaped = html.escape(part)
            if kind == "delete":
                parts.append(f'<del class="diff-del">{escaped}</del>')
            elif kind == "insert":
                parts.append(f'<ins class="diff-ins">{escaped}</ins>')
            else:
                parts.append(escaped)
        parts.append("</p>")
    parts.append("</div>")
    return "".join(parts)
