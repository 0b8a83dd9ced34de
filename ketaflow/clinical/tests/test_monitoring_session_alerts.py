"""During and after dosing: label Table 6 categories (S1), SpO2/RR/HR clinic defaults, sedation."""

from __future__ import annotations

from ketaflow.clinical.monitoring import (
    Action,
    Alert,
    AlertLevel,
    Phase,
    VitalSigns,
    WarningSymptom,
    assess_reading,
)

BASE = VitalSigns(sbp=120, dbp=80, hr=70, spo2=98, rr=14, moaas=5, cadss=2)


def during(v: VitalSigns, symptoms: tuple[WarningSymptom, ...] = ()) -> dict[str, Alert]:
    alerts = assess_reading(v, phase=Phase.DURING_DOSE, baseline=BASE, symptoms=symptoms)
    return {a.code: a for a in alerts}


def test_an_unremarkable_in_session_reading_raises_nothing() -> None:
    assert during(VitalSigns(sbp=135, dbp=88, hr=85, spo2=97, rr=16, moaas=5, cadss=3)) == {}


def test_a_reading_with_only_a_heart_rate_is_assessed_on_what_it_has() -> None:
    assert during(VitalSigns(hr=80)) == {}


def test_systolic_180_during_infusion_is_critical_and_pauses_the_infusion() -> None:
    alert = during(VitalSigns(sbp=180, dbp=95))["session.sbp.high"]
    assert alert.level is AlertLevel.CRITICAL
    assert alert.actions == (Action.PAUSE_INFUSION, Action.CALL_PRESCRIBER, Action.RECHECK)
    assert alert.threshold_value == 180
    assert {s.key for s in alert.sources} == {"S1", "S53"}


def test_systolic_179_is_not_the_absolute_level_but_a_59_mmhg_rise_warns() -> None:
    found = during(VitalSigns(sbp=179, dbp=95))
    assert "session.sbp.high" not in found
    rise = found["session.sbp.rise"]
    assert rise.level is AlertLevel.WARN
    assert rise.value == 59
    assert rise.threshold_value == 40


def test_diastolic_110_is_critical_and_109_is_not() -> None:
    assert "session.dbp.high" in during(VitalSigns(sbp=150, dbp=110))
    assert "session.dbp.high" not in during(VitalSigns(sbp=150, dbp=104))


def test_a_systolic_rise_of_exactly_40_warns_and_39_does_not() -> None:
    assert "session.sbp.rise" in during(VitalSigns(sbp=160, dbp=85))
    assert "session.sbp.rise" not in during(VitalSigns(sbp=159, dbp=85))


def test_a_diastolic_rise_of_exactly_25_warns_and_24_does_not() -> None:
    assert "session.dbp.rise" in during(VitalSigns(sbp=140, dbp=105))
    assert "session.dbp.rise" not in during(VitalSigns(sbp=140, dbp=104))


def test_without_a_baseline_no_rise_can_be_judged() -> None:
    alerts = assess_reading(VitalSigns(sbp=170, dbp=105), phase=Phase.POST_DOSE)
    assert alerts == ()


def test_after_the_dose_a_critical_blood_pressure_does_not_ask_to_pause_dosing() -> None:
    (alert,) = assess_reading(VitalSigns(sbp=185, dbp=100), phase=Phase.POST_DOSE, baseline=BASE)
    assert alert.actions == (Action.CALL_PRESCRIBER, Action.RECHECK)


def test_spo2_below_90_is_critical_and_below_92_warns_with_aldrete_sources() -> None:
    crit = during(VitalSigns(spo2=89))["spo2.critical"]
    assert crit.level is AlertLevel.CRITICAL
    assert Action.PAUSE_INFUSION in crit.actions
    assert [s.key for s in crit.sources] == ["S41"]
    assert crit.needs_local_signoff
    assert during(VitalSigns(spo2=91))["spo2.low"].level is AlertLevel.WARN
    assert during(VitalSigns(spo2=92)) == {}
    assert during(VitalSigns(spo2=90)).keys() == {"spo2.low"}


def test_respiratory_rate_limits_are_below_10_and_above_24() -> None:
    assert during(VitalSigns(rr=9)).keys() == {"rr.low"}
    assert during(VitalSigns(rr=10)) == {}
    assert during(VitalSigns(rr=24)) == {}
    high = during(VitalSigns(rr=25))["rr.high"]
    assert high.needs_local_signoff
    assert high.action is Action.RECHECK


def test_heart_rate_limits_are_below_50_and_above_120() -> None:
    assert during(VitalSigns(hr=49)).keys() == {"hr.low"}
    assert during(VitalSigns(hr=50)) == {}
    assert during(VitalSigns(hr=120)) == {}
    assert during(VitalSigns(hr=121)).keys() == {"hr.high"}


def test_any_fall_of_moaas_from_pre_dose_is_sedation() -> None:
    alert = during(VitalSigns(moaas=4))["moaas.sedation"]
    assert alert.level is AlertLevel.WARN
    assert [s.key for s in alert.sources] == ["S1"]


def test_moaas_4_is_not_sedation_when_the_patient_was_4_before_dosing() -> None:
    alerts = assess_reading(
        VitalSigns(moaas=4), phase=Phase.POST_DOSE, baseline=VitalSigns(moaas=4)
    )
    assert alerts == ()


def test_moaas_below_5_without_a_baseline_counts_as_sedation() -> None:
    alerts = assess_reading(VitalSigns(moaas=3), phase=Phase.POST_DOSE)
    assert [a.code for a in alerts] == ["moaas.sedation"]


def test_moaas_2_is_deep_sedation_and_critical() -> None:
    alert = during(VitalSigns(moaas=2))["moaas.deep_sedation"]
    assert alert.level is AlertLevel.CRITICAL
    assert alert.action is Action.PAUSE_INFUSION
    assert {s.key for s in alert.sources} == {"S1", "S35", "A15"}


def test_moaas_0_is_loss_of_consciousness() -> None:
    alert = during(VitalSigns(moaas=0))["moaas.unresponsive"]
    assert alert.level is AlertLevel.CRITICAL
    assert "loss of consciousness" in alert.message


def test_cadss_above_4_is_information_asking_for_the_clinicians_judgement() -> None:
    alert = during(VitalSigns(cadss=5))["cadss.above_research_convention"]
    assert alert.level is AlertLevel.INFO
    assert alert.action is Action.RECORD_CLINICIAN_JUDGEMENT
    assert {s.key for s in alert.sources} == {"A16", "A17"}
    assert "CADSS 5 (pre-dose 2)" in alert.message
    assert "not a validated trigger" in alert.message


def test_cadss_of_4_raises_nothing_and_a_very_high_cadss_is_still_only_information() -> None:
    assert during(VitalSigns(cadss=4)) == {}
    assert during(VitalSigns(cadss=92))["cadss.above_research_convention"].level is (
        AlertLevel.INFO
    )


def test_cadss_without_a_baseline_shows_the_raw_score_alone() -> None:
    (alert,) = assess_reading(VitalSigns(cadss=10), phase=Phase.POST_DOSE)
    assert "CADSS 10." in alert.message


def test_warning_symptoms_during_infusion_mean_emergency_care_and_pause() -> None:
    alert = during(
        VitalSigns(sbp=150, dbp=90),
        symptoms=(WarningSymptom.SUDDEN_SEVERE_HEADACHE, WarningSymptom.VISUAL_DISTURBANCE),
    )["symptoms.hypertensive_emergency"]
    assert alert.actions == (Action.EMERGENCY_CARE, Action.PAUSE_INFUSION, Action.CALL_PRESCRIBER)
    assert alert.threshold_name is None
    assert [s.key for s in alert.sources] == ["S1"]


def test_alerts_come_most_urgent_first() -> None:
    alerts = assess_reading(
        VitalSigns(sbp=185, dbp=90, spo2=91, cadss=20), phase=Phase.DURING_DOSE, baseline=BASE
    )
    levels = [a.level for a in alerts]
    assert levels == sorted(levels, reverse=True)
    assert levels[0] is AlertLevel.CRITICAL
    assert levels[-1] is AlertLevel.INFO


def test_every_alert_carries_at_least_one_source() -> None:
    alerts = assess_reading(
        VitalSigns(sbp=185, dbp=112, hr=130, spo2=85, rr=30, moaas=1, cadss=30),
        phase=Phase.DURING_DOSE,
        baseline=BASE,
        symptoms=[WarningSymptom.SEIZURE],
    )
    assert len(alerts) >= 7
    assert all(a.sources for a in alerts)
    assert len({a.code for a in alerts}) == len(alerts)


def test_every_action_has_a_label() -> None:
    assert all(action.label for action in Action)
    assert AlertLevel.WARN.label == "warn"
