"""A take-home world: a course with signed supervised sessions, a second nurse to witness,
and stock on the book. Supervised sessions are made directly (their charting has its own
tests in treatments); a test adds a safety event's row when it needs one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketaflow.conftest import _make_user


@pytest.fixture
def protocols(prescriber: Any) -> dict[str, Any]:
    from ketaflow.courses.services import adopt_builtin_protocols

    return {p.code: p for p in adopt_builtin_protocols(prescriber)}


@pytest.fixture
def chair(clinic_admin: Any) -> Any:
    from ketaflow.courses.services import add_chair

    return add_chair(clinic_admin, name="Chair 1")


@pytest.fixture
def course(prescriber: Any, patient: Any, protocols: dict[str, Any]) -> Any:
    from ketaflow.courses.services import start_course

    return start_course(
        prescriber,
        patient,
        protocols["iv-racemic"],
        started_on=timezone.localdate() - timedelta(days=30),
    )


@pytest.fixture
def second_nurse(clinic: Any) -> Any:
    return _make_user(clinic, "nurse2", "nurse", first_name="Noor", last_name="Second")


def make_supervised(course: Any, chair: Any, prescriber: Any, nurse: Any, n: int) -> list[Any]:
    """n more signed sessions of the course, a day apart, ending yesterday-ish."""
    from ketaflow.courses.models import Appointment, AppointmentStatus, SessionStatus
    from ketaflow.treatments.models import TreatmentSession

    made = []
    done = TreatmentSession.objects.filter(course=course).count()
    for i in range(done + 1, done + n + 1):
        start = timezone.now() - timedelta(days=30 - i)
        appt = Appointment.objects.create(
            course=course,
            chair=chair,
            starts_at=start,
            ends_at=start + timedelta(minutes=130),
            session_number=i,
            phase="induction",
            created_by=prescriber,
            status=AppointmentStatus.COMPLETED,
        )
        made.append(
            TreatmentSession.objects.create(
                clinic=course.patient.clinic,
                appointment=appt,
                course=course,
                patient=course.patient,
                chair=chair,
                protocol_version=course.protocol_version,
                route="iv",
                session_number=i,
                status=SessionStatus.SIGNED,
                checked_in_by=nurse,
                signed_by=prescriber,
                signed_at=start + timedelta(hours=3),
            )
        )
    return made


@pytest.fixture
def supervised(course: Any, chair: Any, prescriber: Any, nurse: Any) -> Callable[..., list[Any]]:
    """`supervised(n)`: n more signed sessions of the course, a day apart, in the past."""
    return lambda n: make_supervised(course, chair, prescriber, nurse, n)


AUTH = {
    "product": "Ketamine HCl 50 mg sublingual troche",
    "dosage_form": "troche",
    "strength_mg": 50.0,
    "units_per_dose": 1,
    "dose_interval_days": 3,
    "days_per_supply": 30,
    "refills_allowed": 2,
    "reason": "Stable response over supervised doses; travel to clinic impossible weekly.",
    "warning_acknowledged": True,
}


@pytest.fixture
def authorised(prescriber: Any, course: Any, supervised: Any) -> Any:
    from ketaflow.dispensing import services

    supervised(3)
    return services.authorise(prescriber, course, **AUTH)


@pytest.fixture
def stock(nurse: Any, second_nurse: Any) -> Any:
    from ketaflow.dispensing import services

    return services.receive_stock(
        nurse,
        product="Ketamine HCl 50 mg sublingual troche",
        dosage_form="troche",
        strength_mg=50.0,
        lot="LOT-A1",
        expires_on=timezone.localdate() + timedelta(days=365),
        quantity=100,
        witness=second_nurse,
        supplier="Compounding pharmacy",
    )


@pytest.fixture
def pdmp_checked(nurse: Any, patient: Any) -> Any:
    from ketaflow.dispensing import services

    return services.record_pdmp_check(
        nurse, patient, checked_on=timezone.localdate(), outcome="no_concern", registry="State"
    )


def dispense(nurse: Any, auth: Any, witness: Any, quantity: int = 10, **extra: Any) -> Any:
    from ketaflow.dispensing import services

    return services.dispense(
        nurse,
        auth,
        quantity=quantity,
        lot=extra.pop("lot", "LOT-A1"),
        witness=witness,
        storage_acknowledged=True,
        no_driving_acknowledged=True,
        **extra,
    )


def today() -> date:
    return timezone.localdate()
