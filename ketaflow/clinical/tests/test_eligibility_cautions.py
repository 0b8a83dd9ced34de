"""Cautions: relative contraindications, co-medications, age, BP above 140/90, pregnancy unknown."""

from __future__ import annotations

import pytest

from ketaflow.clinical.eligibility import (
    BloodPressure,
    ClearanceItem,
    DrugClass,
    FindingKind,
    HistoryItem,
    Medication,
    PregnancyStatus,
    SuggestedOutcome,
    assess_eligibility,
)
from ketaflow.clinical.routes import Route
from ketaflow.clinical.tests.eligibility_personas import anna

CAUTION_HISTORY = {
    HistoryItem.PSYCHOSIS_PAST: {"S1", "S47"},
    HistoryItem.MANIA: {"S37"},
    HistoryItem.SUBSTANCE_USE_DISORDER: {"S1", "S2", "S48"},
    HistoryItem.HYPERTENSION: {"S4", "S25"},
    HistoryItem.HYPERTENSIVE_ENCEPHALOPATHY: {"S1"},
    HistoryItem.CARDIOVASCULAR_DISEASE: {"S1"},
    HistoryItem.HYPERTHYROIDISM_TREATED: {"S4"},
    HistoryItem.GLAUCOMA: {"S4", "S37"},
    HistoryItem.EPILEPSY: {"S37"},
    HistoryItem.LIVER_DISEASE_CHILD_PUGH_A: {"S1", "S4", "S32"},  # unclassified: needs review
    HistoryItem.LUTS_OR_CYSTITIS: {"S4", "S33"},
    HistoryItem.SLEEP_APNOEA: {"S37"},
}


def med(name, *classes, dose=None):
    return Medication(name, frozenset(classes), diazepam_equivalent_mg_per_day=dose)


def findings(facts):
    return assess_eligibility(facts).findings


@pytest.mark.parametrize("item", list(CAUTION_HISTORY))
def test_each_relative_contraindication_is_a_caution_with_its_sources(item):
    result = assess_eligibility(anna(history=frozenset({item})))
    (finding,) = result.findings
    assert finding.kind is FindingKind.CAUTION
    assert finding.code == f"caution.{item.value}"
    assert CAUTION_HISTORY[item] <= {s.key for s in finding.sources}
    assert result.outcome is SuggestedOutcome.ELIGIBLE_WITH_CAUTIONS


def test_benzodiazepine_above_8_mg_diazepam_equivalent_is_a_caution_citing_s28():
    result = findings(anna(medications=(med("clonazepam", DrugClass.BENZODIAZEPINE, dose=8.5),)))
    assert [f.code for f in result] == [
        "caution.benzodiazepine_high_dose",
        "caution.cns_depressant",
    ]
    assert [s.key for s in result[0].sources] == ["S28"]
    assert "8.5 mg" in result[0].message


def test_benzodiazepine_at_exactly_8_mg_gets_only_the_sedation_caution():
    result = findings(anna(medications=(med("diazepam", DrugClass.BENZODIAZEPINE, dose=8),)))
    assert [f.code for f in result] == ["caution.cns_depressant"]


def test_benzodiazepine_doses_add_up_across_medicines():
    meds = (
        med("diazepam", DrugClass.BENZODIAZEPINE, dose=5),
        med("lorazepam", DrugClass.BENZODIAZEPINE, dose=5),
    )
    facts = anna(medications=meds)
    assert facts.diazepam_equivalent_mg_per_day == 10
    codes = [f.code for f in findings(facts)]
    assert "caution.benzodiazepine_high_dose" in codes


@pytest.mark.parametrize(
    ("drug_class", "code", "key"),
    [
        (DrugClass.OPIOID, "caution.cns_depressant", "S49"),
        (DrugClass.SEDATIVE_HYPNOTIC, "caution.cns_depressant", "S1"),
        (DrugClass.CNS_DEPRESSANT, "caution.cns_depressant", "S4"),
        (DrugClass.STIMULANT, "caution.stimulant", "S3"),
        (DrugClass.MAOI, "caution.maoi", "S3"),
        (DrugClass.THEOPHYLLINE, "caution.theophylline", "S4"),
        (DrugClass.THYROID_HORMONE, "caution.thyroid_hormone", "S4"),
        (DrugClass.ANTIHYPERTENSIVE, "caution.antihypertensive", "S4"),
        (DrugClass.LAMOTRIGINE, "caution.lamotrigine", "S30"),
        (DrugClass.NALTREXONE, "caution.naltrexone", "S29"),
    ],
)
def test_each_interacting_drug_class_is_a_caution_naming_the_medicine(drug_class, code, key):
    (finding,) = findings(anna(medications=(med("drug-x", drug_class),)))
    assert finding.code == code
    assert key in {s.key for s in finding.sources}
    assert "drug-x" in finding.message
    assert finding.facts == ("medications",)


@pytest.mark.parametrize(
    ("drug_class", "code"),
    [
        (DrugClass.CYP3A4_INHIBITOR, "caution.cyp3a4_inhibitor_oral"),
        (DrugClass.CYP3A4_INDUCER, "caution.cyp3a4_inducer_oral"),
        (DrugClass.CYP2B6_INHIBITOR, "caution.cyp2b6_inhibitor_oral"),
    ],
)
def test_cyp_interactions_are_cautions_with_oral_dosing_only(drug_class, code):
    meds = (med("clarithromycin", drug_class),)
    (finding,) = findings(anna(medications=meds, planned_route=Route.ORAL))
    assert finding.code == code
    assert finding.facts == ("medications", "planned_route")
    assert [s.key for s in finding.sources] == ["S31"]
    for route in (Route.IV, Route.SC, Route.IM, Route.INTRANASAL):
        assert findings(anna(medications=meds, planned_route=route)) == ()


def test_a_medicine_in_two_classes_gets_both_cautions():
    meds = (med("combo", DrugClass.OPIOID, DrugClass.NALTREXONE),)
    assert [f.code for f in findings(anna(medications=meds))] == [
        "caution.cns_depressant",
        "caution.naltrexone",
    ]


@pytest.mark.parametrize(
    ("age", "expected"), [(64, ()), (65, ("caution.elderly",)), (90, ("caution.elderly",))]
)
def test_age_65_or_over_is_a_caution(age, expected):
    assert assess_eligibility(anna(age_years=age)).codes == expected


@pytest.mark.parametrize(
    ("bp", "expected"),
    [
        ((140, 90), ()),
        ((141, 80), ("caution.blood_pressure",)),
        ((130, 91), ("caution.blood_pressure",)),
    ],
)
def test_resting_bp_above_140_over_90_is_a_caution_per_the_esketamine_label(bp, expected):
    result = assess_eligibility(anna(blood_pressure=BloodPressure(*bp)))
    assert result.codes == expected
    if expected:
        assert [s.key for s in result.findings[0].sources] == ["S1"]


def test_unknown_pregnancy_status_is_a_caution_and_the_pregnancy_test_is_still_required():
    done = frozenset(ClearanceItem) - {ClearanceItem.PREGNANCY_TEST}
    result = assess_eligibility(anna(pregnancy=PregnancyStatus.UNKNOWN, clearance_done=done))
    assert result.codes == (
        "caution.pregnancy_status_unknown",
        "requirement.clearance_missing.pregnancy_test",
    )


def test_comorbid_depression_is_a_caution_because_the_anxiety_trials_excluded_it():
    result = assess_eligibility(anna(diagnoses=("F41.1", "F33.1")))
    (finding,) = result.findings
    assert finding.code == "caution.comorbid_depression"
    assert "F33.1" in finding.message
    assert {"S8", "S9"} <= {s.key for s in finding.sources}
