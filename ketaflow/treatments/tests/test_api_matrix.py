"""Every treatments API endpoint × every persona: what each role may do, nothing more.

Nurses chart (check-in, checklist, proposing an order, administration, corrections, vitals,
scales, side effects, rescue, the controlled-substance log, notes, discharge, amendments)
but may not confirm an order, acknowledge a rescue medication or sign (403). Prescribers may
do everything. Front desk, clinic admin and researcher never reach a session (403; the check-in
service needs the charting capability, so front desk cannot check a patient in here either).
An outsider (a prescriber in another clinic) finds nothing: 404. Anonymous: 401.

Each row runs against a session at the stage the endpoint needs, so an allowed persona gets
the real success status, not an input error that happens to come after the permission check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketaflow.api import api
from ketaflow.lib.tests.api_client import call
from ketaflow.lib.tests.persona_rows import Row
from ketaflow.treatments.tests.conftest import ago, complete_checklist, fresh, run_infusion

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "front_desk", "nurse", "prescriber", "clinic_admin", "researcher"]
PERSONAS += ["outsider"]

CHARTING = {
    "front_desk": 403,
    "nurse": 200,
    "prescriber": 200,
    "clinic_admin": 403,
    "researcher": 403,
    "outsider": 404,
}
PRESCRIBER_ONLY = {**CHARTING, "nurse": 403}


def created(expect: dict[str, int]) -> dict[str, int]:
    return {p: 201 if s == 200 else s for p, s in expect.items()}


World = dict[str, Any]
Body = Callable[[World], dict[str, Any]] | None


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # as in the OpenAPI document, under /treatments
    stage: str  # the session stage the call needs (see `build`)
    expect: dict[str, int]
    body: Body = field(default=None, compare=False)
    note: str = ""

    def __str__(self) -> str:
        return f"{self.method} {self.path}{' ' + self.note if self.note else ''}"


def v(w: World, **extra: Any) -> dict[str, Any]:
    """A body with the session's current version."""
    return {"version": fresh(w["session"]).version, **extra}


S = "/treatments/{session_id}"
ENDPOINTS = [
    Endpoint("POST", "/treatments/check-in/{appointment_id}", "booked", created(CHARTING)),
    Endpoint("GET", S, "ready", CHARTING),
    Endpoint("POST", f"{S}/checklist", "ready", CHARTING, lambda w: v(w, escort_name="Sam")),
    Endpoint(
        "POST",
        f"{S}/order",
        "ready",
        CHARTING,
        lambda w: v(w, mg_per_kg=0.5, concentration_mg_per_ml=1.0),
        "(propose)",
    ),
    Endpoint(
        "POST",
        f"{S}/order",
        "ready",
        PRESCRIBER_ONLY,
        lambda w: v(w, mg_per_kg=0.5, concentration_mg_per_ml=1.0, confirm=True),
        "(enter and confirm)",
    ),
    Endpoint("POST", f"{S}/order/confirm", "proposed", PRESCRIBER_ONLY, v),
    Endpoint(
        "POST",
        f"{S}/substance-decision",
        "substances_yes",
        PRESCRIBER_ONLY,
        lambda w: v(w, decision="proceed", reason="One glass of wine last night; sober."),
    ),
    Endpoint(
        "POST", f"{S}/events", "ordered", CHARTING, lambda w: v(w, kind="start", rate_ml_per_h=52.5)
    ),
    Endpoint(
        "POST",
        f"{S}/events/{{event_id}}/entered-in-error",
        "infusing",
        CHARTING,
        lambda w: v(w, reason="keyed on the wrong patient's pump"),
    ),
    Endpoint("POST", f"{S}/dosing-complete", "esketamine_dosing", CHARTING, v),
    Endpoint(
        "POST",
        f"{S}/vitals",
        "ready",
        CHARTING,
        lambda w: v(w, sbp=120, dbp=80, hr=70, spo2=98, rr=14),
    ),
    Endpoint(
        "POST",
        f"{S}/alerts/ack",
        "alerting",
        CHARTING,
        lambda w: v(w, reading_id=w["reading_id"], code=w["alert_code"], note="rechecked"),
    ),
    Endpoint(
        "POST", f"{S}/scales", "ready", CHARTING, lambda w: v(w, instrument="moaas", answers=[5])
    ),
    Endpoint(
        "POST",
        f"{S}/side-effects",
        "ready",
        CHARTING,
        lambda w: v(w, kind="nausea", severity="mild"),
    ),
    Endpoint(
        "POST",
        f"{S}/side-effects/resolve",
        "side_effect",
        CHARTING,
        lambda w: v(w, effect_id=w["effect_id"]),
    ),
    Endpoint(
        "POST",
        f"{S}/rescue",
        "ready",
        CHARTING,
        lambda w: v(w, drug="ondansetron", dose="4 mg", route="IV"),
    ),
    Endpoint(
        "POST",
        f"{S}/rescue/ack",
        "rescue",
        PRESCRIBER_ONLY,
        lambda w: v(w, rescue_id=w["rescue_id"]),
    ),
    Endpoint(
        "POST",
        f"{S}/controlled-substance",
        "observing",
        CHARTING,
        lambda w: v(w, lot="L1", drawn_mg=35, wasted_mg=0, witness_id=w["witness_id"]),
    ),
    Endpoint("POST", f"{S}/notes", "ready", CHARTING, lambda w: v(w, text="calm")),
    Endpoint("POST", f"{S}/discharge", "observing", CHARTING, lambda w: v(w, aldrete_score=10)),
    Endpoint("GET", f"{S}/signing-summary", "discharged", CHARTING),
    Endpoint("POST", f"{S}/sign", "discharged", PRESCRIBER_ONLY, v),
    Endpoint(
        "POST",
        f"{S}/amend",
        "signed",
        CHARTING,
        lambda w: v(w, text="BP at 10:40 was 128/80", reason="transcription"),
    ),
    # The REMS-style record: the same scoped reads and write as the REMS pages. The forms-due
    # list is the actor's own clinic's, so an outsider gets their (empty) list.
    Endpoint("GET", "/treatments/rems/due", "booked", {**CHARTING, "outsider": 200}),
    Endpoint("GET", f"{S}/rems", "esketamine_dosing", CHARTING),
    Endpoint("GET", f"{S}/rems.pdf", "esketamine_dosing", CHARTING),
    Endpoint(
        "POST",
        f"{S}/rems/submitted",
        "esketamine_signed",
        created(CHARTING),
        lambda w: {"reference": "REMS-123"},
    ),
]

# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run below.
PERSONA_ROWS = [Row(e.method, f"/api/v1{e.path}", e.expect) for e in ENDPOINTS]


def test_the_table_covers_every_endpoint_of_the_treatments_api() -> None:
    documented = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in api.get_openapi_schema()["paths"].items()
        for method in operations
        if path.removeprefix("/api/v1").startswith("/treatments")
    }
    assert documented == {(e.method, e.path) for e in ENDPOINTS}


def test_the_table_gives_every_persona_an_expectation() -> None:
    for endpoint in ENDPOINTS:
        assert set(endpoint.expect) == set(PERSONAS[1:]), endpoint


# ---------------------------------------------------------------------------- the world


def _appointment(course: Any, chair: Any, prescriber: Any) -> Any:
    from ketaflow.courses.models import Appointment

    start = timezone.now() - timedelta(hours=3)
    return Appointment.objects.create(
        course=course,
        chair=chair,
        starts_at=start,
        ends_at=start + timedelta(minutes=130),
        session_number=1,
        phase="induction",
        created_by=prescriber,
    )


def build(
    stage: str, nurse: Any, prescriber: Any, patient: Any, protocols: Any, chair: Any
) -> World:
    """Our clinic's session at `stage`, made through the real services."""
    from ketaflow.courses.services import start_course
    from ketaflow.treatments import services
    from ketaflow.treatments.tests.conftest import make_discharge_ready

    protocol = protocols["esketamine-label" if stage.startswith("esketamine") else "iv-racemic"]
    course = start_course(prescriber, patient, protocol, started_on=timezone.localdate())
    appointment = _appointment(course, chair, prescriber)
    w: World = {"appointment_id": appointment.pk, "event_id": 0}
    if stage == "booked":
        return w
    if stage == "esketamine_signed":
        from ketaflow.treatments.tests.test_rems_world import esketamine_session

        session = esketamine_session(nurse, prescriber, services.check_in(nurse, appointment))
        return {**w, "session": session, "session_id": session.pk}
    session = complete_checklist(nurse, services.check_in(nurse, appointment))
    w.update(session=session, session_id=session.pk)

    def ver() -> int:
        return fresh(session).version

    if stage == "proposed":
        services.enter_order(nurse, session, ver(), mg_per_kg=0.5, concentration_mg_per_ml=1.0)
    elif stage == "esketamine_dosing":
        services.enter_order(prescriber, session, ver(), dose_mg=56, confirm=True)
        services.record_administration(nurse, session, ver(), kind="bolus", bolus_mg=28)
    elif stage == "substances_yes":
        services.save_checklist(nurse, session, ver(), alcohol_today=True)
    elif stage == "side_effect":
        effect = services.record_side_effect(nurse, session, ver(), kind="nausea", severity="mild")
        w["effect_id"] = effect.pk
    elif stage == "rescue":
        rescue = services.record_rescue(nurse, session, ver(), drug="x", dose="1", route="IV")
        w["rescue_id"] = rescue.pk
    elif stage != "ready":
        services.enter_order(
            prescriber, session, ver(), mg_per_kg=0.5, concentration_mg_per_ml=1.0, confirm=True
        )
        if stage in ("infusing", "alerting"):
            result = services.record_administration(
                nurse, session, ver(), kind="start", rate_ml_per_h=52.5, at=ago(20)
            )
            w["event_id"] = result.event.pk
        if stage == "alerting":
            reading, alerts = services.record_vitals(
                nurse, session, ver(), sbp=190, dbp=100, hr=80, spo2=97, rr=14
            )
            w.update(reading_id=reading.pk, alert_code=alerts[0].code)
        if stage in ("observing", "discharged", "signed"):
            run_infusion(nurse, session)
        if stage in ("discharged", "signed"):
            make_discharge_ready(nurse, session)
            services.record_discharge(
                nurse,
                session,
                ver(),
                aldrete_score=10,
                dissociation_resolved=True,
                escort_present=True,
                told_not_to_drive=True,
                discharge=True,
            )
        if stage == "signed":
            services.sign_session(prescriber, session, ver())
    return w


@pytest.fixture
def witness(clinic: Any) -> Any:
    from ketaflow.accounts.models import User

    return User.objects.create(username="wendy.witness", role="nurse", clinic=clinic)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_each_persona_gets_exactly_what_their_role_allows(
    client: Any,
    login: Any,
    personas: dict[str, Any],
    patient: Any,
    protocols: Any,
    chair: Any,
    gates_open: None,
    witness: Any,
    persona: str,
    endpoint: Endpoint,
) -> None:
    w = build(endpoint.stage, personas["nurse"], personas["prescriber"], patient, protocols, chair)
    w["witness_id"] = witness.pk
    path = endpoint.path.format(**{"session_id": 0, **w})
    user = personas.get(persona)
    if user is not None:
        login(client, user)
    body = endpoint.body(w) if endpoint.body else None
    response = call(client, endpoint.method, path, body)
    expected = 401 if user is None else endpoint.expect[persona]
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response.json()["detail"][0]["msg"]
