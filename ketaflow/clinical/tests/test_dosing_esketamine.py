"""Esketamine nasal spray: 28/56/84 mg only; day 1 is 56 mg under 65 and 28 mg at 65 or over."""

from __future__ import annotations

import pytest

from ketaflow.clinical.dosing import HardLimitExceeded, esketamine_dose
from ketaflow.clinical.errors import ClinicalInputError


@pytest.mark.parametrize(("dose", "devices"), [(28, 1), (56, 2), (84, 3)])
def test_the_three_label_doses_are_one_two_or_three_28_mg_devices(dose, devices):
    result = esketamine_dose(dose, age_years=40, first_dose=False)
    assert result.dose_mg == dose and result.devices == devices
    assert not result.requires_override
    assert {s.key for s in result.sources} == {"S1", "S2"}


@pytest.mark.parametrize("dose", [0, 14, 30, 42, 112, 56.5, float("nan")])
def test_any_other_dose_is_refused(dose):
    with pytest.raises(HardLimitExceeded) as info:
        esketamine_dose(dose, age_years=40)
    assert info.value.code == "esketamine.dose_not_allowed"
    assert info.value.field == "dose_mg"
    assert not info.value.needs_local_signoff


def test_day_1_at_65_or_over_is_28_mg_and_more_is_refused():
    assert esketamine_dose(28, age_years=65).dose_mg == 28
    for dose in (56, 84):
        with pytest.raises(HardLimitExceeded) as info:
            esketamine_dose(dose, age_years=65)
        assert info.value.code == "esketamine.elderly_start_dose"


def test_at_65_or_over_later_doses_may_be_56_or_84_mg_in_28_mg_steps():
    result = esketamine_dose(84, age_years=70, first_dose=False)
    assert result.dose_mg == 84
    assert "esketamine.dose_steps" in [n.code for n in result.notes]


def test_day_1_under_65_is_56_mg_and_84_mg_needs_an_override():
    assert not esketamine_dose(56, age_years=64).requires_override
    assert not esketamine_dose(28, age_years=64).requires_override
    result = esketamine_dose(84, age_years=64)
    assert [w.code for w in result.warnings] == ["esketamine.above_start_dose"]
    assert result.requires_override


def test_the_first_dose_rule_applies_unless_the_caller_says_otherwise():
    with pytest.raises(HardLimitExceeded):
        esketamine_dose(56, age_years=80)


@pytest.mark.parametrize("age", [-1, 131, True])
def test_an_impossible_age_is_an_input_error(age):
    with pytest.raises(ClinicalInputError) as info:
        esketamine_dose(28, age_years=age)
    assert info.value.field == "age_years"


def test_accepts_a_whole_number_given_as_a_float():
    assert esketamine_dose(56.0, age_years=30).dose_mg == 56
