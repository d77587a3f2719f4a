"""timeline.py: where an older capture goes, and an article's history renumbered in time order (pure functions)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from series_archiver.decide.timeline import (
    Earlier,
    Evidence,
    Insert,
    Mark,
    Removal,
    Span,
    in_force,
    in_removal,
    place_removal,
    place_text,
    recompute,
)
from series_archiver.decide.versions import Reading

TEXT_A = Reading.of("港珠澳大橋通車五周年", "車流量逐年上升，\n跨境貨運更見便利。")
TEXT_B = Reading.of("港珠澳大橋通車五周年", "車流量逐年上升，\n跨境貨運與旅遊更見便利。")
TEXT_C = Reading.of("港珠澳大橋通車五周年", "車流量較去年倍增。")


def day(d: int, hour: int = 0) -> datetime:
    return datetime(2025, 11, d, hour, tzinfo=UTC)


def same_as(reading: Reading) -> Callable[[Span], bool]:
    return lambda span: span.reading.key == reading.key


# Versions 1 (A, 10 Nov) and 2 (B, 20 Nov), given out of order on purpose.
SPANS = [Span(12, day(20), TEXT_B), Span(11, day(10), TEXT_A)]


def test_recompute_numbers_versions_by_time_and_finds_what_each_restores() -> None:
    line = recompute([Span(3, day(9), TEXT_A), Span(1, day(1), TEXT_B), Span(2, day(5), TEXT_C), Span(4, day(12), TEXT_B)], [])
    assert [(v.ref, v.number, v.restores, v.previous) for v in line.versions] == [
        (1, 1, None, None),
        (2, 2, None, 1),
        (3, 3, None, 2),
        (4, 4, 1, 3),  # B again: restores version 1, the earliest of that text
    ]
    assert line.current is not None and line.current.ref == 4 and line.gone_at is None


def test_a_restore_of_a_restore_names_the_original() -> None:
    line = recompute([Span(1, day(1), TEXT_A), Span(2, day(2), TEXT_B), Span(3, day(3), TEXT_A), Span(4, day(4), TEXT_B), Span(5, day(5), TEXT_A)], [])
    assert [v.restores for v in line.versions] == [None, None, 1, 2, 1]


def test_marks_carry_the_version_in_force_and_a_mark_comes_before_a_version_of_the_same_second() -> None:
    marks = [Mark(7, day(15), "gone", "HTTP 404 Not Found"), Mark(8, day(20), "back", "the article is online again")]
    line = recompute(SPANS, marks)
    assert [(m.ref, m.kind, m.version) for m in line.marks] == [(7, "gone", 1), (8, "back", 1)]
    assert line.gone_at is None
    still_gone = recompute(SPANS, [Mark(9, day(25), "gone"), Mark(None, day(26), "gone")])
    assert still_gone.gone_at == day(25), "a removal seen twice began at its first sighting"
    assert recompute(SPANS, [Mark(None, day(5), "gone")]).marks[0].version == 0, "before any version"


def test_in_force_and_in_removal() -> None:
    assert in_force(SPANS, day(9)) is None
    assert in_force(SPANS, day(10)) == SPANS[1] and in_force(SPANS, day(19)) == SPANS[1] and in_force(SPANS, day(21)) == SPANS[0]
    marks = [Mark(1, day(12), "gone"), Mark(2, day(14), "back")]
    assert [in_removal(marks, day(d)) for d in (11, 12, 13, 14, 15)] == [False, True, True, False, False]


def test_the_text_in_force_then_is_evidence() -> None:
    assert place_text(SPANS, [], day(15), same_as(TEXT_A)) == Evidence("the same text as the version in force at that time")


def test_an_older_text_than_every_version_is_a_new_first_version() -> None:
    assert place_text(SPANS, [], day(5), same_as(TEXT_C)) == Insert(previous=None)


def test_the_first_text_seen_earlier_makes_its_version_begin_earlier() -> None:
    assert place_text(SPANS, [], day(5), same_as(TEXT_A)) == Earlier(11)


def test_the_next_text_seen_earlier_makes_the_next_version_begin_earlier() -> None:
    assert place_text(SPANS, [], day(15), same_as(TEXT_B)) == Earlier(12)


def test_a_different_text_between_versions_is_a_new_version() -> None:
    assert place_text(SPANS, [], day(15), same_as(TEXT_C)) == Insert(previous=11)


def test_a_later_read_of_the_text_in_force_makes_it_return() -> None:
    # Read unchanged on 17 November (None: the version in force then), so A came back after C.
    assert place_text(SPANS, [], day(15), same_as(TEXT_C), [(day(17), None)]) == Insert(previous=11, returns_at=day(17))
    # The read that made version 1 names it: after the capture, it too shows A returning.
    assert place_text(SPANS, [], day(15), same_as(TEXT_C), [(day(16), 11)]) == Insert(previous=11, returns_at=day(16))
    # Reads of version 2, or after version 2 began, say nothing about A.
    assert place_text(SPANS, [], day(15), same_as(TEXT_C), [(day(18), 12), (day(22), None)]) == Insert(previous=11)
    # With A read again after the capture, B seen then is not where B began: B is new there, A returns, B follows.
    assert place_text(SPANS, [], day(15), same_as(TEXT_B), [(day(17), None)]) == Insert(previous=11, returns_at=day(17))


def test_after_the_last_version_a_new_text_returns_at_the_next_read() -> None:
    assert place_text(SPANS, [], day(25), same_as(TEXT_C), [(day(20), 12), (day(27), None), (day(28), None)]) == Insert(previous=12, returns_at=day(27))
    assert place_text(SPANS, [], day(25), same_as(TEXT_C)) == Insert(previous=12)


def test_a_page_inside_a_recorded_removal_is_evidence() -> None:
    placed = place_text(SPANS, [Mark(1, day(12), "gone"), Mark(2, day(14), "back")], day(13), same_as(TEXT_C))
    assert isinstance(placed, Evidence) and "removal" in placed.why


def test_no_version_yet_is_a_first_version() -> None:
    assert place_text([], [], day(1), same_as(TEXT_A)) == Insert(previous=None)


def test_a_removal_between_versions_is_gone_then_back_at_the_next_sighting() -> None:
    assert place_removal(SPANS, [], day(15), []) == Removal(back_at=day(20))
    assert place_removal(SPANS, [], day(15), [day(14), day(17)]) == Removal(back_at=day(17))
    assert place_removal(SPANS, [Mark(3, day(18), "back")], day(15), []) == Removal(back_at=day(18))
    assert place_removal(SPANS, [], day(25), []) == Removal(back_at=None), "no live evidence afterwards: still gone"


def test_a_removal_recorded_later_without_a_sighting_between_moves_earlier() -> None:
    marks = [Mark(5, day(25), "gone", "HTTP 410 Gone")]
    assert place_removal(SPANS, marks, day(22), []) == Removal(moves=5)
    assert place_removal(SPANS, marks, day(22), [day(23)]) == Removal(back_at=day(23))


def test_a_removal_before_the_first_version_or_inside_a_removal_is_evidence() -> None:
    assert isinstance(place_removal(SPANS, [], day(5), []), Evidence)
    assert isinstance(place_removal(SPANS, [Mark(1, day(12), "gone"), Mark(2, day(14), "back")], day(13), []), Evidence)
