"""The protocol's list of needs is read off the criteria and agrees with the requirement rules."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ketaflow.clinical.eligibility import (
    DEFAULT_CRITERIA,
    OPTIONAL_DIAGNOSIS_SCOPES,
    ClearanceItem,
    EligibilityCriteria,
    FindingKind,
    HistoryItem,
    NeedKind,
    NeedState,
    PregnancyStatus,
    assess_eligibility,
    protocol_needs,
)
from ketaflow.clinical.evidence import default
from ketaflow.clinical.tests.eligibility_personas import ALL_CLEARANCE, anna


def by_what(needs):
    return {n.what: n for n in needs}


def test_without_facts_every_need_of_the_default_criteria_is_listed_with_its_state_unknown():
    needs = protocol_needs(DEFAULT_CRITERIA)
    kinds = [n.kind for n in needs]
    assert kinds[0] is NeedKind.DIAGNOSIS
    assert kinds.count(NeedKind.ENTRY_SCORE) == 2
    clearance = {n.item for n in needs if n.kind is NeedKind.CLEARANCE}
    assert DEFAULT_CRITERIA.required_clearance.value <= clearance
    assert ClearanceItem.PREGNANCY_TEST in clearance  # "if the patient can become pregnant"
    assert {n.state for n in needs} == {NeedState.UNKNOWN}
    scores = by_what(needs)
    assert (
        scores["baseline HAM-A"].rule
        == "for generalised anxiety disorder: a baseline HAM-A above 20"
    )
    trials = scores["failed adequate trials"]
    assert trials.rule.startswith("at least 2 adequate trials")
    assert "no response or a partial response" in trials.rule


def test_changing_a_criterion_changes_the_list():
    before = by_what(protocol_needs(DEFAULT_CRITERIA))
    changed = EligibilityCriteria(
        diagnoses_in_scope=(*DEFAULT_CRITERIA.diagnoses_in_scope, *OPTIONAL_DIAGNOSIS_SCOPES),
        min_failed_adequate_treatments=default(3, "S1"),
        required_clearance=default(frozenset({ClearanceItem.ECG}), "S37"),
        pregnancy_test_required=default(False, "S39"),
    )
    after = by_what(protocol_needs(changed))
    assert "at least 3 adequate trials" in after["failed adequate trials"].rule
    assert "at least 2 adequate trials" in before["failed adequate trials"].rule
    assert "baseline PCL-5" in after and "baseline PCL-5" not in before
    assert "liver function" in before and "liver function" not in after
    assert "pregnancy test" in before and "pregnancy test" not in after
    assert "ecg" in after


def test_a_patient_who_meets_everything_has_every_need_recorded():
    needs = protocol_needs(DEFAULT_CRITERIA, anna(failed_adequate_treatments=None))
    # Anna's count is given as a list here: none, so the trials are missing.
    shown = by_what(needs)
    assert shown["failed adequate trials"].state is NeedState.MISSING
    assert shown["failed adequate trials"].status == "0 of 2 recorded"
    needs = protocol_needs(DEFAULT_CRITERIA, anna())
    states = {n.what: n.state for n in needs}
    assert states.pop("baseline LSAS") is NeedState.NOT_APPLICABLE  # no social anxiety
    assert by_what(needs)["baseline LSAS"].status == "not this patient's diagnosis"
    assert set(states.values()) == {NeedState.RECORDED}


def test_each_missing_need_is_an_unmet_requirement_of_the_rules():
    facts = anna(
        severity_scores={"hama": 18},
        failed_adequate_treatments=1,
        clearance_done=ALL_CLEARANCE - {ClearanceItem.ECG, ClearanceItem.PREGNANCY_TEST},
        blood_pressure=None,
    )
    shown = by_what(protocol_needs(DEFAULT_CRITERIA, facts))
    assert shown["baseline HAM-A"].state is NeedState.NOT_MET
    assert shown["baseline HAM-A"].status == "HAM-A 18: not above 20"
    assert shown["failed adequate trials"].state is NeedState.NOT_MET
    assert shown["failed adequate trials"].status == "1 of 2 recorded"
    assert shown["ecg"].state is NeedState.MISSING
    assert shown["pregnancy test"].state is NeedState.MISSING
    assert shown["resting blood pressure"].state is NeedState.MISSING
    unmet = {f.code for f in assess_eligibility(facts).of_kind(FindingKind.UNMET_REQUIREMENT)}
    assert unmet == {
        "requirement.severity_below_entry.hama",
        "requirement.too_few_failed_treatments",
        "requirement.clearance_missing.ecg",
        "requirement.clearance_missing.pregnancy_test",
        "requirement.baseline_bp_missing",
    }


@pytest.mark.parametrize(
    ("pregnancy", "listed"),
    [
        (PregnancyStatus.NOT_APPLICABLE, False),
        (PregnancyStatus.PREGNANT, False),
        (PregnancyStatus.UNKNOWN, True),
        (PregnancyStatus.NOT_PREGNANT, True),
    ],
)
def test_a_pregnancy_test_is_listed_only_for_someone_it_applies_to(pregnancy, listed):
    needs = protocol_needs(DEFAULT_CRITERIA, anna(pregnancy=pregnancy))
    assert ("pregnancy test" in by_what(needs)) is listed


def test_substance_use_adds_urine_toxicology_and_a_current_disorder_a_review():
    facts = anna(
        history=frozenset({HistoryItem.SUBSTANCE_USE_DISORDER_CURRENT}),
        clearance_done=ALL_CLEARANCE - {ClearanceItem.SUBSTANCE_USE_REVIEW},
    )
    shown = by_what(protocol_needs(DEFAULT_CRITERIA, facts))
    assert shown["urine toxicology"].state is NeedState.RECORDED
    assert shown["substance use review"].state is NeedState.MISSING
    assert "substance use" in shown["substance use review"].rule
    without = by_what(protocol_needs(DEFAULT_CRITERIA, anna()))
    assert "urine toxicology" not in without and "substance use review" not in without


def test_a_blood_pressure_above_the_exclusion_limit_is_not_met():
    from ketaflow.clinical.eligibility import BloodPressure

    shown = by_what(protocol_needs(DEFAULT_CRITERIA, anna(blood_pressure=BloodPressure(190, 95))))
    assert shown["resting blood pressure"].state is NeedState.NOT_MET


def test_a_diagnosis_outside_the_scope_is_missing_and_scores_do_not_apply():
    facts = anna(diagnoses=("F41.0",), severity_scores={"hama": 30})
    shown = by_what(protocol_needs(DEFAULT_CRITERIA, facts))
    assert shown["a diagnosis the protocol treats"].state is NeedState.MISSING
    assert shown["baseline HAM-A"].state is NeedState.UNKNOWN
    assert shown["baseline HAM-A"].status == "depends on the diagnosis (HAM-A 30 on record)"
    scoped = replace(DEFAULT_CRITERIA, diagnoses_in_scope=DEFAULT_CRITERIA.diagnoses_in_scope)
    assert protocol_needs(scoped, facts) == protocol_needs(DEFAULT_CRITERIA, facts)
