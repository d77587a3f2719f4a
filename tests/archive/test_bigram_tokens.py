"""``bigram_tokens`` gives, token for token, what the index was always built from.

A contentless FTS5 index removes a document by being handed its tokens again: a
version indexed by an earlier release must be removable with today's tokens, so
the faster way of making them must not change one of them. The reference is the
way they were first made, kept here on purpose.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from series_archiver.archive.searchtext import bigram_tokens


def reference_tokens(folded: str | None) -> str:
    tokens: dict[str, None] = {}
    for line in (folded or "").split("\n"):
        if line:
            digits = line.encode("utf-32-be").hex()
            tokens.update(dict.fromkeys(digits[i : i + 16] for i in range(0, len(digits) - 8, 8)))
            tokens[digits[-8:] + "x"] = None
    return " ".join(tokens)


def test_tokens_of_plain_cases() -> None:
    for text in (None, "", "\n", "\n\n", "中", "中國", "中國\n中國\n國", "ab\nba\nb", "a\n\nb\n", "0000000a", "\u000a\u000b"):
        assert bigram_tokens(text) == reference_tokens(text), text
    assert bigram_tokens("中國\n國") == "00004e2d0000570b 0000570bx"


# Characters near the newline's code point and its hex digits, CJK, astral ones, and newlines.
_CHARS = st.sampled_from("\n\n\x0a\x0b\x09 0a中國國中华為为企業\U00020000\U0001f600") | st.characters(blacklist_categories=("Cs",))


@given(st.text(_CHARS, max_size=300))
def test_tokens_are_the_reference_on_any_text(text: str) -> None:
    assert bigram_tokens(text) == reference_tokens(text)
