"""Y-BOCS, PDSS and C-SSRS: clinician-entered totals or risk level, bands, change criteria."""

from __future__ import annotations

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import CSSRS, PDSS, YBOCS, FlagCode, FlagKind


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (0, "subclinical"),
        (7, "subclinical"),
        (8, "mild"),
        (15, "mild"),
        (16, "moderate"),
        (23, "moderate"),
        (24, "severe"),
        (31, "severe"),
        (32, "extreme"),
        (40, "extreme"),
    ],
)
def test_ybocs_band_boundaries(total, label):
    score = YBOCS.score_total(total)
    assert (score.total, score.severity, score.flags) == (total, label, ())


@pytest.mark.parametrize("total", [-1, 41])
def test_ybocs_total_out_of_range_is_rejected_with_the_range(total):
    with pytest.raises(ClinicalInputError) as err:
        YBOCS.score_total(total)
    assert err.value.field == "total"
    assert "0-40" in err.value.message


def test_ybocs_total_must_be_a_whole_number():
    with pytest.raises(ClinicalInputError, match="whole number"):
        YBOCS.score_total(True)


def test_ybocs_has_no_agoraphobia_variant():
    with pytest.raises(ClinicalInputError) as err:
        YBOCS.score_total(10, agoraphobia=True)
    assert err.value.field == "agoraphobia"


def test_ybocs_response_35_percent_remission_12():
    criteria = YBOCS.response
    assert criteria is not None
    assert criteria.is_response(20, 13)
    assert not criteria.is_response(20, 14)
    assert criteria.is_remission(12)
    assert not criteria.is_remission(13)


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (0, "normal"),
        (1, "normal"),
        (2, "borderline"),
        (5, "borderline"),
        (6, "slightly ill"),
        (9, "slightly ill"),
        (10, "moderately ill"),
        (13, "moderately ill"),
        (14, "markedly ill"),
        (28, "markedly ill"),
    ],
)
def test_pdss_bands_without_agoraphobia(total, label):
    assert PDSS.score_total(total, agoraphobia=False).severity == label


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (2, "normal"),
        (3, "borderline"),
        (7, "borderline"),
        (8, "slightly ill"),
        (10, "slightly ill"),
        (11, "moderately ill"),
        (15, "moderately ill"),
        (16, "markedly ill"),
        (28, "markedly ill"),
    ],
)
def test_pdss_bands_with_agoraphobia(total, label):
    assert PDSS.score_total(total, agoraphobia=True).severity == label


def test_pdss_needs_to_know_about_agoraphobia():
    with pytest.raises(ClinicalInputError) as err:
        PDSS.score_total(10)
    assert err.value.field == "agoraphobia"
    assert PDSS.has_agoraphobia_variant and not YBOCS.has_agoraphobia_variant


def test_pdss_range_is_0_to_28():
    with pytest.raises(ClinicalInputError, match="0-28"):
        PDSS.score_total(29, agoraphobia=False)


def test_pdss_response_40_percent_remission_5():
    criteria = PDSS.response
    assert criteria is not None
    assert criteria.is_response(20, 12)
    assert not criteria.is_response(20, 13)
    assert criteria.is_remission(5)
    assert not criteria.is_remission(6)


def test_pdss_score_names_which_band_set_was_used():
    assert "with agoraphobia" in (PDSS.score_total(9, agoraphobia=True).band_set or "")
    assert "without agoraphobia" in (PDSS.score_total(9, agoraphobia=False).band_set or "")


@pytest.mark.parametrize(
    ("level", "code", "kind"),
    [
        ("low", FlagCode.CSSRS_RISK_LOW, FlagKind.CLINICAL),
        ("moderate", FlagCode.CSSRS_RISK_MODERATE, FlagKind.SAFETY),
        ("high", FlagCode.CSSRS_RISK_HIGH, FlagKind.SAFETY),
    ],
)
def test_cssrs_risk_level_becomes_severity_and_a_flag(level, code, kind):
    score = CSSRS.score_risk(level)
    assert score.total is None
    assert score.severity == level
    assert [(f.code, f.kind) for f in score.flags] == [(code, kind)]


def test_cssrs_no_risk_raises_no_flag():
    score = CSSRS.score_risk("none")
    assert (score.severity, score.flags) == ("none", ())


def test_cssrs_level_is_case_insensitive():
    assert CSSRS.score_risk(" HIGH ").severity == "high"


def test_cssrs_unknown_level_lists_the_allowed_levels():
    with pytest.raises(ClinicalInputError) as err:
        CSSRS.score_risk("severe")
    assert err.value.field == "risk"
    assert "none, low, moderate, high" in err.value.message


def test_cssrs_levels_describe_the_screener_questions_without_wording():
    high = CSSRS.level("high")
    assert "question 6" in high.description
