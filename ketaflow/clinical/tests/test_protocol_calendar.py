"""Proposed session dates: the protocol's rhythm on the clinic's working days."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.protocols import (
    ClinicCalendar,
    Protocol,
    builtin_protocols,
    esketamine_label,
    iv_induction,
    propose_sessions,
    sc_ascending_anxiety,
)

MONDAY = date(2025, 1, 6)
WEEKDAYS = ClinicCalendar()


def d(n: int) -> date:
    return MONDAY + timedelta(days=n)


def test_a_plan_numbers_sessions_and_names_their_phase_and_dose() -> None:
    plan = propose_sessions(sc_ascending_anxiety(), WEEKDAYS, start=MONDAY, count=4)
    assert [(s.number, s.phase, s.number_in_phase, s.dose.label) for s in plan] == [
        (1, "ascending", 1, "0.25 mg/kg"),
        (2, "ascending", 2, "0.5 mg/kg"),
        (3, "ascending", 3, "1 mg/kg"),
        (4, "maintenance", 1, "1 mg/kg"),
    ]
    assert [s.on for s in plan] == [d(0), d(7), d(14), d(21)]
    assert not any(s.moved for s in plan)
    assert {"S8", "S10"} <= {src.key for src in plan[0].sources}


def test_without_a_count_the_plan_stops_before_an_open_ended_phase() -> None:
    plan = propose_sessions(iv_induction(), WEEKDAYS, start=MONDAY)
    assert len(plan) == 10
    assert plan[-1].phase == "taper_fortnightly"
    assert len(propose_sessions(sc_ascending_anxiety(), WEEKDAYS, start=MONDAY)) == 16


def test_a_start_on_a_weekend_moves_to_the_next_working_day() -> None:
    plan = propose_sessions(iv_induction(), WEEKDAYS, start=d(-2), count=1)
    assert plan[0].on == MONDAY
    assert plan[0].rhythm_date == d(-2)
    assert plan[0].moved


def test_a_holiday_moves_a_session_forward_and_the_next_keeps_the_minimum_interval() -> None:
    calendar = ClinicCalendar(closed=frozenset({d(2)}))  # Wednesday closed
    plan = propose_sessions(iv_induction(), calendar, start=MONDAY, count=6)
    assert [s.on for s in plan] == [d(0), d(3), d(7), d(9), d(11), d(14)]


def test_after_a_holiday_the_rhythm_returns_to_its_usual_day() -> None:
    calendar = ClinicCalendar(closed=frozenset({d(3)}))  # Thursday closed
    plan = propose_sessions(esketamine_label(), calendar, start=MONDAY, count=4, age=40)
    assert [s.on.strftime("%a") for s in plan] == ["Mon", "Fri", "Mon", "Thu"]
    assert plan[1].rhythm_date == d(3)


def test_a_session_is_never_closer_than_the_minimum_interval() -> None:
    calendar = ClinicCalendar(closed=frozenset({d(2), d(3)}))  # Wed and Thu closed
    plan = propose_sessions(iv_induction(), calendar, start=MONDAY, count=4)
    # Wed -> Fri (d4); Fri rhythm needs 2 days after Fri -> Sun -> Mon; then Wed.
    assert [s.on for s in plan] == [d(0), d(4), d(7), d(9)]


def test_a_clinic_open_only_on_tuesdays_and_thursdays_gets_sessions_on_those_days() -> None:
    calendar = ClinicCalendar(working_days=frozenset({1, 3}))
    plan = propose_sessions(esketamine_label(), calendar, start=MONDAY, count=10, age=40)
    assert {s.on.weekday() for s in plan} <= {1, 3}


def test_sessions_already_given_restart_the_rhythm_from_the_last_one() -> None:
    done = [d(0), d(3), d(7)]  # the 2nd session was a day late
    plan = propose_sessions(iv_induction(), WEEKDAYS, start=d(8), done=done, count=3)
    assert [s.number for s in plan] == [4, 5, 6]
    assert [s.on for s in plan] == [d(10), d(14), d(16)]


def test_a_late_restart_does_not_cram_sessions_to_catch_up() -> None:
    plan = propose_sessions(sc_ascending_anxiety(), WEEKDAYS, start=d(30), done=[d(0)], count=2)
    assert [s.on for s in plan] == [d(30), d(37)]


def test_the_first_session_of_a_new_phase_comes_one_of_its_gaps_after_the_last() -> None:
    plan = propose_sessions(esketamine_label(), WEEKDAYS, start=MONDAY, count=10, age=30)
    assert [s.on.strftime("%a") for s in plan[:8]] == ["Mon", "Thu"] * 4
    assert plan[8].phase == "weekly"
    assert plan[8].on == plan[7].on + timedelta(days=7)
    assert (plan[8].on - MONDAY).days // 7 + 1 == 5  # week 5, as on the label


def test_no_proposal_once_the_series_is_complete() -> None:
    done = [d(7 * i) for i in range(16)]
    assert propose_sessions(sc_ascending_anxiety(), WEEKDAYS, start=d(200), done=done) == ()


def test_extra_sessions_beyond_the_series_leave_nothing_to_propose() -> None:
    done = [d(7 * i) for i in range(17)]
    assert propose_sessions(sc_ascending_anxiety(), WEEKDAYS, start=d(200), done=done) == ()


def test_datetimes_of_sessions_given_are_read_as_their_dates() -> None:
    done = [datetime(2025, 1, 6, 9, 30)]
    plan = propose_sessions(iv_induction(), WEEKDAYS, start=MONDAY, done=done, count=1)
    assert plan[0].on == d(2)


def test_a_locally_set_dose_is_planned_and_marked_local() -> None:
    v2 = iv_induction().revise({"induction.doses.1": 0.6})
    plan = propose_sessions(v2, WEEKDAYS, start=MONDAY, count=1)
    assert plan[0].dose.amount == 0.6
    assert plan[0].dose.locally_set
    assert not plan[0].dose.needs_local_signoff


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"count": -1}, "count"),
        ({"count": True}, "count"),
        ({"start": "2025-01-06"}, "start"),
        ({"done": [d(2), d(0)]}, "done[1]"),
        ({"done": [d(0), d(0)]}, "done[1]"),
        ({"done": ["x"]}, "done[0]"),
    ],
)
def test_bad_planning_input_is_an_input_error(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {"start": MONDAY, **kwargs}
    with pytest.raises(ClinicalInputError) as err:
        propose_sessions(iv_induction(), WEEKDAYS, **args)  # type: ignore[arg-type]
    assert err.value.field == field


@pytest.mark.parametrize("age", [None, -1, 131, True, 64.5])
def test_esketamine_planning_needs_a_valid_age(age: object) -> None:
    with pytest.raises(ClinicalInputError) as err:
        propose_sessions(esketamine_label(), WEEKDAYS, start=MONDAY, age=age)  # type: ignore[arg-type]
    assert err.value.field == "age"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"working_days": frozenset()}, "working_days"),
        ({"working_days": frozenset({7})}, "working_days"),
        ({"closed": frozenset({datetime(2025, 1, 6)})}, "closed"),
    ],
)
def test_an_impossible_calendar_is_an_input_error(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ClinicalInputError) as err:
        ClinicCalendar(**kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_a_clinic_closed_for_a_whole_year_is_an_input_error() -> None:
    closed = frozenset(d(i) for i in range(400))
    with pytest.raises(ClinicalInputError) as err:
        propose_sessions(iv_induction(), ClinicCalendar(closed=closed), start=MONDAY, count=1)
    assert err.value.field == "closed"


SHIPPED = list(builtin_protocols().values())


@st.composite
def plans(draw: st.DrawFn) -> tuple[Protocol, ClinicCalendar, date, list[date], int]:
    protocol = draw(st.sampled_from(SHIPPED))
    working = draw(st.frozensets(st.integers(0, 6), min_size=1))
    closed = draw(st.frozensets(st.integers(0, 200).map(d), max_size=40))
    start = d(draw(st.integers(-5, 30)))
    gaps = draw(st.lists(st.integers(1, 10), max_size=8))
    done: list[date] = []
    for gap in gaps:
        done.append((done[-1] if done else d(-60)) + timedelta(days=gap))
    return protocol, ClinicCalendar(working, closed), start, done, draw(st.integers(0, 25))


@settings(max_examples=300)
@given(plans(), st.integers(18, 90))
def test_proposed_dates_fall_on_clinic_days_in_order_and_never_too_close(plan, age) -> None:  # type: ignore[no-untyped-def]
    protocol, calendar, start, done, count = plan
    proposed = propose_sessions(protocol, calendar, start=start, done=done, count=count, age=age)
    assert len(proposed) <= count
    previous = done[-1] if done else None
    for number, session in enumerate(proposed, start=len(done) + 1):
        assert session.number == number
        assert calendar.is_open(session.on)
        assert session.on >= start
        assert session.on >= session.rhythm_date
        if previous is not None:
            assert session.on > previous
            phase = protocol.phase_of(number)
            assert phase is not None
            assert (session.on - previous).days >= phase[0].min_days_between_sessions.value
        previous = session.on
