"""SC/IM: a dose above the first step, or above the last tolerated dose, needs an override.

Glue 2017 ascended 0.25 -> 0.5 -> 1 mg/kg SC about a week apart [S8, S10].
"""

from __future__ import annotations

import pytest

from ketaflow.clinical.dosing import (
    EarlierDose,
    last_tolerated_mg_per_kg,
    racemic_dose,
    step_warnings,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Route

TOLERATED_025 = EarlierDose(0.25, signed=True, stopped_for_adverse_effect=False)
TOLERATED_05 = EarlierDose(0.5, signed=True, stopped_for_adverse_effect=False)


@pytest.mark.parametrize("route", [Route.SC, Route.IM])
def test_the_first_dose_at_the_first_step_needs_no_override(route):
    assert not racemic_dose(route, 0.25, 70.0).requires_override


@pytest.mark.parametrize("route", [Route.SC, Route.IM])
def test_a_first_dose_above_the_first_step_warns(route):
    (warning,) = racemic_dose(route, 0.5, 70.0).warnings
    assert warning.code == "dose.above_first_step"
    assert "0.25 mg/kg" in warning.message
    assert {"S8", "S10"} <= {s.key for s in warning.sources}


def test_the_next_step_after_a_tolerated_one_is_an_explicit_escalation():
    (warning,) = racemic_dose(Route.SC, 0.5, 70.0, earlier=[TOLERATED_025]).warnings
    assert warning.code == "dose.above_last_tolerated"
    assert "0.25 mg/kg" in warning.message


def test_repeating_or_lowering_a_tolerated_dose_needs_no_override():
    earlier = [TOLERATED_025, TOLERATED_05]
    assert not racemic_dose(Route.SC, 0.5, 70.0, earlier=earlier).requires_override
    assert not racemic_dose(Route.SC, 0.4, 70.0, earlier=earlier).requires_override


def test_a_dose_stopped_for_an_adverse_effect_or_unsigned_is_not_tolerated():
    stopped = EarlierDose(0.5, signed=True, stopped_for_adverse_effect=True)
    unsigned = EarlierDose(1.0, signed=False, stopped_for_adverse_effect=False)
    assert last_tolerated_mg_per_kg([TOLERATED_025, stopped, unsigned]) == 0.25
    (warning,) = racemic_dose(Route.SC, 0.5, 70.0, earlier=[TOLERATED_025, stopped]).warnings
    assert warning.code == "dose.above_last_tolerated"


def test_with_nothing_tolerated_the_first_step_applies_again():
    stopped = EarlierDose(0.25, signed=True, stopped_for_adverse_effect=True)
    assert [w.code for w in step_warnings(Route.SC, 0.5, earlier=[stopped])] == [
        "dose.above_first_step"
    ]


def test_the_protocols_own_first_step_replaces_the_default():
    assert step_warnings(Route.SC, 0.5, first_step_mg_per_kg=0.5) == ()
    assert step_warnings(Route.SC, 0.6, first_step_mg_per_kg=0.5)


@pytest.mark.parametrize("route", [Route.IV, Route.ORAL])
def test_other_routes_have_no_step_warnings(route):
    assert step_warnings(route, 1.0) == ()


def test_a_first_step_of_zero_is_an_input_error():
    with pytest.raises(ClinicalInputError) as info:
        step_warnings(Route.SC, 0.5, first_step_mg_per_kg=0.0)
    assert info.value.field == "first_step_mg_per_kg"
