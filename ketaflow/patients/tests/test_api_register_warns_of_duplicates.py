"""Registering over the API asks the same likely-duplicate question as the registration page
(`patients.selectors.likely_duplicates`, one home): a 409 names the patients who may be the
same person, and the client registers anyway only for the ones it names back as checked."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ketaflow.audit.models import AccessEvent
from ketaflow.lib.tests.api_client import call, details
from ketaflow.patients.models import Patient

pytestmark = pytest.mark.django_db

JANE_AGAIN = {
    "given_name": "JANE",
    "family_name": "Doe",
    "date_of_birth": "1985-04-12",
    "sex_at_birth": "female",
}


def test_the_same_name_and_date_of_birth_answers_409_with_the_patient(
    client: Any, login: Any, front_desk: Any, patient: Any
) -> None:
    before = Patient.objects.count()
    response = call(login(client, front_desk), "POST", "/patients", JANE_AGAIN)
    assert response.status_code == 409
    body = response.json()
    assert body["possible_duplicates"] == [
        {
            "id": patient.pk,
            "mrn": "KF-000001",
            "given_name": "Jane",
            "family_name": "Doe",
            "date_of_birth": "1985-04-12",
            "reasons": ["same name and date of birth"],
        }
    ]
    (problem,) = details(response)
    assert problem["type"] == "possible_duplicate" and "Jane Doe (KF-000001)" in problem["msg"]
    assert Patient.objects.count() == before
    event = AccessEvent.objects.filter(detail__duplicate_check=True).latest("pk")
    assert event.detail["patient_ids"] == [patient.pk]


def test_the_same_phone_number_answers_409(
    client: Any, login: Any, front_desk: Any, patient: Any
) -> None:
    patient.phone = "07700 900123"
    patient.save()
    body = {
        "given_name": "Jim",
        "family_name": "Beam",
        "date_of_birth": "1990-01-01",
        "sex_at_birth": "male",
        "phone": "+44 7700 900123",
    }
    response = call(login(client, front_desk), "POST", "/patients", body)
    assert response.status_code == 409
    (dup,) = response.json()["possible_duplicates"]
    assert dup["id"] == patient.pk and dup["reasons"] == ["same phone number"]


def test_naming_the_checked_patients_registers_a_different_person(
    client: Any, login: Any, front_desk: Any, patient: Any
) -> None:
    login(client, front_desk)
    body = {**JANE_AGAIN, "not_duplicate_of": [patient.pk]}
    response = call(client, "POST", "/patients", body)
    assert response.status_code == 201, response.json()
    created = Patient.objects.get(pk=response.json()["id"])
    assert created.pk != patient.pk and created.given_name == "JANE"


def test_a_likely_duplicate_not_named_back_still_answers_409(
    client: Any, login: Any, front_desk: Any, patient: Any, clinic: Any
) -> None:
    twin = Patient.objects.create(
        clinic=clinic,
        mrn="KF-000002",
        given_name="Jane",
        family_name="Doe",
        date_of_birth=date(1985, 4, 12),
        sex_at_birth="female",
    )
    login(client, front_desk)
    response = call(client, "POST", "/patients", {**JANE_AGAIN, "not_duplicate_of": [patient.pk]})
    assert response.status_code == 409
    assert [d["id"] for d in response.json()["possible_duplicates"]] == [twin.pk]


def test_another_clinics_patients_are_never_duplicates(
    client: Any, login: Any, front_desk: Any, other_clinic: Any
) -> None:
    Patient.objects.create(
        clinic=other_clinic,
        mrn="KF-000001",
        given_name="Jane",
        family_name="Doe",
        date_of_birth=date(1985, 4, 12),
        sex_at_birth="female",
        phone="07700 900123",
    )
    body = {**JANE_AGAIN, "phone": "07700 900123"}
    response = call(login(client, front_desk), "POST", "/patients", body)
    assert response.status_code == 201, response.json()
    assert not AccessEvent.objects.filter(detail__duplicate_check=True).exists()


def test_the_schema_documents_the_409_and_the_acknowledgement(
    client: Any, login: Any, front_desk: Any
) -> None:
    schema = call(login(client, front_desk), "GET", "/openapi.json").json()
    operation = schema["paths"]["/api/v1/patients"]["post"]
    assert "409" in operation["responses"]
    ref = operation["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/PossibleDuplicatesOut")
    body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert "not_duplicate_of" in body["properties"]
    assert "possible_duplicates" in operation["description"]
