"""An administration record (start, pause, resume, rate change, stop, bolus) becomes a curve."""

from __future__ import annotations

import numpy as np
import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.pk import (
    MODELS,
    AdministrationEvent,
    Bolus,
    EventKind,
    Infusion,
    Regimen,
    regimen_from_record,
    simulate,
    simulate_record,
)

E = AdministrationEvent
K = EventKind
PAUSED_SESSION = [
    E(0, K.START, mg_per_min=0.875),
    E(15, K.PAUSE),  # patient asks for a break
    E(20, K.RESUME),
    E(30, K.RATE_CHANGE, mg_per_min=0.5),
    E(45, K.STOP),
]


def test_a_pause_and_resume_record_becomes_the_three_running_segments():
    assert regimen_from_record(PAUSED_SESSION) == Regimen(
        infusions=(Infusion(0, 15, 0.875), Infusion(20, 30, 0.875), Infusion(30, 45, 0.5))
    )


def test_the_paused_session_curve_falls_during_the_pause_and_delivers_the_right_dose():
    curve = simulate_record(MODELS["kamp"], 70, PAUSED_SESSION)
    c = dict(zip(curve.times_min.tolist(), curve.concentration_ng_per_ml, strict=True))
    assert c[20] < c[15]  # nothing runs during the pause
    assert c[21] > c[20]
    assert regimen_from_record(PAUSED_SESSION).total_mg == pytest.approx(0.875 * 25 + 0.5 * 15)
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
    record = [
        E(0, K.START, mg_per_min=1.0),
        E(10, K.PAUSE),
        E(12, K.RATE_CHANGE, mg_per_min=0.5),
        E(15, K.RESUME),
        E(16, K.BOLUS, mg=5),
        E(25, K.STOP),
    ]
    assert regimen_from_record(record) == Regimen(
        infusions=(Infusion(0, 10, 1.0), Infusion(15, 25, 0.5)), boluses=(Bolus(16, 5),)
    )


@pytest.mark.parametrize(
    "record, words",
    [
        ([E(0, K.PAUSE)], "nothing to pause"),
        ([E(0, K.START, mg_per_min=1), E(5, K.START, mg_per_min=1)], "already running"),
        ([E(0, K.START, mg_per_min=1), E(5, K.RESUME)], "not paused"),
        ([E(5, K.START, mg_per_min=1), E(2, K.STOP)], "time order"),
        ([E(0, K.START, mg_per_min=1)], "add a stop"),
        ([E(0, K.STOP)], "no infusion"),
        ([E(0, K.START)], "rate"),
        ([E(0, K.BOLUS, mg=0)], "mg > 0"),
        ([E(-1, K.BOLUS, mg=1)], "negative"),
    ],
)
def test_impossible_records_are_refused_with_the_event_at_fault(record, words):
    with pytest.raises(ClinicalInputError) as info:
        regimen_from_record(record)
    assert words in info.value.message
    assert info.value.field == "events"
