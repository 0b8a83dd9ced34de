"""'Who looked at this record': every view and change of one patient, for clinic admins."""

import pytest
from django.urls import reverse

from ketaflow.audit.models import AccessEvent
from ketaflow.patients.selectors import get_chart, search_patients


def url(patient):
    return reverse("audit:patient", args=[patient.pk])


def test_it_lists_each_person_who_opened_the_chart(
    client, login, clinic_admin, nurse, prescriber, patient
):
    get_chart(nurse, patient.pk)
    get_chart(nurse, patient.pk)
    get_chart(prescriber, patient.pk)
    response = login(client, clinic_admin).get(url(patient))
    assert response.status_code == 200
    people = {p["actor_label"]: p["count"] for p in response.context["people"]}
    assert people == {"nina.nurse (nurse)": 2, "paul.prescriber (prescriber)": 1}
    assert "Jane Doe" in response.content.decode()


def test_searches_that_only_listed_the_patient_are_not_counted(
    client, login, clinic_admin, front_desk, patient
):
    search_patients(front_desk, "Doe")
    response = login(client, clinic_admin).get(url(patient))
    assert response.context["people"] == []


def test_opening_it_is_recorded_without_adding_to_the_patients_own_log(
    client, login, clinic_admin, patient
):
    login(client, clinic_admin).get(url(patient))
    event = AccessEvent.objects.get(actor=clinic_admin, action="list")
    assert event.patient_id is None
    assert event.detail["filters"] == {"patient_access_log": patient.pk}


def test_another_clinics_patient_is_not_found(client, login, clinic_admin, outsider_patient):
    assert login(client, clinic_admin).get(url(outsider_patient)).status_code == 404


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "researcher"])
def test_only_clinic_admins_may_open_it(client, login, personas, patient, persona):
    assert login(client, personas[persona]).get(url(patient)).status_code == 403
