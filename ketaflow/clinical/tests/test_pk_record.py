"""An administration record (start, pause, resume, rate change, stop, bolus) becomes a curve.

The record is validated by `clinical.administration` (the chart's own rules); the PK side only
converts its running segments and boluses to minutes from the first dose.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from ketaflow.clinical.administration import Event, EventKind, validate_events
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.pk import (
    MODELS,
    Bolus,
    Infusion,
    Regimen,
    regimen_from_record,
    simulate,
    simulate_record,
)
from ketaflow.clinical.pk.compartment_models import PkRoute

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
K = EventKind


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


PAUSED_SESSION = [
    Event(at(0), K.START, mg_per_min=0.875),
    Event(at(15), K.PAUSE),  # patient asks for a break
    Event(at(20), K.RESUME),
    Event(at(30), K.RATE_CHANGE, mg_per_min=0.5),
    Event(at(45), K.STOP),
]


def test_a_pause_and_resume_record_becomes_the_three_running_segments():
    assert regimen_from_record(validate_events(PAUSED_SESSION)) == Regimen(
        infusions=(Infusion(0, 15, 0.875), Infusion(20, 30, 0.875), Infusion(30, 45, 0.5))
    )


def test_the_paused_session_curve_falls_during_the_pause_and_delivers_the_right_dose():
    curve = simulate_record(MODELS["kamp"], 70, PAUSED_SESSION)
    c = dict(zip(curve.times_min.tolist(), curve.concentration_ng_per_ml, strict=True))
    assert c[20] < c[15]  # nothing runs during the pause
    assert c[21] > c[20]
    regimen = regimen_from_record(validate_events(PAUSED_SESSION))
    assert regimen.total_mg == pytest.approx(0.875 * 25 + 0.5 * 15)
    assert curve.times_min[-1] == 45 + 240


def test_a_paused_record_is_the_uninterrupted_curve_minus_the_missing_five_minutes():
    t = np.arange(0.0, 300.0)
    model = MODELS["domino"]
    paused = simulate_record(model, 70, PAUSED_SESSION, t).concentration_ng_per_ml
    whole = simulate(model, 70, Regimen((Infusion(0, 30, 0.875), Infusion(30, 45, 0.5))), t)
    gap = simulate(model, 70, Regimen((Infusion(15, 20, 0.875),)), t)
    np.testing.assert_allclose(
        paused, whole.concentration_ng_per_ml - gap.concentration_ng_per_ml, atol=1e-9
    )


def test_a_rate_change_while_paused_applies_on_resume_and_boluses_count():
    record = validate_events(
        [
            Event(at(0), K.START, mg_per_min=1.0),
            Event(at(10), K.PAUSE),
            Event(at(12), K.RATE_CHANGE, mg_per_min=0.5),
            Event(at(15), K.RESUME),
            Event(at(16), K.BOLUS, mg=5),
            Event(at(25), K.STOP),
        ]
    )
    assert regimen_from_record(record) == Regimen(
        infusions=(Infusion(0, 10, 1.0), Infusion(15, 25, 0.5)), boluses=(Bolus(16, 5),)
    )


def test_a_running_infusion_needs_a_projection_time_and_is_projected_to_it():
    running = validate_events([Event(at(0), K.START, mg_per_min=0.875)])
    with pytest.raises(ClinicalInputError, match="still running") as info:
        regimen_from_record(running)
    assert info.value.field == "events"
    assert regimen_from_record(running, until=at(40)) == Regimen(
        infusions=(Infusion(0, 40, 0.875),)
    )
    curve = simulate_record(MODELS["kamp"], 70, running, until=at(40))
    assert curve.concentration_ng_per_ml[40] == pytest.approx(253.05, rel=5e-3)


def test_minutes_count_from_the_first_dose_or_a_given_origin_and_boluses_keep_their_route():
    record = validate_events([Event(at(5), K.BOLUS, mg=56)])
    assert regimen_from_record(record) == Regimen(boluses=(Bolus(0, 56),))
    shifted = regimen_from_record(record, origin=at(0), bolus_route=PkRoute.IM)
    assert shifted == Regimen(boluses=(Bolus(5, 56, PkRoute.IM),))
    with pytest.raises(ClinicalInputError, match="origin"):
        regimen_from_record(record, origin=at(10))
    assert regimen_from_record(validate_events([])) == Regimen()


def test_an_impossible_record_is_refused_by_the_charts_own_rules():
    with pytest.raises(ClinicalInputError, match="not paused"):
        simulate_record(
            MODELS["kamp"], 70, [Event(at(0), K.START, mg_per_min=1), Event(at(5), K.RESUME)]
        )
