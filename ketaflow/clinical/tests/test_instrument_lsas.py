"""LSAS: fear and avoidance subscales, answer order, bands, cut-offs, Taylor response rule."""

from __future__ import annotations

import pytest

from ketaflow.clinical.instruments import LSAS, FlagCode


def test_lsas_has_24_fear_then_24_avoidance_items_each_0_to_3():
    assert len(LSAS.items) == 48
    assert [i.key for i in LSAS.items[:2]] == ["fear_1", "fear_2"]
    assert LSAS.items[24].key == "avoidance_1"
    assert LSAS.items[47].key == "avoidance_24"
    assert all((i.minimum, i.maximum) == (0, 3) for i in LSAS.items)


def test_lsas_total_is_fear_plus_avoidance_0_to_144():
    score = LSAS.score([3] * 24 + [1] * 24)
    assert score.subscale("fear") == 72
    assert score.subscale("avoidance") == 24
    assert score.total == 96
    assert (LSAS.minimum, LSAS.maximum) == (0, 144)


def test_lsas_accepts_answers_by_key():
    answers = {f"fear_{n}": 1 for n in range(1, 25)} | {f"avoidance_{n}": 2 for n in range(1, 25)}
    score = LSAS.score(answers)
    assert (score.subscale("fear"), score.subscale("avoidance")) == (24, 48)


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (29, "minimal"),
        (30, "mild"),
        (49, "mild"),
        (50, "moderate"),
        (55, "moderate"),
        (64, "moderate"),
        (65, "marked"),
        (79, "marked"),
        (80, "severe"),
        (94, "severe"),
        (95, "very severe"),
        (144, "very severe"),
    ],
)
def test_lsas_descriptive_bands(total, label):
    assert LSAS.bands is not None
    assert LSAS.bands.label_for(total) == label


def test_lsas_bands_are_a_secondary_convention():
    assert LSAS.bands is not None
    assert LSAS.bands.evidence.value == "secondary"


def test_lsas_response_is_strictly_more_than_35_percent_taylor_2018():
    criteria = LSAS.response
    assert criteria is not None
    assert criteria.response_strict
    assert criteria.is_response(90, 58)  # 35.6% reduction
    assert not criteria.is_response(90, 59)  # 34.4%
    assert round(criteria.improvement_pct(90, 58) or 0, 1) == 35.6
    assert round(criteria.improvement_pct(90, 59) or 0, 1) == 34.4


def test_lsas_remission_is_30_or_less_flagged_for_local_signoff():
    criteria = LSAS.response
    assert criteria is not None and criteria.remission_at_or_below is not None
    assert criteria.remission_at_or_below.value == 30
    assert criteria.remission_at_or_below.needs_local_signoff
    assert criteria.meets_remission(90, 30)
    assert not criteria.meets_remission(90, 31)


def test_lsas_remission_needs_a_response_too():
    # 36 -> 30 is at the remission level but only 16.7% better: not a remission.
    criteria = LSAS.response
    assert criteria is not None
    assert criteria.is_remission(30)
    assert not criteria.meets_remission(36, 30)


def test_lsas_screening_flags_at_30_and_60():
    assert not LSAS.score([1] * 29 + [0] * 19).flags
    at30 = LSAS.score([1] * 30 + [0] * 18)
    assert at30.has_flag(FlagCode.LSAS_SCREEN_SOCIAL_ANXIETY)
    assert not at30.has_flag(FlagCode.LSAS_SCREEN_GENERALIZED)
    at60 = LSAS.score([2] * 30 + [0] * 18)
    assert at60.has_flag(FlagCode.LSAS_SCREEN_GENERALIZED)


def test_lsas_recall_is_past_week():
    assert LSAS.recall_period == "past week"
