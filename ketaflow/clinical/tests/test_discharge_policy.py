"""DischargePolicy: clinic values with evidence; the esketamine floor cannot be lowered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ketaflow.clinical.discharge import (
    DEFAULT_POLICY,
    ESKETAMINE_MIN_OBSERVATION_MIN,
    DischargePolicy,
    earliest_discharge_time,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import default
from ketaflow.clinical.routes import Route

DONE = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


def test_the_default_numbers_are_those_of_the_reference() -> None:
    p = DEFAULT_POLICY
    assert ESKETAMINE_MIN_OBSERVATION_MIN == 120
    assert p.observation_min_esketamine.value == 120
    assert p.observation_min_iv.value == 60
    assert p.min_moaas.value == 5
    assert p.min_recovery_score.value == 9
    assert p.bp_near_baseline_mmhg.value == 20
    assert p.require_escort.value is True
    assert not p.observation_min_esketamine.needs_local_signoff
    assert [s.key for s in p.min_recovery_score.sources] == ["S41"]


def test_no_policy_can_lower_the_esketamine_floor() -> None:
    with pytest.raises(ClinicalInputError) as err:
        DischargePolicy(observation_min_esketamine=default(90, "S1"))
    assert err.value.field == "observation_min_esketamine"
    assert "120" in err.value.message


def test_the_earliest_time_counts_from_when_the_dose_was_complete() -> None:
    assert earliest_discharge_time(Route.IV, DONE) == DONE + timedelta(minutes=60)
    assert earliest_discharge_time(Route.INTRANASAL, DONE) == DONE + timedelta(minutes=120)
    assert earliest_discharge_time(Route.SC, DONE) == DONE + timedelta(minutes=120)


def test_a_clinic_may_shorten_the_iv_minimum_but_not_below_zero() -> None:
    short = DischargePolicy(observation_min_iv=default(30, "S52"))
    assert earliest_discharge_time(Route.IV, DONE, short) == DONE + timedelta(minutes=30)
    with pytest.raises(ClinicalInputError):
        DischargePolicy(observation_min_iv=default(-5, "S52"))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("min_moaas", 6),
        ("min_moaas", 0),
        ("min_moaas", 4),
        ("min_recovery_score", 11),
        ("require_escort", "yes"),
        ("bp_near_baseline_mmhg", True),
    ],
)
def test_impossible_policy_values_are_rejected(name: str, value: object) -> None:
    with pytest.raises(ClinicalInputError) as err:
        DischargePolicy(**{name: default(value, "S41")})  # type: ignore[arg-type]
    assert err.value.field == name


def test_a_clinic_may_drop_the_escort_requirement() -> None:
    relaxed = DischargePolicy(require_escort=default(False, "S4", note="local decision"))
    assert relaxed.require_escort.value is False
