"""Devine ideal weight, adjusted weight, BMI and the basis weight a dose is computed on."""

from __future__ import annotations

import pytest

from ketaflow.clinical.dosing import (
    WeightBasis,
    adjusted_weight_kg,
    basis_weight_kg,
    body_mass_index,
    devine_ideal_weight_kg,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Sex


@pytest.mark.parametrize(
    ("height_cm", "sex", "expected"),
    [
        (152.4, Sex.MALE, 50.0),  # exactly 60 in: the base weight
        (152.4, Sex.FEMALE, 45.5),
        (177.8, Sex.MALE, 73.0),  # 70 in: 50 + 2.3 x 10
        (177.8, Sex.FEMALE, 68.5),
        (182.88, Sex.MALE, 77.6),  # 72 in
        (160.0, Sex.FEMALE, 45.5 + 2.3 * (160 / 2.54 - 60)),
    ],
)
def test_devine_adds_2_3_kg_per_inch_over_60_inches(height_cm, sex, expected):
    assert devine_ideal_weight_kg(height_cm, sex) == pytest.approx(expected)


@pytest.mark.parametrize("height_cm", [100.0, 140.0, 152.0])
def test_below_60_inches_devine_uses_the_base_weight_rather_than_extrapolating(height_cm):
    assert devine_ideal_weight_kg(height_cm, Sex.FEMALE) == 45.5
    assert devine_ideal_weight_kg(height_cm, Sex.MALE) == 50.0


@pytest.mark.parametrize("height_cm", [0.0, -170.0, float("nan")])
def test_devine_rejects_an_impossible_height(height_cm):
    with pytest.raises(ClinicalInputError) as info:
        devine_ideal_weight_kg(height_cm, Sex.MALE)
    assert info.value.field == "height_cm"


def test_adjusted_weight_is_ideal_plus_40_percent_of_the_excess():
    assert adjusted_weight_kg(123.0, 73.0) == pytest.approx(73.0 + 0.4 * 50.0)


def test_adjusted_weight_is_actual_weight_when_actual_is_not_above_ideal():
    assert adjusted_weight_kg(60.0, 73.0) == 60.0
    assert adjusted_weight_kg(73.0, 73.0) == 73.0


def test_bmi_is_weight_over_height_in_metres_squared():
    assert body_mass_index(70.0, 175.0) == pytest.approx(22.857, abs=1e-3)


def test_basis_weight_uses_actual_weight_when_it_is_below_ideal():
    assert basis_weight_kg(WeightBasis.IDEAL, 60.0, 177.8, Sex.MALE) == 60.0
    assert basis_weight_kg(WeightBasis.ADJUSTED, 60.0, 177.8, Sex.MALE) == 60.0


def test_basis_weight_by_basis_for_an_obese_man():
    args = (123.0, 177.8, Sex.MALE)
    assert basis_weight_kg(WeightBasis.ACTUAL, *args) == 123.0
    assert basis_weight_kg(WeightBasis.IDEAL, *args) == pytest.approx(73.0)
    assert basis_weight_kg(WeightBasis.ADJUSTED, *args) == pytest.approx(93.0)


def test_actual_basis_needs_neither_height_nor_sex():
    assert basis_weight_kg(WeightBasis.ACTUAL, 80.0, None, None) == 80.0


@pytest.mark.parametrize("basis", [WeightBasis.IDEAL, WeightBasis.ADJUSTED])
def test_ideal_and_adjusted_need_height_and_sex(basis):
    with pytest.raises(ClinicalInputError) as info:
        basis_weight_kg(basis, 80.0, None, Sex.MALE)
    assert info.value.field == "height_cm"
    with pytest.raises(ClinicalInputError) as info:
        basis_weight_kg(basis, 80.0, 170.0, None)
    assert info.value.field == "sex"
