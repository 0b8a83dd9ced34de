"""Invariants of discharge readiness over generated sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.discharge import (
    ESKETAMINE_MIN_OBSERVATION_MIN,
    DischargeInputs,
    Override,
    assess_discharge,
)
from ketaflow.clinical.monitoring import VitalSigns
from ketaflow.clinical.routes import Route

DONE = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


@st.composite
def maybe_reading(draw: st.DrawFn) -> VitalSigns | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    sbp = draw(st.integers(70, 220))
    return VitalSigns(
        sbp=sbp,
        dbp=draw(st.integers(40, min(sbp - 1, 130))),
        hr=draw(st.none() | st.integers(40, 150)),
        spo2=draw(st.none() | st.integers(80, 100)),
        rr=draw(st.none() | st.integers(5, 35)),
        moaas=draw(st.none() | st.integers(0, 5)),
        cadss=draw(st.none() | st.integers(0, 40)),
    )


sessions = st.builds(
    DischargeInputs,
    route=st.sampled_from(list(Route)),
    dose_completed_at=st.just(DONE),
    now=st.integers(0, 300).map(lambda m: DONE + timedelta(minutes=m)),
    baseline=maybe_reading(),
    latest=maybe_reading(),
    aldrete_score=st.none() | st.integers(0, 10),
    padss_score=st.none() | st.integers(0, 10),
    dissociation_resolved=st.none() | st.booleans(),
    escort_present=st.booleans(),
    told_not_to_drive=st.booleans(),
)


@given(sessions)
def test_ready_exactly_when_nothing_blocks(inputs: DischargeInputs) -> None:
    result = assess_discharge(inputs)
    assert result.ready == (not result.blocking)
    assert all(r.sources and r.message for r in result.blocking)


@given(sessions)
def test_never_ready_within_120_minutes_of_esketamine_whatever_is_overridden(
    inputs: DischargeInputs,
) -> None:
    first = assess_discharge(inputs)
    overrides = tuple(
        Override(r.code, "prescriber's reason") for r in first.blocking if r.overridable
    )
    result = assess_discharge(DischargeInputs(**{**inputs.__dict__, "overrides": overrides}))
    assert {r.code for r in result.blocking} == {
        r.code for r in first.blocking if not r.overridable
    }
    early = inputs.now < DONE + timedelta(minutes=ESKETAMINE_MIN_OBSERVATION_MIN)
    if inputs.route is Route.INTRANASAL and early:
        assert not result.ready
        assert "observation.esketamine_floor" in {r.code for r in result.blocking}


@given(sessions)
def test_the_earliest_time_is_never_before_the_esketamine_floor(inputs: DischargeInputs) -> None:
    result = assess_discharge(inputs)
    assert result.earliest_time >= inputs.dose_completed_at
    if inputs.route is Route.INTRANASAL:
        assert result.earliest_time >= DONE + timedelta(minutes=ESKETAMINE_MIN_OBSERVATION_MIN)
