"""GAD-7: published FHIR test vectors, band boundaries, codes, wording, change criteria."""

from __future__ import annotations

import pytest

from ketaflow.clinical.instruments import GAD7, FlagCode


def test_gad7_published_fhir_example_scores_7_mild():
    score = GAD7.score([1, 1, 1, 1, 0, 1, 2])
    assert (score.total, score.severity) == (7, "mild")


def test_gad7_published_fhir_example_scores_4_minimal():
    score = GAD7.score([1, 0, 0, 1, 0, 1, 1])
    assert (score.total, score.severity) == (4, "minimal")


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_boundaries_follow_spitzer(total, label):
    assert GAD7.bands is not None
    assert GAD7.bands.label_for(total) == label


def test_gad7_total_range_is_0_to_21():
    assert (GAD7.minimum, GAD7.maximum) == (0, 21)
    assert GAD7.score([3] * 7).total == 21


def test_gad7_loinc_panel_total_and_items_in_form_order():
    assert GAD7.loinc_panel == "69737-5"
    assert GAD7.loinc_total == "70274-6"
    assert [i.loinc for i in GAD7.scored_items] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]


def test_gad7_items_6_and_7_are_irritable_then_afraid():
    assert "irritable" in (GAD7.items[5].text or "")
    assert "afraid" in (GAD7.items[6].text or "")


def test_gad7_answer_options_carry_loinc_answer_codes():
    assert [(o.value, o.loinc) for o in GAD7.items[0].options] == [
        (0, "LA6568-5"),
        (1, "LA6569-3"),
        (2, "LA6570-1"),
        (3, "LA6571-9"),
    ]


def test_gad7_recall_is_two_weeks_and_self_rated():
    assert GAD7.recall_period == "past 2 weeks"


def test_gad7_screen_positive_flag_at_10_not_at_9():
    assert GAD7.score([2, 2, 2, 2, 1, 1, 0]).has_flag(FlagCode.GAD7_SCREEN_POSITIVE)
    assert not GAD7.score([2, 2, 2, 2, 1, 0, 0]).has_flag(FlagCode.GAD7_SCREEN_POSITIVE)


def test_gad7_screen_cutoff_can_be_changed_by_the_clinic():
    score = GAD7.score([2, 2, 2, 2, 1, 0, 0], cutoffs={"screen_positive": 8})
    assert score.has_flag(FlagCode.GAD7_SCREEN_POSITIVE)


def test_gad7_optional_difficulty_item_is_recorded_but_not_scored():
    with_difficulty = GAD7.score([1, 1, 1, 1, 0, 1, 2, 3])
    assert with_difficulty.total == 7
    assert with_difficulty.answers[-1] == 3


def test_gad7_response_and_remission_are_unverified_clinic_defaults():
    criteria = GAD7.response
    assert criteria is not None
    assert criteria.response_min_improvement_pct.needs_local_signoff
    assert criteria.remission_at_or_below is not None
    assert criteria.remission_at_or_below.needs_local_signoff
    assert criteria.is_response(14, 7)
    assert not criteria.is_response(14, 8)
    assert criteria.is_remission(4)
    assert not criteria.is_remission(5)


def test_gad7_score_cites_spitzer_and_the_fhir_codes():
    keys = [s.key for s in GAD7.score([0] * 7).sources]
    assert keys[:2] == ["S40", "S42"]
