"""Fixtures for course tests: adopted protocols, two chairs, a course, future clinic days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone


def future_monday(weeks_ahead: int = 3) -> date:
    """A Monday a few weeks from today (the pinned clock's), so every booking is in the future."""
    today = timezone.localdate()
    return today + timedelta(days=(7 - today.weekday()) + 7 * (weeks_ahead - 1))


@pytest.fixture
def monday() -> date:
    return future_monday()


@pytest.fixture
def at(clinic: Any) -> Callable[[date, int, int], datetime]:
    """A clinic-local wall-clock time as an aware datetime."""
    from ketaflow.lib.clock import at_clinic

    def make(day: date, hour: int, minute: int = 0) -> datetime:
        return at_clinic(day, time(hour, minute), clinic)

    return make


@pytest.fixture
def protocols(prescriber: Any) -> dict[str, Any]:
    from ketaflow.courses.services import adopt_builtin_protocols

    return {p.code: p for p in adopt_builtin_protocols(prescriber)}


@pytest.fixture
def chairs(clinic_admin: Any) -> list[Any]:
    from ketaflow.courses.services import add_chair

    return [add_chair(clinic_admin, name="Chair 1"), add_chair(clinic_admin, name="Chair 2")]


@pytest.fixture
def course(prescriber: Any, patient: Any, protocols: dict[str, Any], monday: date) -> Any:
    """An IV course (6 infusions Mon-Wed-Fri; 30 + 40 + 60 min in the chair)."""
    from ketaflow.courses.services import start_course

    return start_course(prescriber, patient, protocols["iv-racemic"], started_on=monday)


@pytest.fixture
def second_patient(clinic: Any, front_desk: Any) -> Any:
    from ketaflow.patients.models import Patient

    return Patient.objects.create(
        clinic=clinic,
        mrn="KF-000002",
        given_name="John",
        family_name="Roe",
        date_of_birth=date(1970, 1, 1),
        sex_at_birth="male",
        created_by=front_desk,
    )


@pytest.fixture
def second_course(
    prescriber: Any, second_patient: Any, protocols: dict[str, Any], monday: date
) -> Any:
    from ketaflow.courses.services import start_course

    return start_course(prescriber, second_patient, protocols["iv-racemic"], started_on=monday)
