"""IV rate ceiling, minimum duration and the absolute mg cap are hard limits (issue #11 item 2).

The studied regimen is 0.5 mg/kg over 40 min = 0.75 mg/kg/h [S12, S15]; the ceiling is twice
that, 1.5 mg/kg/h, and the floor 20 min, both clinic defaults needing local sign-off.
"""

from __future__ import annotations

import pytest

from ketaflow.clinical.dosing import (
    DEFAULT_DOSING_LIMITS,
    HardLimitExceeded,
    SoftLimitOverride,
    WeightBasis,
    confirm_overrides,
    esketamine_dose,
    racemic_dose,
)
from ketaflow.clinical.routes import Route, Sex

WHY = "trials dosed on actual weight; discussed"


@pytest.mark.parametrize("minutes", [2, 5])
def test_half_a_mg_per_kg_over_2_or_5_minutes_is_refused(minutes):
    with pytest.raises(HardLimitExceeded) as info:
        racemic_dose(Route.IV, 0.5, 70.0, minutes=minutes, concentration_mg_per_ml=1.0)
    assert info.value.code == "infusion.below_hard_min_minutes"
    assert info.value.field == "minutes"
    assert info.value.needs_local_signoff


def test_one_mg_per_kg_over_2_minutes_is_refused_where_it_once_passed_with_two_overrides():
    with pytest.raises(HardLimitExceeded):
        racemic_dose(Route.IV, 1.0, 70.0, minutes=2)


def test_a_rate_above_1_5_mg_per_kg_per_h_is_refused_even_over_the_minimum_duration():
    with pytest.raises(HardLimitExceeded) as info:
        racemic_dose(Route.IV, 1.0, 70.0, minutes=30)  # 2 mg/kg/h
    assert info.value.code == "infusion.above_hard_max_mg_per_kg_per_h"
    assert "1.5 mg/kg/h" in info.value.message and "40 min" in info.value.message
    assert {"S12", "S15", "S4"} <= {s.key for s in info.value.sources}
    assert info.value.needs_local_signoff


def test_the_studied_regimen_runs_at_0_75_and_the_ceiling_itself_is_allowed():
    studied = racemic_dose(Route.IV, 0.5, 70.0, minutes=40)
    assert studied.infusion is not None
    assert studied.infusion.mg_per_kg_per_h == pytest.approx(0.75)
    at_ceiling = racemic_dose(Route.IV, 0.5, 70.0, minutes=20)  # 1.5 mg/kg/h: soft only
    assert [w.code for w in at_ceiling.warnings] == ["infusion.below_soft_min_minutes"]


def test_the_ceiling_is_in_mg_per_min_at_the_basis_weight():
    assert DEFAULT_DOSING_LIMITS.infusion.max_mg_per_min(70.0) == pytest.approx(1.75)


def test_overrides_cannot_turn_a_hard_limit_into_a_warning():
    warnings = racemic_dose(Route.IV, 0.9, 70.0, minutes=38).warnings
    with pytest.raises(ValueError):  # ClinicalInputError: no such warning to override
        confirm_overrides(
            warnings,
            [
                *(SoftLimitOverride(w.code, WHY) for w in warnings),
                SoftLimitOverride("infusion.above_hard_max_mg_per_kg_per_h", WHY),
            ],
        )


@pytest.mark.parametrize(
    ("route", "mg_per_kg", "weight", "cap"),
    [(Route.IV, 0.5, 210.0, 100.0), (Route.SC, 1.0, 151.0, 150.0), (Route.IM, 1.0, 151.0, 150.0)],
)
def test_every_parenteral_route_has_an_absolute_mg_cap(route, mg_per_kg, weight, cap):
    with pytest.raises(HardLimitExceeded) as info:
        racemic_dose(route, mg_per_kg, weight, basis=WeightBasis.ACTUAL, basis_reason=WHY)
    assert info.value.code == "dose.above_hard_max_mg"
    assert f"{cap:g} mg" in info.value.message
    assert info.value.needs_local_signoff


def test_the_dose_carries_the_cap_in_force_and_the_order_own_cap_is_lower():
    assert racemic_dose(Route.IV, 0.5, 70.0).max_dose_mg == 100.0
    assert racemic_dose(Route.SC, 0.25, 70.0).max_dose_mg == 150.0
    assert racemic_dose(Route.ORAL, 2.0, 70.0).max_dose_mg == 300.0
    own = racemic_dose(Route.IV, 0.5, 70.0, max_dose_mg=30.0)
    assert own.max_dose_mg == 30.0 and own.dose_mg == 30.0


def test_a_heavy_patient_dosed_on_adjusted_weight_stays_under_the_cap():
    dose = racemic_dose(
        Route.IV,
        0.5,
        210.0,
        basis=WeightBasis.ADJUSTED,
        basis_reason=WHY,
        height_cm=175.0,
        sex=Sex.MALE,
    )
    assert dose.dose_mg < 100.0


def test_esketamine_orders_carry_the_label_maximum_as_their_cap():
    assert esketamine_dose(56, age_years=40).max_dose_mg == 84
