"""Discharge readiness lists every blocking reason, each with its code and sources."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ketaflow.clinical.discharge import (
    CODES,
    DEFAULT_POLICY,
    DischargeInputs,
    assess_discharge,
    earliest_discharge_time,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring import VitalSigns
from ketaflow.clinical.routes import Route

DONE = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
BASE = VitalSigns(sbp=128, dbp=82, hr=72, spo2=98, rr=14, moaas=5, cadss=1)
SETTLED = VitalSigns(sbp=132, dbp=84, hr=76, spo2=97, rr=14, moaas=5, cadss=1)


def ready_inputs(route: Route = Route.IV, minutes: float = 150, **kw: object) -> DischargeInputs:
    fields: dict[str, object] = {
        "route": route,
        "dose_completed_at": DONE,
        "now": DONE + timedelta(minutes=minutes),
        "baseline": BASE,
        "latest": SETTLED,
        "aldrete_score": 10,
        "escort_present": True,
        "told_not_to_drive": True,
    }
    fields.update(kw)
    return DischargeInputs(**fields)  # type: ignore[arg-type]


def codes(inputs: DischargeInputs) -> set[str]:
    return {r.code for r in assess_discharge(inputs).blocking}


def test_a_settled_patient_after_the_observation_minimum_is_ready() -> None:
    result = assess_discharge(ready_inputs())
    assert result.ready
    assert result.blocking == ()
    assert result.earliest_time == DONE + timedelta(minutes=60)
    assert "never be overridden" in result.override_note


def test_every_blocking_reason_is_listed_not_just_the_first() -> None:
    result = assess_discharge(
        DischargeInputs(
            route=Route.INTRANASAL,
            dose_completed_at=DONE,
            now=DONE + timedelta(minutes=30),
            baseline=BASE,
            latest=VitalSigns(sbp=175, dbp=100, hr=125, spo2=90, rr=8, moaas=3, cadss=20),
            aldrete_score=7,
        )
    )
    assert not result.ready
    assert {r.code for r in result.blocking} == {
        "observation.esketamine_floor",
        "vitals.bp_not_settled",
        "vitals.spo2_low",
        "vitals.rr_out_of_range",
        "vitals.hr_out_of_range",
        "sedation.unresolved",
        "dissociation.unresolved",
        "recovery_score.low",
        "escort.absent",
        "instructions.driving_not_given",
    }
    assert all(r.sources for r in result.blocking)
    assert {r.code for r in result.blocking} <= CODES
    assert result.sources


def test_esketamine_needs_120_minutes_after_the_dose_citing_the_label_and_rems() -> None:
    result = assess_discharge(ready_inputs(Route.INTRANASAL, minutes=119))
    (reason,) = result.blocking
    assert reason.code == "observation.esketamine_floor"
    assert not reason.overridable
    assert [s.key for s in reason.sources] == ["S1", "S3"]
    assert "1 min to go" in reason.message
    assert result.earliest_time == DONE + timedelta(minutes=120)
    assert assess_discharge(ready_inputs(Route.INTRANASAL, minutes=120)).ready


def test_iv_observation_defaults_to_60_minutes_after_the_infusion_flagged_unverified() -> None:
    (reason,) = assess_discharge(ready_inputs(Route.IV, minutes=59)).blocking
    assert reason.code == "observation.minimum"
    assert reason.overridable
    assert DEFAULT_POLICY.observation_min_iv.needs_local_signoff
    assert assess_discharge(ready_inputs(Route.IV, minutes=60)).ready


@pytest.mark.parametrize("route", [Route.SC, Route.IM, Route.ORAL])
def test_sc_im_and_oral_default_to_120_minutes_flagged_unverified(route: Route) -> None:
    assert codes(ready_inputs(route, minutes=119)) == {"observation.minimum"}
    assert assess_discharge(ready_inputs(route, minutes=120)).ready
    assert DEFAULT_POLICY.observation_minutes(route).needs_local_signoff


def test_a_clinic_longer_esketamine_minimum_adds_a_soft_reason_after_the_floor() -> None:
    from ketaflow.clinical.discharge import DischargePolicy
    from ketaflow.clinical.evidence import default

    policy = DischargePolicy(observation_min_esketamine=default(150, "S1", "S3"))
    at_100 = assess_discharge(ready_inputs(Route.INTRANASAL, minutes=100), policy)
    assert {r.code for r in at_100.blocking} == {
        "observation.esketamine_floor",
        "observation.minimum",
    }
    at_130 = assess_discharge(ready_inputs(Route.INTRANASAL, minutes=130), policy)
    assert [(r.code, r.overridable) for r in at_130.blocking] == [("observation.minimum", True)]
    assert at_130.earliest_time == DONE + timedelta(minutes=150)
    assert earliest_discharge_time(Route.INTRANASAL, DONE, policy) == DONE + timedelta(minutes=150)


def test_blood_pressure_within_the_pre_dose_caution_band_is_settled() -> None:
    latest = replace(SETTLED, sbp=140, dbp=90)
    assert assess_discharge(ready_inputs(latest=latest)).ready


def test_blood_pressure_above_the_band_but_within_20_of_baseline_is_settled() -> None:
    baseline = replace(BASE, sbp=138, dbp=88)
    latest = replace(SETTLED, sbp=158, dbp=92)
    assert assess_discharge(ready_inputs(baseline=baseline, latest=latest)).ready


def test_blood_pressure_above_the_band_and_21_above_baseline_is_not_settled() -> None:
    baseline = replace(BASE, sbp=138, dbp=88)
    latest = replace(SETTLED, sbp=159, dbp=92)
    result = assess_discharge(ready_inputs(baseline=baseline, latest=latest))
    (reason,) = result.blocking
    assert reason.code == "vitals.bp_not_settled"
    assert reason.overridable
    assert "159/92 (pre-dose 138/88)" in reason.message
    assert {s.key for s in reason.sources} == {"S1", "S41"}


def test_blood_pressure_at_the_act_now_level_is_never_settled_even_near_baseline() -> None:
    baseline = replace(BASE, sbp=170, dbp=95)
    latest = replace(SETTLED, sbp=180, dbp=96)
    assert codes(ready_inputs(baseline=baseline, latest=latest)) == {"vitals.bp_not_settled"}


def test_without_a_pre_dose_blood_pressure_only_the_caution_band_counts() -> None:
    latest = replace(SETTLED, sbp=145, dbp=85)
    assert codes(ready_inputs(baseline=None, latest=latest)) == {
        "vitals.bp_not_settled",
        "dissociation.not_assessed",
    }


def test_a_systolic_fall_of_more_than_20_from_baseline_blocks() -> None:
    latest = replace(SETTLED, sbp=107, dbp=70)
    assert codes(ready_inputs(latest=latest)) == {"vitals.bp_fallen"}
    assert assess_discharge(ready_inputs(latest=replace(SETTLED, sbp=108, dbp=70))).ready


def test_missing_pre_discharge_vitals_block_and_cannot_be_overridden() -> None:
    for latest in (None, replace(SETTLED, spo2=None), replace(SETTLED, sbp=None, dbp=None)):
        result = assess_discharge(ready_inputs(latest=latest))
        reason = next(r for r in result.blocking if r.code == "vitals.not_recorded")
        assert not reason.overridable


@pytest.mark.parametrize("route", list(Route))
def test_spo2_below_92_blocks_hard_on_every_route(route: Route) -> None:
    # Was soft for IV/SC/IM/oral (issue #11 item 4): SpO2 88 became "ready" with an override.
    latest = replace(SETTLED, spo2=91)
    (reason,) = assess_discharge(ready_inputs(route, latest=latest)).blocking
    assert (reason.code, reason.overridable) == ("vitals.spo2_low", False)
    assert "REMS" in reason.why_not_overridable
    assert {"S41", "S1", "S3"} <= {s.key for s in reason.sources}


@pytest.mark.parametrize("route", list(Route))
def test_a_slow_respiratory_rate_is_hard_on_every_route_and_a_fast_one_is_soft(
    route: Route,
) -> None:
    (slow,) = assess_discharge(ready_inputs(route, latest=replace(SETTLED, rr=8))).blocking
    assert not slow.overridable
    assert "respiratory depression" in slow.message
    (fast,) = assess_discharge(ready_inputs(route, latest=replace(SETTLED, rr=28))).blocking
    assert fast.overridable


def test_heart_rate_outside_limits_blocks_softly() -> None:
    (reason,) = assess_discharge(ready_inputs(latest=replace(SETTLED, hr=125))).blocking
    assert (reason.code, reason.overridable) == ("vitals.hr_out_of_range", True)


@pytest.mark.parametrize("route", list(Route))
def test_sedation_must_be_moaas_5_and_is_hard_on_every_route(route: Route) -> None:
    (reason,) = assess_discharge(ready_inputs(route, latest=replace(SETTLED, moaas=4))).blocking
    assert reason.code == "sedation.unresolved"
    assert not reason.overridable
    assert {"S1", "S3"} <= {s.key for s in reason.sources}


def test_sedation_is_unresolved_below_5_even_when_the_pre_dose_moaas_was_as_low() -> None:
    # Was overridable (no fall from pre-dose); the issue asks for MOAA/S below 5 to be hard.
    baseline = replace(BASE, moaas=4)
    (same,) = assess_discharge(
        ready_inputs(Route.INTRANASAL, baseline=baseline, latest=replace(SETTLED, moaas=4))
    ).blocking
    assert not same.overridable
    assert "4 before dosing" in same.message


def test_an_unrecorded_moaas_blocks() -> None:
    assert codes(ready_inputs(latest=replace(SETTLED, moaas=None))) == {"sedation.not_recorded"}


def test_dissociation_resolves_by_cadss_back_to_the_pre_dose_value() -> None:
    assert assess_discharge(ready_inputs(latest=replace(SETTLED, cadss=1))).ready
    (reason,) = assess_discharge(ready_inputs(latest=replace(SETTLED, cadss=2))).blocking
    assert reason.code == "dissociation.unresolved"
    assert not reason.overridable
    assert {s.key for s in reason.sources} == {"S1", "S3", "A16", "A17"}


def test_the_clinicians_judgement_settles_dissociation_either_way() -> None:
    high = replace(SETTLED, cadss=12)
    assert assess_discharge(ready_inputs(latest=high, dissociation_resolved=True)).ready
    assert codes(ready_inputs(dissociation_resolved=False)) == {"dissociation.unresolved"}


def test_a_cadss_of_0_is_resolved_even_without_a_pre_dose_score() -> None:
    assert assess_discharge(
        ready_inputs(baseline=replace(BASE, cadss=None), latest=replace(SETTLED, cadss=0))
    ).ready


def test_without_cadss_or_judgement_dissociation_is_not_assessed() -> None:
    assert codes(ready_inputs(latest=replace(SETTLED, cadss=None))) == {"dissociation.not_assessed"}


def test_a_recovery_score_of_9_on_either_scale_is_enough() -> None:
    assert assess_discharge(ready_inputs(aldrete_score=9)).ready
    assert assess_discharge(ready_inputs(aldrete_score=None, padss_score=9)).ready
    assert assess_discharge(ready_inputs(aldrete_score=8, padss_score=9)).ready


def test_a_recovery_score_of_8_blocks_citing_s41() -> None:
    (reason,) = assess_discharge(ready_inputs(aldrete_score=8)).blocking
    assert reason.code == "recovery_score.low"
    assert [s.key for s in reason.sources] == ["S41"]


def test_no_recovery_score_blocks() -> None:
    assert codes(ready_inputs(aldrete_score=None)) == {"recovery_score.not_recorded"}


def test_no_escort_blocks_citing_the_uk_label() -> None:
    (reason,) = assess_discharge(ready_inputs(escort_present=False)).blocking
    assert reason.code == "escort.absent"
    assert "S4" in {s.key for s in reason.sources}


def test_the_patient_must_be_told_not_to_drive_until_the_next_day() -> None:
    (reason,) = assess_discharge(ready_inputs(told_not_to_drive=False)).blocking
    assert reason.code == "instructions.driving_not_given"
    assert not reason.overridable
    assert {s.key for s in reason.sources} == {"S1", "S2"}


@pytest.mark.parametrize("score", [-1, 11, True, 9.5])
def test_an_impossible_recovery_score_is_an_input_error(score: object) -> None:
    with pytest.raises(ClinicalInputError) as err:
        ready_inputs(padss_score=score)
    assert err.value.field == "padss_score"


def test_assessing_before_the_dose_was_complete_is_an_input_error() -> None:
    with pytest.raises(ClinicalInputError):
        ready_inputs(minutes=-1)


def test_mixing_aware_and_naive_times_is_an_input_error() -> None:
    with pytest.raises(ClinicalInputError, match="UTC"):
        ready_inputs(now=datetime(2025, 3, 4, 12, 0))
