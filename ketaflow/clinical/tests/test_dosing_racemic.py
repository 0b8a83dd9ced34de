"""Racemic ketamine doses: mg/kg x basis weight, IV pump rate, hard and soft limits, notes."""

from __future__ import annotations

import math

import pytest

from ketaflow.clinical.dosing import (
    EarlierDose,
    HardLimitExceeded,
    WeightBasis,
    racemic_dose,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Route, Sex

WHY = "trial dosing on this basis, discussed with the patient"


def test_taylor_dose_0_5_mg_per_kg_for_70_kg_is_35_mg_at_0_875_mg_per_min_over_40_min():
    dose = racemic_dose(Route.IV, 0.5, 70.0, minutes=40, concentration_mg_per_ml=1.0)
    assert dose.dose_mg == pytest.approx(35.0)
    assert dose.infusion is not None
    assert dose.infusion.mg_per_min == pytest.approx(0.875)
    assert dose.infusion.mg_per_kg_per_h == pytest.approx(0.75)
    assert dose.volume_ml == pytest.approx(35.0)
    assert dose.rate_ml_per_h == pytest.approx(52.5)
    assert dose.warnings == () and not dose.requires_override
    assert dose.weight_basis is WeightBasis.ACTUAL
    assert dose.basis_weight_kg == 70.0


def test_pump_rate_with_a_10_mg_per_ml_dilution():
    dose = racemic_dose(Route.IV, 0.5, 80.0, minutes=40, concentration_mg_per_ml=10.0)
    assert dose.volume_ml == pytest.approx(4.0)
    assert dose.rate_ml_per_h == pytest.approx(6.0)


def test_iv_minutes_without_a_concentration_give_mg_rates_but_no_pump_rate():
    dose = racemic_dose(Route.IV, 0.5, 70.0, minutes=40)
    assert dose.infusion is not None and dose.infusion.rate_ml_per_h is None
    assert dose.rate_ml_per_h is None
    assert dose.volume_ml is None


def test_a_bolus_route_with_a_concentration_gives_the_injection_volume():
    dose = racemic_dose(Route.SC, 1.0, 70.0, concentration_mg_per_ml=50.0)
    assert dose.volume_ml == pytest.approx(1.4)
    assert dose.infusion is None and dose.rate_ml_per_h is None


@pytest.mark.parametrize(("mg_per_kg", "tolerated"), [(0.25, None), (0.5, 0.5), (1.0, 1.0)])
def test_glue_sc_ascending_doses_need_no_override_within_the_tolerated_step(mg_per_kg, tolerated):
    earlier = [] if tolerated is None else [EarlierDose(tolerated, True, False)]
    dose = racemic_dose(Route.SC, mg_per_kg, 70.0, earlier=earlier)
    assert dose.dose_mg == pytest.approx(mg_per_kg * 70)
    assert not dose.requires_override


@pytest.mark.parametrize("route", [Route.IV, Route.SC, Route.IM])
def test_parenteral_doses_above_1_mg_per_kg_are_refused(route):
    with pytest.raises(HardLimitExceeded) as info:
        racemic_dose(route, 1.01, 70.0)
    assert info.value.code == "dose.above_hard_max_mg_per_kg"
    assert info.value.field == "mg_per_kg"
    assert info.value.needs_local_signoff
    assert "S8" in {s.key for s in info.value.sources}
    assert isinstance(info.value, ClinicalInputError)


def test_iv_exactly_0_75_mg_per_kg_needs_no_override_but_above_it_does():
    assert not racemic_dose(Route.IV, 0.75, 70.0).requires_override
    dose = racemic_dose(Route.IV, 0.8, 70.0)
    assert dose.requires_override
    (warning,) = dose.warnings
    assert warning.code == "dose.above_soft_max_mg_per_kg"
    assert warning.needs_local_signoff
    assert {"S22"} <= {s.key for s in warning.sources}


def test_iv_exactly_1_mg_per_kg_is_allowed_with_an_override():
    assert racemic_dose(Route.IV, 1.0, 70.0).requires_override


def test_sc_has_no_flat_soft_limit_once_a_higher_dose_was_tolerated():
    earlier = [EarlierDose(1.0, True, False)]
    assert not racemic_dose(Route.SC, 0.9, 70.0, earlier=earlier).requires_override


def test_oral_above_2_5_mg_per_kg_needs_an_override_and_above_7_is_refused():
    assert not racemic_dose(Route.ORAL, 2.5, 70.0).requires_override
    assert racemic_dose(Route.ORAL, 3.0, 70.0).requires_override
    with pytest.raises(HardLimitExceeded) as info:
        racemic_dose(Route.ORAL, 7.5, 40.0)
    assert info.value.code == "dose.above_hard_max_mg_per_kg"


def test_oral_doses_above_300_mg_are_refused_even_within_the_mg_per_kg_limit():
    assert racemic_dose(Route.ORAL, 3.0, 100.0).dose_mg == pytest.approx(300.0)
    with pytest.raises(HardLimitExceeded) as info:
        racemic_dose(Route.ORAL, 3.1, 100.0)
    assert info.value.code == "dose.above_hard_max_mg"


def test_the_orders_own_maximum_caps_the_dose_with_a_note():
    dose = racemic_dose(Route.ORAL, 4.0, 100.0, max_dose_mg=250.0)
    assert dose.dose_mg == 250.0
    assert dose.capped_at_order_maximum
    assert "dose.capped_at_order_maximum" in [n.code for n in dose.notes]
    assert dose.requires_override  # 4 mg/kg ordered is still above the soft limit


def test_a_maximum_above_the_dose_changes_nothing():
    dose = racemic_dose(Route.IV, 0.5, 70.0, max_dose_mg=100.0)
    assert dose.dose_mg == pytest.approx(35.0) and not dose.capped_at_order_maximum


def test_ideal_weight_dosing_for_an_obese_man():
    dose = racemic_dose(
        Route.IV,
        0.5,
        123.0,
        basis=WeightBasis.IDEAL,
        basis_reason=WHY,
        height_cm=177.8,
        sex=Sex.MALE,
    )
    assert dose.basis_weight_kg == pytest.approx(73.0)
    assert dose.dose_mg == pytest.approx(36.5)
    assert dose.ideal_weight_kg == pytest.approx(73.0)
    assert dose.mg_per_kg_actual < 0.5
    assert "weight_basis.obesity_consider_ideal" not in [n.code for n in dose.notes]


def test_bmi_30_or_more_on_actual_weight_suggests_ideal_weight_citing_a7():
    dose = racemic_dose(
        Route.IV, 0.5, 123.0, height_cm=177.8, basis=WeightBasis.ACTUAL, basis_reason=WHY
    )
    assert dose.bmi == pytest.approx(38.9, abs=0.1)
    (note,) = dose.notes
    assert note.code == "weight_basis.obesity_consider_ideal"
    assert note.sources[0].key == "A7"
    assert not dose.requires_override


def test_bmi_just_under_30_gets_no_note_and_bmi_30_does():
    height = 180.0
    weight_30 = 30.0 * 1.8 * 1.8
    assert racemic_dose(Route.IV, 0.5, weight_30 - 0.1, height_cm=height).notes == ()
    assert racemic_dose(
        Route.IV,
        0.5,
        weight_30 + 1e-9,
        height_cm=height,
        basis=WeightBasis.ACTUAL,
        basis_reason=WHY,
    ).notes


def test_no_height_means_no_bmi_and_no_ideal_weight():
    dose = racemic_dose(Route.IV, 0.5, 100.0)
    assert dose.bmi is None and dose.ideal_weight_kg is None and dose.notes == ()


def test_ideal_basis_below_60_inches_says_the_devine_base_was_used():
    dose = racemic_dose(
        Route.IV,
        0.5,
        70.0,
        basis=WeightBasis.IDEAL,
        basis_reason=WHY,
        height_cm=145.0,
        sex=Sex.FEMALE,
    )
    assert dose.basis_weight_kg == 45.5
    assert "weight_basis.height_below_devine_range" in [n.code for n in dose.notes]


def test_infusion_shorter_than_40_minutes_needs_an_override():
    dose = racemic_dose(Route.IV, 0.5, 70.0, minutes=20)
    assert [w.code for w in dose.warnings] == ["infusion.below_soft_min_minutes"]
    assert not racemic_dose(Route.IV, 0.5, 70.0, minutes=40).requires_override


def test_infusion_longer_than_100_minutes_needs_an_override():
    dose = racemic_dose(Route.IV, 0.5, 70.0, minutes=120)
    assert [w.code for w in dose.warnings] == ["infusion.above_soft_max_minutes"]
    assert not racemic_dose(Route.IV, 0.5, 70.0, minutes=100).requires_override


def test_an_infusion_shorter_than_20_minutes_is_refused():
    with pytest.raises(HardLimitExceeded) as info:
        racemic_dose(Route.IV, 0.05, 70.0, minutes=19)
    assert info.value.code == "infusion.below_hard_min_minutes"
    assert info.value.field == "minutes"


def test_undiluted_100_mg_per_ml_for_iv_gets_a_dilution_note():
    dose = racemic_dose(Route.IV, 0.5, 70.0, concentration_mg_per_ml=100.0)
    assert [n.code for n in dose.notes] == ["infusion.dilute_before_iv"]
    assert racemic_dose(Route.IM, 0.5, 70.0, concentration_mg_per_ml=100.0).notes == ()


def test_soft_warnings_accumulate_and_sources_merge_without_repeats():
    dose = racemic_dose(Route.IV, 0.9, 70.0, minutes=38)
    assert [w.code for w in dose.warnings] == [
        "dose.above_soft_max_mg_per_kg",
        "infusion.below_soft_min_minutes",
    ]
    keys = [s.key for s in dose.sources]
    assert len(keys) == len(set(keys))
    assert dose.limits_version == "core-default"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"mg_per_kg": 0.0}, "mg_per_kg"),
        ({"mg_per_kg": -0.5}, "mg_per_kg"),
        ({"mg_per_kg": math.nan}, "mg_per_kg"),
        ({"weight_kg": 19.9}, "weight_kg"),
        ({"weight_kg": 351.0}, "weight_kg"),
        ({"weight_kg": math.inf}, "weight_kg"),
        ({"height_cm": 99.0}, "height_cm"),
        ({"height_cm": 251.0}, "height_cm"),
        ({"concentration_mg_per_ml": 0.0}, "concentration_mg_per_ml"),
        ({"concentration_mg_per_ml": 101.0}, "concentration_mg_per_ml"),
        ({"minutes": 0.0}, "minutes"),
        ({"minutes": 1441.0}, "minutes"),
        ({"max_dose_mg": 0.0}, "max_dose_mg"),
    ],
)
def test_invalid_input_is_refused_naming_the_field(kwargs, field):
    args = {"mg_per_kg": 0.5, "weight_kg": 70.0, **kwargs}
    with pytest.raises(ClinicalInputError) as info:
        racemic_dose(Route.IV, args.pop("mg_per_kg"), args.pop("weight_kg"), **args)
    assert info.value.field == field
    assert not isinstance(info.value, HardLimitExceeded)


def test_an_infusion_duration_for_a_non_iv_route_is_an_input_error():
    with pytest.raises(ClinicalInputError) as info:
        racemic_dose(Route.SC, 0.5, 70.0, minutes=40)
    assert info.value.field == "minutes"


def test_intranasal_cannot_be_dosed_by_mg_per_kg():
    with pytest.raises(ClinicalInputError) as info:
        racemic_dose(Route.INTRANASAL, 0.5, 70.0)
    assert info.value.field == "mg_per_kg"
    assert "28, 56 or 84" in info.value.message
