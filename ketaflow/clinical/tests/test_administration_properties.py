"""Invariants of the administration record over random event sequences (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.administration import (
    Event,
    EventKind,
    delivered_mg,
    infusing_minutes,
    order_flags,
    validate_events,
)
from ketaflow.clinical.errors import ClinicalInputError

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

kinds = st.sampled_from(list(EventKind))
rates = st.floats(min_value=0.01, max_value=5.0)
gaps = st.floats(min_value=0.0, max_value=30.0)


@st.composite
def valid_records(draw: st.DrawFn) -> list[Event]:
    """Random but possible sequences: a state machine walked with random steps."""
    events: list[Event] = []
    t = 0.0
    state = "not_started"
    for _ in range(draw(st.integers(0, 12))):
        t += draw(gaps)
        when = T0 + timedelta(minutes=t)
        options = ["bolus"]
        options += {
            "not_started": ["start"],
            "infusing": ["pause", "rate_change", "stop"],
            "paused": ["resume", "rate_change", "stop"],
            "stopped": [],
        }[state]
        if state == "stopped":
            break
        kind = EventKind(draw(st.sampled_from(options)))
        if kind is EventKind.BOLUS:
            events.append(Event(when, kind, mg=draw(st.floats(0.1, 50.0))))
        elif kind in (EventKind.START, EventKind.RATE_CHANGE):
            events.append(Event(when, kind, mg_per_min=draw(rates)))
        else:
            events.append(Event(when, kind))
        state = {
            EventKind.START: "infusing",
            EventKind.PAUSE: "paused",
            EventKind.RESUME: "infusing",
            EventKind.STOP: "stopped",
        }.get(kind, state)
    return events


@given(events=valid_records(), a=st.floats(-10, 400), b=st.floats(-10, 400))
def test_delivered_dose_never_falls_with_time(events: list[Event], a: float, b: float) -> None:
    record = validate_events(events)
    early, late = sorted((a, b))
    first = delivered_mg(record, T0 + timedelta(minutes=early))
    second = delivered_mg(record, T0 + timedelta(minutes=late))
    assert second >= first - 1e-9


@given(events=valid_records(), pause_at=st.floats(0, 300), length=st.floats(0.1, 60))
def test_time_while_paused_adds_nothing(
    events: list[Event], pause_at: float, length: float
) -> None:
    """Inserting a pause/resume into a running infusion delivers exactly the paused time less."""
    base = [
        Event(T0, EventKind.START, mg_per_min=1.0),
        Event(T0 + timedelta(minutes=400), EventKind.STOP),
    ]
    start = T0 + timedelta(minutes=pause_at)
    paused = [
        base[0],
        Event(start, EventKind.PAUSE),
        Event(start + timedelta(minutes=length), EventKind.RESUME),
        base[1],
    ]
    end = T0 + timedelta(minutes=500)
    full = delivered_mg(validate_events(base), end)
    less = delivered_mg(validate_events(paused), end)
    assert less == pytest.approx(full - length)
    assert infusing_minutes(validate_events(paused), end) == pytest.approx(400 - length)


@given(events=valid_records(), ordered=st.floats(1.0, 200.0), when=st.floats(0, 400))
def test_more_than_ordered_is_always_flagged(
    events: list[Event], ordered: float, when: float
) -> None:
    record = validate_events(events)
    at = T0 + timedelta(minutes=when)
    flags = {f.code for f in order_flags(record, at, ordered_mg=ordered)}
    if delivered_mg(record, at) > ordered + 0.05:
        assert "delivered.above_ordered" in flags
    else:
        assert "delivered.above_ordered" not in flags


@given(rate=st.floats(0.05, 3.0), minutes=st.floats(1.0, 100.0), pauses=st.integers(0, 3))
def test_an_infusion_run_as_ordered_stays_within_the_order(
    rate: float, minutes: float, pauses: int
) -> None:
    """Start at the ordered rate, pause and resume, stop after the ordered running minutes."""
    events = [Event(T0, EventKind.START, mg_per_min=rate)]
    t, ran = 0.0, 0.0
    step = minutes / (pauses + 1)
    for _ in range(pauses):
        t += step
        ran += step
        events.append(Event(T0 + timedelta(minutes=t), EventKind.PAUSE))
        t += 5
        events.append(Event(T0 + timedelta(minutes=t), EventKind.RESUME))
    t += minutes - ran
    events.append(Event(T0 + timedelta(minutes=t), EventKind.STOP))
    record = validate_events(events)
    end = T0 + timedelta(minutes=t + 60)
    assert delivered_mg(record, end) == pytest.approx(rate * minutes)
    assert order_flags(record, end, ordered_mg=rate * minutes, ordered_mg_per_min=rate) == ()


@given(kinds=st.lists(kinds, max_size=8))
def test_any_sequence_is_either_a_record_or_a_clear_error(kinds: list[EventKind]) -> None:
    events = [
        Event(T0 + timedelta(minutes=n), k, mg_per_min=1.0, mg=1.0) for n, k in enumerate(kinds)
    ]
    try:
        record = validate_events(events)
    except ClinicalInputError as exc:
        assert exc.message and exc.field
    else:
        assert delivered_mg(record, T0 + timedelta(minutes=20)) >= 0
