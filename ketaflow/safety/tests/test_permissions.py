"""Every safety page and endpoint: who may see it, who may write, and other clinics' 404s."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.lib.tests.persona_rows import PERSONAS, Row, expect, request
from ketaflow.safety import services
from ketaflow.safety.tests.conftest import NO_SYMPTOMS

READERS = ["nurse", "prescriber"]
NON_CLINICAL = ["front_desk", "clinic_admin", "researcher"]

CLINICAL = expect(403, 200, 200, 403, 403, 404)
PAGES = [
    "/safety/",
    "/safety/patients/{p}/",
    "/safety/patients/{p}/labs/new",
    "/safety/patients/{p}/luts/new",
    "/safety/patients/{p}/reviews/new",
    "/safety/records/luts/{screen}/amend",
    "/safety/records/luts/{screen}/error",
]

# What the route census reads (`test_every_route_has_a_persona_row.py`): the pages are run by
# the tests per group of personas below, the API rows by `test_each_persona_on_each_api_row`.
API_ROWS = [
    Row("GET", "/api/v1/safety/due", {**CLINICAL, "outsider": 200}),
    Row("GET", "/api/v1/safety/patients/{p}", CLINICAL),
    Row(
        "POST",
        "/api/v1/safety/patients/{p}/labs",
        expect(403, 201, 201, 403, 403, 404),
        lambda ids: {
            "collected_on": ids["today"],
            "values": [{"analyte": "alt", "value": 130, "unit": "U/L", "ref_high": 40}],
        },
    ),
    Row(
        "POST",
        "/api/v1/safety/patients/{p}/luts",
        expect(403, 201, 201, 403, 403, 404),
        lambda ids: {"screened_on": ids["today"], **NO_SYMPTOMS},
    ),
    Row(
        "POST",
        "/api/v1/safety/patients/{p}/reviews",
        expect(403, 201, 201, 403, 403, 404),
        lambda ids: {"kind": "cognition", "reviewed_on": ids["today"], "outcome": "no_concern"},
    ),
    Row(
        "POST",
        "/api/v1/safety/records/luts/{screen}/entered-in-error",
        CLINICAL,
        {"reason": "duplicate"},
    ),
]
PERSONA_ROWS = [
    Row("GET", url, {**CLINICAL, "outsider": 200} if url == "/safety/" else CLINICAL)
    for url in PAGES
] + API_ROWS


def _pages(patient: Any, screen: Any) -> list[str]:
    return [url.format(p=patient.pk, screen=screen.pk) for url in PAGES]


@pytest.fixture
def screen(nurse: Any, patient: Any, today: Any, course: Any) -> Any:
    return services.record_luts_screen(nurse, patient, screened_on=today, answers=NO_SYMPTOMS)


@pytest.mark.parametrize("who", READERS)
def test_clinical_staff_see_every_page(
    request: pytest.FixtureRequest, login: Any, patient: Any, screen: Any, who: str
) -> None:
    client = login(Client(), request.getfixturevalue(who))
    for url in _pages(patient, screen):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", NON_CLINICAL)
def test_non_clinical_roles_are_refused_every_page(
    request: pytest.FixtureRequest, login: Any, patient: Any, screen: Any, who: str
) -> None:
    client = login(Client(), request.getfixturevalue(who))
    for url in _pages(patient, screen):
        assert client.get(url).status_code == 403, url


def test_signed_out_visitors_are_sent_to_sign_in(patient: Any, screen: Any) -> None:
    for url in _pages(patient, screen):
        assert client_get(url) == 302


def client_get(url: str) -> int:
    return int(Client().get(url).status_code)


def test_another_clinics_patient_and_records_are_not_found(
    login: Any, outsider: Any, patient: Any, screen: Any
) -> None:
    client = login(Client(), outsider)
    for url in _pages(patient, screen)[1:]:
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("safety:due")).status_code == 200


def test_the_panel_page_shows_the_due_list_and_a_chart(
    login: Any, nurse: Any, patient: Any, course: Any, today: Any
) -> None:
    from ketaflow.safety.tests.conftest import full_panel

    services.record_lab_panel(nurse, patient, collected_on=today, values=full_panel(alt=200))
    body = login(Client(), nurse).get(reverse("safety:patient", args=[patient.pk])).content.decode()
    assert "Liver function tests" in body and "<svg" in body and "Marked" in body
    assert "needs local sign-off" in body


def test_a_nurse_records_a_screen_through_the_page(
    login: Any, nurse: Any, patient: Any, course: Any, today: Any
) -> None:
    client = login(Client(), nurse)
    response = client.post(
        reverse("safety:add_luts", args=[patient.pk]),
        {"screened_on": today.isoformat(), "haematuria": "on"},
    )
    assert response.status_code == 302
    body = client.get(reverse("safety:patient", args=[patient.pk])).content.decode()
    assert "Positive" in body and "urology" in body


def test_a_page_amendment_needs_a_reason(
    login: Any, nurse: Any, patient: Any, screen: Any, today: Any
) -> None:
    client = login(Client(), nurse)
    url = reverse("safety:amend", args=["luts", screen.pk])
    data = {"screened_on": today.isoformat(), "urgency": "on", "notes": ""}
    assert client.post(url, data).status_code == 200  # no reason: the form again
    assert client.post(url, {**data, "reason": "Patient corrected answer"}).status_code == 302
    screen.refresh_from_db()
    assert screen.urgency


# ---------------------------------------------------------------------------- API


def _api(client: Client, method: str, path: str, body: Any = None) -> Any:
    url = f"/api/v1/safety{path}"
    if method == "get":
        return client.get(url)
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("who", READERS)
def test_clinical_staff_use_the_api(
    request: pytest.FixtureRequest, login: Any, patient: Any, course: Any, today: Any, who: str
) -> None:
    client = login(Client(), request.getfixturevalue(who))
    assert _api(client, "get", "/due").status_code == 200
    assert _api(client, "get", f"/patients/{patient.pk}").status_code == 200
    labs = {
        "collected_on": today.isoformat(),
        "values": [{"analyte": "alt", "value": 130, "unit": "U/L", "ref_high": 40}],
    }
    response = _api(client, "post", f"/patients/{patient.pk}/labs", labs)
    assert response.status_code == 201
    assert response.json()[0]["flag"] == "marked"
    luts = {"screened_on": today.isoformat(), **NO_SYMPTOMS}
    created = _api(client, "post", f"/patients/{patient.pk}/luts", luts)
    assert created.status_code == 201
    review = {"kind": "cognition", "reviewed_on": today.isoformat(), "outcome": "no_concern"}
    assert _api(client, "post", f"/patients/{patient.pk}/reviews", review).status_code == 201
    withdrawn = _api(
        client, "post", f"/records/luts/{created.json()['id']}/entered-in-error", {"reason": "dup"}
    )
    assert withdrawn.status_code == 200


@pytest.mark.parametrize("who", NON_CLINICAL)
def test_non_clinical_roles_are_refused_by_the_api(
    request: pytest.FixtureRequest, login: Any, patient: Any, today: Any, who: str
) -> None:
    client = login(Client(), request.getfixturevalue(who))
    assert _api(client, "get", "/due").status_code == 403
    assert _api(client, "get", f"/patients/{patient.pk}").status_code == 403
    luts = {"screened_on": today.isoformat(), **NO_SYMPTOMS}
    assert _api(client, "post", f"/patients/{patient.pk}/luts", luts).status_code == 403


def test_the_api_hides_another_clinics_patient(
    login: Any, outsider: Any, patient: Any, today: Any
) -> None:
    client = login(Client(), outsider)
    assert _api(client, "get", f"/patients/{patient.pk}").status_code == 404
    luts = {"screened_on": today.isoformat(), **NO_SYMPTOMS}
    assert _api(client, "post", f"/patients/{patient.pk}/luts", luts).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", API_ROWS, ids=str)
def test_each_persona_on_each_api_row(
    login: Any, personas: dict, patient: Any, screen: Any, today: Any, row: Row, persona: str
) -> None:
    client = login(Client(), personas[persona])
    ids = {"p": patient.pk, "screen": screen.pk, "today": today.isoformat()}
    response = request(client, row, ids)
    assert response.status_code == row.expect[persona], response.content


def test_the_api_rejects_bad_input_with_422(
    login: Any, nurse: Any, patient: Any, today: Any
) -> None:
    client = login(Client(), nurse)
    bad = {"screened_on": today.isoformat(), "frequency": True}
    assert _api(client, "post", f"/patients/{patient.pk}/luts", bad).status_code == 422
    labs = {
        "collected_on": today.isoformat(),
        "values": [{"analyte": "alt", "value": 10, "unit": "mg/dL", "ref_high": 40}],
    }
    assert _api(client, "post", f"/patients/{patient.pk}/labs", labs).status_code == 422
