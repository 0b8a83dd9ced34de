"""Invariants (hypothesis): an excluding diagnosis excludes whatever else is true, and the
outcome never gets better when a code is added."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.eligibility import (
    BloodPressure,
    ClearanceItem,
    HistoryItem,
    PatientFacts,
    PregnancyStatus,
    SuggestedOutcome,
    assess_eligibility,
)
from ketaflow.clinical.routes import Route, Sex

SUFFIX = st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,3}", fullmatch=True))
RANK = {
    SuggestedOutcome.ELIGIBLE: 0,
    SuggestedOutcome.ELIGIBLE_WITH_CAUTIONS: 1,
    SuggestedOutcome.NEEDS_REVIEW: 2,
    SuggestedOutcome.NOT_ELIGIBLE: 3,
}
OTHER_CODES = st.lists(
    st.sampled_from(["F41.1", "F40.10", "F43.10", "F32.9", "F33.2", "F42.2", "F19.21", "K74.60"]),
    max_size=4,
)


@st.composite
def patients(draw: st.DrawFn, codes: st.SearchStrategy[list[str]] = OTHER_CODES) -> PatientFacts:
    return PatientFacts(
        age_years=draw(st.integers(18, 90)),
        sex=draw(st.sampled_from(Sex)),
        pregnancy=draw(st.sampled_from([PregnancyStatus.NOT_PREGNANT, PregnancyStatus.UNKNOWN])),
        planned_route=draw(st.sampled_from(Route)),
        diagnoses=tuple(draw(codes)),
        history=frozenset(draw(st.sets(st.sampled_from(HistoryItem), max_size=4))),
        blood_pressure=draw(
            st.one_of(
                st.none(),
                st.builds(BloodPressure, st.integers(100, 170), st.integers(60, 95)),
            )
        ),
        severity_scores=draw(
            st.dictionaries(st.sampled_from(["hama", "lsas"]), st.integers(0, 56))
        ),
        failed_adequate_treatments=draw(st.integers(0, 5)),
        clearance_done=frozenset(draw(st.sets(st.sampled_from(ClearanceItem)))),
    )


@given(facts=patients(), digit=st.integers(0, 9), suffix=SUFFIX)
def test_any_f20_to_f29_code_is_not_eligible_whatever_else_is_true(facts, digit, suffix):
    code = f"F2{digit}{suffix}"
    result = assess_eligibility(replace(facts, diagnoses=(code,)))
    assert result.outcome is SuggestedOutcome.NOT_ELIGIBLE
    assert "exclusion.psychosis_current" in result.codes


@given(
    facts=patients(),
    code=st.sampled_from(["F30.10", "F30.2", "F31.0", "F31.12", "F31.2", "F31.64", "F16.20"]),
)
def test_a_current_manic_or_mixed_episode_or_pcp_code_is_never_eligible(facts, code):
    result = assess_eligibility(replace(facts, diagnoses=(*facts.diagnoses, code)))
    assert result.outcome is SuggestedOutcome.NOT_ELIGIBLE


@given(
    facts=patients(),
    sub=st.sampled_from(["0", "1", "2", "3", "4", "5", "8", "9"]),
    fifth=st.sampled_from(["", "0", "2", "9"]),
)
def test_active_dependence_without_a_substance_use_review_is_never_eligible(facts, sub, fifth):
    code = f"F1{sub}.2{fifth}"
    done = facts.clearance_done - {ClearanceItem.SUBSTANCE_USE_REVIEW}
    result = assess_eligibility(
        replace(facts, diagnoses=(*facts.diagnoses, code), clearance_done=done)
    )
    assert RANK[result.outcome] >= RANK[SuggestedOutcome.NEEDS_REVIEW]
    reviewed = assess_eligibility(
        replace(
            facts,
            diagnoses=(*facts.diagnoses, code),
            clearance_done=done | {ClearanceItem.SUBSTANCE_USE_REVIEW},
        )
    )
    assert RANK[reviewed.outcome] >= RANK[SuggestedOutcome.ELIGIBLE_WITH_CAUTIONS]


@given(facts=patients(), code=st.sampled_from(["F20.0", "F29", "F31.1", "F19.20", "N30.10"]))
def test_adding_a_code_never_improves_the_outcome(facts, code):
    before = assess_eligibility(facts).outcome
    after = assess_eligibility(replace(facts, diagnoses=(*facts.diagnoses, code))).outcome
    assert RANK[after] >= RANK[before]
