"""The in-session rule: what every session path (typed, API, monitor, synthetic) asks."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.evidence import default
from ketaflow.clinical.evidence_register import REGISTER
from ketaflow.clinical.monitoring import (
    DEFAULT_THRESHOLDS,
    IN_SESSION_SOURCES,
    Alert,
    MonitoringThresholds,
    Phase,
    VitalSigns,
    assess_in_session,
    assess_reading,
    bp_excursion_levels,
    is_bp_excursion,
)

phases = st.sampled_from(list(Phase))


@st.composite
def signs(draw: st.DrawFn, *, bp: bool | None = None) -> VitalSigns:
    """Any valid reading; with or without a blood pressure (`bp` None: either)."""
    has_bp = draw(st.booleans()) if bp is None else bp
    sbp = dbp = None
    if has_bp:
        sbp = draw(st.integers(60, 260))
        dbp = draw(st.integers(30, min(sbp - 1, 200)))
    elif draw(st.booleans()):  # half a blood pressure: still not the pre-dose check
        sbp = draw(st.integers(60, 260))
    on_oxygen = draw(st.booleans())
    return VitalSigns(
        sbp=sbp,
        dbp=dbp,
        hr=draw(st.none() | st.integers(20, 300)),
        spo2=draw(st.none() | st.integers(50, 100)),
        rr=draw(st.none() | st.integers(0, 80)),
        moaas=draw(st.none() | st.integers(0, 5)),
        cadss=draw(st.none() | st.integers(0, 92)),
        on_oxygen=on_oxygen,
    )


def derive_before(
    reading: VitalSigns, phase: Phase, baseline: VitalSigns | None, moaas: int | None
) -> tuple[Alert, ...]:
    """What `treatments.derive.alerts_of_signs` did itself before the rule had one home."""
    if phase is Phase.PRE_DOSE and not reading.has_bp:
        return ()
    return assess_reading(
        reading,
        phase=phase,
        baseline=None if phase is Phase.PRE_DOSE else baseline,
        moaas_nearby=moaas,
    )


@given(
    reading=signs(),
    phase=phases,
    baseline=st.none() | signs(bp=True),
    moaas=st.none() | st.integers(0, 5),
)
def test_it_agrees_with_what_the_session_record_computed_before(
    reading: VitalSigns, phase: Phase, baseline: VitalSigns | None, moaas: int | None
) -> None:
    assert assess_in_session(reading, phase, baseline, moaas_nearby=moaas) == derive_before(
        reading, phase, baseline, moaas
    )


def test_no_blood_pressure_before_the_dose_raises_no_alert() -> None:
    low_spo2 = VitalSigns(spo2=80, hr=150)
    assert assess_in_session(low_spo2, Phase.PRE_DOSE, None) == ()
    assert assess_in_session(VitalSigns(sbp=200, spo2=80), Phase.PRE_DOSE, None) == ()


def test_the_same_reading_during_the_dose_does_alert() -> None:
    codes = {a.code for a in assess_in_session(VitalSigns(spo2=80), Phase.DURING_DOSE, None)}
    assert "spo2.critical" in codes


def test_before_the_dose_the_reading_is_its_own_baseline() -> None:
    reading = VitalSigns(sbp=120, dbp=80, cadss=10)
    earlier = VitalSigns(sbp=120, dbp=80, cadss=2)
    with_base = assess_in_session(reading, Phase.PRE_DOSE, earlier)
    assert with_base == assess_in_session(reading, Phase.PRE_DOSE, None)
    assert all("pre-dose 2" not in a.message for a in with_base)


def test_after_the_first_dose_rises_are_measured_from_the_baseline() -> None:
    base = VitalSigns(sbp=120, dbp=70)
    codes = {a.code for a in assess_in_session(VitalSigns(sbp=165, dbp=75), Phase.POST_DOSE, base)}
    assert codes == {"session.sbp.rise"}
    assert assess_in_session(VitalSigns(sbp=165, dbp=75), Phase.POST_DOSE, None) == ()


def test_it_uses_the_protocols_thresholds() -> None:
    strict = dataclasses.replace(DEFAULT_THRESHOLDS, predose_caution_sbp_above=default(130.0, "S1"))
    reading = VitalSigns(sbp=135, dbp=80)
    assert assess_in_session(reading, Phase.PRE_DOSE, None) == ()
    codes = {a.code for a in assess_in_session(reading, Phase.PRE_DOSE, None, strict)}
    assert codes == {"predose.sbp.caution"}


def test_its_sources_are_in_the_evidence_register() -> None:
    keys = {s.key for s in REGISTER}
    assert IN_SESSION_SOURCES
    assert set(IN_SESSION_SOURCES) <= keys


@given(reading=signs(), phase=st.sampled_from([Phase.DURING_DOSE, Phase.POST_DOSE]))
def test_a_bp_excursion_is_exactly_a_session_high_blood_pressure_alert(
    reading: VitalSigns, phase: Phase
) -> None:
    high = {a.code for a in assess_in_session(reading, phase, None)} & {
        "session.sbp.high",
        "session.dbp.high",
    }
    assert is_bp_excursion(reading) == bool(high)


def test_bp_excursion_levels_follow_the_thresholds() -> None:
    assert dict(bp_excursion_levels()) == {"sbp": 180.0, "dbp": 110.0}
    lower = MonitoringThresholds(session_sbp_at_or_above=default(170.0, "S1"))
    assert dict(bp_excursion_levels(lower))["sbp"] == 170.0
    reading = VitalSigns(sbp=175, dbp=90)
    assert not is_bp_excursion(reading)
    assert is_bp_excursion(reading, lower)
    assert is_bp_excursion(VitalSigns(sbp=150, dbp=110))
