"""Every staff page of the portal, for every persona: who may see and who may act."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketaflow.lib.tests.persona_rows import Row, placeholders
from ketaflow.portal.models import PortalLink, ScheduleRule
from ketaflow.portal.tests.conftest import answers, path
from ketaflow.questionnaires.models import RiskAlert

pytestmark = pytest.mark.django_db

READERS = {"nurse", "prescriber"}  # VIEW_CLINICAL
SENDERS = {"nurse", "prescriber"}  # SEND_QUESTIONNAIRES


@pytest.fixture
def world(issue: Any, patient: Any, nurse: Any) -> dict[str, Any]:
    from ketaflow.portal.services import add_rule

    issued = issue(patient)
    Client().post(path(issued, "form", "phq9"), answers([1] * 9))
    rule = add_rule(
        nurse,
        scope="clinic",
        instrument="gad7",
        phase="induction",
        offsets_days=[1],
        window_days=2,
        reason="x",
    )
    return {"patient": patient, "alert": RiskAlert.objects.get(), "link": issued.link, "rule": rule}


def _get_pages(w: dict[str, Any]) -> dict[str, set[str]]:
    return {
        "/p/staff/": READERS,
        "/p/staff/alerts/": READERS,
        f"/p/staff/alerts/{w['alert'].pk}/": READERS,
        f"/p/staff/patients/{w['patient'].pk}/links/": SENDERS,
        "/p/staff/rules/": SENDERS,
        "/p/staff/crisis/": SENDERS,
    }


PERSONAS = ["front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider"]


def _expected(persona: str, allowed: set[str], own_object: bool, ok: int) -> int:
    """Allowed roles get `ok`; the outsider (a prescriber elsewhere) gets 404 for our records."""
    if persona == "outsider":
        return 404 if own_object else ok
    return ok if persona in allowed else 403


def _writes(w: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool, int]]:
    """(url, form data, about one of our records, success status)."""
    return [
        (f"/p/staff/patients/{w['patient'].pk}/links/", {"expires_in_days": 7}, True, 200),
        (f"/p/staff/alerts/{w['alert'].pk}/", {"action_note": "called"}, True, 302),
        (f"/p/staff/links/{w['link'].pk}/revoke/", {}, True, 302),
        (f"/p/staff/rules/{w['rule'].pk}/retire/", {"reason": "r"}, True, 302),
        ("/p/staff/crisis/", {"emergency": "Call 999", "crisis_line": "x"}, False, 302),
    ]


# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows the two
# tests below run, with the statuses they expect.
_STANDS = placeholders("patient", "alert", "link", "rule")
PERSONA_ROWS = [
    Row("GET", url, {p: _expected(p, allowed, url.count("/") > 4, 200) for p in PERSONAS})
    for url, allowed in _get_pages(_STANDS).items()
] + [
    Row("POST", url, {p: _expected(p, SENDERS, ours, ok) for p in PERSONAS}, data)
    for url, data, ours, ok in _writes(_STANDS)
]


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_by_persona(
    persona: str, personas: dict[str, Any], world: dict[str, Any], client: Client, login: Any
) -> None:
    login(client, personas[persona])
    for url, allowed in _get_pages(world).items():
        own_object = url.count("/") > 4  # an alert or a patient of Riverside
        status = client.get(url).status_code
        assert status == _expected(persona, allowed, own_object, 200), (persona, url, status)


@pytest.mark.parametrize("persona", PERSONAS)
def test_writes_by_persona(
    persona: str, personas: dict[str, Any], world: dict[str, Any], client: Client, login: Any
) -> None:
    login(client, personas[persona])
    w = world
    may = persona in SENDERS
    for url, data, own_object, ok in _writes(w):
        status = client.post(url, data).status_code
        assert status == _expected(persona, SENDERS, own_object, ok), (persona, url, status)
    assert PortalLink.objects.count() == (2 if may else 1)
    assert RiskAlert.objects.get().is_open is not may
    assert (ScheduleRule.objects.get().retired_at is not None) is may


def test_anonymous_is_sent_to_sign_in(world: dict[str, Any], client: Client) -> None:
    for url in _get_pages(world):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_issuing_a_link_shows_it_once(
    world: dict[str, Any], nurse: Any, client: Client, login: Any
) -> None:
    login(client, nurse)
    url = f"/p/staff/patients/{world['patient'].pk}/links/"
    page = client.post(url, {"expires_in_days": 3, "instruments": ["gad7"]}).content.decode()
    assert 'id="new-link"' in page and "/p/q/" in page
    again = client.get(url).content.decode()
    assert 'id="new-link"' not in again


def test_adding_a_rule_through_the_page(nurse: Any, client: Client, login: Any) -> None:
    login(client, nurse)
    bad = client.post(
        "/p/staff/rules/",
        {
            "scope": "clinic",
            "instrument": "gad7",
            "phase": "induction",
            "offsets_days": "0",
            "window_days": 2,
            "reason": "x",
        },
    )
    assert bad.status_code == 200 and "days after the session must be" in bad.content.decode()
    good = client.post(
        "/p/staff/rules/",
        {
            "scope": "clinic",
            "instrument": "gad7",
            "phase": "maintenance",
            "offsets_days": "7",
            "repeat_every_days": 14,
            "window_days": 4,
            "reason": "fortnightly",
        },
    )
    assert good.status_code == 302
    rule = ScheduleRule.objects.get()
    assert (rule.offsets_days, rule.repeat_every_days) == ([7], 14)
