"""Breathing, oxygen and sedation block discharge on every route, and no override clears them.

Issue #11 item 4: for IV/SC/IM/oral, SpO2 88, RR 8 and MOAA/S 3 became "ready" after a
one-line override. These are hard now, whatever the route and whatever is overridden.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.discharge import (
    CODES,
    DischargeInputs,
    DischargeReadiness,
    Override,
    assess_discharge,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.monitoring import DEFAULT_THRESHOLDS, VitalSigns
from ketaflow.clinical.routes import Route

DONE = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
BASE = VitalSigns(sbp=128, dbp=82, hr=72, spo2=98, rr=14, moaas=5, cadss=1)
SETTLED = VitalSigns(sbp=132, dbp=84, hr=76, spo2=97, rr=14, moaas=5, cadss=1)
SPO2_LIMIT = DEFAULT_THRESHOLDS.spo2_warn_below.value
RR_LIMIT = DEFAULT_THRESHOLDS.rr_low_below.value


def inputs(
    route: Route, latest: VitalSigns, overrides: tuple[Override, ...] = ()
) -> DischargeInputs:
    return DischargeInputs(
        route=route,
        dose_completed_at=DONE,
        now=DONE + timedelta(minutes=180),
        baseline=BASE,
        latest=latest,
        aldrete_score=10,
        escort_present=True,
        told_not_to_drive=True,
        overrides=overrides,
    )


def assess_or_refuse(i: DischargeInputs) -> DischargeReadiness | None:
    """The readiness, or None when the core refuses an override of a hard reason."""
    try:
        return assess_discharge(i)
    except ClinicalInputError as exc:
        assert exc.field == "overrides"
        return None


@pytest.mark.parametrize("route", [Route.IV, Route.SC, Route.IM, Route.ORAL])
def test_the_issues_example_never_becomes_ready_with_any_overrides(route: Route) -> None:
    latest = replace(SETTLED, spo2=88, rr=8, moaas=3)
    result = assess_discharge(inputs(route, latest))
    hard = {r.code for r in result.blocking if not r.overridable}
    assert hard == {"vitals.spo2_low", "vitals.rr_out_of_range", "sedation.unresolved"}
    for code in sorted(hard):
        with pytest.raises(ClinicalInputError, match="cannot be overridden"):
            assess_discharge(inputs(route, latest, (Override(code, "one-line override"),)))


@pytest.mark.parametrize("route", list(Route))
def test_a_patient_still_on_oxygen_is_not_ready_even_with_a_normal_spo2(route: Route) -> None:
    latest = replace(SETTLED, spo2=99, on_oxygen=True, oxygen_l_per_min=2)
    (reason,) = assess_discharge(inputs(route, latest)).blocking
    assert reason.code == "vitals.on_oxygen"
    assert not reason.overridable
    assert "2 L/min" in reason.message
    assert "S41" in {s.key for s in reason.sources}


def test_the_unverified_breathing_limits_say_they_need_local_signoff() -> None:
    result = assess_discharge(inputs(Route.IV, replace(SETTLED, spo2=88, rr=8, moaas=3)))
    flagged = {r.code: r.needs_local_signoff for r in result.blocking}
    assert flagged == {
        "vitals.spo2_low": True,  # Aldrete anchor, no ketamine trigger (clinical.md 4.3)
        "vitals.rr_out_of_range": True,
        "sedation.unresolved": False,  # MOAA/S 5 and the REMS rule are sourced (S1, S3)
    }


def test_back_on_room_air_with_a_good_spo2_the_patient_is_ready() -> None:
    assert assess_discharge(inputs(Route.IV, SETTLED)).ready


def test_spo2_at_the_threshold_is_not_low_and_just_below_is() -> None:
    assert assess_discharge(inputs(Route.SC, replace(SETTLED, spo2=SPO2_LIMIT))).ready
    below = assess_discharge(inputs(Route.SC, replace(SETTLED, spo2=SPO2_LIMIT - 1)))
    assert [r.code for r in below.blocking] == ["vitals.spo2_low"]


routes = st.sampled_from(list(Route))
soft_and_hard_codes = st.lists(st.sampled_from(sorted(CODES - {"observation.esketamine_floor"})))
overrides = soft_and_hard_codes.map(
    lambda codes: tuple(Override(c, "prescriber accepts the risk") for c in dict.fromkeys(codes))
)


@given(route=routes, spo2=st.integers(0, int(SPO2_LIMIT) - 1), given_overrides=overrides)
def test_whatever_is_overridden_an_spo2_below_the_threshold_never_gives_ready(
    route: Route, spo2: int, given_overrides: tuple[Override, ...]
) -> None:
    result = assess_or_refuse(inputs(route, replace(SETTLED, spo2=spo2), given_overrides))
    assert result is None or not result.ready


@given(route=routes, rr=st.integers(0, int(RR_LIMIT) - 1), given_overrides=overrides)
def test_whatever_is_overridden_a_slow_respiratory_rate_never_gives_ready(
    route: Route, rr: int, given_overrides: tuple[Override, ...]
) -> None:
    result = assess_or_refuse(inputs(route, replace(SETTLED, rr=rr), given_overrides))
    assert result is None or not result.ready


@given(route=routes, moaas=st.integers(0, 4), pre=st.integers(0, 5), given_overrides=overrides)
def test_whatever_is_overridden_a_moaas_below_5_never_gives_ready(
    route: Route, moaas: int, pre: int, given_overrides: tuple[Override, ...]
) -> None:
    i = replace(
        inputs(route, replace(SETTLED, moaas=moaas), given_overrides),
        baseline=replace(BASE, moaas=pre),
    )
    result = assess_or_refuse(i)
    assert result is None or not result.ready


@given(
    route=routes,
    flow=st.none() | st.floats(0.5, 15),
    spo2=st.integers(0, 100),
    given_overrides=overrides,
)
def test_whatever_is_overridden_a_patient_on_oxygen_never_gives_ready(
    route: Route, flow: float | None, spo2: int, given_overrides: tuple[Override, ...]
) -> None:
    latest = replace(SETTLED, spo2=spo2, on_oxygen=True, oxygen_l_per_min=flow)
    result = assess_or_refuse(inputs(route, latest, given_overrides))
    assert result is None or not result.ready
