"""C-SSRS screener triage: behaviour more than 3 months ago is moderate risk (Columbia triage)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import CSSRS, FlagCode, FlagKind
from ketaflow.clinical.instruments.licensed_scales import cssrs_triage

ORDER = ["none", "low", "moderate", "high"]


@pytest.mark.parametrize(
    ("positive", "recent", "level"),
    [
        (set(), False, "none"),
        ({1}, False, "low"),
        ({1, 2}, False, "low"),
        ({1, 2, 3}, False, "moderate"),
        ({6}, False, "moderate"),  # behaviour more than 3 months ago
        ({1, 6}, False, "moderate"),
        ({6}, True, "high"),  # behaviour within the past 3 months
        ({1, 2, 3, 4}, False, "high"),
        ({1, 2, 3, 4, 5}, False, "high"),
        ({3, 6}, True, "high"),
    ],
)
def test_the_highest_positive_answer_sets_the_level(positive, recent, level):
    assert cssrs_triage(positive, behaviour_in_past_3_months=recent) == level


def test_behaviour_more_than_three_months_ago_is_a_safety_flag_that_asks_for_assessment():
    level = cssrs_triage({6}, behaviour_in_past_3_months=False)
    score = CSSRS.score_risk(level)
    assert [(f.code, f.kind) for f in score.flags] == [
        (FlagCode.CSSRS_RISK_MODERATE, FlagKind.SAFETY)
    ]
    assert "more than 3 months ago" in score.flags[0].message
    assert "more than 3 months ago" in CSSRS.level("moderate").description
    assert score.sources


def test_a_question_outside_one_to_six_is_refused():
    with pytest.raises(ClinicalInputError) as err:
        cssrs_triage({7}, behaviour_in_past_3_months=False)
    assert err.value.field == "positive"


@given(
    st.sets(st.integers(1, 6)),
    st.sets(st.integers(1, 6)),
    st.booleans(),
)
def test_answering_more_questions_yes_never_lowers_the_level(a, b, recent):
    lower = cssrs_triage(a, behaviour_in_past_3_months=recent)
    higher = cssrs_triage(a | b, behaviour_in_past_3_months=recent)
    assert ORDER.index(higher) >= ORDER.index(lower)


@given(st.sets(st.integers(1, 6)))
def test_recent_behaviour_is_never_a_lower_level_than_old_behaviour(positive):
    old = cssrs_triage(positive, behaviour_in_past_3_months=False)
    recent = cssrs_triage(positive, behaviour_in_past_3_months=True)
    assert ORDER.index(recent) >= ORDER.index(old)
