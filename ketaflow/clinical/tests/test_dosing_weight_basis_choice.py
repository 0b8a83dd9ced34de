"""When obesity is likely the weight basis is an explicit, reasoned choice (addendum 1, A7)."""

from __future__ import annotations

import pytest

from ketaflow.clinical.dosing import HardLimitExceeded, WeightBasis, racemic_dose
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Route, Sex

WHY = "response looked similar across BMI strata; actual weight as in trials"


def test_120_kg_without_a_height_needs_a_chosen_basis():
    with pytest.raises(ClinicalInputError) as info:
        racemic_dose(Route.IV, 0.5, 120.0)
    assert info.value.field == "weight_basis"
    assert not isinstance(info.value, HardLimitExceeded)
    assert "no height" in info.value.message and "ideal" in info.value.message


def test_a_chosen_basis_without_a_reason_is_refused_naming_the_reason_field():
    with pytest.raises(ClinicalInputError) as info:
        racemic_dose(Route.IV, 0.5, 120.0, basis=WeightBasis.ACTUAL, basis_reason="ok")
    assert info.value.field == "weight_basis_reason"


def test_the_choice_and_its_reason_are_carried_with_the_warning_they_answer():
    dose = racemic_dose(Route.IV, 0.5, 120.0, basis=WeightBasis.ACTUAL, basis_reason=WHY)
    assert dose.weight_basis is WeightBasis.ACTUAL
    assert dose.weight_basis_reason == WHY
    warning = dose.weight_basis_warning
    assert warning is not None and warning.code == "weight_basis.choice_required"
    assert warning.needs_local_signoff
    assert "A7" in {s.key for s in warning.sources}
    assert not dose.requires_override  # the choice and reason are the answer, not an override


def test_below_120_kg_without_a_height_the_basis_defaults_to_actual():
    dose = racemic_dose(Route.IV, 0.5, 119.9)
    assert dose.weight_basis is WeightBasis.ACTUAL and dose.weight_basis_warning is None


def test_bmi_30_asks_for_the_choice_and_just_under_does_not():
    height = 170.0
    at_30 = 30.0 * 1.7 * 1.7
    assert racemic_dose(Route.SC, 0.25, at_30 - 0.1, height_cm=height).weight_basis_warning is None
    with pytest.raises(ClinicalInputError) as info:
        racemic_dose(Route.SC, 0.25, at_30 + 0.01, height_cm=height)
    assert info.value.field == "weight_basis" and "BMI 30.0" in info.value.message


def test_a_height_that_gives_a_bmi_under_30_lifts_the_120_kg_question():
    dose = racemic_dose(Route.IV, 0.5, 125.0, height_cm=210.0)  # BMI 28.3
    assert dose.weight_basis_warning is None


def test_ideal_weight_chosen_for_obesity_doses_on_devine():
    dose = racemic_dose(
        Route.IV,
        0.5,
        123.0,
        basis=WeightBasis.IDEAL,
        basis_reason="consensus suggests ideal weight at BMI 30+",
        height_cm=177.8,
        sex=Sex.MALE,
    )
    assert dose.dose_mg == pytest.approx(36.5)
    assert dose.weight_basis_warning is not None
