"""MonitoringThresholds: clinic-tunable, validated, and honest about what needs sign-off."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import default
from ketaflow.clinical.monitoring import (
    DEFAULT_THRESHOLDS,
    MonitoringThresholds,
    Phase,
    VitalSigns,
    assess_reading,
)


def test_the_default_numbers_are_those_of_the_reference() -> None:
    t = DEFAULT_THRESHOLDS
    assert (t.predose_caution_sbp_above.value, t.predose_caution_dbp_above.value) == (140, 90)
    assert (t.predose_do_not_start_sbp_above.value, t.predose_do_not_start_dbp_above.value) == (
        180,
        100,
    )
    assert (t.session_sbp_at_or_above.value, t.session_dbp_at_or_above.value) == (180, 110)
    assert (t.session_sbp_rise_at_or_above.value, t.session_dbp_rise_at_or_above.value) == (40, 25)
    assert (t.spo2_warn_below.value, t.spo2_critical_below.value) == (92, 90)
    assert t.cadss_research_convention_above.value == 4


def test_unverified_defaults_are_flagged_for_local_signoff_and_label_values_are_not() -> None:
    needing = set(DEFAULT_THRESHOLDS.needing_signoff())
    assert {"spo2_warn_below", "rr_low_below", "hr_high_above", "recheck_warn_minutes"} <= needing
    assert "predose_caution_sbp_above" not in needing
    assert "predose_do_not_start_dbp_above" not in needing


def test_a_clinic_can_tune_a_soft_value_and_alerts_follow_it() -> None:
    strict = replace(DEFAULT_THRESHOLDS, hr_high_above=default(110.0, "S53", note="clinic choice"))
    alerts = assess_reading(VitalSigns(hr=115), phase=Phase.POST_DOSE, thresholds=strict)
    assert [(a.code, a.threshold_value) for a in alerts] == [("hr.high", 110.0)]
    assert assess_reading(VitalSigns(hr=115), phase=Phase.POST_DOSE) == ()


def test_a_caution_line_above_the_stop_line_is_rejected() -> None:
    with pytest.raises(ClinicalInputError) as err:
        MonitoringThresholds(predose_caution_sbp_above=default(190.0, "S1"))
    assert err.value.field == "predose_caution_sbp_above"


def test_a_critical_spo2_above_the_warning_spo2_is_rejected() -> None:
    with pytest.raises(ClinicalInputError):
        MonitoringThresholds(spo2_critical_below=default(95.0, "S41"))


def test_an_spo2_threshold_above_100_is_rejected() -> None:
    with pytest.raises(ClinicalInputError, match="100"):
        MonitoringThresholds(
            spo2_warn_below=default(101.0, "S41"), spo2_critical_below=default(90.0, "S41")
        )


def test_a_negative_or_non_numeric_threshold_is_rejected() -> None:
    with pytest.raises(ClinicalInputError):
        MonitoringThresholds(rr_low_below=default(-1.0, "S1"))
    with pytest.raises(ClinicalInputError):
        MonitoringThresholds(rr_low_below=default("ten", "S1"))  # type: ignore[arg-type]


def test_deep_sedation_level_must_leave_5_as_alert() -> None:
    with pytest.raises(ClinicalInputError):
        MonitoringThresholds(moaas_deep_sedation_at_or_below=default(5, "S1"))


def test_a_recheck_interval_of_zero_minutes_is_rejected() -> None:
    with pytest.raises(ClinicalInputError):
        MonitoringThresholds(recheck_warn_minutes=default(0, "S53"))
