"""Dosing limits are protocol values: defaults carry sources, inconsistent limits are refused."""

from __future__ import annotations

import pytest

from ketaflow.clinical.dosing import (
    DEFAULT_DOSING_LIMITS,
    DosingLimits,
    EsketamineLimits,
    HardLimitExceeded,
    InfusionLimits,
    RouteLimits,
    racemic_dose,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import default
from ketaflow.clinical.routes import Route


def test_the_default_racemic_limits_are_the_brief_values_and_need_local_signoff():
    iv = DEFAULT_DOSING_LIMITS.for_route(Route.IV)
    assert iv.hard_max_mg_per_kg.value == 1.0
    assert iv.soft_max_mg_per_kg is not None and iv.soft_max_mg_per_kg.value == 0.75
    for route in (Route.SC, Route.IM):
        assert DEFAULT_DOSING_LIMITS.for_route(route).hard_max_mg_per_kg.value == 1.0
    for limits in DEFAULT_DOSING_LIMITS.routes:
        assert limits.hard_max_mg_per_kg.needs_local_signoff
        assert limits.hard_max_mg_per_kg.sources


def test_the_esketamine_limits_come_from_the_label():
    config = DEFAULT_DOSING_LIMITS.esketamine
    assert config.allowed_doses_mg.value == (28, 56, 84)
    assert config.elderly_age.value == 65 and config.elderly_start_dose_mg.value == 28
    assert not config.allowed_doses_mg.needs_local_signoff


def test_a_clinic_can_set_a_stricter_iv_limit():
    strict = DosingLimits(
        routes=(RouteLimits(Route.IV, hard_max_mg_per_kg=default(0.5, "S12")),),
        version="clinic-v2",
    )
    assert racemic_dose(Route.IV, 0.5, 70.0, limits=strict).limits_version == "clinic-v2"
    with pytest.raises(HardLimitExceeded):
        racemic_dose(Route.IV, 0.6, 70.0, limits=strict)


def test_a_route_the_protocol_has_no_limits_for_cannot_be_dosed():
    only_iv = DosingLimits(routes=(RouteLimits(Route.IV, hard_max_mg_per_kg=default(1.0, "S22")),))
    with pytest.raises(ClinicalInputError) as info:
        racemic_dose(Route.ORAL, 1.0, 70.0, limits=only_iv)
    assert info.value.field == "route"


def test_a_soft_limit_at_or_above_the_hard_limit_is_refused():
    with pytest.raises(ClinicalInputError) as info:
        RouteLimits(
            Route.IV,
            hard_max_mg_per_kg=default(1.0, "S22"),
            soft_max_mg_per_kg=default(1.0, "S22"),
        )
    assert info.value.field == "soft_max_mg_per_kg"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"hard_max_mg_per_kg": default(0.0, "S22")}, "hard_max_mg_per_kg"),
        (
            {"hard_max_mg_per_kg": default(1.0, "S22"), "hard_max_mg": default(-1.0, "S22")},
            "hard_max_mg",
        ),
        (
            {
                "hard_max_mg_per_kg": default(1.0, "S22"),
                "soft_max_mg_per_kg": default(0.0, "S22"),
            },
            "soft_max_mg_per_kg",
        ),
    ],
)
def test_non_positive_route_limits_are_refused(kwargs, field):
    with pytest.raises(ClinicalInputError) as info:
        RouteLimits(Route.IV, **kwargs)
    assert info.value.field == field


def test_esketamine_is_not_configured_as_a_racemic_route():
    with pytest.raises(ClinicalInputError):
        RouteLimits(Route.INTRANASAL, hard_max_mg_per_kg=default(1.0, "S1"))


def test_two_limit_sets_for_one_route_are_refused():
    iv = RouteLimits(Route.IV, hard_max_mg_per_kg=default(1.0, "S22"))
    with pytest.raises(ClinicalInputError) as info:
        DosingLimits(routes=(iv, iv))
    assert info.value.field == "routes"


def test_infusion_minutes_must_be_ordered():
    with pytest.raises(ClinicalInputError):
        InfusionLimits(soft_min_minutes=default(1.0, "S22"))
    with pytest.raises(ClinicalInputError):
        InfusionLimits(soft_max_minutes=default(30.0, "S22"))
    with pytest.raises(ClinicalInputError):
        InfusionLimits(max_concentration_mg_per_ml=default(0.0, "S43"))


def test_esketamine_doses_must_be_multiples_of_a_device():
    with pytest.raises(ClinicalInputError) as info:
        EsketamineLimits(allowed_doses_mg=default((28, 30), "S1"))
    assert info.value.field == "allowed_doses_mg"
    with pytest.raises(ClinicalInputError):
        EsketamineLimits(allowed_doses_mg=default((), "S1"))


def test_esketamine_start_doses_must_be_allowed_doses():
    with pytest.raises(ClinicalInputError) as info:
        EsketamineLimits(allowed_doses_mg=default((28, 84), "S1"))
    assert info.value.field == "start_dose_mg"
