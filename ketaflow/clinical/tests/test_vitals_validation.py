"""A reading is validated on construction: impossible values are input errors, not alerts."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring.vitals import PHYSICAL_RANGES, VitalSigns


def test_a_normal_reading_is_accepted_with_every_field() -> None:
    v = VitalSigns(sbp=120, dbp=80, hr=70, spo2=98, rr=14, moaas=5, cadss=0)
    assert v.has_bp
    assert not v.is_empty


def test_every_field_may_be_missing() -> None:
    v = VitalSigns()
    assert v.is_empty
    assert not v.has_bp


def test_a_lone_systolic_is_allowed_but_is_not_a_blood_pressure() -> None:
    assert not VitalSigns(sbp=120).has_bp


def test_diastolic_equal_to_systolic_is_rejected_naming_the_diastolic() -> None:
    with pytest.raises(ClinicalInputError) as err:
        VitalSigns(sbp=90, dbp=90)
    assert err.value.field == "dbp"
    assert "lower than the systolic" in err.value.message


def test_diastolic_above_systolic_is_rejected_as_probably_swapped() -> None:
    with pytest.raises(ClinicalInputError, match="swapped"):
        VitalSigns(sbp=80, dbp=120)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("spo2", 101),
        ("spo2", -1),
        ("sbp", 39),
        ("sbp", 301),
        ("dbp", 19),
        ("dbp", 201),
        ("hr", 19),
        ("hr", 301),
        ("rr", -1),
        ("rr", 81),
        ("moaas", 6),
        ("moaas", -1),
        ("cadss", 93),
        ("cadss", -1),
    ],
)
def test_a_value_outside_the_physical_range_is_rejected_naming_vital_and_range(
    field: str, value: float
) -> None:
    with pytest.raises(ClinicalInputError) as err:
        VitalSigns(**{field: value})  # type: ignore[arg-type]
    assert err.value.field == field
    assert PHYSICAL_RANGES[field].label in err.value.message
    assert PHYSICAL_RANGES[field].describe() in err.value.message


@pytest.mark.parametrize(
    ("field", "value"),
    [("sbp", 40), ("sbp", 300), ("dbp", 20), ("hr", 20), ("hr", 300), ("rr", 0), ("rr", 80)],
)
def test_the_limits_of_the_physical_ranges_are_themselves_possible(
    field: str, value: float
) -> None:
    VitalSigns(**{field: value})  # type: ignore[arg-type]


def test_the_range_message_gives_the_units() -> None:
    with pytest.raises(ClinicalInputError, match="mmHg"):
        VitalSigns(sbp=400, dbp=80)


def test_spo2_at_100_and_0_percent_are_possible() -> None:
    VitalSigns(spo2=100)
    VitalSigns(spo2=0)


def test_scores_must_be_whole_numbers() -> None:
    with pytest.raises(ClinicalInputError, match="whole-number"):
        VitalSigns(moaas=4.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_values_are_rejected(bad: float) -> None:
    with pytest.raises(ClinicalInputError, match="finite"):
        VitalSigns(hr=bad)


@pytest.mark.parametrize("bad", ["120", True])
def test_non_numbers_are_rejected(bad: object) -> None:
    with pytest.raises(ClinicalInputError, match="must be a number"):
        VitalSigns(sbp=bad)  # type: ignore[arg-type]


def test_require_names_the_missing_vitals_and_the_purpose() -> None:
    with pytest.raises(ClinicalInputError) as err:
        VitalSigns(sbp=120).require("sbp", "dbp", purpose="the pre-dose check")
    assert err.value.field == "dbp"
    assert "diastolic" in err.value.message
    assert "pre-dose check" in err.value.message


@given(
    field=st.sampled_from(sorted(PHYSICAL_RANGES)),
    value=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6),
)
def test_a_value_outside_its_physical_range_is_always_rejected(field: str, value: float) -> None:
    rng = PHYSICAL_RANGES[field]
    if rng.low <= value <= rng.high and not rng.integer:
        VitalSigns(**{field: value})  # type: ignore[arg-type]
        return
    if rng.integer:
        value = math.floor(value)
        if rng.low <= value <= rng.high:
            VitalSigns(**{field: value})
            return
    with pytest.raises(ClinicalInputError):
        VitalSigns(**{field: value})  # type: ignore[arg-type]


@given(sbp=st.integers(40, 300), dbp=st.integers(20, 200))
def test_diastolic_at_or_above_systolic_is_always_rejected(sbp: int, dbp: int) -> None:
    if dbp >= sbp:
        with pytest.raises(ClinicalInputError):
            VitalSigns(sbp=sbp, dbp=dbp)
    else:
        assert VitalSigns(sbp=sbp, dbp=dbp).has_bp
