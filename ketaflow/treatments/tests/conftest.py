"""A treatment-session world: an IV course, a chair, today's appointment, and helpers.

Eligibility and consent have their own apps and tests; here the gates are open unless a test
says otherwise (`gates_closed`), so each test builds only what its behaviour needs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def gates_open(monkeypatch: pytest.MonkeyPatch) -> None:
    from ketaflow.treatments import derive

    monkeypatch.setattr(derive, "eligibility_gate", lambda patient, at=None: (True, []))
    monkeypatch.setattr(derive, "consent_gate", lambda patient, at=None: (True, []))


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
        prescriber, patient, protocols["iv-racemic"], started_on=timezone.localdate()
    )


@pytest.fixture
def appointment(course: Any, chair: Any, prescriber: Any) -> Any:
    """Today's booked session 1 (made directly: booking refuses times in the past)."""
    from ketaflow.courses.models import Appointment

    start = timezone.now() - timedelta(hours=3)
    return Appointment.objects.create(
        course=course,
        chair=chair,
        starts_at=start,
        ends_at=start + timedelta(minutes=130),
        session_number=1,
        phase="induction",
        created_by=prescriber,
    )


@pytest.fixture
def checked_in(nurse: Any, appointment: Any) -> Any:
    from ketaflow.treatments.services import check_in

    return check_in(nurse, appointment)


def ago(minutes: float) -> datetime:
    return timezone.now() - timedelta(minutes=minutes)


def fresh(session: Any) -> Any:
    session.refresh_from_db()
    return session


def complete_checklist(nurse: Any, session: Any, *, baseline_at: float = 120) -> Any:
    """Answers, weight 70 kg, negative pregnancy test, pre-session GAD-7, BP 122/78."""
    from ketaflow.questionnaires.services import record_response
    from ketaflow.treatments import services

    record_response(
        nurse,
        session.patient,
        "gad7",
        answers=[1, 1, 1, 1, 1, 1, 1],
        context="pre_session",
        administered_at=ago(baseline_at + 5),
        rater="self",
    )
    services.record_vitals(
        nurse,
        session,
        fresh(session).version,
        sbp=122,
        dbp=78,
        hr=70,
        spo2=98,
        rr=14,
        taken_at=ago(baseline_at),
    )
    services.save_checklist(
        nurse,
        session,
        fresh(session).version,
        last_food_at=ago(60 * 9),
        last_clear_liquid_at=ago(60 * 4),
        escort_name="Sam Doe",
        escort_phone="07700 900123",
        medication_changes_reviewed=True,
        alcohol_today=False,
        drugs_today=False,
        intoxication_signs=False,
        weight_kg=70,
        pregnancy_test_positive=False,
    )
    return fresh(session)


@pytest.fixture
def ready(gates_open: None, nurse: Any, checked_in: Any) -> Any:
    return complete_checklist(nurse, checked_in)


@pytest.fixture
def ordered(ready: Any, prescriber: Any) -> Any:
    """0.5 mg/kg x 70 kg = 35 mg over 40 min at 1 mg/mL = 52.5 mL/h, confirmed."""
    from ketaflow.treatments.services import enter_order

    enter_order(
        prescriber,
        ready,
        ready.version,
        mg_per_kg=0.5,
        concentration_mg_per_ml=1.0,
        confirm=True,
    )
    return fresh(ready)


def run_infusion(nurse: Any, session: Any, start: float = 110, stop: float = 70) -> Any:
    from ketaflow.treatments.services import record_administration

    record_administration(
        nurse, session, fresh(session).version, kind="start", rate_ml_per_h=52.5, at=ago(start)
    )
    record_administration(nurse, session, fresh(session).version, kind="stop", at=ago(stop))
    return fresh(session)


@pytest.fixture
def observing(ordered: Any, nurse: Any) -> Any:
    return run_infusion(nurse, ordered)


def make_discharge_ready(nurse: Any, session: Any) -> Any:
    from ketaflow.treatments import services

    services.record_vitals(
        nurse,
        session,
        fresh(session).version,
        sbp=124,
        dbp=80,
        hr=72,
        spo2=98,
        rr=14,
        taken_at=ago(2),
    )
    services.record_scale(
        nurse,
        session,
        fresh(session).version,
        instrument="moaas",
        answers=[5],
        administered_at=ago(2),
    )
    return fresh(session)


@pytest.fixture
def discharged(observing: Any, nurse: Any) -> Any:
    from ketaflow.treatments import services

    session = make_discharge_ready(nurse, observing)
    services.record_discharge(
        nurse,
        session,
        session.version,
        aldrete_score=10,
        dissociation_resolved=True,
        escort_present=True,
        told_not_to_drive=True,
        discharge=True,
    )
    return fresh(session)


@pytest.fixture
def as_user() -> Callable[..., Any]:
    return lambda u: u


ALDRETE_KEYS = ("activity", "respiration", "circulation", "consciousness", "spo2")
PADSS_KEYS = (
    "vital_signs",
    "activity_mental_status",
    "pain_nausea_vomiting",
    "bleeding",
    "intake_output",
)


def recovery_post(aldrete: int | None = 2, padss: int | None = 2) -> dict[str, str]:
    """The discharge step's Aldrete and PADSS answers as the page posts them (every item the
    same; None leaves that scale unanswered)."""
    data: dict[str, str] = {}
    if aldrete is not None:
        data |= {f"aldrete-{k}": str(aldrete) for k in ALDRETE_KEYS}
    if padss is not None:
        data |= {f"padss-{k}": str(padss) for k in PADSS_KEYS}
    return data
