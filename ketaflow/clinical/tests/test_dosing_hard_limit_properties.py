"""Properties: no accepted IV order or chair-side line ever passes a hard limit (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.administration import (
    ORDER_TOLERANCE_MG,
    RATE_ROUNDING,
    Event,
    EventKind,
    SessionLimits,
    check_event_limits,
    delivered_mg,
    validate_events,
)
from ketaflow.clinical.dosing import (
    DEFAULT_DOSING_LIMITS,
    HardLimitExceeded,
    WeightBasis,
    racemic_dose,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Route, Sex

INFUSION = DEFAULT_DOSING_LIMITS.infusion
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@given(
    mg_per_kg=st.floats(0.01, 2.0),
    weight=st.floats(20.0, 350.0),
    height=st.none() | st.floats(100.0, 250.0),
    sex=st.sampled_from(list(Sex)),
    basis=st.none() | st.sampled_from(list(WeightBasis)),
    minutes=st.floats(0.5, 240.0),
    cap=st.none() | st.floats(1.0, 500.0),
)
def test_no_accepted_iv_order_exceeds_the_rate_ceiling_the_floor_or_the_mg_cap(
    mg_per_kg, weight, height, sex, basis, minutes, cap
):
    try:
        dose = racemic_dose(
            Route.IV,
            mg_per_kg,
            weight,
            basis=basis,
            basis_reason="chosen for this property test",
            height_cm=height,
            sex=sex,
            minutes=minutes,
            max_dose_mg=cap,
        )
    except ClinicalInputError:
        return
    assert dose.infusion is not None
    assert dose.infusion.minutes >= INFUSION.hard_min_minutes.value
    assert dose.infusion.mg_per_kg_per_h <= INFUSION.hard_max_mg_per_kg_per_h.value + 1e-9
    per_actual_kg_per_h = dose.dose_mg / weight / (minutes / 60.0)
    assert per_actual_kg_per_h <= INFUSION.hard_max_mg_per_kg_per_h.value + 1e-9
    assert dose.max_dose_mg is not None and dose.dose_mg <= dose.max_dose_mg
    assert dose.dose_mg <= DEFAULT_DOSING_LIMITS.for_route(Route.IV).hard_max_mg.value  # type: ignore[union-attr]


@given(
    mg_per_kg=st.floats(0.01, 1.0),
    weight=st.floats(20.0, 119.0),
    minutes=st.floats(0.5, 240.0),
    overrides=st.lists(st.text(min_size=0, max_size=40), max_size=3),
)
def test_a_hard_limit_is_raised_whatever_the_caller_intends_to_override(
    mg_per_kg, weight, minutes, overrides
):
    """racemic_dose takes no overrides: past a hard limit there is no result to confirm."""
    rate = mg_per_kg / (minutes / 60.0)
    too_fast = rate > INFUSION.hard_max_mg_per_kg_per_h.value + 1e-9
    too_short = minutes < INFUSION.hard_min_minutes.value
    try:
        racemic_dose(Route.IV, mg_per_kg, weight, minutes=minutes)
    except HardLimitExceeded:
        assert too_fast or too_short or mg_per_kg * weight > 100.0
        return
    assert not too_fast and not too_short


kinds = st.sampled_from(
    [EventKind.RATE_CHANGE, EventKind.BOLUS, EventKind.PAUSE, EventKind.RESUME, EventKind.STOP]
)


@given(
    weight=st.floats(40.0, 150.0),
    ordered_mg=st.floats(5.0, 100.0),
    steps=st.lists(
        st.tuples(kinds, st.floats(0.5, 15.0), st.floats(0.01, 10.0), st.floats(0.1, 60.0)),
        max_size=12,
    ),
)
def test_a_record_built_only_from_accepted_lines_never_passes_the_ceiling_or_the_total(
    weight, ordered_mg, steps
):
    ceiling = INFUSION.max_mg_per_min(weight)
    limits = SessionLimits(ordered_mg=ordered_mg, max_mg_per_min=ceiling)
    events: list[Event] = []
    now = T0
    for kind, gap, rate, mg in [(EventKind.START, 0.0, ceiling * 0.5, 0.0), *steps]:
        now += timedelta(minutes=gap)
        has_rate = kind in (EventKind.START, EventKind.RATE_CHANGE)
        new = Event(
            now,
            kind,
            mg_per_min=rate if has_rate else None,
            mg=mg if kind is EventKind.BOLUS else None,
        )
        try:
            record = validate_events([*events, new])
            check_event_limits(validate_events(events), new, limits)
        except ClinicalInputError:
            continue
        events.append(new)
        assert all(s.mg_per_min <= ceiling * (1 + RATE_ROUNDING) for s in record.segments)
        boluses = sum(b.mg for b in record.boluses)
        assert boluses <= ordered_mg + ORDER_TOLERANCE_MG
        # A bolus never puts the delivered dose ahead of the ceiling's pace.
        if kind is EventKind.BOLUS:
            first = record.first_dose_at
            assert first is not None
            pace = ceiling * (now - first).total_seconds() / 60.0
            assert delivered_mg(record, now) <= pace + ORDER_TOLERANCE_MG + 1e-9
