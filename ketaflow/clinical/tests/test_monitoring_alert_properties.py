"""Invariants of the alert rules, checked over many generated readings."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from ketaflow.clinical.monitoring import AlertLevel, Phase, VitalSigns, assess_reading, may_start
from ketaflow.clinical.monitoring.alerts import highest_level

phases = st.sampled_from(list(Phase))
moaas = st.none() | st.integers(0, 5)


def rank(level: AlertLevel | None) -> int:
    return 0 if level is None else int(level)


@st.composite
def readings(draw: st.DrawFn) -> VitalSigns:
    sbp = draw(st.integers(60, 260))
    dbp = draw(st.integers(30, min(sbp - 1, 200)))
    return VitalSigns(
        sbp=sbp,
        dbp=dbp,
        hr=draw(st.none() | st.integers(20, 300)),
        spo2=draw(st.none() | st.integers(50, 100)),
        rr=draw(st.none() | st.integers(0, 80)),
        moaas=draw(moaas),
        cadss=draw(st.none() | st.integers(0, 92)),
    )


@given(reading=readings(), baseline=readings(), phase=phases, extra=st.integers(1, 40))
def test_a_higher_systolic_never_lowers_the_alert_level(
    reading: VitalSigns, baseline: VitalSigns, phase: Phase, extra: int
) -> None:
    assert reading.sbp is not None
    higher_sbp = reading.sbp + extra
    assume(higher_sbp <= 300)
    higher = VitalSigns(**{**reading.__dict__, "sbp": higher_sbp})
    low = highest_level(assess_reading(reading, phase=phase, baseline=baseline))
    high = highest_level(assess_reading(higher, phase=phase, baseline=baseline))
    assert rank(high) >= rank(low)


@given(reading=readings(), phase=phases, drop=st.integers(1, 30))
def test_a_lower_spo2_never_lowers_the_alert_level(
    reading: VitalSigns, phase: Phase, drop: int
) -> None:
    assume(reading.spo2 is not None and reading.spo2 - drop >= 0)
    assert reading.spo2 is not None
    lower = VitalSigns(**{**reading.__dict__, "spo2": reading.spo2 - drop})
    a = highest_level(assess_reading(reading, phase=phase))
    b = highest_level(assess_reading(lower, phase=phase))
    assert rank(b) >= rank(a)


@given(reading=readings(), baseline=readings(), phase=phases)
def test_every_alert_has_sources_and_a_threshold_when_it_names_one(
    reading: VitalSigns, baseline: VitalSigns, phase: Phase
) -> None:
    for alert in assess_reading(reading, phase=phase, baseline=baseline):
        assert alert.sources
        assert alert.actions
        if alert.threshold_name is not None:
            assert alert.threshold_value is not None
            assert alert.value is not None


@given(
    reading=readings(),
    baseline=readings(),
    phase=st.sampled_from([Phase.DURING_DOSE, Phase.POST_DOSE]),
)
def test_do_not_start_is_only_ever_said_before_dosing(
    reading: VitalSigns, baseline: VitalSigns, phase: Phase
) -> None:
    assert may_start(assess_reading(reading, phase=phase, baseline=baseline))


@given(cadss=st.integers(0, 92), phase=phases)
def test_cadss_alone_is_never_more_than_information(cadss: int, phase: Phase) -> None:
    reading = VitalSigns(sbp=120, dbp=80, cadss=cadss)
    assert rank(highest_level(assess_reading(reading, phase=phase))) <= int(AlertLevel.INFO)
