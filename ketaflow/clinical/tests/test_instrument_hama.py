"""HAM-A: 14 clinician-rated items 0-4, Matza bands, response and remission defaults."""

from __future__ import annotations

import pytest

from ketaflow.clinical.instruments import HAMA


def test_hama_has_14_items_0_to_4_total_0_to_56():
    assert len(HAMA.items) == 14
    assert (HAMA.minimum, HAMA.maximum) == (0, 56)


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (0, "minimal"),
        (7, "minimal"),
        (8, "mild"),
        (14, "mild"),
        (15, "moderate"),
        (23, "moderate"),
        (24, "severe"),
        (56, "severe"),
    ],
)
def test_hama_matza_band_boundaries(total, label):
    assert HAMA.bands is not None
    assert HAMA.bands.label_for(total) == label


def test_hama_score_names_the_band_set_used():
    score = HAMA.score([2] * 12 + [0, 0])
    assert (score.total, score.severity) == (24, "severe")
    assert score.band_set is not None and "Matza" in score.band_set


def test_hama_response_50_percent_from_glue_and_remission_7_unverified():
    criteria = HAMA.response
    assert criteria is not None
    assert criteria.response_min_improvement_pct.value == 50.0
    assert [s.key for s in criteria.response_min_improvement_pct.sources] == ["S11"]
    assert criteria.remission_at_or_below is not None
    assert criteria.remission_at_or_below.value == 7
    assert criteria.remission_at_or_below.needs_local_signoff
    assert criteria.is_response(22, 11)
    assert not criteria.is_response(22, 12)


def test_hama_answer_anchors_run_not_present_to_very_severe():
    labels = [o.label for o in HAMA.items[0].options]
    assert labels[0] == "not present" and labels[-1] == "very severe"
