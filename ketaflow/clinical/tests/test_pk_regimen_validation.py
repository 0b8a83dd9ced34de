"""A regimen that makes no sense is refused with the field at fault, never simulated."""

from __future__ import annotations

import math

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.pk.compartment_models import PkRoute
from ketaflow.clinical.pk.schedule import (
    Bolus,
    Infusion,
    Regimen,
    grid,
    single_dose,
    validate_regimen,
)


@pytest.mark.parametrize(
    ("regimen", "field"),
    [
        (Regimen(infusions=(Infusion(math.nan, 40, 1),)), "start_min"),
        (Regimen(infusions=(Infusion(0, math.inf, 1),)), "end_min"),
        (Regimen(infusions=(Infusion(0, 40, math.nan),)), "mg_per_min"),
        (Regimen(infusions=(Infusion(-1, 40, 1),)), "start_min"),
        (Regimen(infusions=(Infusion(10, 10, 1),)), "minutes"),
        (Regimen(infusions=(Infusion(0, 40, -1),)), "mg_per_min"),
        (Regimen(boluses=(Bolus(-5, 10),)), "at_min"),
        (Regimen(boluses=(Bolus(0, -10),)), "mg"),
        (Regimen(boluses=(Bolus(0, math.nan),)), "mg"),
    ],
)
def test_an_impossible_regimen_names_the_field_at_fault(regimen: Regimen, field: str) -> None:
    with pytest.raises(ClinicalInputError) as err:
        validate_regimen(regimen)
    assert err.value.field == field


def test_a_sensible_regimen_is_returned_unchanged() -> None:
    regimen = Regimen(infusions=(Infusion(0, 40, 0.875),), boluses=(Bolus(60, 5),))
    assert validate_regimen(regimen) is regimen
    assert regimen.total_mg == pytest.approx(40 * 0.875 + 5)


@pytest.mark.parametrize("minutes", [0.0, -3.0, math.nan])
def test_a_single_infusion_needs_a_positive_duration(minutes: float) -> None:
    with pytest.raises(ClinicalInputError, match="positive duration"):
        single_dose(PkRoute.IV, 35.0, minutes)


def test_a_single_dose_must_be_positive() -> None:
    with pytest.raises(ClinicalInputError, match="greater than 0"):
        single_dose(PkRoute.IV, 0.0, 40.0)


def test_a_grid_needs_a_positive_horizon_and_step() -> None:
    assert list(grid(2.0, 0.5)) == [0.0, 0.5, 1.0, 1.5, 2.0]
    with pytest.raises(ClinicalInputError):
        grid(0.0)
    with pytest.raises(ClinicalInputError):
        grid(10.0, 0.0)
