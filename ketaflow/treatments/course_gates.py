"""The open suicide-risk alerts as a gate courses shows at booking and check-in
(`courses/gates.py`; registered in `apps.py`). The rule stays in `risk.py`."""

from __future__ import annotations

from datetime import datetime

from ketaflow.courses.gates import Gate, register_gate
from ketaflow.patients.models import Patient
from ketaflow.treatments.risk import alerts_awaiting_assessment


def risk(patient: Patient, at: datetime) -> Gate:
    waiting = alerts_awaiting_assessment(patient.pk, at)
    n = len(waiting)
    summary = (
        f"{n} risk alert{'s' if n != 1 else ''} waiting for a prescriber's risk assessment"
        if n
        else ""
    )
    return Gate(
        "Suicide risk",
        not waiting,
        summary,
        tuple(a.message for a in waiting),
        clinical_detail=True,
    )


def register() -> None:
    register_gate("risk", risk, order=30, clinical_only=True)
