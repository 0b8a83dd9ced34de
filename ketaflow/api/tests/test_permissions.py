"""Every API endpoint × every persona: what each role may do, nothing more.

Front desk: demographics, never the chart. Nurse: the chart except diagnoses. Prescriber:
the whole chart. Clinic admin: demographics, users and the audit log, not the chart.
Researcher: nothing that identifies a patient. Outsider (a prescriber in another clinic):
our patients do not exist. Anonymous: 401 everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from ketaflow.api import api
from ketaflow.lib.tests.api_client import (
    VALID_AMENDMENT,
    VALID_ENTRY,
    VALID_PATIENT,
    call,
    make_world,
)
from ketaflow.lib.tests.persona_rows import Row
from ketaflow.patients.entries import ENTRY_KINDS

PERSONAS = ["anonymous", "front_desk", "nurse", "prescriber", "clinic_admin", "researcher"]
PERSONAS += ["outsider"]

EVERYONE = dict.fromkeys(PERSONAS[1:], 200)
ADMIN_ONLY = {**dict.fromkeys(PERSONAS[1:], 403), "clinic_admin": 200}
DEMOGRAPHICS = {**EVERYONE, "researcher": 403, "outsider": 404}
CHART_READ = {
    "front_desk": 403,
    "nurse": 200,
    "prescriber": 200,
    "clinic_admin": 403,
    "researcher": 403,
    "outsider": 404,
}


def chart_write(slug: str, ok: int) -> dict[str, int]:
    diagnoses = slug == "diagnoses"
    return {**CHART_READ, "nurse": 403 if diagnoses else ok, "prescriber": ok}


def created(expect: dict[str, int]) -> dict[str, int]:
    return {p: 201 if s == 200 else s for p, s in expect.items()}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # as in the OpenAPI document; {patient_id}, {entry_id}… are filled in
    expect: dict[str, int]
    body: Any = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


NEW_USER = {"username": "new.nurse", "password": "a long enough passphrase 12", "role": "nurse"}

ENDPOINTS = [
    Endpoint("GET", "/accounts/me", EVERYONE),
    Endpoint("GET", "/accounts/tokens", EVERYONE),
    Endpoint("POST", "/accounts/tokens", created(EVERYONE), {"name": "script"}),
    Endpoint("POST", "/accounts/tokens/{token_id}/revoke", EVERYONE),
    Endpoint("GET", "/accounts/users", ADMIN_ONLY),
    Endpoint("POST", "/accounts/users", created(ADMIN_ONLY), NEW_USER),
    Endpoint("POST", "/accounts/users/{user_id}/active", ADMIN_ONLY, {"active": True}),
    Endpoint("GET", "/patients", {**EVERYONE, "researcher": 403}),
    Endpoint("POST", "/patients", created({**EVERYONE, "researcher": 403}), VALID_PATIENT),
    Endpoint("GET", "/patients/{patient_id}", DEMOGRAPHICS),
    Endpoint("PATCH", "/patients/{patient_id}", DEMOGRAPHICS, {"phone": "1", "reason": "new"}),
    Endpoint("GET", "/patients/{patient_id}/chart", CHART_READ),
    Endpoint("GET", "/audit/events", ADMIN_ONLY),
    Endpoint("GET", "/audit/patients/{patient_id}/access-log", ADMIN_ONLY),
]
for _slug in ENTRY_KINDS:
    _base = f"/patients/{{patient_id}}/{_slug}"
    _entry = f"{_base}/{{entry_id}}"
    ENDPOINTS += [
        Endpoint("GET", _base, CHART_READ),
        Endpoint("POST", _base, chart_write(_slug, 201), VALID_ENTRY[_slug]),
        Endpoint("PATCH", _entry, chart_write(_slug, 200), VALID_AMENDMENT[_slug]),
        Endpoint("POST", f"{_entry}/entered-in-error", chart_write(_slug, 200), {"reason": "x"}),
        Endpoint("GET", f"{_entry}/history", CHART_READ),
    ]

# Not in the OpenAPI document: a chart kind that does not exist answers 404 whoever asks (a
# signed-in caller), rather than a method-not-allowed from a neighbouring route.
NO_SUCH_KIND = dict.fromkeys(PERSONAS[1:], 404)
UNDOCUMENTED = [
    Endpoint("GET", "/patients/{patient_id}/nonsense", NO_SUCH_KIND),
    Endpoint("POST", "/patients/{patient_id}/nonsense", NO_SUCH_KIND, {}),
    Endpoint("PATCH", "/patients/{patient_id}/nonsense/1", NO_SUCH_KIND, {}),
    Endpoint("GET", "/patients/{patient_id}/nonsense/1/history", NO_SUCH_KIND),
    Endpoint("POST", "/patients/{patient_id}/nonsense/1/entered-in-error", NO_SUCH_KIND, {}),
]

# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run below.
PERSONA_ROWS = [Row(e.method, f"/api/v1{e.path}", e.expect) for e in ENDPOINTS + UNDOCUMENTED]


# The foundation's routers; each later app keeps its own permission matrix beside its code.
FOUNDATION_PREFIXES = ("/accounts/", "/patients", "/audit/")


def test_the_table_covers_every_endpoint_of_the_foundation_api():
    documented = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in api.get_openapi_schema()["paths"].items()
        for method in operations
        if path.removeprefix("/api/v1").startswith(FOUNDATION_PREFIXES)
    }
    assert documented == {(e.method, e.path) for e in ENDPOINTS}


def test_the_table_gives_every_persona_an_expectation():
    for endpoint in ENDPOINTS + UNDOCUMENTED:
        assert set(endpoint.expect) == set(PERSONAS[1:]), endpoint


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS + UNDOCUMENTED, ids=str)
def test_each_persona_gets_exactly_what_their_role_allows(
    client, login, personas, patient, persona, endpoint
):
    from ketaflow.accounts.services import issue_api_token

    world = make_world(patient, personas["prescriber"])
    user = personas.get(persona)
    token_owner = user or personas["nurse"]
    token, _raw = issue_api_token(token_owner, "existing")
    path = endpoint.path.format(
        patient_id=world.patient.pk,
        entry_id=world.entries[endpoint.path.split("/")[3]].pk
        if "{entry_id}" in endpoint.path
        else 0,
        token_id=token.pk,
        user_id=personas["nurse"].pk,
    )
    if user is not None:
        login(client, user)
    response = call(client, endpoint.method, path, endpoint.body)
    expected = 401 if user is None else endpoint.expect[persona]
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response.json()["detail"][0]["msg"]


def test_an_outsider_searching_sees_none_of_our_patients(client, login, outsider, patient):
    login(client, outsider)
    assert call(client, "GET", "/patients").json()["items"] == []
    assert call(client, "GET", "/patients?q=Doe").json()["items"] == []
