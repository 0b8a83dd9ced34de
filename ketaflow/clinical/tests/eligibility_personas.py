"""Patients for the eligibility tests: a well person who meets every default requirement, and
variations of her built with `dataclasses.replace`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ketaflow.clinical.eligibility import (
    DEFAULT_CRITERIA,
    BloodPressure,
    ClearanceItem,
    PatientFacts,
    PregnancyStatus,
)
from ketaflow.clinical.routes import Route, Sex

ALL_CLEARANCE = frozenset(ClearanceItem)

ANNA = PatientFacts(
    age_years=40,
    sex=Sex.FEMALE,
    pregnancy=PregnancyStatus.NOT_PREGNANT,
    planned_route=Route.IV,
    diagnoses=("F41.1",),
    blood_pressure=BloodPressure(120, 80),
    severity_scores={"hama": 24},
    failed_adequate_treatments=2,
    clearance_done=ALL_CLEARANCE,
)


def anna(**changes: Any) -> PatientFacts:
    """Anna, eligible with no findings under the default criteria, with these changes."""
    return replace(ANNA, **changes)


__all__ = ["ALL_CLEARANCE", "ANNA", "DEFAULT_CRITERIA", "anna"]
