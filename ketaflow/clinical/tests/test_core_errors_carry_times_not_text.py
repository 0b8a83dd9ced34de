"""The core never formats a clock time in an error: the times travel as values (UTC).

A message like "the one before is at 09:05:00" would be UTC on every page; instead the
error names what is wrong and carries the instants in `times`, which the app shows in the
clinic's zone (`ClinicalInputError.with_times`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from ketaflow.clinical.administration import Event, EventKind, validate_events
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring.schedule import vitals_due
from ketaflow.clinical.routes import Route

T0 = datetime(2025, 7, 1, 9, 0, tzinfo=UTC)
CLOCK = re.compile(r"\d{1,2}:\d{2}")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_events_out_of_order_carry_both_times() -> None:
    with pytest.raises(ClinicalInputError) as err:
        validate_events([Event(at(5), EventKind.START, mg_per_min=1), Event(at(1), EventKind.STOP)])
    assert not CLOCK.search(err.value.message)
    assert err.value.message.startswith("event 2 (stop): events must be in time order")
    assert err.value.times == {"this event at": at(1), "the one before at": at(5)}
    assert err.value.field == "at"


def test_an_event_after_the_stop_carries_the_stop_time() -> None:
    with pytest.raises(ClinicalInputError) as err:
        validate_events(
            [
                Event(at(0), EventKind.START, mg_per_min=1),
                Event(at(40), EventKind.STOP),
                Event(at(45), EventKind.BOLUS, mg=5),
            ]
        )
    assert not CLOCK.search(err.value.message)
    assert "nothing may follow the stop" in err.value.message
    assert err.value.times == {"stopped at": at(40), "this event at": at(45)}


def test_a_reading_after_now_carries_the_reading_time_and_now() -> None:
    with pytest.raises(ClinicalInputError) as err:
        vitals_due(Route.IV, dose_start=at(0), now=at(10), readings=[at(11)])
    assert not CLOCK.search(err.value.message)
    assert err.value.times == {"reading at": at(11), "now": at(10)}


def test_the_app_chooses_how_to_show_the_times() -> None:
    exc = ClinicalInputError("late", field="at", times={"reading at": at(11), "now": at(10)})
    shown = exc.with_times(lambda t: f"{t + timedelta(hours=1):%H:%M}")
    assert shown == "late (reading at 10:11; now 10:10)"
    assert ClinicalInputError("plain").with_times(str) == "plain"
    assert "2025-07-01T09:11:00+00:00" in str(exc)  # unambiguous when nobody formats it
