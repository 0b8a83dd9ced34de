"""The world before check-in for the end-to-end session test, built only through services.

Jane Doe (GAD, HAM-A 24, two failed adequate trials, work-up done, BP 120/80) with a
prescriber-signed eligibility review, consent to the clinic's published document, an IV
racemic course, a weight and height in the chart from last week, and today's appointment in
Chair 1. The prescriber has a confirmed TOTP device, so the sign-in goes through real 2FA.

Nothing here runs after check-in: from check-in on, everything goes through the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

CLEARANCE = ("psychiatric_assessment", "ecg", "liver_function", "renal_function")


@dataclass(frozen=True)
class World:
    patient: Any
    course: Any
    chair: Any
    appointment: Any
    totp: Any  # the prescriber's confirmed TOTPDevice


def _hama_answers(total: int) -> list[int]:
    answers, left = [], total
    for _ in range(14):
        answers.append(min(4, left))
        left -= answers[-1]
    return answers


def _eligible_chart(nurse: Any, prescriber: Any, patient: Any) -> None:
    from ketaflow.patients.services import add_entry
    from ketaflow.questionnaires.services import record_response
    from ketaflow.screening.services import record_observation

    earlier = timezone.now() - timedelta(hours=1)
    last_week = timezone.localdate() - timedelta(days=7)
    add_entry(prescriber, patient, "diagnoses", {"code": "F41.1", "is_primary": True})
    for name in ("sertraline", "venlafaxine"):
        add_entry(
            nurse,
            patient,
            "prior-treatments",
            {"kind": "ssri", "name": name, "adequate": True, "outcome": "no_response"},
        )
    add_entry(
        nurse,
        patient,
        "pregnancy",
        {"observed_on": timezone.localdate(), "pregnancy_status": "not_pregnant"},
    )
    for kind, value, unit in (("weight", 70, "kg"), ("height", 167, "cm")):
        add_entry(
            nurse,
            patient,
            "measurements",
            {"kind": kind, "entered_value": value, "entered_unit": unit, "measured_on": last_week},
        )
    record_response(
        nurse,
        patient,
        "hama",
        answers=_hama_answers(24),
        context="baseline",
        administered_at=earlier,
        rater="clinician",
    )
    for kind in CLEARANCE:
        record_observation(nurse, patient, kind=kind, observed_at=earlier, result="normal")
    record_observation(
        nurse, patient, kind="sleep_apnoea_screen", observed_at=earlier, result="normal", score=1
    )
    record_observation(
        nurse, patient, kind="pregnancy_test", observed_at=earlier, result="negative"
    )
    record_observation(
        nurse,
        patient,
        kind="resting_bp",
        observed_at=timezone.now() - timedelta(minutes=30),
        systolic=120,
        diastolic=80,
    )


def build_world(*, clinic_admin: Any, nurse: Any, prescriber: Any, patient: Any) -> World:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaflow.courses.models import Appointment
    from ketaflow.courses.services import add_chair, adopt_builtin_protocols, start_course
    from ketaflow.screening.consent_text import DEFAULT_BODY, DEFAULT_TITLE
    from ketaflow.screening.selectors import consent_gate, eligibility_gate
    from ketaflow.screening.services import (
        open_review,
        publish_document,
        record_signature,
        sign_review,
    )

    _eligible_chart(nurse, prescriber, patient)
    sign_review(
        prescriber, open_review(nurse, patient), decision="eligible", reason="Meets IV criteria"
    )
    publish_document(clinic_admin, title=DEFAULT_TITLE, body=DEFAULT_BODY, requires_reconsent=True)
    record_signature(nurse, patient, typed_name="Jane Doe", method="in_person")
    assert eligibility_gate(patient) == (True, [])
    assert consent_gate(patient) == (True, [])

    protocols = {p.code: p for p in adopt_builtin_protocols(prescriber)}
    course = start_course(
        prescriber, patient, protocols["iv-racemic"], started_on=timezone.localdate()
    )
    chair = add_chair(clinic_admin, name="Chair 1")
    # Made directly, as the treatments conftest does: booking refuses a time already begun,
    # and the patient has just arrived for a slot that started a few minutes ago.
    start = timezone.now() - timedelta(minutes=5)
    appointment = Appointment.objects.create(
        course=course,
        chair=chair,
        starts_at=start,
        ends_at=start + timedelta(minutes=130),
        session_number=1,
        phase="induction",
        created_by=prescriber,
    )
    totp = TOTPDevice.objects.create(user=prescriber, name="Authenticator app", confirmed=True)
    return World(patient, course, chair, appointment, totp)


def totp_code(device: Any) -> str:
    """The 6-digit code the prescriber's authenticator app shows right now."""
    from django_otp.oath import totp

    device.refresh_from_db()
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(code).zfill(device.digits)
