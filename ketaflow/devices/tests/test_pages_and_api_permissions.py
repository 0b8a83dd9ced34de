"""Every devices page and API endpoint × every persona: who may, and what the others get.

Nurses and prescribers (CHART_SESSION) see and decide device readings and the holding queue;
clinic admins (MANAGE_DEVICES) set up bindings and mappings. Everyone else: 403. An outsider
(a prescriber in another clinic) finds nothing: 404. Anonymous: sign-in (pages) or 401 (API).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ketaflow.devices.models import DeviceReading, InboundMessage, MessageStatus
from ketaflow.devices.tests import messages as M
from ketaflow.devices.tests.conftest import ingest
from ketaflow.lib.tests.api_client import call
from ketaflow.lib.tests.persona_rows import Row, placeholders
from ketaflow.treatments.tests.conftest import fresh

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "front_desk", "nurse", "prescriber", "clinic_admin", "researcher"]
PERSONAS += ["outsider"]
CHART = {"front_desk": 403, "nurse": 200, "prescriber": 200, "clinic_admin": 403}
CHART |= {"researcher": 403, "outsider": 404}
ADMIN = {"front_desk": 403, "nurse": 403, "prescriber": 403, "clinic_admin": 200}
ADMIN |= {"researcher": 403, "outsider": 403}


@pytest.fixture
def world(clinic: Any, checked_in: Any, binding: Any, personas: dict[str, Any]) -> dict[str, Any]:
    from ketaflow.devices.configuration import add_mapping

    ingest(clinic, M.ge_b40("P-1"), M.ge_b40("P-2", mrn="NOPE-1"))
    mapping = add_mapping(
        personas["clinic_admin"], coding_system="99MNDRY", code="352", vital="rr", unit="/min"
    )
    return {
        "session": checked_in,
        "reading": DeviceReading.objects.get(),
        "held": InboundMessage.objects.get(status=MessageStatus.HELD),
        "binding": binding,
        "mapping": mapping,
        **personas,
    }


def _client(
    client: Client, login: Callable[..., Client], world: dict[str, Any], who: str
) -> Client:
    return client if who == "anonymous" else login(client, world[who])


PAGES: list[tuple[str, str, Callable[[dict[str, Any]], str], dict[str, int], Any]] = [
    # The outsider reaches their own clinic's queue, which is empty (checked below).
    ("get", "queue", lambda w: "/devices/held/", {**CHART, "outsider": 200}, {}),
    ("get", "setup", lambda w: "/devices/setup/", ADMIN, {}),
    (
        "post",
        "reject",
        lambda w: f"/devices/readings/{w['reading'].pk}/reject/",
        {**CHART, "nurse": 302, "prescriber": 302},
        {"reason": "artefact"},
    ),
    (
        "post",
        "dismiss",
        lambda w: f"/devices/held/{w['held'].pk}/dismiss/",
        {**CHART, "nurse": 302, "prescriber": 302},
        {"reason": "test"},
    ),
    (
        "post",
        "unbind",
        lambda w: f"/devices/setup/bindings/{w['binding'].pk}/end/",
        {**ADMIN, "clinic_admin": 302},
        {},
    ),
    (
        "post",
        "assign",
        lambda w: f"/devices/held/{w['held'].pk}/assign/",
        {**CHART, "nurse": 302, "prescriber": 302},
        lambda w: {"session_id": w["session"].pk},
    ),
    # Binding a second location to the chair: admins get through (and a message), others 403.
    (
        "post",
        "bind",
        lambda w: "/devices/setup/bind/",
        {**ADMIN, "clinic_admin": 302},
        lambda w: {"chair": w["binding"].chair_id, "location": "V3"},
    ),
    (
        "post",
        "add mapping",
        lambda w: "/devices/setup/mappings/",
        {**ADMIN, "clinic_admin": 302},
        {"coding_system": "99MNDRY", "code": "353", "vital": "hr", "unit": "/min"},
    ),
    (
        "post",
        "end mapping",
        lambda w: f"/devices/setup/mappings/{w['mapping'].pk}/end/",
        {**ADMIN, "clinic_admin": 302},
        {},
    ),
]
CONFIRM_PAGE = {**CHART, "nurse": 302, "prescriber": 302}


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("page", PAGES, ids=[p[1] for p in PAGES])
def test_pages(client: Client, login: Any, world: dict[str, Any], who: str, page: Any) -> None:
    method, _name, url, expect, data = page
    data = data(world) if callable(data) else data
    response = getattr(_client(client, login, world, who), method)(url(world), data)
    if who == "anonymous":
        assert (response.status_code == 302 and "/login" in response["Location"]) or (
            "accounts" in response["Location"]
        )
        return
    assert response.status_code == expect[who]
    if who == "outsider" and response.status_code == 200:
        assert "NOPE-1" not in response.content.decode()


@pytest.mark.parametrize("who", PERSONAS)
def test_confirm_page_charts_for_nurses_only(
    client: Client, login: Any, world: dict[str, Any], who: str
) -> None:
    data = {"version": fresh(world["session"]).version}
    response = _client(client, login, world, who).post(
        f"/devices/readings/{world['reading'].pk}/confirm/", data
    )
    expect = CONFIRM_PAGE
    if who == "anonymous":
        assert response.status_code == 302
        assert DeviceReading.objects.get().status == "pending"
        return
    assert response.status_code == expect[who]
    confirmed = DeviceReading.objects.get().status == "confirmed"
    assert confirmed == (who in ("nurse", "prescriber"))


def test_session_page_shows_pending_readings_to_nurses(
    client: Client, login: Any, world: dict[str, Any]
) -> None:
    page = login(client, world["nurse"]).get(f"/treatments/{world['session'].pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="device-readings"' in html and "/devices/readings/" in html


def test_queue_page_lists_the_held_message_and_the_setup_page_the_binding(
    client: Client, login: Any, world: dict[str, Any]
) -> None:
    queue = login(client, world["nurse"]).get("/devices/held/").content.decode()
    assert "No patient with MRN NOPE-1" in queue and "Raw message" in queue
    setup = login(Client(), world["clinic_admin"]).get("/devices/setup/").content.decode()
    assert "<code>V2</code>" in setup


API: list[
    tuple[
        str, str, Callable[[dict[str, Any]], str], Callable[[dict[str, Any]], Any], dict[str, int]
    ]
] = [
    (
        "get",
        "readings",
        lambda w: f"/devices/sessions/{w['session'].pk}/readings",
        lambda w: None,
        CHART,
    ),
    (
        "post",
        "confirm",
        lambda w: f"/devices/readings/{w['reading'].pk}/confirm",
        lambda w: {"version": fresh(w["session"]).version},
        {**CHART, "nurse": 201, "prescriber": 201},
    ),
    (
        "post",
        "reject",
        lambda w: f"/devices/readings/{w['reading'].pk}/reject",
        lambda w: {"reason": "artefact"},
        CHART,
    ),
    # The outsider reaches their own clinic's queue, which is empty (checked below).
    ("get", "held", lambda w: "/devices/held", lambda w: None, {**CHART, "outsider": 200}),
    (
        "post",
        "assign",
        lambda w: f"/devices/held/{w['held'].pk}/assign",
        lambda w: {"session_id": w["session"].pk},
        {**CHART, "nurse": 201, "prescriber": 201},
    ),
    (
        "post",
        "dismiss",
        lambda w: f"/devices/held/{w['held'].pk}/dismiss",
        lambda w: {"reason": "test message"},
        CHART,
    ),
]


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("endpoint", API, ids=[e[1] for e in API])
def test_api(client: Client, login: Any, world: dict[str, Any], who: str, endpoint: Any) -> None:
    method, _name, path, body, expect = endpoint
    if who == "anonymous":
        assert call(client, method, path(world), body(world)).status_code == 401
        return
    response = call(login(client, world[who]), method, path(world), body(world))
    assert response.status_code == expect[who], response.content
    if who == "outsider" and method == "get" and path(world) == "/devices/held":
        assert response.json() == []  # their own clinic's queue: empty


def test_api_confirm_then_reading_lists_it_as_confirmed(
    client: Client, login: Any, world: dict[str, Any]
) -> None:
    c = login(client, world["nurse"])
    r = call(c, "post", f"/devices/readings/{world['reading'].pk}/confirm", {"version": 999})
    assert r.status_code == 409
    ok = call(
        c,
        "post",
        f"/devices/readings/{world['reading'].pk}/confirm",
        {"version": fresh(world["session"]).version},
    )
    assert ok.status_code == 201
    rows = call(c, "get", f"/devices/sessions/{world['session'].pk}/readings").json()
    assert rows[0]["status"] == "confirmed" and rows[0]["vitals_reading_id"]
    assert rows[0]["sources"]["hr"]["code"] == "MDC:147842"


# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run above.
_STANDS = placeholders("session", "reading", "held", "binding", "mapping")
PERSONA_ROWS = (
    [Row(m.upper(), url(_STANDS), expect) for m, _n, url, expect, _d in PAGES]
    + [Row("POST", "/devices/readings/{reading}/confirm/", CONFIRM_PAGE)]
    + [Row(m.upper(), f"/api/v1{path(_STANDS)}", expect) for m, _n, path, _b, expect in API]
)
