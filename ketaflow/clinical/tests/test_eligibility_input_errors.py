"""Impossible facts and criteria are input errors naming the field to fix, never findings."""

from __future__ import annotations

import math

import pytest

from ketaflow.clinical.eligibility import (
    BloodPressure,
    BloodPressureLimit,
    DrugClass,
    EligibilityCriteria,
    Medication,
    PriorTreatment,
    TreatmentKind,
    TreatmentOutcome,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import default
from ketaflow.clinical.tests.eligibility_personas import anna


def field_of(call):
    with pytest.raises(ClinicalInputError) as info:
        call()
    return info.value.field


@pytest.mark.parametrize("age", [-1, 131, True])
def test_an_impossible_age_is_an_input_error(age):
    assert field_of(lambda: anna(age_years=age)) == "age_years"


@pytest.mark.parametrize("code", ["GAD", "41.1", "F4", "F41.12345", ""])
def test_a_malformed_icd10_code_is_an_input_error(code):
    assert field_of(lambda: anna(diagnoses=(code,))) == "diagnoses"


def test_icd10_codes_are_normalised_to_upper_case_with_a_dot():
    assert anna(diagnoses=(" f411 ", "F40.10")).diagnoses == ("F41.1", "F40.10")


@pytest.mark.parametrize(
    "scores", [{"hama": 57}, {"lsas": -1}, {"gad7": math.nan}, {"": 3}, {"gad7": 22}]
)
def test_scores_outside_the_instrument_range_are_input_errors(scores):
    assert field_of(lambda: anna(severity_scores=scores)) == "severity_scores"


def test_score_names_are_case_insensitive_and_unknown_instruments_are_kept():
    facts = anna(severity_scores={" HAMA ": 24, "custom": 300})
    assert dict(facts.severity_scores) == {"hama": 24, "custom": 300}


@pytest.mark.parametrize("bp", [(120, 130), (40, 30), (310, 90), (120, 10), (120, 120)])
def test_an_impossible_blood_pressure_is_an_input_error(bp):
    assert field_of(lambda: BloodPressure(*bp)) == "blood_pressure"


def test_a_benzodiazepine_without_its_daily_dose_is_an_input_error():
    call = lambda: Medication("alprazolam", frozenset({DrugClass.BENZODIAZEPINE}))  # noqa: E731
    assert field_of(call) == "medications"


@pytest.mark.parametrize("dose", [-1, 1001, math.inf])
def test_an_impossible_diazepam_equivalent_dose_is_an_input_error(dose):
    call = lambda: Medication("x", frozenset({DrugClass.BENZODIAZEPINE}), dose)  # noqa: E731
    assert field_of(call) == "medications"


def test_a_medication_needs_a_name():
    assert field_of(lambda: Medication("  ", frozenset())) == "medications"


def test_a_negative_failed_treatment_count_is_an_input_error():
    assert field_of(lambda: anna(failed_adequate_treatments=-1)) == "failed_adequate_treatments"


def test_a_count_and_a_list_of_prior_treatments_together_are_an_input_error():
    prior = (PriorTreatment("cbt", TreatmentKind.PSYCHOTHERAPY, True, TreatmentOutcome.RESPONSE),)
    call = lambda: anna(failed_adequate_treatments=2, prior_treatments=prior)  # noqa: E731
    assert field_of(call) == "failed_adequate_treatments"


def test_criteria_need_a_diagnosis_in_scope():
    assert field_of(lambda: EligibilityCriteria(diagnoses_in_scope=())) == "diagnoses_in_scope"


def test_criteria_reject_a_negative_failed_treatment_minimum():
    call = lambda: EligibilityCriteria(min_failed_adequate_treatments=default(-1, "S1"))  # noqa: E731
    assert field_of(call) == "min_failed_adequate_treatments"


def test_criteria_reject_a_bp_caution_limit_above_the_exclusion_limit():
    call = lambda: EligibilityCriteria(  # noqa: E731
        bp_caution_above=default(BloodPressureLimit(190, 90), "S1")
    )
    assert field_of(call) == "bp_caution_above"
