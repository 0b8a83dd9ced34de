"""Persona x page/endpoint: who may see patient outcomes, the dashboard, the PDF and the CSV."""

from __future__ import annotations

import pytest

from ketaflow.lib.tests.persona_rows import Row
from ketaflow.outcomes.tests.conftest import course_with
from ketaflow.outcomes.tests.test_progress_report_renders_in_the_background import (
    PERSONA_ROWS as REPORT_ROWS,
)

pytestmark = pytest.mark.django_db

CLINICAL = {
    "nurse": 200,
    "prescriber": 200,
    "front_desk": 403,
    "clinic_admin": 403,
    "researcher": 403,
    "outsider": 404,
}
DASHBOARD = {
    "nurse": 200,
    "prescriber": 200,
    "front_desk": 403,
    "clinic_admin": 200,
    "researcher": 200,
    "outsider": 200,
}
EXPORT = {
    "nurse": 403,
    "prescriber": 403,
    "front_desk": 403,
    "clinic_admin": 200,
    "researcher": 200,
    "outsider": 403,
}


@pytest.fixture
def world(prescriber, nurse, patient, protocols, chair):
    from ketaflow.outcomes.services import rebuild_course_outcomes

    course = course_with(
        prescriber, nurse, patient, protocols["iv-racemic"], chair, (18, 15, 12, 9), follow_up=(7,)
    )
    rebuild_course_outcomes()
    return course


def _cases(patient_pk: int | str) -> list[tuple[str, dict[str, int]]]:
    return [
        (f"/outcomes/patient/{patient_pk}/", CLINICAL),
        (f"/api/v1/outcomes/patients/{patient_pk}", CLINICAL),
        (f"/api/v1/outcomes/patients/{patient_pk}/prediction", CLINICAL),
        ("/outcomes/", DASHBOARD),
        ("/api/v1/outcomes/dashboard", DASHBOARD),
        ("/outcomes/export.csv", EXPORT),
    ]


# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run below.
# The progress report's routes are run in `test_progress_report_renders_in_the_background.py`.
PERSONA_ROWS = [Row("GET", url, expected) for url, expected in _cases("{p}")] + REPORT_ROWS


@pytest.mark.parametrize("persona", sorted(CLINICAL))
def test_every_persona_on_every_page_and_endpoint(client, login, personas, world, patient, persona):
    login(client, personas[persona])
    for url, expected in _cases(patient.pk):
        assert client.get(url).status_code == expected[persona], (persona, url)


def test_signed_out_visitors_are_sent_to_sign_in_or_refused(client, world, patient):
    for url, _ in _cases(patient.pk):
        status = client.get(url).status_code
        assert status in (302, 401), url
        if url.startswith("/api/"):
            assert status == 401


def test_clinical_staff_see_the_identified_dashboard_and_researchers_the_deidentified(
    client, login, nurse, researcher, world, patient
):
    login(client, nurse)
    body = client.get("/api/v1/outcomes/dashboard").json()
    assert body["deidentified"] is False and body["patients"][0]["mrn"] == patient.mrn
    page = client.get("/outcomes/").content.decode()
    assert patient.mrn in page and 'id="identified"' in page
    client.logout()
    login(client, researcher)
    body = client.get("/api/v1/outcomes/dashboard").json()
    assert body["deidentified"] is True and body["patients"] == []
    page = client.get("/outcomes/").content.decode()
    assert patient.mrn not in page and patient.family_name not in page
    assert 'id="deidentified"' in page and body["courses"] == "<5"


def test_the_outsider_sees_only_their_own_clinic(client, login, outsider, world):
    login(client, outsider)
    body = client.get("/api/v1/outcomes/dashboard").json()
    assert body["courses"] == "0" and body["patients"] == []


def test_routes_are_in_the_openapi_schema(client, login, nurse):
    login(client, nurse)
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/outcomes/patients/{patient_id}",
        "/api/v1/outcomes/patients/{patient_id}/prediction",
        "/api/v1/outcomes/dashboard",
    ):
        assert path in paths
