"""Before dosing: may we start? SPRAVATO > 140/90 caution (S1), Swiss label > 180/100 stop (S4)."""

from __future__ import annotations

import pytest

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring import (
    Action,
    AlertLevel,
    Phase,
    VitalSigns,
    WarningSymptom,
    assess_reading,
    highest_level,
    may_start,
)


def codes(v: VitalSigns, **kw: object) -> list[str]:
    return [a.code for a in assess_reading(v, phase=Phase.PRE_DOSE, **kw)]  # type: ignore[arg-type]


def test_a_normal_pre_dose_reading_raises_no_alert_and_may_start() -> None:
    alerts = assess_reading(
        VitalSigns(sbp=120, dbp=80, hr=70, spo2=98, rr=14, moaas=5, cadss=0), phase=Phase.PRE_DOSE
    )
    assert alerts == ()
    assert may_start(alerts)
    assert highest_level(alerts) is None


def test_140_over_90_is_not_above_the_spravato_caution_line() -> None:
    assert codes(VitalSigns(sbp=140, dbp=90)) == []


def test_141_systolic_is_a_caution_to_consider_delaying_citing_spravato() -> None:
    (alert,) = assess_reading(VitalSigns(sbp=141, dbp=80), phase=Phase.PRE_DOSE)
    assert alert.code == "predose.sbp.caution"
    assert alert.level is AlertLevel.WARN
    assert alert.action is Action.CONSIDER_DELAYING
    assert alert.threshold_name == "predose_caution_sbp_above"
    assert alert.threshold_value == 140
    assert alert.value == 141
    assert [s.key for s in alert.sources] == ["S1"]
    assert not alert.needs_local_signoff
    assert alert.recheck_in_minutes == 5


def test_91_diastolic_is_a_caution() -> None:
    assert codes(VitalSigns(sbp=130, dbp=91)) == ["predose.dbp.caution"]


def test_180_over_100_is_a_caution_but_still_may_start() -> None:
    alerts = assess_reading(VitalSigns(sbp=180, dbp=100), phase=Phase.PRE_DOSE)
    assert {a.code for a in alerts} == {"predose.sbp.caution", "predose.dbp.caution"}
    assert may_start(alerts)


def test_181_systolic_means_do_not_start_citing_the_swiss_label() -> None:
    alerts = assess_reading(VitalSigns(sbp=181, dbp=95), phase=Phase.PRE_DOSE)
    assert [a.code for a in alerts] == ["predose.sbp.do_not_start", "predose.dbp.caution"]
    stop = alerts[0]
    assert stop.level is AlertLevel.CRITICAL
    assert stop.action is Action.DO_NOT_START
    assert [s.key for s in stop.sources] == ["S4"]
    assert stop.threshold_value == 180
    assert not may_start(alerts)


def test_101_diastolic_means_do_not_start() -> None:
    alerts = assess_reading(VitalSigns(sbp=150, dbp=101), phase=Phase.PRE_DOSE)
    assert "predose.dbp.do_not_start" in [a.code for a in alerts]
    assert not may_start(alerts)
    assert highest_level(alerts) is AlertLevel.CRITICAL


def test_a_pre_dose_reading_without_blood_pressure_is_an_input_error() -> None:
    with pytest.raises(ClinicalInputError) as err:
        assess_reading(VitalSigns(hr=70, spo2=98), phase=Phase.PRE_DOSE)
    assert err.value.field == "sbp"
    assert "pre-dose" in err.value.message


def test_pre_dose_spo2_below_90_means_do_not_start() -> None:
    alerts = assess_reading(VitalSigns(sbp=120, dbp=80, spo2=89), phase=Phase.PRE_DOSE)
    assert [a.code for a in alerts] == ["spo2.critical"]
    assert not may_start(alerts)
    assert alerts[0].needs_local_signoff


def test_pre_dose_spo2_of_91_is_a_caution() -> None:
    alerts = assess_reading(VitalSigns(sbp=120, dbp=80, spo2=91), phase=Phase.PRE_DOSE)
    assert [(a.code, a.action) for a in alerts] == [("spo2.low", Action.CONSIDER_DELAYING)]


def test_pre_dose_heart_rate_and_respiratory_rate_outside_limits_are_cautions() -> None:
    alerts = assess_reading(VitalSigns(sbp=120, dbp=80, hr=130, rr=8), phase=Phase.PRE_DOSE)
    assert sorted(a.code for a in alerts) == ["hr.high", "rr.low"]
    assert all(a.action is Action.CONSIDER_DELAYING for a in alerts)
    assert all(a.needs_local_signoff for a in alerts)


def test_a_patient_not_fully_alert_before_dosing_is_a_caution_about_sedatives() -> None:
    (alert,) = assess_reading(VitalSigns(sbp=120, dbp=80, moaas=4), phase=Phase.PRE_DOSE)
    assert alert.code == "predose.moaas.not_alert"
    assert {s.key for s in alert.sources} == {"S1", "S4", "S49"}


def test_warning_symptoms_before_dosing_mean_emergency_care_and_do_not_start() -> None:
    alerts = assess_reading(
        VitalSigns(sbp=120, dbp=80),
        phase=Phase.PRE_DOSE,
        symptoms=[WarningSymptom.CHEST_PAIN],
    )
    assert alerts[0].code == "symptoms.hypertensive_emergency"
    assert alerts[0].actions[:2] == (Action.DO_NOT_START, Action.EMERGENCY_CARE)
    assert "chest pain" in alerts[0].message
