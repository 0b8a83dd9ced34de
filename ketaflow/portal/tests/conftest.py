"""Fixtures for portal tests: a course with treatment given, links, and a second patient."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

BASE = "http://testserver/"


@pytest.fixture
def today(clinic: Any) -> date:
    from ketaflow.lib.clock import clinic_today

    return clinic_today(clinic)


@pytest.fixture
def staff_emails(nurse: Any, prescriber: Any) -> list[str]:
    nurse.email = "nina@riverside.example"
    nurse.save()
    prescriber.email = "paul@riverside.example"
    prescriber.save()
    return [nurse.email, prescriber.email]


@pytest.fixture
def protocols(prescriber: Any) -> dict[str, Any]:
    from ketaflow.courses.services import adopt_builtin_protocols

    return {p.code: p for p in adopt_builtin_protocols(prescriber)}


@pytest.fixture
def course(prescriber: Any, patient: Any, protocols: dict[str, Any], today: date) -> Any:
    """An IV course in induction, started three weeks ago."""
    from ketaflow.courses.models import CoursePhase
    from ketaflow.courses.services import start_course

    course = start_course(
        prescriber, patient, protocols["iv-racemic"], started_on=today - timedelta(days=21)
    )
    course.phase = CoursePhase.INDUCTION
    course.save()
    return course


@pytest.fixture
def give_session(clinic: Any) -> Callable[..., Any]:
    """Record a session given on a clinic-local day (a completed appointment, charted elsewhere)."""
    from ketaflow.courses.models import Appointment, AppointmentStatus, Chair
    from ketaflow.lib.clock import at_clinic

    def give(course: Any, day: date, phase: str = "induction", status: str = "") -> Any:
        chair, _ = Chair.objects.get_or_create(clinic=clinic, name="Chair 1")
        protocol = course.protocol_version.load()
        name = next(p.name for p in protocol.phases if p.kind.value == phase)
        start = at_clinic(day, time(10, 0), clinic)
        return Appointment.objects.create(
            course=course,
            chair=chair,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            session_number=Appointment.objects.filter(course=course).count() + 1,
            phase=name,
            status=status or AppointmentStatus.COMPLETED,
        )

    return give


@pytest.fixture
def issue(nurse: Any) -> Callable[..., Any]:
    """Issue a link as the nurse; returns the IssuedLink (token shown once)."""
    from ketaflow.portal.services import issue_link

    def make(patient: Any, instruments: tuple[str, ...] = ("gad7", "phq9"), **kw: Any) -> Any:
        return issue_link(nurse, patient, base_url=BASE, instruments=instruments, **kw)

    return make


@pytest.fixture
def portal_client() -> Client:
    """A patient's phone: no staff session."""
    return Client()


@pytest.fixture
def second_patient(clinic: Any, front_desk: Any) -> Any:
    from ketaflow.patients.models import Patient

    return Patient.objects.create(
        clinic=clinic,
        mrn="KF-000002",
        given_name="Zebedee",
        family_name="Quennell",
        date_of_birth=date(1970, 1, 1),
        sex_at_birth="male",
        created_by=front_desk,
    )


def path(issued: Any, *parts: str) -> str:
    """The patient page of a link, e.g. path(issued, "form", "gad7")."""
    base = f"/p/q/{issued.token}/"
    return base + "".join(f"{p}/" for p in parts)


def answers(values: list[int], *, skip: int | None = None) -> dict[str, str]:
    """Form data for item_1..item_n, leaving item `skip` out."""
    return {f"item_{n}": str(v) for n, v in enumerate(values, start=1) if n != skip}


def now() -> Any:
    return timezone.now()
