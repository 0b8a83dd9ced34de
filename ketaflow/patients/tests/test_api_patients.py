"""Patients over the API: search, register, read and amend demographics, read the chart."""

from __future__ import annotations

from datetime import date

from ketaflow.lib.tests.api_client import (
    VALID_PATIENT,
    call,
    fields_in_error,
    make_world,
)
from ketaflow.patients.models import Patient


def _add(clinic, mrn, given, family, born=date(1980, 1, 1)):
    return Patient.objects.create(
        clinic=clinic,
        mrn=mrn,
        given_name=given,
        family_name=family,
        date_of_birth=born,
        sex_at_birth="male",
    )


def test_search_finds_by_name_mrn_and_date_of_birth(client, login, front_desk, patient):
    _add(patient.clinic, "KF-000002", "John", "Smith")
    login(client, front_desk)
    for query in ("jane", "doe jane", "KF-000001", "1985-04-12"):
        items = call(client, "GET", f"/patients?q={query}").json()["items"]
        assert [p["mrn"] for p in items] == ["KF-000001"], query


def test_search_returns_at_most_the_limit(client, login, front_desk, clinic):
    for n in range(5):
        _add(clinic, f"KF-00001{n}", "Pat", f"Name{n}")
    body = call(login(client, front_desk), "GET", "/patients?limit=3").json()
    assert len(body["items"]) == 3
    assert body["limit"] == 3


def test_search_never_shows_another_clinics_patients(client, login, front_desk, outsider_patient):
    items = call(login(client, front_desk), "GET", "/patients?q=Olga").json()["items"]
    assert items == []


def test_registering_generates_the_next_mrn(client, login, front_desk, patient):
    response = call(login(client, front_desk), "POST", "/patients", VALID_PATIENT)
    assert response.status_code == 201
    assert response.json()["mrn"] == "KF-000002"
    created = Patient.objects.get(pk=response.json()["id"])
    assert created.clinic_id == front_desk.clinic_id
    assert created.created_by == front_desk


def test_an_mrn_already_used_in_the_clinic_is_refused(client, login, front_desk, patient):
    body = {**VALID_PATIENT, "mrn": "KF-000001"}
    response = call(login(client, front_desk), "POST", "/patients", body)
    assert response.status_code == 422
    assert fields_in_error(response) == {"mrn"}


def test_demographics_are_returned_in_full(client, login, front_desk, patient):
    body = call(login(client, front_desk), "GET", f"/patients/{patient.pk}").json()
    assert body["given_name"] == "Jane"
    assert body["date_of_birth"] == "1985-04-12"
    assert body["can_become_pregnant"] is True


def test_an_amendment_changes_only_the_fields_sent_and_keeps_the_reason(
    client, login, front_desk, patient
):
    login(client, front_desk)
    body = {"phone": "020 7946 0000", "reason": "New number given at reception"}
    response = call(client, "PATCH", f"/patients/{patient.pk}", body)
    assert response.status_code == 200
    assert response.json()["phone"] == "020 7946 0000"
    assert response.json()["given_name"] == "Jane"
    latest = patient.history.latest()
    assert latest.history_change_reason == "New number given at reception"
    assert latest.history_user == front_desk


def test_an_amendment_without_a_reason_changes_nothing(client, login, front_desk, patient):
    login(client, front_desk)
    response = call(client, "PATCH", f"/patients/{patient.pk}", {"phone": "1"})
    assert response.status_code == 422
    assert fields_in_error(response) == {"reason"}
    patient.refresh_from_db()
    assert patient.phone == ""


def test_the_chart_has_every_kind_of_entry_and_the_bmi(client, login, prescriber, patient):
    from ketaflow.patients.services import add_entry

    make_world(patient, prescriber)
    height = {"kind": "height", "entered_value": 170, "entered_unit": "cm"}
    add_entry(prescriber, patient, "measurements", {**height, "measured_on": date(2025, 1, 1)})
    body = call(login(client, prescriber), "GET", f"/patients/{patient.pk}/chart").json()
    assert body["patient"]["mrn"] == "KF-000001"
    for key in ("diagnoses", "history", "medications", "prior_treatments", "allergies"):
        assert len(body[key]) == 1, key
    assert len(body["measurements"]) == 2
    assert body["latest_weight_kg"] == "70.50"
    assert body["latest_height_cm"] == "170.00"
    assert body["bmi"] == "24.4"
