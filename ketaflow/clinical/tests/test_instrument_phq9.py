"""PHQ-9: US Core test vector, item 9 suicide-risk flag, bands, codes."""

from __future__ import annotations

import pytest

from ketaflow.clinical.instruments import PHQ9, FlagCode, FlagKind


def test_phq9_us_core_example_scores_12_moderate_with_item9_zero():
    score = PHQ9.score([2, 2, 2, 2, 1, 1, 2, 0, 0])
    assert (score.total, score.severity) == (12, "moderate")
    assert not score.has_flag(FlagCode.PHQ9_ITEM9_POSITIVE)
    assert not score.has_safety_flag


def test_phq9_us_core_example_with_somewhat_difficult_still_scores_12():
    assert PHQ9.score([2, 2, 2, 2, 1, 1, 2, 0, 0, 1]).total == 12


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_any_nonzero_item9_raises_a_suicide_risk_safety_flag(item9):
    score = PHQ9.score([0, 0, 0, 0, 0, 0, 0, 0, item9])
    flag = next(f for f in score.flags if f.code is FlagCode.PHQ9_ITEM9_POSITIVE)
    assert flag.kind is FlagKind.SAFETY
    assert "suicide-risk assessment" in flag.message
    assert flag.needs_local_signoff  # workflow convention, not a cited guideline
    assert score.total == item9
    assert score.severity == "minimal"


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_boundaries_follow_kroenke(total, label):
    assert PHQ9.bands is not None
    assert PHQ9.bands.label_for(total) == label


def test_phq9_loinc_codes_match_the_reference():
    assert PHQ9.loinc_panel == "44249-1"
    assert PHQ9.loinc_total == "44261-6"
    assert [i.loinc for i in PHQ9.items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
        "69722-7",
    ]


def test_phq9_item9_is_the_self_harm_item():
    assert "better off dead" in (PHQ9.items[8].text or "")


def test_phq9_range_is_0_to_27():
    assert (PHQ9.minimum, PHQ9.maximum) == (0, 27)


def test_phq9_screen_positive_at_10():
    assert PHQ9.score([2, 2, 2, 2, 1, 1, 0, 0, 0]).has_flag(FlagCode.PHQ9_SCREEN_POSITIVE)
    assert not PHQ9.score([2, 2, 2, 2, 1, 0, 0, 0, 0]).has_flag(FlagCode.PHQ9_SCREEN_POSITIVE)


def test_phq9_response_is_50_percent_and_remission_below_5_from_secondary_pages():
    criteria = PHQ9.response
    assert criteria is not None
    assert criteria.response_min_improvement_pct.value == 50.0
    assert not criteria.response_min_improvement_pct.needs_local_signoff
    assert criteria.remission_at_or_below is not None
    assert criteria.remission_at_or_below.value == 4


def test_phq9_json_form_lists_flags_with_codes_and_sources():
    data = PHQ9.score([0, 0, 0, 0, 0, 0, 0, 0, 2]).to_dict()
    assert data["flags"][0]["code"] == "phq9_item9_positive"
    assert data["flags"][0]["kind"] == "safety"
    assert data["flags"][0]["sources"] == ["S40"]
