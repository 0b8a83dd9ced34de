"""A patient whose chart meets every default requirement of the IV protocol, built through the
real services, and helpers to change it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketaflow.patients.services import add_entry
from ketaflow.questionnaires.services import record_response
from ketaflow.screening.services import record_observation

CLEARANCE = ("psychiatric_assessment", "ecg", "liver_function", "renal_function")


def hama_answers(total: int) -> list[int]:
    """14 HAM-A item answers (0–4 each) adding up to `total`."""
    answers = []
    left = total
    for _ in range(14):
        answers.append(min(4, left))
        left -= answers[-1]
    return answers


def a_bp(actor: Any, patient: Any, systolic: int, diastolic: int) -> Any:
    return record_observation(
        actor,
        patient,
        kind="resting_bp",
        observed_at=timezone.now() - timedelta(minutes=1),
        systolic=systolic,
        diastolic=diastolic,
    )


def a_medication(actor: Any, patient: Any, name: str, classes: list[str], **extra: Any) -> Any:
    return add_entry(actor, patient, "medications", {"name": name, "classes": classes, **extra})


@pytest.fixture
def eligible_patient(patient: Any, nurse: Any, prescriber: Any) -> Any:
    """Jane Doe: GAD, HAM-A 24, BP 120/80, two failed adequate trials, work-up done."""
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
    earlier = timezone.now() - timedelta(hours=1)
    record_response(
        nurse,
        patient,
        "hama",
        answers=hama_answers(24),
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
    a_bp(nurse, patient, 120, 80)
    return patient


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Personas sign in with a fast hasher; sign-in is still checked."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
