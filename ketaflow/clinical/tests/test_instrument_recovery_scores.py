"""MOAA/S, modified Aldrete and PADSS: ranges, sedation flags, discharge threshold >= 9."""

from __future__ import annotations

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import (
    ALDRETE,
    MOAAS,
    PADSS,
    FlagCode,
    FlagKind,
    moaas_sedation_flags,
)


def test_moaas_is_one_rating_0_to_5():
    assert (MOAAS.minimum, MOAAS.maximum) == (0, 5)
    assert MOAAS.score([5]).total == 5
    assert MOAAS.score([5]).flags == ()


def test_moaas_zero_is_loss_of_consciousness_safety_flag():
    flag = MOAAS.score([0]).flags[0]
    assert flag.code is FlagCode.MOAAS_LOSS_OF_CONSCIOUSNESS
    assert flag.kind is FlagKind.SAFETY
    assert [s.key for s in flag.sources] == ["S1"]


def test_moaas_any_decrease_from_pre_dose_is_sedation():
    flags = moaas_sedation_flags(5, 4)
    assert [f.code for f in flags] == [FlagCode.MOAAS_SEDATION]


def test_moaas_no_decrease_is_no_sedation():
    assert moaas_sedation_flags(4, 4) == ()
    assert moaas_sedation_flags(3, 5) == ()


def test_moaas_fall_to_zero_is_sedation_and_loss_of_consciousness():
    codes = [f.code for f in moaas_sedation_flags(5, 0)]
    assert codes == [FlagCode.MOAAS_SEDATION, FlagCode.MOAAS_LOSS_OF_CONSCIOUSNESS]


@pytest.mark.parametrize(("pre", "now", "field"), [(6, 5, "pre_dose"), (5, -1, "current")])
def test_moaas_sedation_rejects_out_of_range_ratings(pre, now, field):
    with pytest.raises(ClinicalInputError) as err:
        moaas_sedation_flags(pre, now)
    assert err.value.field == field


def test_moaas_sedation_rejects_non_integers():
    with pytest.raises(ClinicalInputError, match="whole number"):
        moaas_sedation_flags(True, 5)


@pytest.mark.parametrize("instrument", [ALDRETE, PADSS], ids=["aldrete", "padss"])
def test_discharge_scores_are_5_items_0_to_2_total_10(instrument):
    assert len(instrument.items) == 5
    assert (instrument.minimum, instrument.maximum) == (0, 10)


@pytest.mark.parametrize("instrument", [ALDRETE, PADSS], ids=["aldrete", "padss"])
def test_discharge_score_met_at_9_not_at_8(instrument):
    assert instrument.score([2, 2, 2, 2, 1]).has_flag(FlagCode.DISCHARGE_SCORE_MET)
    below = instrument.score([2, 2, 2, 1, 1])
    assert below.has_flag(FlagCode.DISCHARGE_SCORE_NOT_MET)
    assert not below.has_flag(FlagCode.DISCHARGE_SCORE_MET)


def test_padss_discharge_message_requires_an_adult_escort():
    flag = PADSS.score([2] * 5).flags[0]
    assert "adult escort" in flag.message


def test_aldrete_clinic_may_use_8_as_threshold():
    score = ALDRETE.score([2, 2, 2, 1, 1], cutoffs={"discharge": 8})
    assert score.has_flag(FlagCode.DISCHARGE_SCORE_MET)


def test_aldrete_spo2_anchors_follow_the_reference():
    spo2 = ALDRETE.item("spo2")
    assert [(o.value, o.label) for o in spo2.options] == [
        (2, "SpO2 > 92% on room air"),
        (1, "needs O2 to keep SpO2 > 90%"),
        (0, "SpO2 < 90% despite O2"),
    ]


def test_discharge_scores_have_no_severity():
    assert ALDRETE.score([2] * 5).severity is None
