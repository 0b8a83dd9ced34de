"""Liver disease by Child-Pugh class (the esketamine label, and racemic ketamine by analogy as
a clinic default), and LUTS / ketamine cystitis asking for a baseline LUTS screen."""

from __future__ import annotations

import pytest

from ketaflow.clinical.eligibility import (
    ClearanceItem,
    EligibilityCriteria,
    FindingKind,
    HistoryItem,
    SuggestedOutcome,
    assess_eligibility,
)
from ketaflow.clinical.evidence import Evidence, default
from ketaflow.clinical.routes import Route
from ketaflow.clinical.tests.eligibility_personas import ALL_CLEARANCE, anna

A = HistoryItem.LIVER_DISEASE_CHILD_PUGH_A
B = HistoryItem.LIVER_DISEASE_CHILD_PUGH_B
C = HistoryItem.LIVER_DISEASE_CHILD_PUGH_C


def only(facts, criteria=None):
    result = assess_eligibility(facts) if criteria is None else assess_eligibility(facts, criteria)
    (finding,) = result.findings
    return result, finding


def test_liver_disease_without_a_child_pugh_class_needs_review_to_record_it():
    result, finding = only(anna(history=frozenset({HistoryItem.LIVER_DISEASE})))
    assert finding.code == "requirement.liver_disease"
    assert "Child-Pugh" in finding.message
    assert {"S1", "S4", "S32"} <= {s.key for s in finding.sources}
    assert result.outcome is SuggestedOutcome.NEEDS_REVIEW


@pytest.mark.parametrize("route", list(Route))
def test_mild_impairment_child_pugh_a_is_a_caution_for_liver_tests_on_every_route(route):
    result, finding = only(anna(history=frozenset({A}), planned_route=route))
    assert finding.code == "caution.liver_disease_child_pugh_a"
    assert "liver function tests" in finding.message
    assert result.outcome is SuggestedOutcome.ELIGIBLE_WITH_CAUTIONS


def test_moderate_impairment_with_esketamine_follows_the_label_longer_monitoring():
    _, finding = only(anna(history=frozenset({B}), planned_route=Route.INTRANASAL))
    assert finding.code == "caution.liver_disease_child_pugh_b"
    assert "longer" in finding.message
    assert [s.key for s in finding.sources] == ["S1"]
    assert finding.needs_local_signoff is False


@pytest.mark.parametrize("route", [Route.IV, Route.SC, Route.IM, Route.ORAL])
def test_moderate_impairment_with_racemic_ketamine_is_a_caution_needing_local_signoff(route):
    _, finding = only(anna(history=frozenset({B}), planned_route=route))
    assert finding.kind is FindingKind.CAUTION
    assert "lower dose" in finding.message
    assert {"S1", "S31"} <= {s.key for s in finding.sources}
    assert finding.needs_local_signoff is True


def test_severe_impairment_child_pugh_c_with_esketamine_excludes_per_the_label():
    result, finding = only(anna(history=frozenset({C}), planned_route=Route.INTRANASAL))
    assert finding.code == "exclusion.liver_disease_child_pugh_c"
    assert "not recommend" in finding.message
    assert [s.key for s in finding.sources] == ["S1"]
    assert finding.needs_local_signoff is False
    assert result.outcome is SuggestedOutcome.NOT_ELIGIBLE


def test_severe_impairment_with_racemic_ketamine_excludes_by_a_flagged_clinic_default():
    result, finding = only(anna(history=frozenset({C}), planned_route=Route.IV))
    assert finding.code == "exclusion.liver_disease_child_pugh_c"
    assert finding.needs_local_signoff is True
    assert result.outcome is SuggestedOutcome.NOT_ELIGIBLE


def test_a_clinic_can_make_severe_impairment_with_racemic_ketamine_a_caution():
    criteria = EligibilityCriteria(
        severe_hepatic_impairment_excludes_racemic=default(
            False, "S1", evidence=Evidence.UNVERIFIED
        )
    )
    result, finding = only(anna(history=frozenset({C}), planned_route=Route.IV), criteria)
    assert finding.code == "caution.liver_disease_child_pugh_c"
    assert result.outcome is SuggestedOutcome.ELIGIBLE_WITH_CAUTIONS
    esketamine = assess_eligibility(
        anna(history=frozenset({C}), planned_route=Route.INTRANASAL), criteria
    )
    assert esketamine.codes == ("exclusion.liver_disease_child_pugh_c",)  # the label decides


def test_the_worst_class_recorded_decides_and_is_the_only_liver_finding():
    facts = anna(history=frozenset({HistoryItem.LIVER_DISEASE, A, C}), planned_route=Route.IV)
    assert assess_eligibility(facts).codes == ("exclusion.liver_disease_child_pugh_c",)
    coded = anna(diagnoses=("F41.1", "K74.60"), history=frozenset({B}))
    assert assess_eligibility(coded).codes == ("caution.liver_disease_child_pugh_b",)


def test_luts_history_without_a_baseline_screen_asks_for_one():
    done = ALL_CLEARANCE - {ClearanceItem.LUTS_SCREEN}
    result, finding = only(
        anna(history=frozenset({HistoryItem.LUTS_OR_CYSTITIS}), clearance_done=done)
    )
    assert finding.code == "caution.luts_or_cystitis"
    assert "baseline LUTS screen is needed" in finding.message
    assert finding.facts == ("history", "clearance_done")
    assert {"S4", "S33"} <= {s.key for s in finding.sources}
    assert result.outcome is SuggestedOutcome.ELIGIBLE_WITH_CAUTIONS


def test_luts_history_with_a_baseline_screen_says_it_is_on_record():
    _, finding = only(anna(history=frozenset({HistoryItem.LUTS_OR_CYSTITIS})))
    assert "baseline LUTS screen is on record" in finding.message


def test_a_luts_screen_is_not_required_of_everyone():
    done = ALL_CLEARANCE - {ClearanceItem.LUTS_SCREEN}
    assert assess_eligibility(anna(clearance_done=done)).codes == ()
