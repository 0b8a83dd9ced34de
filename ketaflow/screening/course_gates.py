"""Screening's answers to the questions courses asks at booking, check-in and "Start a course"
(`courses/gates.py`; registered in `apps.py`). Adapters only: the rules stay in `selectors`
(`eligibility_gate`, `consent_gate`, `latest_signed_review`).
"""

from __future__ import annotations

from datetime import datetime

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.courses.gates import Gate, Reviewed, register_gate, register_reviewed
from ketaflow.patients.models import Patient
from ketaflow.screening.protocols import get_protocol
from ketaflow.screening.selectors import consent_gate, eligibility_gate, latest_signed_review


def eligibility(patient: Patient, at: datetime) -> Gate:
    ok, reasons = eligibility_gate(patient, at)
    return Gate(
        "Eligibility",
        ok,
        "" if ok else "no signed eligibility review that allows treatment today",
        tuple(reasons),
        clinical_detail=True,
    )


def consent(patient: Patient, at: datetime) -> Gate:
    ok, reasons = consent_gate(patient, at)
    return Gate("Consent", ok, "" if ok else "no current signed consent", tuple(reasons))


def reviewed(patient: Patient, at: datetime) -> Reviewed | None:
    state = latest_signed_review(patient, at)
    if state is None:
        return None
    code = state.review.protocol_code
    try:
        route = get_protocol(code).route.value
    except ClinicalInputError:
        return None
    return Reviewed(code, route)


def register() -> None:
    register_gate("eligibility", eligibility, order=10)
    register_gate("consent", consent, order=20)
    register_reviewed(reviewed)
