"""Combined signs of respiratory depression escalate to critical in every phase.

Issue #11 item 4: RR 8 + SpO2 91 + MOAA/S 4 never escalated (each was at most a warning).
No ketamine-specific SpO2/RR trigger exists (clinical.md 4.3), so one sign alone stays a
warning; two together are the picture the REMS monitors for (S1, S3): critical.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.monitoring import (
    DEFAULT_THRESHOLDS,
    Action,
    Alert,
    AlertLevel,
    Phase,
    VitalSigns,
    assess_reading,
    moaas_for_reading,
)

BASE = VitalSigns(sbp=120, dbp=80, hr=70, spo2=98, rr=14, moaas=5)
T = DEFAULT_THRESHOLDS


def by_code(v: VitalSigns, phase: Phase = Phase.DURING_DOSE) -> dict[str, Alert]:
    return {a.code: a for a in assess_reading(v, phase=phase, baseline=BASE)}


def test_the_issues_example_is_critical_and_says_stop_airway_oxygen_prescriber() -> None:
    alert = by_code(VitalSigns(sbp=118, dbp=76, spo2=91, rr=8, moaas=4))["respiratory.depression"]
    assert alert.level is AlertLevel.CRITICAL
    assert alert.actions == (Action.STOP_INFUSION, Action.AIRWAY_OXYGEN, Action.CALL_PRESCRIBER)
    assert "Stop the infusion, airway/oxygen, call the prescriber" in alert.message
    assert alert.needs_local_signoff
    assert {"S1", "S3", "S4", "S49", "S41"} <= {s.key for s in alert.sources}
    assert (alert.vital, alert.value, alert.threshold_value) == ("rr", 8, 10)


@pytest.mark.parametrize(
    "reading",
    [
        VitalSigns(rr=8, spo2=91),
        VitalSigns(rr=8, moaas=4),
        VitalSigns(spo2=91, moaas=4),
        VitalSigns(rr=8, spo2=97, on_oxygen=True),
        VitalSigns(spo2=98, moaas=3, on_oxygen=True, oxygen_l_per_min=4),
    ],
)
def test_any_two_signs_together_are_critical(reading: VitalSigns) -> None:
    assert by_code(reading)["respiratory.depression"].level is AlertLevel.CRITICAL


def test_after_the_dose_the_action_is_airway_oxygen_and_the_prescriber() -> None:
    alert = by_code(VitalSigns(rr=8, spo2=91), Phase.POST_DOSE)["respiratory.depression"]
    assert alert.actions == (Action.AIRWAY_OXYGEN, Action.CALL_PRESCRIBER, Action.RECHECK)
    assert Action.STOP_INFUSION not in alert.actions


def test_before_the_dose_combined_signs_mean_do_not_start() -> None:
    alerts = assess_reading(
        VitalSigns(sbp=120, dbp=80, rr=8, spo2=91), phase=Phase.PRE_DOSE, baseline=None
    )
    (combined,) = [a for a in alerts if a.code == "respiratory.depression"]
    assert combined.actions[0] is Action.DO_NOT_START


def test_a_slow_respiratory_rate_alone_is_a_warning_to_recheck_and_call_the_prescriber() -> None:
    # clinical.md 4.3: no ketamine-specific RR trigger (UNVERIFIED): one sign does not stop.
    found = by_code(VitalSigns(rr=8, spo2=97, moaas=5))
    assert set(found) == {"rr.low"}
    assert found["rr.low"].level is AlertLevel.WARN
    assert Action.CALL_PRESCRIBER in found["rr.low"].actions
    assert found["rr.low"].needs_local_signoff


def test_oxygen_in_use_is_a_warning_that_names_the_flow() -> None:
    alert = by_code(VitalSigns(spo2=97, on_oxygen=True, oxygen_l_per_min=2))["oxygen.in_use"]
    assert alert.level is AlertLevel.WARN
    assert "2 L/min" in alert.message
    assert "respiratory.depression" not in by_code(VitalSigns(spo2=97, on_oxygen=True))


def test_an_oxygen_flow_without_oxygen_ticked_or_of_zero_is_an_input_error() -> None:
    from ketaflow.clinical.errors import ClinicalInputError

    with pytest.raises(ClinicalInputError) as err:
        VitalSigns(spo2=97, oxygen_l_per_min=2)
    assert err.value.field == "oxygen_l_per_min"
    with pytest.raises(ClinicalInputError, match="room air"):
        VitalSigns(spo2=97, on_oxygen=True, oxygen_l_per_min=0)


def test_being_on_oxygen_alone_is_not_a_measurement() -> None:
    assert VitalSigns(on_oxygen=True).is_empty


AT = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)


def test_the_moaas_paired_with_a_reading_is_the_closest_within_the_window() -> None:
    window = T.moaas_pairing_minutes.value
    scores = [
        (AT - timedelta(minutes=window + 1), 2),
        (AT - timedelta(minutes=6), 5),
        (AT + timedelta(minutes=3), 4),
    ]
    assert moaas_for_reading(AT, scores) == 4
    assert moaas_for_reading(AT, scores[:1]) is None
    assert (
        moaas_for_reading(AT, [(AT - timedelta(minutes=2), 3), (AT + timedelta(minutes=2), 5)]) == 5
    )
    assert T.moaas_pairing_minutes.needs_local_signoff


phases = st.sampled_from(list(Phase))


@st.composite
def compromised(draw: st.DrawFn) -> VitalSigns:
    """A reading with at least two signs of respiratory depression, anything else random."""
    low_rr = st.integers(0, int(T.rr_low_below.value) - 1)
    low_spo2 = st.integers(0, int(T.spo2_warn_below.value) - 1)
    drowsy = st.integers(0, 4)
    kinds = draw(st.sets(st.sampled_from(["rr", "spo2", "oxygen", "moaas"]), min_size=2))
    if {"spo2", "oxygen"} <= kinds and len(kinds) == 2:
        kinds.add(draw(st.sampled_from(["rr", "moaas"])))
    sbp = draw(st.integers(90, 200))
    oxygen = "oxygen" in kinds
    return VitalSigns(
        sbp=sbp,
        dbp=draw(st.integers(40, sbp - 1)),
        hr=draw(st.none() | st.integers(30, 180)),
        rr=draw(low_rr) if "rr" in kinds else draw(st.none() | st.integers(10, 30)),
        spo2=draw(low_spo2) if "spo2" in kinds else draw(st.none() | st.integers(92, 100)),
        moaas=draw(drowsy) if "moaas" in kinds else draw(st.none() | st.just(5)),
        on_oxygen=oxygen,
        oxygen_l_per_min=draw(st.none() | st.floats(0.5, 15)) if oxygen else None,
    )


@given(reading=compromised(), phase=phases)
def test_combined_signs_always_escalate_to_critical(reading: VitalSigns, phase: Phase) -> None:
    alerts = assess_reading(
        reading, phase=phase, baseline=None if phase is Phase.PRE_DOSE else BASE
    )
    combined = [a for a in alerts if a.code == "respiratory.depression"]
    assert combined and combined[0].level is AlertLevel.CRITICAL
    assert alerts[0].level is AlertLevel.CRITICAL
    if phase is Phase.DURING_DOSE:
        assert combined[0].actions[0] is Action.STOP_INFUSION


@given(
    rr=st.none() | st.integers(10, 30),
    spo2=st.none() | st.integers(92, 100),
    moaas=st.none() | st.integers(0, 5),
    phase=phases,
)
def test_one_sign_alone_never_makes_the_combined_alert(
    rr: int | None, spo2: int | None, moaas: int | None, phase: Phase
) -> None:
    reading = VitalSigns(sbp=120, dbp=80, rr=rr, spo2=spo2, moaas=moaas)
    codes = {a.code for a in assess_reading(reading, phase=phase, baseline=BASE)}
    assert "respiratory.depression" not in codes


def test_a_moaas_scored_near_the_reading_counts_for_the_combination_only() -> None:
    alerts = assess_reading(
        VitalSigns(rr=8, spo2=97), phase=Phase.DURING_DOSE, baseline=BASE, moaas_nearby=4
    )
    assert {a.code for a in alerts} == {"rr.low", "respiratory.depression"}
    # Sedation alone is the scale's own flag, not repeated on every reading near it.
    assert assess_reading(VitalSigns(rr=14), phase=Phase.POST_DOSE, moaas_nearby=3) == ()
