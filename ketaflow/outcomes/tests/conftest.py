"""An outcomes world: courses with past sessions, GAD-7 scores, doses, side effects and vitals.

Sessions and scores are made directly (booking refuses the past); the treatment records are
plain rows, as a signed session leaves them. The refresh the services queue after commit is
exercised by the tests that ask for it (`django_capture_on_commit_callbacks`); the rest call
the refresh explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone


@pytest.fixture
def protocols(prescriber: Any) -> dict[str, Any]:
    from ketaflow.courses.services import adopt_builtin_protocols

    return {p.code: p for p in adopt_builtin_protocols(prescriber)}


@pytest.fixture
def chair(clinic_admin: Any) -> Any:
    from ketaflow.courses.services import add_chair

    return add_chair(clinic_admin, name="Chair 1")


def past_sessions(count: int, weeks_ago: int = 8) -> list[date]:
    """`count` Mon-Wed-Fri days from a Monday `weeks_ago` weeks back."""
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7 * weeks_ago)
    days: list[date] = []
    week = 0
    while len(days) < count:
        for offset in (0, 2, 4):
            if len(days) < count:
                days.append(monday + timedelta(days=7 * week + offset))
        week += 1
    return days


def answers_for(total: int, items: int = 7, top: int = 3) -> list[int]:
    answers, left = [], total
    for _ in range(items):
        answers.append(min(top, left))
        left -= answers[-1]
    return answers


def gad7(
    actor: Any, patient: Any, day: date, total: int, *, context: str = "pre_session", hour: int = 8
) -> Any:
    from ketaflow.lib.clock import at_clinic
    from ketaflow.questionnaires.services import record_response

    return record_response(
        actor,
        patient,
        "gad7",
        answers=answers_for(total),
        context=context,
        administered_at=at_clinic(day, time(hour), patient.clinic),
        rater="self",
    )


def make_patient(clinic: Any, by: Any, mrn: str, **extra: Any) -> Any:
    from ketaflow.patients.models import Patient

    fields: dict[str, Any] = {
        "given_name": "Pat",
        "family_name": f"Person{mrn[-3:]}",
        "date_of_birth": date(1980, 6, 1),
        "sex_at_birth": "female",
    }
    fields.update(extra)
    return Patient.objects.create(clinic=clinic, mrn=mrn, created_by=by, **fields)


def signed_session(
    appointment: Any,
    nurse: Any,
    *,
    mg_per_kg: float = 0.5,
    rate_ml_per_h: float = 52.5,
    minutes: int = 40,
    side_effect: bool = False,
    sbp: float = 124,
) -> Any:
    """A signed session: confirmed order (1 mg/mL), start/stop events, one reading."""
    from ketaflow.treatments.models import (
        AdministrationEvent,
        DoseOrder,
        SideEffect,
        TreatmentSession,
        VitalsReading,
    )

    course = appointment.course
    start: datetime = appointment.starts_at + timedelta(minutes=30)
    session = TreatmentSession.objects.create(
        clinic=course.patient.clinic,
        appointment=appointment,
        course=course,
        patient=course.patient,
        chair=appointment.chair,
        protocol_version=course.protocol_version,
        route="iv",
        session_number=appointment.session_number,
        status="signed",
        signed_at=start + timedelta(hours=2),
        signed_by=nurse,
    )
    DoseOrder.objects.create(
        session=session,
        status="confirmed",
        route="iv",
        mg_per_kg=mg_per_kg,
        dose_mg=mg_per_kg * 70,
        concentration_mg_per_ml=1.0,
        proposed_by=nurse,
    )
    AdministrationEvent.objects.create(
        session=session, kind="start", at=start, rate_ml_per_h=rate_ml_per_h, recorded_by=nurse
    )
    AdministrationEvent.objects.create(
        session=session, kind="stop", at=start + timedelta(minutes=minutes), recorded_by=nurse
    )
    VitalsReading.objects.create(
        session=session,
        taken_at=start + timedelta(minutes=30),
        sbp=sbp,
        dbp=80,
        hr=70,
        spo2=98,
        rr=14,
        recorded_by=nurse,
    )
    if side_effect:
        SideEffect.objects.create(
            session=session, kind="nausea", severity="mild", onset_at=start, recorded_by=nurse
        )
    return session


def course_with(
    prescriber: Any,
    nurse: Any,
    patient: Any,
    protocol: Any,
    chair: Any,
    totals: Sequence[int],
    *,
    follow_up: Sequence[int] = (),
    weeks_ago: int = 8,
    signed: bool = True,
    side_effects: Sequence[int] = (),
    high_bp: Sequence[int] = (),
) -> Any:
    """A course in induction with one session per pre-session score in `totals`.

    `follow_up`: scores on the days after the last session (one a day). Sessions are signed
    with a 35 mg infusion (0.5 mg/kg x 70 kg) unless `signed` is False (completed
    appointments only). `side_effects` / `high_bp`: 1-based session numbers.
    """
    from ketaflow.courses.models import Appointment
    from ketaflow.courses.services import change_phase, start_course
    from ketaflow.lib.clock import at_clinic

    days = past_sessions(len(totals), weeks_ago)
    course = start_course(prescriber, patient, protocol, started_on=days[0])
    course = change_phase(prescriber, course, "induction", reason="Eligible and consented")
    for n, (day, total) in enumerate(zip(days, totals, strict=True), start=1):
        gad7(nurse, patient, day, total)
        start = at_clinic(day, time(9), patient.clinic)
        appointment = Appointment.objects.create(
            course=course,
            chair=chair,
            starts_at=start,
            ends_at=start + timedelta(minutes=130),
            session_number=n,
            phase="induction",
            status="completed",
            created_by=prescriber,
        )
        if signed:
            signed_session(
                appointment, nurse, side_effect=n in side_effects, sbp=190 if n in high_bp else 124
            )
    for i, total in enumerate(follow_up, start=1):
        gad7(nurse, patient, days[-1] + timedelta(days=i), total, context="follow_up", hour=10)
    return course


def outcome_rows(clinic: Any, by: Any, version: Any, specs: Sequence[dict[str, Any]]) -> list[Any]:
    """One patient, course and `CourseOutcome` row per spec (fields override the defaults).

    For dashboard statistics: the summary rows are what the dashboard reads, so tests can
    state them directly and compute the expected numbers by hand.
    """
    from django.utils import timezone

    from ketaflow.courses.models import Course
    from ketaflow.outcomes.models import CourseOutcome

    rows = []
    for i, spec in enumerate(specs):
        patient = make_patient(clinic, by, f"C-{clinic.pk}-{i:04d}")
        course = Course.objects.create(
            patient=patient,
            protocol_version=version,
            started_on=date(2026, 1, 5),
            phase="induction",
        )
        fields: dict[str, Any] = {
            "course": course,
            "clinic": clinic,
            "patient": patient,
            "diagnosis_code": "F41.1",
            "diagnosis_group": "F41",
            "route": "iv",
            "protocol_code": "iv-racemic",
            "protocol_version": version,
            "started_on": date(2026, 1, 5),
            "phase": "induction",
            "instrument": "gad7",
            "instrument_max": 21,
            "remission_defined": True,
            "baseline_score": 16.0,
            "assessments": 3,
            "sessions": 6,
            "signed_sessions": 6,
            "age_at_start": 40,
            "refreshed_at": timezone.now(),
        }
        fields.update(spec)
        rows.append(CourseOutcome.objects.create(**fields))
    return rows


@pytest.fixture(autouse=True)
def _reports_in_a_scratch_directory(settings: Any, tmp_path: Any) -> None:
    """Rendered progress reports go to the test's own directory, never `var/`."""
    settings.KETAFLOW_REPORT_DIR = str(tmp_path / "reports")
