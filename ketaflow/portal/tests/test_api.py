"""The portal API (/api/v1/portal): persona x endpoint permissions, and the same services."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from ketaflow.lib.tests.persona_rows import Row, placeholders
from ketaflow.portal.models import PortalLink
from ketaflow.portal.tests.conftest import answers, path
from ketaflow.questionnaires.models import RiskAlert

pytestmark = pytest.mark.django_db

API = "/api/v1/portal"
PERSONAS = ["front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider"]
CLINICAL = {"nurse", "prescriber"}


@pytest.fixture
def world(issue: Any, patient: Any, course: Any, give_session: Any, today: Any) -> dict[str, Any]:
    give_session(course, today - timedelta(days=1))
    issued = issue(patient)
    Client().post(path(issued, "form", "phq9"), answers([1] * 9))
    return {"patient": patient, "link": issued.link, "alert": RiskAlert.objects.get()}


def _post(client: Client, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def _calls(w: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None, bool, int]]:
    """(method, url, body, about one of our records, success status)."""
    pid, lid, aid = w["patient"].pk, w["link"].pk, w["alert"].pk
    return [
        ("get", f"{API}/due", None, False, 200),
        ("get", f"{API}/alerts", None, False, 200),
        ("get", f"{API}/patients/{pid}/links", None, True, 200),
        ("post", f"{API}/patients/{pid}/links", {"instruments": ["gad7"]}, True, 201),
        ("post", f"{API}/links/{lid}/revoke", {}, True, 200),
        ("post", f"{API}/alerts/{aid}/acknowledge", {"action_note": "Phoned"}, True, 200),
    ]


def _expected(persona: str, ours: bool, ok: int) -> int:
    if persona == "outsider":
        return 404 if ours else ok
    return ok if persona in CLINICAL else 403


# What the route census reads (`test_every_route_has_a_persona_row.py`): the calls run below.
PERSONA_ROWS = [
    Row(method.upper(), url, {p: _expected(p, ours, ok) for p in PERSONAS}, body)
    for method, url, body, ours, ok in _calls(placeholders("patient", "link", "alert"))
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_endpoint_for_every_persona(
    persona: str, personas: dict[str, Any], world: dict[str, Any], client: Client, login: Any
) -> None:
    login(client, personas[persona])
    for method, url, body, ours, ok in _calls(world):
        response = client.get(url) if method == "get" else _post(client, url, body or {})
        expected = _expected(persona, ours, ok)
        assert response.status_code == expected, (persona, method, url, response.content)


def test_anonymous_gets_401(world: dict[str, Any], client: Client) -> None:
    for method, url, body, _ours, _ok in _calls(world):
        response = client.get(url) if method == "get" else _post(client, url, body or {})
        assert response.status_code == 401


def test_the_api_does_what_the_pages_do(
    world: dict[str, Any], nurse: Any, client: Client, login: Any
) -> None:
    login(client, nurse)
    due = client.get(f"{API}/due").json()
    assert [(d["instrument"], d["status"]) for d in due] == [("gad7", "due")]
    issued = _post(client, f"{API}/patients/{world['patient'].pk}/links", {"expires_in_days": 2})
    body = issued.json()
    assert issued.status_code == 201
    assert body["url"].endswith(f"/p/q/{body['token']}/")
    assert PortalLink.objects.get(pk=body["id"]).digest == PortalLink.hash(body["token"])
    alerts = client.get(f"{API}/alerts?open_only=true").json()
    assert [a["flag_code"] for a in alerts] == ["phq9_item9_positive"]
    empty = _post(client, f"{API}/alerts/{alerts[0]['id']}/acknowledge", {"action_note": ""})
    assert empty.status_code == 422
    done = _post(client, f"{API}/alerts/{alerts[0]['id']}/acknowledge", {"action_note": "Phoned"})
    assert done.json()["acknowledged_by"] == nurse.display_name
    assert client.get(f"{API}/alerts?open_only=true").json() == []


def test_licensed_scales_are_refused_by_the_api(
    world: dict[str, Any], nurse: Any, client: Client, login: Any
) -> None:
    login(client, nurse)
    response = _post(
        client, f"{API}/patients/{world['patient'].pk}/links", {"instruments": ["cssrs"]}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "instruments"]
