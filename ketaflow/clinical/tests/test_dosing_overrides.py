"""A soft-limit warning can only be passed with a prescriber's override and a real reason."""

from __future__ import annotations

import pytest

from ketaflow.clinical.dosing import SoftLimitOverride, confirm_overrides, racemic_dose
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Route

REASON = "partial response at 0.75 mg/kg after four sessions"


def warned():
    return racemic_dose(Route.IV, 0.9, 70.0, minutes=38).warnings


def test_every_warning_overridden_with_a_reason_is_confirmed_in_warning_order():
    overrides = [
        SoftLimitOverride(
            "infusion.below_soft_min_minutes", "chair time limited; slower rate tolerated"
        ),
        SoftLimitOverride("dose.above_soft_max_mg_per_kg", REASON),
    ]
    confirmed = confirm_overrides(warned(), overrides)
    assert [o.code for o in confirmed] == [
        "dose.above_soft_max_mg_per_kg",
        "infusion.below_soft_min_minutes",
    ]


def test_no_warnings_need_no_overrides():
    assert confirm_overrides((), ()) == ()


def test_a_warning_without_an_override_is_refused_and_named():
    with pytest.raises(ClinicalInputError) as info:
        confirm_overrides(warned(), [SoftLimitOverride("dose.above_soft_max_mg_per_kg", REASON)])
    assert "infusion.below_soft_min_minutes" in info.value.message
    assert info.value.field == "overrides"


@pytest.mark.parametrize("reason", ["", "   ", "ok", "because   "])
def test_a_blank_or_token_reason_is_refused(reason):
    warnings = racemic_dose(Route.IV, 0.9, 70.0).warnings
    with pytest.raises(ClinicalInputError):
        confirm_overrides(warnings, [SoftLimitOverride("dose.above_soft_max_mg_per_kg", reason)])


def test_an_override_of_a_warning_that_is_not_there_is_refused():
    with pytest.raises(ClinicalInputError) as info:
        confirm_overrides((), [SoftLimitOverride("dose.above_soft_max_mg_per_kg", REASON)])
    assert "no such warning" in info.value.message
