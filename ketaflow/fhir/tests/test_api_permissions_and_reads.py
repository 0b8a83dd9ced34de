"""The FHIR API: persona × endpoint, cross-clinic 404, OperationOutcome errors, audit."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from ketaflow.audit.models import AccessEvent
from ketaflow.fhir.tests.conftest import all_resources
from ketaflow.lib.tests.persona_rows import PERSONAS, Row, placeholders

pytestmark = pytest.mark.django_db

API = "/api/v1/fhir"
READERS = {"nurse", "prescriber"}


def _endpoints(world: Any) -> list[tuple[str, str]]:
    pid = f"pat-{world.patient.pk}"
    return [
        ("GET", f"{API}/Patient/{pid}/$everything"),
        ("GET", f"{API}/Patient/{pid}"),
        ("GET", f"{API}/Observation/score-{world.responses['gad7'].pk}"),
        ("GET", f"{API}/MedicationAdministration/mai-{world.session.pk}"),
        ("GET", f"{API}/Questionnaire/gad7"),
        ("POST", f"{API}/QuestionnaireResponse"),
    ]


def _expected(persona: str, method: str, path: str) -> int:
    if persona in READERS:
        return 201 if method == "POST" else 200
    if persona == "outsider":
        if method == "POST":
            return 422  # no such MRN in the outsider's clinic
        return 200 if "Questionnaire/gad7" in path else 404  # a Questionnaire holds no patient
    return 403


# What the route census reads (`test_every_route_has_a_persona_row.py`): the calls run below.
_STANDS = placeholders("patient", "gad7", "session")
_WORLD = SimpleNamespace(
    patient=_STANDS["patient"], responses={"gad7": _STANDS["gad7"]}, session=_STANDS["session"]
)
PERSONA_ROWS = [
    Row(method, path, {p: _expected(p, method, path) for p in PERSONAS})
    for method, path in _endpoints(_WORLD)
]


def _valid_qr(world: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://loinc.org/q/69737-5",
        "status": "completed",
        "subject": {"identifier": {"value": world.patient.mrn}},
        "authored": "2026-01-02T10:00:00+00:00",
        "item": [{"linkId": f"item_{n}", "answer": [{"valueInteger": 1}]} for n in range(1, 8)],
    }


def _call(client: Client, method: str, path: str, world: Any) -> Any:
    if method == "POST":
        return client.post(path, json.dumps(_valid_qr(world)), content_type="application/fhir+json")
    return client.get(path)


@pytest.mark.parametrize(
    "persona", ["front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider"]
)
def test_persona_by_endpoint(
    persona: str, personas: dict[str, Any], world: Any, client: Client, login: Any
) -> None:
    login(client, personas[persona])
    for method, path in _endpoints(world):
        response = _call(client, method, path, world)
        assert response.status_code == _expected(persona, method, path), (persona, path)
        assert response["Content-Type"] == "application/fhir+json", path
        body = response.json()
        if persona in READERS:
            assert response.status_code == (201 if method == "POST" else 200), (path, body)
            assert body["resourceType"] != "OperationOutcome"
        elif persona == "outsider" and "Questionnaire/gad7" not in path and method == "GET":
            assert response.status_code == 404, path  # another clinic's record is not found
            assert body["resourceType"] == "OperationOutcome"
            assert body["issue"][0]["code"] == "not-found"
        elif persona == "outsider" and method == "POST":
            assert response.status_code == 422, path  # no such MRN in the outsider's clinic
            assert body["issue"][0]["code"] == "not-found"
        elif persona == "outsider":
            assert response.status_code == 200, path  # the Questionnaire holds no patient data
        else:
            assert response.status_code == 403, (persona, path)
            assert body["resourceType"] == "OperationOutcome"
            assert body["issue"][0]["code"] == "forbidden"


def test_anonymous_callers_are_refused(world: Any, client: Client) -> None:
    for method, path in _endpoints(world):
        assert _call(client, method, path, world).status_code == 401


def test_a_bearer_token_reads_too(world: Any, client: Client, nurse: Any) -> None:
    from ketaflow.accounts.models import ApiToken

    _, raw = ApiToken.issue(nurse, "fhir test")
    response = client.get(
        f"{API}/Patient/pat-{world.patient.pk}/$everything",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 200
    assert response.json()["type"] == "searchset"


def test_everything_returns_each_resource_and_each_reads_back_the_same(
    world: Any, client: Client, login: Any, nurse: Any
) -> None:
    login(client, nurse)
    bundle = client.get(f"{API}/Patient/pat-{world.patient.pk}/$everything").json()
    assert bundle["resourceType"] == "Bundle" and bundle["total"] == len(bundle["entry"])
    expected = {(r["resourceType"], r["id"]) for r in all_resources(world)}
    assert {
        (e["resource"]["resourceType"], e["resource"]["id"]) for e in bundle["entry"]
    } == expected
    for entry in bundle["entry"]:
        resource = entry["resource"]
        read = client.get(f"{API}/{resource['resourceType']}/{resource['id']}")
        assert read.status_code == 200, resource["id"]
        assert read.json() == resource


def test_reads_and_everything_are_audited_per_patient(
    world: Any, client: Client, login: Any, nurse: Any
) -> None:
    login(client, nurse)
    before = AccessEvent.objects.count()
    client.get(f"{API}/Patient/pat-{world.patient.pk}/$everything")
    client.get(f"{API}/Observation/score-{world.responses['gad7'].pk}")
    events = list(AccessEvent.objects.order_by("pk"))[before:]
    exported = [e for e in events if e.action == "export"]
    viewed = [e for e in events if e.action == "view" and e.detail.get("part") == "fhir"]
    assert len(exported) == 1 and exported[0].patient_id == world.patient.pk
    assert exported[0].channel == "api" and exported[0].actor_id == nurse.pk
    assert exported[0].detail["operation"] == "$everything"
    assert len(viewed) == 1 and viewed[0].patient_id == world.patient.pk
    assert viewed[0].detail["resource"] == f"Observation/score-{world.responses['gad7'].pk}"


@pytest.mark.parametrize(
    "path",
    [
        "/Patient/pat-999999",
        "/Patient/999999",
        "/Patient/dx-1",
        "/Observation/pat-1",
        "/Observation/vs-999999-bp",
        "/Questionnaire/nope",
        "/Device/pat-1",
        "/Patient/pat-999999/$everything",
    ],
)
def test_unknown_ids_are_not_found(
    path: str, world: Any, client: Client, login: Any, nurse: Any
) -> None:
    login(client, nurse)
    response = client.get(API + path)
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


def test_another_clinics_patient_is_not_found_even_by_a_reader(
    outsider_patient: Any, client: Client, login: Any, nurse: Any
) -> None:
    login(client, nurse)
    response = client.get(f"{API}/Patient/pat-{outsider_patient.pk}/$everything")
    assert response.status_code == 404
    assert not AccessEvent.objects.filter(patient=outsider_patient, action="export").exists()
