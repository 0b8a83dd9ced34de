"""The administration record: delivered dose, pump state and infusing minutes from events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ketaflow.clinical.administration import (
    Event,
    EventKind,
    InfusionState,
    delivered_mg,
    infusing_minutes,
    mg_per_min_from_ml_per_h,
    minutes_to_ordered_dose,
    order_flags,
    rate_at,
    state_at,
    validate_events,
)
from ketaflow.clinical.errors import ClinicalInputError

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def standard() -> list[Event]:
    """35 mg over 40 min (0.5 mg/kg x 70 kg), paused for 5 min at minute 10."""
    return [
        Event(at(0), EventKind.START, mg_per_min=0.875),
        Event(at(10), EventKind.PAUSE),
        Event(at(15), EventKind.RESUME),
        Event(at(45), EventKind.STOP),
    ]


def test_a_standard_infusion_delivers_the_ordered_dose_and_pauses_add_nothing() -> None:
    record = validate_events(standard())
    assert delivered_mg(record, at(10)) == pytest.approx(8.75)
    assert delivered_mg(record, at(14)) == pytest.approx(8.75)
    assert delivered_mg(record, at(45)) == pytest.approx(35.0)
    assert delivered_mg(record, at(120)) == pytest.approx(35.0)
    assert infusing_minutes(record, at(120)) == pytest.approx(40.0)


def test_the_state_follows_the_events_in_time() -> None:
    record = validate_events(standard())
    assert state_at(record, at(-1)) is InfusionState.NOT_STARTED
    assert state_at(record, at(5)) is InfusionState.INFUSING
    assert state_at(record, at(12)) is InfusionState.PAUSED
    assert state_at(record, at(20)) is InfusionState.INFUSING
    assert state_at(record, at(50)) is InfusionState.STOPPED
    assert record.dose_completed_at() == at(45)


def test_a_running_infusion_keeps_delivering_at_its_rate() -> None:
    record = validate_events([Event(at(0), EventKind.START, mg_per_min=1.0)])
    assert record.final_state is InfusionState.INFUSING
    assert delivered_mg(record, at(12.5)) == pytest.approx(12.5)
    assert rate_at(record, at(3)) == 1.0
    assert record.dose_completed_at() is None
    assert minutes_to_ordered_dose(record, at(10), 35.0) == pytest.approx(25.0)


def test_a_rate_change_integrates_piecewise() -> None:
    record = validate_events(
        [
            Event(at(0), EventKind.START, mg_per_min=1.0),
            Event(at(10), EventKind.RATE_CHANGE, mg_per_min=0.5),
            Event(at(30), EventKind.STOP),
        ]
    )
    assert delivered_mg(record, at(30)) == pytest.approx(20.0)


def test_a_rate_change_while_paused_applies_on_resume() -> None:
    record = validate_events(
        [
            Event(at(0), EventKind.START, mg_per_min=1.0),
            Event(at(10), EventKind.PAUSE),
            Event(at(12), EventKind.RATE_CHANGE, mg_per_min=2.0),
            Event(at(15), EventKind.RESUME),
            Event(at(20), EventKind.STOP),
        ]
    )
    assert delivered_mg(record, at(20)) == pytest.approx(10.0 + 10.0)


def test_boluses_count_at_their_time() -> None:
    record = validate_events(
        [Event(at(0), EventKind.BOLUS, mg=28), Event(at(5), EventKind.BOLUS, mg=28)]
    )
    assert delivered_mg(record, at(4)) == 28
    assert delivered_mg(record, at(5)) == 56
    assert record.dose_completed_at() == at(5)
    assert state_at(record, at(6)) is InfusionState.NOT_STARTED


@pytest.mark.parametrize(
    ("events", "words"),
    [
        ([Event(at(0), EventKind.PAUSE)], "only a running infusion can be paused"),
        (
            [Event(at(0), EventKind.START, mg_per_min=1), Event(at(1), EventKind.RESUME)],
            "not paused",
        ),
        (
            [Event(at(5), EventKind.START, mg_per_min=1), Event(at(1), EventKind.STOP)],
            "time order",
        ),
        ([Event(at(0), EventKind.START, mg_per_min=0)], "more than 0"),
        ([Event(at(0), EventKind.START, mg_per_min=-1)], "more than 0"),
        ([Event(at(0), EventKind.START)], "more than 0"),
        (
            [
                Event(at(0), EventKind.START, mg_per_min=1),
                Event(at(5), EventKind.STOP),
                Event(at(6), EventKind.BOLUS, mg=5),
            ],
            "nothing may follow the stop",
        ),
        (
            [
                Event(at(0), EventKind.START, mg_per_min=1),
                Event(at(1), EventKind.START, mg_per_min=1),
            ],
            "already started",
        ),
        ([Event(at(0), EventKind.STOP)], "has not started"),
        ([Event(at(0), EventKind.RATE_CHANGE, mg_per_min=1)], "start the infusion"),
        ([Event(at(0), EventKind.BOLUS, mg=0)], "more than 0"),
        ([Event(datetime(2025, 3, 3, 9), EventKind.BOLUS, mg=1)], "time zone"),
    ],
)
def test_impossible_sequences_are_refused_naming_the_event(events: list[Event], words: str) -> None:
    with pytest.raises(ClinicalInputError) as err:
        validate_events(events)
    assert words in err.value.message
    assert "event" in err.value.message or "time zone" in err.value.message


def test_delivering_more_than_ordered_or_faster_is_flagged() -> None:
    record = validate_events(
        [
            Event(at(0), EventKind.START, mg_per_min=0.875),
            Event(at(20), EventKind.RATE_CHANGE, mg_per_min=2.0),
            Event(at(40), EventKind.STOP),
        ]
    )
    codes = {f.code for f in order_flags(record, at(40), ordered_mg=35, ordered_mg_per_min=0.875)}
    assert codes == {"delivered.above_ordered", "rate.above_ordered"}


def test_the_order_as_ordered_raises_no_flag() -> None:
    record = validate_events(
        [Event(at(0), EventKind.START, mg_per_min=0.875), Event(at(40), EventKind.STOP)]
    )
    assert order_flags(record, at(60), ordered_mg=35, ordered_mg_per_min=0.875) == ()


def test_pump_ml_per_hour_converts_with_the_concentration() -> None:
    # 35 mg over 40 min at 1 mg/mL = 52.5 mL/h = 0.875 mg/min
    assert mg_per_min_from_ml_per_h(52.5, 1.0) == pytest.approx(0.875)
    with pytest.raises(ClinicalInputError):
        mg_per_min_from_ml_per_h(0, 1.0)
