"""The suggested outcome: exclusion beats unmet requirement beats caution beats eligible."""

from __future__ import annotations

from ketaflow.clinical.eligibility import (
    BloodPressure,
    FindingKind,
    HistoryItem,
    SuggestedOutcome,
    assess_eligibility,
)
from ketaflow.clinical.eligibility.facts import PregnancyStatus
from ketaflow.clinical.tests.eligibility_personas import ANNA, anna


def test_a_patient_meeting_every_requirement_with_no_risks_is_eligible_with_no_findings():
    result = assess_eligibility(ANNA)
    assert result.findings == ()
    assert result.outcome is SuggestedOutcome.ELIGIBLE
    assert result.sources == ()
    assert result.criteria_version == "core-default"


def test_a_caution_alone_suggests_eligible_with_cautions():
    result = assess_eligibility(anna(history=frozenset({HistoryItem.GLAUCOMA})))
    assert result.outcome is SuggestedOutcome.ELIGIBLE_WITH_CAUTIONS
    assert [f.kind for f in result.findings] == [FindingKind.CAUTION]


def test_an_unmet_requirement_suggests_review_even_with_cautions():
    result = assess_eligibility(
        anna(history=frozenset({HistoryItem.GLAUCOMA}), severity_scores={"hama": 18})
    )
    assert result.outcome is SuggestedOutcome.NEEDS_REVIEW
    assert result.cautions and result.unmet_requirements


def test_any_exclusion_suggests_not_eligible_whatever_else_is_found():
    result = assess_eligibility(
        anna(
            pregnancy=PregnancyStatus.PREGNANT,
            blood_pressure=BloodPressure(150, 85),
            severity_scores={},
        )
    )
    assert result.outcome is SuggestedOutcome.NOT_ELIGIBLE
    assert result.exclusions and result.cautions and result.unmet_requirements


def test_sources_of_the_assessment_are_the_union_of_the_findings_sources_without_repeats():
    result = assess_eligibility(
        anna(
            history=frozenset({HistoryItem.ANEURYSM_OR_AVM, HistoryItem.INTRACEREBRAL_HAEMORRHAGE})
        )
    )
    keys = [s.key for s in result.sources]
    assert keys == ["S1", "S4"]


def test_the_same_facts_always_give_the_same_findings_in_the_same_order():
    facts = anna(
        history=frozenset(HistoryItem),
        blood_pressure=None,
        severity_scores={},
        failed_adequate_treatments=0,
    )
    assert assess_eligibility(facts) == assess_eligibility(facts)


def test_every_finding_code_is_unique_and_names_its_kind_and_every_finding_cites_a_source():
    facts = anna(history=frozenset(HistoryItem), age_years=70, severity_scores={})
    result = assess_eligibility(facts)
    codes = result.codes
    assert len(codes) == len(set(codes))
    prefixes = {
        FindingKind.EXCLUSION: "exclusion.",
        FindingKind.CAUTION: "caution.",
        FindingKind.UNMET_REQUIREMENT: "requirement.",
    }
    for finding in result.findings:
        assert finding.code.startswith(prefixes[finding.kind])
        assert finding.sources, finding.code
        assert finding.facts, finding.code
        assert finding.message
