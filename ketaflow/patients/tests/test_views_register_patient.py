"""Registering a patient: the clinic's next MRN, and field-level errors that save nothing."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.audit.models import AccessEvent
from ketaflow.patients.models import Patient

pytestmark = pytest.mark.django_db

GOOD = {
    "given_name": "Ada",
    "family_name": "Lovelace",
    "date_of_birth": "1980-12-10",
    "sex_at_birth": "female",
    "can_become_pregnant": "on",
    "phone": "+44 20 7946 0000",
}


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "clinic_admin"])
def test_a_registered_patient_gets_the_clinics_next_mrn(
    client: Any, login: Any, personas: dict, patient: Any, persona: str
) -> None:
    login(client, personas[persona])
    response = client.post("/patients/register/", GOOD)
    ada = Patient.objects.get(family_name="Lovelace")
    assert response.status_code == 302 and response.url == f"/patients/{ada.pk}/"
    assert (ada.mrn, ada.clinic_id, ada.can_become_pregnant) == (
        "KF-000002",
        patient.clinic_id,
        True,
    )


def test_a_patient_registered_in_a_demo_clinic_is_marked_synthetic(
    client: Any, login: Any, front_desk: Any, clinic: Any
) -> None:
    clinic.is_synthetic = True
    clinic.save()
    login(client, front_desk)
    client.post("/patients/register/", GOOD)
    assert Patient.objects.get(family_name="Lovelace").is_synthetic


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"given_name": ""}, "given_name", "required"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "in the future"),
        ({"date_of_birth": "1850-01-01"}, "date_of_birth", "more than 120 years"),
        ({"date_of_birth": "not a date"}, "date_of_birth", "valid date"),
        ({"sex_at_birth": "robot"}, "sex_at_birth", "valid choice"),
        ({"email": "nope"}, "email", "valid email"),
        ({"mrn": "KF-000001"}, "mrn", "already used"),
    ],
)
def test_bad_input_is_a_field_error_and_records_nothing(
    client: Any, login: Any, front_desk: Any, patient: Any, change: dict, field: str, message: str
) -> None:
    login(client, front_desk)
    response = client.post("/patients/register/", {**GOOD, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in e for e in errors), errors
    assert "has-error" in response.content.decode()
    assert not Patient.objects.filter(family_name="Lovelace").exists()
    assert not AccessEvent.objects.filter(action="create").exists()
