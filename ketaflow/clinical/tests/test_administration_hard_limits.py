"""At the chair the order's rate ceiling and total mg are hard limits (issue #11 item 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ketaflow.clinical.administration import (
    Event,
    EventKind,
    SessionLimits,
    check_event_limits,
    validate_events,
)
from ketaflow.clinical.dosing import DEFAULT_DOSING_LIMITS, HardLimitExceeded

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
CEILING = DEFAULT_DOSING_LIMITS.infusion.max_mg_per_min(70.0)  # 1.75 mg/min
IV = SessionLimits(ordered_mg=35.0, max_mg_per_min=CEILING, ceiling_mg_per_kg_per_h=1.5)
SC = SessionLimits(ordered_mg=35.0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def check(events: list[Event], new: Event, limits: SessionLimits = IV) -> None:
    check_event_limits(validate_events(events), new, limits)


STARTED = [Event(T0, EventKind.START, mg_per_min=0.875)]


def test_a_rate_change_above_the_ceiling_is_refused_naming_it():
    with pytest.raises(HardLimitExceeded) as info:
        check(STARTED, Event(at(10), EventKind.RATE_CHANGE, mg_per_min=8.75))
    assert info.value.code == "infusion.rate_above_ceiling"
    assert "1.5 mg/kg/h" in info.value.message


def test_a_start_above_the_ceiling_is_refused():
    with pytest.raises(HardLimitExceeded):
        check([], Event(T0, EventKind.START, mg_per_min=CEILING * 1.1))


def test_the_ceiling_itself_and_its_rounding_are_allowed():
    check(STARTED, Event(at(10), EventKind.RATE_CHANGE, mg_per_min=CEILING))
    check(STARTED, Event(at(10), EventKind.RATE_CHANGE, mg_per_min=CEILING * 1.004))


def test_an_iv_bolus_before_or_at_the_start_is_refused():
    with pytest.raises(HardLimitExceeded) as info:
        check([], Event(T0, EventKind.BOLUS, mg=10.0))
    assert info.value.code == "bolus.above_rate_ceiling"


def test_an_iv_bolus_within_the_ceilings_pace_is_allowed_but_not_ahead_of_it():
    # After 20 min at 0.875 mg/min: 17.5 mg given; the ceiling's pace allows 35 mg.
    check(STARTED, Event(at(20), EventKind.BOLUS, mg=10.0))
    with pytest.raises(HardLimitExceeded) as info:
        check(STARTED, Event(at(20), EventKind.BOLUS, mg=17.6), IV)
    assert info.value.code in {"bolus.above_rate_ceiling", "bolus.above_ordered_total"}


def test_a_bolus_past_the_orders_total_is_refused():
    given = [Event(T0, EventKind.BOLUS, mg=20.0)]
    check(given, Event(at(5), EventKind.BOLUS, mg=15.0), SC)
    with pytest.raises(HardLimitExceeded) as info:
        check(given, Event(at(5), EventKind.BOLUS, mg=15.1), SC)
    assert info.value.code == "bolus.above_ordered_total"
    assert "35.0 mg" in info.value.message


def test_a_third_esketamine_device_on_a_56_mg_order_is_refused():
    two = [Event(T0, EventKind.BOLUS, mg=28.0), Event(at(5), EventKind.BOLUS, mg=28.0)]
    with pytest.raises(HardLimitExceeded):
        check(two, Event(at(10), EventKind.BOLUS, mg=28.0), SessionLimits(ordered_mg=56.0))


def test_resuming_once_the_ordered_total_is_delivered_is_refused():
    paused = [*STARTED, Event(at(40), EventKind.PAUSE)]
    with pytest.raises(HardLimitExceeded) as info:
        check(paused, Event(at(45), EventKind.RESUME))
    assert info.value.code == "dose.ordered_total_delivered"
    check(paused, Event(at(45), EventKind.STOP))  # stopping is always allowed
