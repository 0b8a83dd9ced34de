"""Fixtures for safety tests: a running IV course with held sessions in the past."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest


@pytest.fixture
def today(clinic: Any) -> date:
    from ketaflow.lib.clock import clinic_today

    return clinic_today(clinic)


@pytest.fixture
def chair(clinic_admin: Any) -> Any:
    from ketaflow.courses.services import add_chair

    return add_chair(clinic_admin, name="Chair 1")


@pytest.fixture
def course(prescriber: Any, patient: Any, today: date) -> Any:
    """An IV course started 60 days ago, now in maintenance (phase set as the service would)."""
    from ketaflow.courses.models import Course
    from ketaflow.courses.services import adopt_builtin_protocols, start_course

    versions = {p.code: p for p in adopt_builtin_protocols(prescriber)}
    course = start_course(
        prescriber, patient, versions["iv-racemic"], started_on=today - timedelta(days=60)
    )
    Course.objects.filter(pk=course.pk).update(phase="maintenance")
    course.refresh_from_db()
    return course


@pytest.fixture
def held(course: Any, chair: Any, clinic: Any) -> Callable[[date, str, int], Any]:
    """Add a held (completed) session on a past day, in the named protocol phase."""
    from ketaflow.courses.models import Appointment
    from ketaflow.lib.clock import at_clinic

    def make(
        day: date, phase: str = "induction", number: int = 1, status: str = "completed"
    ) -> Any:
        starts = at_clinic(day, time(9, 0), clinic)
        return Appointment.objects.create(
            course=course,
            chair=chair,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            session_number=number,
            phase=phase,
            status=status,
        )

    return make


def full_panel(**override: float) -> list[dict[str, Any]]:
    values = {"alt": 30.0, "ast": 25.0, "alp": 80.0, "ggt": 40.0, **override}
    upper = {"alt": 40.0, "ast": 40.0, "alp": 129.0, "ggt": 61.0, "bilirubin": 21.0}
    return [
        {
            "analyte": k,
            "value": v,
            "unit": "µmol/L" if k == "bilirubin" else "U/L",
            "ref_low": 0.0,
            "ref_high": upper[k],
        }
        for k, v in values.items()
    ]


NO_SYMPTOMS = {
    "frequency": False,
    "urgency": False,
    "dysuria": False,
    "haematuria": False,
    "suprapubic_pain": False,
    "incontinence": False,
}


@pytest.fixture
def at_clinic(clinic: Any) -> Callable[[date, int], datetime]:
    from ketaflow.lib.clock import at_clinic as make

    return lambda day, hour: make(day, time(hour, 0), clinic)
