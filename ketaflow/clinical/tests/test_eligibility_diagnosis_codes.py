"""Diagnosis codes reach the same rules as history items: psychotic disorders, current mania,
ketamine/PCP misuse exclude; active dependence needs review; past forms stay cautions."""

from __future__ import annotations

import pytest

from ketaflow.clinical.eligibility import (
    ClearanceItem,
    FindingKind,
    HistoryItem,
    SuggestedOutcome,
    assess_eligibility,
)
from ketaflow.clinical.eligibility.conditions import items_for_code
from ketaflow.clinical.tests.eligibility_personas import ALL_CLEARANCE, anna


def with_codes(*codes: str, **changes):
    return anna(diagnoses=("F41.1", *codes), **changes)


def finding(result, code):
    (match,) = [f for f in result.findings if f.code == code]
    return match


@pytest.mark.parametrize(
    "code",
    ["F20.0", "F20.9", "F21", "F22", "F23", "F25.0", "F28", "F29", "F32.3", "F33.3", "F31.5"],
)
def test_a_psychotic_disorder_code_excludes_as_current_psychosis(code):
    result = assess_eligibility(with_codes(code))
    excluded = finding(result, "exclusion.psychosis_current")
    assert excluded.facts == ("diagnoses",)
    assert {"S37", "S1", "S47"} <= {s.key for s in excluded.sources}
    assert result.outcome is SuggestedOutcome.NOT_ELIGIBLE


@pytest.mark.parametrize(
    "code", ["F30.10", "F30.2", "F30.9", "F31.0", "F31.1", "F31.11", "F31.2", "F31.6", "F31.63"]
)
def test_a_current_manic_hypomanic_or_mixed_episode_excludes(code):
    result = assess_eligibility(with_codes(code))
    excluded = finding(result, "exclusion.mania_current")
    assert excluded.kind is FindingKind.EXCLUSION
    assert {"S37"} <= {s.key for s in excluded.sources}
    assert result.outcome is SuggestedOutcome.NOT_ELIGIBLE
    assert "caution.mania" not in result.codes  # one finding per condition


def test_mania_with_psychotic_symptoms_excludes_for_both_reasons():
    result = assess_eligibility(with_codes("F31.2"))
    assert {"exclusion.mania_current", "exclusion.psychosis_current"} <= set(result.codes)


@pytest.mark.parametrize("code", ["F31.3", "F31.4", "F31.71", "F31.81", "F31.9", "F30.4", "F34.0"])
def test_bipolar_disorder_outside_a_manic_episode_is_the_history_of_mania_caution(code):
    result = assess_eligibility(with_codes(code))
    assert result.codes == ("caution.mania",)
    assert result.outcome is SuggestedOutcome.ELIGIBLE_WITH_CAUTIONS


@pytest.mark.parametrize("code", ["F16.10", "F16.20", "F16.21", "F16.90"])
def test_hallucinogen_codes_which_cover_pcp_exclude_as_ketamine_pcp_misuse(code):
    result = assess_eligibility(with_codes(code))
    excluded = finding(result, "exclusion.ketamine_pcp_misuse")
    assert {"S48", "S4", "S33"} <= {s.key for s in excluded.sources}
    assert result.outcome is SuggestedOutcome.NOT_ELIGIBLE


NO_REVIEW = ALL_CLEARANCE - {ClearanceItem.SUBSTANCE_USE_REVIEW}


@pytest.mark.parametrize("code", ["F19.20", "F10.20", "F11.20", "F12.22", "F14.20", "F13.2"])
def test_active_dependence_needs_a_substance_use_review_and_urine_toxicology(code):
    result = assess_eligibility(with_codes(code, clearance_done=NO_REVIEW))
    review = finding(result, "requirement.substance_use_disorder_current")
    assert review.kind is FindingKind.UNMET_REQUIREMENT
    assert review.facts == ("diagnoses", "clearance_done")
    assert {"S1", "S37"} <= {s.key for s in review.sources}
    assert "substance-use review is needed" in review.message
    assert "ketamine or PCP" in review.message
    assert result.outcome is SuggestedOutcome.NEEDS_REVIEW
    without_tox = NO_REVIEW - {ClearanceItem.URINE_TOXICOLOGY}
    missing = assess_eligibility(with_codes(code, clearance_done=without_tox))
    tox = finding(missing, "requirement.clearance_missing.urine_toxicology")
    assert tox.facts == ("clearance_done", "diagnoses")


def test_a_substance_use_review_on_record_turns_active_dependence_into_a_caution():
    result = assess_eligibility(with_codes("F10.20", clearance_done=ALL_CLEARANCE))
    caution = finding(result, "caution.substance_use_disorder_current")
    assert "monitor for misuse" in caution.message
    assert result.outcome is SuggestedOutcome.ELIGIBLE_WITH_CAUTIONS


@pytest.mark.parametrize("code", ["F19.21", "F10.21", "F10.10", "F12.90", "F19.11"])
def test_abuse_use_or_dependence_in_remission_is_the_substance_use_history_caution(code):
    result = assess_eligibility(with_codes(code))
    assert result.codes == ("caution.substance_use_disorder",)


@pytest.mark.parametrize("code", ["F17.210", "F17.200", "F17.2"])
def test_nicotine_dependence_is_not_a_substance_finding(code):
    assert assess_eligibility(with_codes(code)).codes == ()


def test_a_substance_induced_psychotic_disorder_also_excludes_as_psychosis():
    result = assess_eligibility(with_codes("F10.250", clearance_done=NO_REVIEW))
    assert {"exclusion.psychosis_current", "requirement.substance_use_disorder_current"} <= set(
        result.codes
    )


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (HistoryItem.PSYCHOSIS_CURRENT, "F20.0"),
        (HistoryItem.PSYCHOSIS_CURRENT, "F29"),
        (HistoryItem.MANIA_CURRENT, "F31.1"),
        (HistoryItem.MANIA_CURRENT, "F31.2"),
        (HistoryItem.MANIA, "F31.9"),
        (HistoryItem.SUBSTANCE_USE_DISORDER_CURRENT, "F19.20"),
        (HistoryItem.SUBSTANCE_USE_DISORDER, "F10.21"),
        (HistoryItem.KETAMINE_PCP_MISUSE, "F16.20"),
        (HistoryItem.LUTS_OR_CYSTITIS, "N30.10"),
        (HistoryItem.LIVER_DISEASE, "K74.60"),
    ],
)
def test_the_history_item_and_the_code_give_the_same_finding(item, code):
    """One rule, two ways in: same code, message and sources; only the fact field differs."""
    by_history = assess_eligibility(anna(history=frozenset({item})))
    by_code = assess_eligibility(with_codes(code))
    rule_code = next(c for c in by_history.codes if c.endswith(f".{item.value}"))
    from_history, from_code = finding(by_history, rule_code), finding(by_code, rule_code)
    assert (from_history.kind, from_history.message, from_history.sources) == (
        from_code.kind,
        from_code.message,
        from_code.sources,
    )
    assert "history" in from_history.facts and "diagnoses" in from_code.facts
    both = assess_eligibility(anna(diagnoses=("F41.1", code), history=frozenset({item})))
    assert both.codes.count(rule_code) == 1
    assert {"diagnoses", "history"} <= set(finding(both, rule_code).facts)


def test_codes_that_mean_nothing_for_eligibility_map_to_no_condition():
    for code in ("F41.1", "F40.10", "F43.10", "F32.9", "N30.00", "K80.20", "F17.210"):
        assert items_for_code(code) == frozenset(), code


def test_the_history_item_for_current_psychosis_says_it_covers_psychotic_disorders():
    result = assess_eligibility(anna(history=frozenset({HistoryItem.PSYCHOSIS_CURRENT})))
    assert "F20-F29" in result.findings[0].message
