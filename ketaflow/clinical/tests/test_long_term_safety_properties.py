"""Properties of the due list: never due before the last result plus its interval."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.long_term_safety import (
    Check,
    CourseHistory,
    CoursePhase,
    DueStatus,
    LastResult,
    default_rules,
    due_list,
    rules_for,
)

START = date(2025, 1, 1)
days = st.integers(min_value=0, max_value=700)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[CourseHistory, list[LastResult], date, dict[str, int]]:
    offsets = sorted(draw(st.lists(days, max_size=12, unique=True)))
    sessions = tuple(START + timedelta(days=o) for o in offsets)
    maintenance = tuple(d for d in sessions if draw(st.booleans()))
    phase = draw(st.sampled_from(list(CoursePhase)))
    nxt = draw(st.one_of(st.none(), days.map(lambda o: START + timedelta(days=o))))
    history = CourseHistory(
        started_on=START,
        phase=phase,
        recurrent=draw(st.booleans()),
        session_dates=sessions,
        maintenance_dates=maintenance,
        next_session_on=nxt,
        next_session_is_maintenance=draw(st.booleans()),
    )
    results = [
        LastResult(
            draw(st.sampled_from(list(Check))), START + timedelta(days=o), draw(st.booleans())
        )
        for o in draw(st.lists(days, max_size=8))
    ]
    today = START + timedelta(days=draw(days))
    local = draw(
        st.dictionaries(
            st.sampled_from(
                ["lft_interval_days", "cognition_interval_days", "substance_use_interval_days"]
            ),
            st.integers(min_value=1, max_value=400),
        )
    )
    return history, results, today, local


INTERVAL = {
    Check.LIVER: "lft_interval_days",
    Check.COGNITION: "cognition_interval_days",
    Check.SUBSTANCE_USE: "substance_use_interval_days",
}


@given(scenarios())
def test_never_due_before_the_last_result_plus_the_interval(
    case: tuple[CourseHistory, list[LastResult], date, dict[str, int]],
) -> None:
    history, results, today, local = case
    rules = rules_for(local)
    for item in due_list(history, results, rules, today):
        mine = [r.on for r in results if r.check is item.check]
        if item.due_on is None or not mine:
            continue
        last = max(mine)
        if item.check is Check.LUTS:
            assert item.due_on > last
        else:
            interval = getattr(rules, INTERVAL[item.check]).value
            assert item.due_on >= last + timedelta(days=interval)


@given(scenarios())
def test_every_check_appears_once_with_a_reason_and_sources(
    case: tuple[CourseHistory, list[LastResult], date, dict[str, int]],
) -> None:
    history, results, today, _ = case
    items = due_list(history, results, default_rules(), today)
    assert sorted(i.check.value for i in items) == sorted(c.value for c in Check)
    for item in items:
        assert item.reason and item.sources
        assert (item.due_on is None) == (item.status is DueStatus.NOT_REQUIRED)
        if item.due_on is not None:
            assert (item.status is DueStatus.OVERDUE) == (item.due_on < today)


@given(scenarios())
def test_an_ended_course_never_has_anything_due(
    case: tuple[CourseHistory, list[LastResult], date, dict[str, int]],
) -> None:
    history, results, today, _ = case
    ended = CourseHistory(
        started_on=history.started_on,
        phase=CoursePhase.ENDED,
        recurrent=history.recurrent,
        session_dates=history.session_dates,
    )
    assert all(
        i.status is DueStatus.NOT_REQUIRED for i in due_list(ended, results, default_rules(), today)
    )
