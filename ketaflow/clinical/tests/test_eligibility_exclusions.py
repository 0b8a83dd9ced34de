"""Exclusions: label contraindications, current psychosis, pregnancy, resting BP > 180/100."""

from __future__ import annotations

import pytest

from ketaflow.clinical.eligibility import (
    BloodPressure,
    FindingKind,
    HistoryItem,
    PregnancyStatus,
    SuggestedOutcome,
    assess_eligibility,
)
from ketaflow.clinical.eligibility.history_rules import HISTORY_RULES
from ketaflow.clinical.tests.eligibility_personas import anna

EXCLUDING_HISTORY = {
    HistoryItem.HYPERSENSITIVITY_KETAMINE: {"S1", "S4"},
    HistoryItem.ANEURYSM_OR_AVM: {"S1"},
    HistoryItem.INTRACEREBRAL_HAEMORRHAGE: {"S1"},
    HistoryItem.STROKE: {"S4"},
    HistoryItem.RAISED_INTRACRANIAL_PRESSURE: {"S4", "S37"},
    HistoryItem.CEREBRAL_TRAUMA: {"S4"},
    HistoryItem.SEVERE_CARDIAC_DISEASE: {"S4"},
    HistoryItem.PRE_ECLAMPSIA: {"S4"},
    HistoryItem.HYPERTHYROIDISM_UNCONTROLLED: {"S4"},
    HistoryItem.PSYCHOSIS_CURRENT: {"S37", "S1", "S47"},
    HistoryItem.PLANNING_PREGNANCY: {"S11", "S37"},
}


def codes(facts):
    return assess_eligibility(facts).codes


@pytest.mark.parametrize("item", list(EXCLUDING_HISTORY))
def test_each_contraindicated_history_item_excludes_with_its_label_sources(item):
    result = assess_eligibility(anna(history=frozenset({item})))
    (finding,) = result.findings
    assert finding.kind is FindingKind.EXCLUSION
    assert finding.code == f"exclusion.{item.value}"
    assert finding.facts == ("history",)
    assert EXCLUDING_HISTORY[item] <= {s.key for s in finding.sources}
    assert result.outcome is SuggestedOutcome.NOT_ELIGIBLE


def test_every_history_item_has_a_rule():
    assert set(HISTORY_RULES) == set(HistoryItem)


def test_pregnancy_excludes():
    result = assess_eligibility(anna(pregnancy=PregnancyStatus.PREGNANT))
    assert result.codes == ("exclusion.pregnancy",)
    assert {"S1", "S4", "S11"} <= {s.key for s in result.findings[0].sources}


def test_breastfeeding_excludes():
    result = assess_eligibility(anna(pregnancy=PregnancyStatus.BREASTFEEDING))
    assert result.codes == ("exclusion.breastfeeding",)
    assert result.findings[0].facts == ("pregnancy",)


@pytest.mark.parametrize("bp", [(181, 80), (150, 101), (200, 120)])
def test_resting_bp_above_180_over_100_excludes_per_the_swiss_label(bp):
    result = assess_eligibility(anna(blood_pressure=BloodPressure(*bp)))
    assert result.codes == ("exclusion.blood_pressure",)
    assert [s.key for s in result.findings[0].sources] == ["S4"]
    assert not result.findings[0].needs_local_signoff


def test_resting_bp_of_exactly_180_over_100_is_a_caution_not_an_exclusion():
    assert codes(anna(blood_pressure=BloodPressure(180, 100))) == ("caution.blood_pressure",)


def test_under_18_is_excluded_by_the_adult_only_default_that_needs_local_signoff():
    result = assess_eligibility(anna(age_years=17))
    (finding,) = result.findings
    assert finding.code == "exclusion.below_minimum_age"
    assert finding.needs_local_signoff


def test_age_18_is_not_excluded():
    assert codes(anna(age_years=18)) == ()
