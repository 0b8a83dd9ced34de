"""Invariants of the dose calculators over every valid input (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ketaflow.clinical.dosing import (
    DEFAULT_DOSING_LIMITS,
    HardLimitExceeded,
    WeightBasis,
    basis_weight_kg,
    devine_ideal_weight_kg,
    esketamine_dose,
    racemic_dose,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Route, Sex

racemic_routes = st.sampled_from([Route.IV, Route.SC, Route.IM, Route.ORAL])
weights = st.floats(min_value=20.0, max_value=350.0)
heights = st.floats(min_value=100.0, max_value=250.0)
sexes = st.sampled_from(list(Sex))
bases = st.sampled_from(list(WeightBasis))
any_mg_per_kg = st.floats(min_value=1e-3, max_value=20.0)
WHY = "basis chosen by the prescriber for this test"


@given(
    route=racemic_routes, mg_per_kg=st.floats(0.01, 1.0), weight=weights, factor=st.floats(0.1, 1.0)
)
def test_on_actual_weight_the_dose_is_linear_in_weight(route, mg_per_kg, weight, factor):
    assume(weight * factor >= 20.0)
    actual = {"basis": WeightBasis.ACTUAL, "basis_reason": WHY}
    try:
        full = racemic_dose(route, mg_per_kg, weight, **actual).dose_mg
    except HardLimitExceeded:  # the route's absolute mg cap
        return
    part = racemic_dose(route, mg_per_kg, weight * factor, **actual).dose_mg
    assert part == pytest.approx(full * factor, rel=1e-9)
    assert full == pytest.approx(mg_per_kg * weight, rel=1e-12)


@given(
    route=racemic_routes,
    mg_per_kg=any_mg_per_kg,
    weight=weights,
    height=heights,
    sex=sexes,
    basis=bases,
    cap=st.none() | st.floats(1.0, 1000.0),
)
def test_no_dose_result_ever_exceeds_a_hard_limit(
    route, mg_per_kg, weight, height, sex, basis, cap
):
    limits = DEFAULT_DOSING_LIMITS.for_route(route)
    try:
        dose = racemic_dose(
            route,
            mg_per_kg,
            weight,
            basis=basis,
            basis_reason=WHY,
            height_cm=height,
            sex=sex,
            max_dose_mg=cap,
        )
    except HardLimitExceeded:
        over_per_kg = mg_per_kg > limits.hard_max_mg_per_kg.value
        over_mg = limits.hard_max_mg is not None
        assert over_per_kg or over_mg
        return
    assert dose.mg_per_kg <= limits.hard_max_mg_per_kg.value
    assert dose.mg_per_kg_actual <= limits.hard_max_mg_per_kg.value * (1 + 1e-12)
    if limits.hard_max_mg is not None:
        assert dose.dose_mg <= limits.hard_max_mg.value
    if cap is not None:
        assert dose.dose_mg <= cap
    assert dose.max_dose_mg is not None and dose.dose_mg <= dose.max_dose_mg
    soft = limits.soft_max_mg_per_kg
    above_first_step = route in (Route.SC, Route.IM) and mg_per_kg > 0.25
    assert dose.requires_override == bool(
        (soft is not None and mg_per_kg > soft.value) or above_first_step
    )


@given(weight=weights, height=heights, sex=sexes)
def test_ideal_is_at_most_adjusted_which_is_at_most_actual(weight, height, sex):
    ideal = basis_weight_kg(WeightBasis.IDEAL, weight, height, sex)
    adjusted = basis_weight_kg(WeightBasis.ADJUSTED, weight, height, sex)
    assert 0 < ideal <= adjusted <= weight


@given(height=heights, more=st.floats(0.0, 50.0), sex=sexes)
def test_devine_never_decreases_with_height_and_women_are_2_3_kg_lighter(height, more, sex):
    assume(height + more <= 250.0)
    assert devine_ideal_weight_kg(height + more, sex) >= devine_ideal_weight_kg(height, sex)
    difference = devine_ideal_weight_kg(height, Sex.MALE) - devine_ideal_weight_kg(
        height, Sex.FEMALE
    )
    assert difference == pytest.approx(4.5)


@given(
    mg_per_kg=st.floats(0.01, 1.0),
    weight=weights,
    minutes=st.floats(20.0, 240.0),
    concentration=st.floats(0.1, 100.0),
)
def test_the_pump_delivers_exactly_the_dose_over_the_duration(
    mg_per_kg, weight, minutes, concentration
):
    assume(mg_per_kg / (minutes / 60.0) <= 1.5 and mg_per_kg * weight <= 100.0)
    dose = racemic_dose(
        Route.IV,
        mg_per_kg,
        weight,
        basis=WeightBasis.ACTUAL,
        basis_reason=WHY,
        minutes=minutes,
        concentration_mg_per_ml=concentration,
    )
    assert dose.rate_ml_per_h is not None and dose.infusion is not None
    delivered_mg = dose.rate_ml_per_h * minutes / 60.0 * concentration
    assert delivered_mg == pytest.approx(dose.dose_mg, rel=1e-9)
    assert dose.infusion.mg_per_kg_per_h * minutes / 60.0 == pytest.approx(mg_per_kg, rel=1e-9)


@given(mg_per_kg=st.floats(max_value=0.0) | st.just(float("nan")), route=racemic_routes)
def test_a_dose_of_zero_or_less_is_always_refused(mg_per_kg, route):
    with pytest.raises(ClinicalInputError):
        racemic_dose(route, mg_per_kg, 70.0)


@given(
    dose=st.floats(allow_nan=True, allow_infinity=True),
    age=st.integers(0, 130),
    first=st.booleans(),
)
def test_esketamine_results_are_only_ever_label_doses(dose, age, first):
    try:
        result = esketamine_dose(dose, age_years=age, first_dose=first)
    except HardLimitExceeded:
        return
    assert result.dose_mg in (28, 56, 84)
    if first and age >= 65:
        assert result.dose_mg == 28
