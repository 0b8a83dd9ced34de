"""Unmet requirements: diagnosis in scope, severity above entry, failed treatments, clearance."""

from __future__ import annotations

import pytest

from ketaflow.clinical.eligibility import (
    DEFAULT_CRITERIA,
    OPTIONAL_DIAGNOSIS_SCOPES,
    ClearanceItem,
    EligibilityCriteria,
    FindingKind,
    HistoryItem,
    PregnancyStatus,
    PriorTreatment,
    SuggestedOutcome,
    TreatmentKind,
    TreatmentOutcome,
    assess_eligibility,
)
from ketaflow.clinical.evidence import default
from ketaflow.clinical.tests.eligibility_personas import ALL_CLEARANCE, anna


def codes(facts, criteria=DEFAULT_CRITERIA):
    return assess_eligibility(facts, criteria).codes


@pytest.mark.parametrize(("hama", "met"), [(20, False), (21, True), (56, True), (0, False)])
def test_gad_needs_a_baseline_ham_a_above_20_per_the_glue_programme(hama, met):
    result = assess_eligibility(anna(severity_scores={"hama": hama}))
    if met:
        assert result.codes == ()
    else:
        (finding,) = result.findings
        assert finding.code == "requirement.severity_below_entry.hama"
        assert finding.kind is FindingKind.UNMET_REQUIREMENT
        assert "S11" in {s.key for s in finding.sources}
        assert finding.facts == ("diagnoses", "severity_scores")


@pytest.mark.parametrize(("lsas", "met"), [(50, False), (51, True)])
def test_social_anxiety_needs_a_baseline_lsas_above_50(
    lsas,
    met,
):
    facts = anna(diagnoses=("F40.10",), severity_scores={"lsas": lsas})
    assert (codes(facts) == ()) is met
    if not met:
        assert codes(facts) == ("requirement.severity_below_entry.lsas",)


def test_a_diagnosis_without_a_baseline_score_is_unmet_and_says_which_instrument():
    result = assess_eligibility(anna(severity_scores={"gad7": 18}))
    (finding,) = result.findings
    assert finding.code == "requirement.baseline_severity_missing.hama"
    assert "HAM-A" in finding.message
    assert result.outcome is SuggestedOutcome.NEEDS_REVIEW


def test_one_in_scope_diagnosis_above_its_threshold_is_enough():
    facts = anna(diagnoses=("F41.1", "F40.1"), severity_scores={"hama": 10, "lsas": 80})
    assert codes(facts) == ()


def test_when_no_in_scope_diagnosis_qualifies_each_one_is_reported():
    facts = anna(diagnoses=("F41.1", "F40.11"), severity_scores={"hama": 10})
    assert codes(facts) == (
        "requirement.severity_below_entry.hama",
        "requirement.baseline_severity_missing.lsas",
    )


@pytest.mark.parametrize("diagnoses", [(), ("F41.0",), ("F43.10",), ("F42.2",), ("F32.1",)])
def test_a_diagnosis_outside_the_default_gad_and_sad_scope_is_unmet(diagnoses):
    result = assess_eligibility(anna(diagnoses=diagnoses, severity_scores={}))
    assert "requirement.diagnosis_not_in_scope" in result.codes
    finding = next(f for f in result.findings if f.code == "requirement.diagnosis_not_in_scope")
    assert "F41.1" in finding.message and "F40.1" in finding.message


@pytest.mark.parametrize(
    ("code", "instrument", "at_threshold", "above"),
    [("F41.0", "pdss", 9, 10), ("F43.12", "pcl5", 32, 33), ("F42.2", "ybocs", 15, 16)],
)
def test_optional_scopes_enter_above_their_unverified_thresholds(
    code, instrument, at_threshold, above
):
    criteria = EligibilityCriteria(diagnoses_in_scope=OPTIONAL_DIAGNOSIS_SCOPES)
    low = assess_eligibility(
        anna(diagnoses=(code,), severity_scores={instrument: at_threshold}), criteria
    )
    (finding,) = low.findings
    assert finding.code == f"requirement.severity_below_entry.{instrument}"
    assert finding.needs_local_signoff
    high = assess_eligibility(
        anna(diagnoses=(code,), severity_scores={instrument: above}), criteria
    )
    assert high.codes == ()


def test_the_default_scope_thresholds_are_published_and_need_no_local_signoff():
    for scope in DEFAULT_CRITERIA.diagnoses_in_scope:
        assert not scope.entry_above.needs_local_signoff
    assert [s.entry_above.value for s in DEFAULT_CRITERIA.diagnoses_in_scope] == [20.0, 50.0]


@pytest.mark.parametrize(("count", "met"), [(0, False), (1, False), (2, True), (5, True)])
def test_at_least_two_failed_adequate_treatments_by_default(count, met):
    result = assess_eligibility(anna(failed_adequate_treatments=count))
    if met:
        assert result.codes == ()
    else:
        (finding,) = result.findings
        assert finding.code == "requirement.too_few_failed_treatments"
        assert finding.needs_local_signoff
        assert finding.facts == ("failed_adequate_treatments",)


def trial(adequate, outcome, kind=TreatmentKind.PHARMACOTHERAPY):
    return PriorTreatment("sertraline", kind, adequate, outcome)


def test_failed_treatments_are_counted_from_the_list_only_when_adequate_and_failed():
    prior = (
        trial(True, TreatmentOutcome.NO_RESPONSE),
        trial(False, TreatmentOutcome.NO_RESPONSE),
        trial(True, TreatmentOutcome.RESPONSE),
        trial(True, TreatmentOutcome.STOPPED_INTOLERANCE),
    )
    result = assess_eligibility(anna(failed_adequate_treatments=None, prior_treatments=prior))
    (finding,) = result.findings
    assert finding.code == "requirement.too_few_failed_treatments"
    assert finding.message.startswith("1 failed")
    assert finding.facts == ("prior_treatments",)
    enough = (*prior, trial(True, TreatmentOutcome.PARTIAL_RESPONSE, TreatmentKind.PSYCHOTHERAPY))
    assert codes(anna(failed_adequate_treatments=None, prior_treatments=enough)) == ()


def test_no_treatment_history_counts_as_none_failed():
    assert codes(anna(failed_adequate_treatments=None)) == (
        "requirement.too_few_failed_treatments",
    )


def test_a_clinic_can_lower_the_failed_treatment_minimum_to_zero():
    criteria = EligibilityCriteria(min_failed_adequate_treatments=default(0, "S37"))
    assert codes(anna(failed_adequate_treatments=0), criteria) == ()


@pytest.mark.parametrize(
    "item",
    [
        ClearanceItem.PSYCHIATRIC_ASSESSMENT,
        ClearanceItem.ECG,
        ClearanceItem.LIVER_FUNCTION,
        ClearanceItem.RENAL_FUNCTION,
        ClearanceItem.SLEEP_APNOEA_SCREEN,
    ],
)
def test_each_missing_required_clearance_item_is_unmet_citing_the_cpsbc_standard(item):
    result = assess_eligibility(anna(clearance_done=ALL_CLEARANCE - {item}))
    (finding,) = result.findings
    assert finding.code == f"requirement.clearance_missing.{item.value}"
    assert "S37" in {s.key for s in finding.sources}
    assert finding.facts == ("clearance_done",)


def test_a_pregnancy_test_is_required_only_for_someone_who_can_become_pregnant():
    done = ALL_CLEARANCE - {ClearanceItem.PREGNANCY_TEST}
    assert codes(anna(clearance_done=done)) == ("requirement.clearance_missing.pregnancy_test",)
    assert codes(anna(clearance_done=done, pregnancy=PregnancyStatus.NOT_APPLICABLE)) == ()


def test_a_clinic_can_turn_the_pregnancy_test_requirement_off():
    criteria = EligibilityCriteria(pregnancy_test_required=default(False, "S39"))
    done = ALL_CLEARANCE - {ClearanceItem.PREGNANCY_TEST}
    assert codes(anna(clearance_done=done), criteria) == ()


def test_urine_toxicology_is_required_only_with_a_history_of_substance_use():
    done = ALL_CLEARANCE - {ClearanceItem.URINE_TOXICOLOGY}
    assert codes(anna(clearance_done=done)) == ()
    sud = frozenset({HistoryItem.SUBSTANCE_USE_DISORDER})
    result = assess_eligibility(anna(clearance_done=done, history=sud))
    assert result.codes == (
        "caution.substance_use_disorder",
        "requirement.clearance_missing.urine_toxicology",
    )
    assert result.findings[1].facts == ("clearance_done", "history")


def test_a_missing_resting_bp_is_an_unmet_requirement():
    result = assess_eligibility(anna(blood_pressure=None))
    assert result.codes == ("requirement.baseline_bp_missing",)
    assert result.outcome is SuggestedOutcome.NEEDS_REVIEW
