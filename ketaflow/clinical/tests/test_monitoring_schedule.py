"""When vitals are due: IV every 10 min during / 15 after (S24); esketamine 40 min (S1, S3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring import DEFAULT_SCHEDULE, VitalsSchedule, vitals_due
from ketaflow.clinical.routes import Route

T0 = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_before_dosing_the_pre_dose_vitals_are_due_at_the_dose_start() -> None:
    due = vitals_due(Route.IV, dose_start=at(0), now=at(-20), readings=[])
    assert due.next is not None
    assert due.next.code == "predose"
    assert due.next_due == at(0)
    assert due.overdue == ()
    assert {s.key for s in due.next.sources} >= {"S1", "S4"}


def test_during_an_infusion_vitals_are_due_10_minutes_after_the_last_reading() -> None:
    due = vitals_due(Route.IV, dose_start=at(0), now=at(15), readings=[at(-5), at(11)])
    assert due.next is not None
    assert due.next.code == "interval"
    assert due.next_due == at(21)
    assert "every 10 min during the infusion" in due.next.label
    assert {s.key for s in due.next.sources} == {"S24", "S25"}


def test_the_first_infusion_check_counts_from_the_start_not_the_pre_dose_reading() -> None:
    due = vitals_due(Route.IV, dose_start=at(0), now=at(2), readings=[at(-30)])
    assert due.next_due == at(10)
    assert due.overdue == ()


def test_after_the_infusion_vitals_are_due_every_15_minutes() -> None:
    due = vitals_due(
        Route.IV,
        dose_start=at(0),
        now=at(45),
        readings=[at(-5), at(10), at(20), at(30), at(40), at(42)],
        infusion_end=at(40),
    )
    assert due.next_due == at(57)
    assert due.next is not None
    assert "after the infusion" in due.next.label


def test_a_reading_late_in_the_infusion_brings_a_check_around_its_end() -> None:
    due = vitals_due(
        Route.IV, dose_start=at(0), now=at(41), readings=[at(0), at(35)], infusion_end=at(40)
    )
    assert due.next_due == at(45)


def test_a_check_more_than_5_minutes_late_is_overdue_with_minutes_late() -> None:
    due = vitals_due(Route.IV, dose_start=at(0), now=at(26), readings=[at(-5), at(10)])
    (late,) = due.overdue
    assert late.check.code == "interval"
    assert late.minutes_late == pytest.approx(6)
    assert late.can_still_be_done
    assert due.next_due == at(20)


def test_a_check_within_the_grace_minutes_is_due_but_not_overdue() -> None:
    due = vitals_due(Route.IV, dose_start=at(0), now=at(25), readings=[at(-5), at(10)])
    assert due.overdue == ()


def test_a_missed_pre_dose_reading_is_overdue_and_cannot_be_taken_late() -> None:
    due = vitals_due(Route.IV, dose_start=at(0), now=at(5), readings=[])
    (missed,) = due.overdue
    assert missed.check.code == "predose"
    assert not missed.can_still_be_done
    assert due.next is not None and due.next.code == "interval"


def test_a_reading_more_than_an_hour_before_dosing_does_not_count_as_pre_dose() -> None:
    due = vitals_due(Route.IV, dose_start=at(0), now=at(-1), readings=[at(-61)])
    assert due.next is not None and due.next.code == "predose"


def test_esketamine_vitals_are_due_40_minutes_after_dosing_then_pre_discharge() -> None:
    due = vitals_due(
        Route.INTRANASAL, dose_start=at(0), now=at(10), readings=[at(-10)], observation_end=at(120)
    )
    assert due.next is not None
    assert due.next.code == "esketamine_40min"
    assert due.next_due == at(40)
    assert {s.key for s in due.next.sources} == {"S1", "S3"}

    due = vitals_due(
        Route.INTRANASAL,
        dose_start=at(0),
        now=at(60),
        readings=[at(-10), at(41)],
        observation_end=at(120),
    )
    assert due.next is not None and due.next.code == "pre_discharge"
    assert due.next_due == at(120)


def test_a_missed_esketamine_40_minute_check_is_overdue_and_can_still_be_done() -> None:
    due = vitals_due(Route.INTRANASAL, dose_start=at(0), now=at(50), readings=[at(-10)])
    (late,) = due.overdue
    assert late.check.code == "esketamine_40min"
    assert late.minutes_late == pytest.approx(10)
    assert late.can_still_be_done


def test_a_reading_at_32_minutes_satisfies_the_esketamine_40_minute_check() -> None:
    due = vitals_due(Route.INTRANASAL, dose_start=at(0), now=at(50), readings=[at(-10), at(32)])
    assert due.overdue == ()
    assert due.next is None  # without an observation end only "as clinically warranted"


def test_interval_checks_stop_at_the_observation_end_where_the_pre_discharge_check_starts() -> None:
    due = vitals_due(
        Route.IV,
        dose_start=at(0),
        now=at(88),
        readings=[at(-5), at(10), at(20), at(30), at(40), at(55), at(70), at(85)],
        infusion_end=at(40),
        observation_end=at(100),
    )
    assert due.next is not None
    assert due.next.code == "pre_discharge"
    assert due.next_due == at(100)


def test_a_reading_10_minutes_before_the_observation_end_counts_as_pre_discharge() -> None:
    due = vitals_due(
        Route.IV,
        dose_start=at(0),
        now=at(95),
        readings=[at(-5), at(10), at(20), at(30), at(40), at(55), at(70), at(90)],
        infusion_end=at(40),
        observation_end=at(100),
    )
    assert due.next is None


def test_once_the_pre_discharge_reading_is_taken_nothing_more_is_due() -> None:
    due = vitals_due(
        Route.IV,
        dose_start=at(0),
        now=at(105),
        readings=[at(-5), at(10), at(20), at(30), at(40), at(55), at(70), at(85), at(99)],
        infusion_end=at(40),
        observation_end=at(100),
    )
    assert due.next is None
    assert due.overdue == ()


def test_an_unreached_pre_discharge_check_becomes_overdue() -> None:
    due = vitals_due(
        Route.INTRANASAL,
        dose_start=at(0),
        now=at(130),
        readings=[at(-5), at(40)],
        observation_end=at(120),
    )
    assert [o.check.code for o in due.overdue] == ["pre_discharge"]


def test_sc_im_and_oral_default_to_every_15_minutes_after_the_dose_flagged_unverified() -> None:
    for route in (Route.SC, Route.IM, Route.ORAL):
        due = vitals_due(route, dose_start=at(0), now=at(3), readings=[at(-5)])
        assert due.next_due == at(15)
    assert DEFAULT_SCHEDULE.other_routes_after_dose_every_min.needs_local_signoff
    assert not DEFAULT_SCHEDULE.iv_during_infusion_every_min.needs_local_signoff


def test_a_clinic_can_set_its_own_interval() -> None:
    from ketaflow.clinical.evidence import default

    schedule = VitalsSchedule(iv_during_infusion_every_min=default(5, "S24"))
    due = vitals_due(Route.IV, dose_start=at(0), now=at(1), readings=[at(-5)], schedule=schedule)
    assert due.next_due == at(5)


def test_a_reading_timed_after_now_is_an_input_error() -> None:
    with pytest.raises(ClinicalInputError) as err:
        vitals_due(Route.IV, dose_start=at(0), now=at(10), readings=[at(11)])
    assert err.value.field == "readings"


def test_an_infusion_end_for_a_nasal_spray_is_an_input_error() -> None:
    with pytest.raises(ClinicalInputError, match="only to IV"):
        vitals_due(Route.INTRANASAL, dose_start=at(0), now=at(10), readings=[], infusion_end=at(5))


def test_an_infusion_ending_before_it_started_is_an_input_error() -> None:
    with pytest.raises(ClinicalInputError, match="before the infusion start"):
        vitals_due(Route.IV, dose_start=at(0), now=at(10), readings=[], infusion_end=at(-5))


def test_an_observation_end_before_the_dose_is_complete_is_an_input_error() -> None:
    with pytest.raises(ClinicalInputError) as err:
        vitals_due(
            Route.IV,
            dose_start=at(0),
            now=at(10),
            readings=[],
            infusion_end=at(40),
            observation_end=at(30),
        )
    assert err.value.field == "observation_end"


def test_mixing_aware_and_naive_times_is_an_input_error() -> None:
    with pytest.raises(ClinicalInputError, match="UTC"):
        vitals_due(Route.IV, dose_start=at(0), now=datetime(2025, 3, 4, 9, 10), readings=[])


@pytest.mark.parametrize(
    "bad",
    [
        {"grace_min": -1},
        {"iv_after_infusion_every_min": 0},
        {"predose_window_min": 2.5},
    ],
)
def test_a_schedule_with_impossible_minutes_is_rejected(bad: dict[str, float]) -> None:
    from ketaflow.clinical.evidence import default

    ((name, value),) = bad.items()
    with pytest.raises(ClinicalInputError) as err:
        VitalsSchedule(**{name: default(value, "S24")})  # type: ignore[arg-type]
    assert err.value.field == name


@given(
    route=st.sampled_from(list(Route)),
    offsets=st.lists(st.integers(-60, 300), max_size=12),
    now=st.integers(-30, 300),
)
def test_the_next_check_is_never_one_already_satisfied_and_overdue_ones_are_past(
    route: Route, offsets: list[int], now: int
) -> None:
    readings = [at(m) for m in offsets if m <= now]
    obs_end = at(120)
    due = vitals_due(
        route, dose_start=at(0), now=at(now), readings=readings, observation_end=obs_end
    )
    for late in due.overdue:
        assert late.check.due_at < at(now)
        assert late.minutes_late > 0
    if due.next is not None and due.next.code == "interval":
        last = max([at(0), *(t for t in readings if t >= at(0))])
        assert due.next.due_at > last


def test_at_the_moment_of_dosing_a_missing_pre_dose_reading_is_still_due_not_missed() -> None:
    due = vitals_due(Route.IV, dose_start=at(0), now=at(0), readings=[])
    assert due.next is not None and due.next.code == "predose"
    assert due.overdue == ()
