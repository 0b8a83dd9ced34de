"""Which scores belong to a course and which days count as sessions given.

The course page and the outcome summary both ask these rules (`score_window`, `given_days`),
so a change here moves both at once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from ketaflow.clinical.outcomes import ScoreWindow, given_days, score_window

T = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def at(day: int, hour: int = 9) -> datetime:
    return T.replace(day=day, hour=hour)


def test_a_first_course_holds_every_score_until_it_ends() -> None:
    window = score_window([], None)
    assert window == ScoreWindow(None, None)
    assert window.holds(at(1)) and window.holds(at(28))


def test_a_later_course_starts_after_the_latest_earlier_end_exclusive() -> None:
    window = score_window([at(3), at(10), at(5)], None)
    assert window.since == at(10)
    assert not window.holds(at(10))  # the score at the previous end belongs to that course
    assert window.holds(at(10, 10))


def test_an_ended_course_keeps_scores_up_to_its_end_inclusive() -> None:
    window = score_window([], at(20))
    assert window.holds(at(20))
    assert not window.holds(at(20, 10))


def test_each_score_belongs_to_one_course_only() -> None:
    first = score_window([], at(10))
    second = score_window([at(10)], None)
    for moment in (at(9), at(10), at(10, 10), at(11)):
        assert first.holds(moment) != second.holds(moment)


def test_session_days_are_counted_once_a_day_in_order() -> None:
    given = given_days([date(2026, 3, 4), date(2026, 3, 2)], [date(2026, 3, 4), date(2026, 3, 6)])
    assert given.days == (date(2026, 3, 2), date(2026, 3, 4), date(2026, 3, 6))
    assert (given.signed, given.unrecorded, given.repeated) == (2, 2, 1)


def test_no_sessions_no_days() -> None:
    given = given_days([], [])
    assert given.days == () and given.repeated == 0
