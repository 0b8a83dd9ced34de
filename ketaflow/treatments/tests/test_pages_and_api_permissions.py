"""Who may see and do what, for every page and endpoint (each persona); 404 for outsiders."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaflow.lib.tests.persona_rows import PERSONAS, Row, expect, request
from ketaflow.treatments.models import VitalsReading
from ketaflow.treatments.tests.conftest import fresh

pytestmark = pytest.mark.django_db

CHARTING = {"nurse", "prescriber"}

SESSION = expect(403, 200, 200, 403, 403, 404)
REDIRECTED = expect(403, 302, 302, 403, 403, 404)  # done (or refused with a message): back

# What the route census reads (`test_every_route_has_a_persona_row.py`): the session pages,
# run by `test_each_persona_on_each_page_row` (the API's own matrix is test_api_matrix.py).
PERSONA_ROWS = [
    Row("GET", "/treatments/board/", expect(403, 200, 200, 403, 403, 200)),
    # The appointment is already checked in: charting staff are sent back with the reason.
    Row("POST", "/treatments/check-in/{appointment}/", REDIRECTED),
    Row("GET", "/treatments/{s}/", SESSION),
    Row("GET", "/treatments/{s}/instructions/", SESSION),
    Row(
        "POST",
        "/treatments/{s}/do/note/",
        REDIRECTED,
        lambda ids: {"version": ids["version"], "text": "Settled."},
    ),
    # Empty forms: past the permission check, the form comes back with its errors (422).
    Row(
        "POST",
        "/treatments/{s}/scales/moaas/",
        expect(403, 422, 422, 403, 403, 404),
        lambda ids: {"version": ids["version"]},
    ),
    Row(
        "POST",
        "/treatments/{s}/pre-session-questionnaire/",
        expect(403, 422, 422, 403, 403, 404),
        lambda ids: {"version": ids["version"]},
    ),
    # The suicide risk assessment (the portal's page and API): the prescriber's alone.
    Row("GET", "/p/staff/sessions/{s}/risk-assessment/", expect(403, 403, 200, 403, 403, 404)),
    Row(
        "POST",
        "/api/v1/portal/sessions/{s}/risk-assessment",
        expect(403, 403, 201, 403, 403, 404),
        lambda ids: {
            "version": ids["version"],
            "risk_level": "low",
            "plan": "Safety plan reviewed with the patient.",
            "decision": "proceed",
        },
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_each_persona_on_each_page_row(
    client: Any, login: Any, personas: dict[str, Any], ready: Any, row: Row, persona: str
) -> None:
    ids = {"s": ready.pk, "appointment": ready.appointment_id, "version": fresh(ready).version}
    response = request(login(client, personas[persona]), row, ids)
    assert response.status_code == row.expect[persona], response.content[:300]


def _client(client: Any, login: Any, personas: dict[str, Any], who: str) -> Any:
    return login(client, personas[who])


@pytest.mark.parametrize(
    "who", ["front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider"]
)
def test_the_session_page_is_for_charting_staff_of_the_clinic(
    client: Any, login: Any, personas: dict[str, Any], who: str, ready: Any
) -> None:
    c = _client(client, login, personas, who)
    for name in ("treatments:session", "treatments:instructions"):
        r = c.get(reverse(name, args=[ready.pk]))
        expected = {"nurse": 200, "prescriber": 200, "outsider": 404}.get(who, 403)
        assert r.status_code == expected, (name, r.status_code)


@pytest.mark.parametrize(
    "who", ["front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider"]
)
def test_the_chair_board_is_for_charting_staff(
    client: Any, login: Any, personas: dict[str, Any], who: str, ready: Any
) -> None:
    r = _client(client, login, personas, who).get(reverse("treatments:board"))
    assert r.status_code == (200 if who in CHARTING | {"outsider"} else 403)
    if who == "outsider":
        assert "Jane" not in r.content.decode()
    elif who in CHARTING:
        assert "Jane Doe" in r.content.decode() and "Chair 1" in r.content.decode()


@pytest.mark.parametrize(
    "who", ["front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider"]
)
def test_check_in_is_for_charting_staff(
    client: Any, login: Any, personas: dict[str, Any], who: str, appointment: Any
) -> None:
    r = _client(client, login, personas, who).post(
        reverse("treatments:check_in", args=[appointment.pk])
    )
    assert r.status_code == {"nurse": 302, "prescriber": 302, "outsider": 404}.get(who, 403)


@pytest.mark.parametrize(
    "who", ["front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider"]
)
def test_the_api_detail_and_a_write_follow_the_same_rules(
    client: Any, login: Any, personas: dict[str, Any], who: str, ready: Any
) -> None:
    c = _client(client, login, personas, who)
    r = c.get(f"/api/v1/treatments/{ready.pk}")
    expected = {"nurse": 200, "prescriber": 200, "outsider": 404}.get(who, 403)
    assert r.status_code == expected
    r = c.post(
        f"/api/v1/treatments/{ready.pk}/notes",
        {"version": ready.version, "text": "hello"},
        content_type="application/json",
    )
    assert r.status_code == expected


def test_vitals_entry_swaps_in_the_alerts_at_once(
    client: Any, login: Any, nurse: Any, ordered: Any
) -> None:
    from ketaflow.treatments.services import record_administration
    from ketaflow.treatments.tests.conftest import ago

    record_administration(
        nurse, ordered, ordered.version, kind="start", rate_ml_per_h=52.5, at=ago(20)
    )
    c = login(client, nurse)
    r = c.post(
        reverse("treatments:act", args=[ordered.pk, "vitals"]),
        {
            "version": fresh(ordered).version,
            "sbp": "190",
            "dbp": "100",
            "hr": "80",
            "spo2": "97",
            "rr": "14",
        },
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    body = r.content.decode()
    assert 'id="vitals"' in body and "alert-red" in body and "Acknowledge" in body


def test_bad_vitals_on_the_page_show_a_field_error_and_store_nothing(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    count = VitalsReading.objects.count()
    r = login(client, nurse).post(
        reverse("treatments:act", args=[ready.pk, "vitals"]),
        {"version": ready.version, "sbp": "80", "dbp": "120"},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200 and "must be lower than the systolic" in r.content.decode()
    assert VitalsReading.objects.count() == count
    r = login(client, nurse).post(
        reverse("treatments:act", args=[ready.pk, "vitals"]),
        {"version": ready.version, "sbp": "abc"},
    )
    assert r.status_code == 302 and VitalsReading.objects.count() == count


def test_the_api_answers_409_for_a_stale_version_and_422_with_the_field(
    client: Any, login: Any, nurse: Any, ready: Any
) -> None:
    c = login(client, nurse)
    url = f"/api/v1/treatments/{ready.pk}"
    ok = c.post(
        url + "/notes", {"version": ready.version, "text": "a"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["version"] == ready.version + 1
    stale = c.post(
        url + "/notes", {"version": ready.version, "text": "b"}, content_type="application/json"
    )
    assert stale.status_code == 409 and "reload" in stale.json()["detail"][0]["msg"]
    bad = c.post(
        url + "/vitals",
        {"version": ready.version + 1, "sbp": 80, "dbp": 120},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "dbp"]


def test_the_nurse_cannot_sign_or_confirm_through_the_api(
    client: Any, login: Any, nurse: Any, discharged: Any
) -> None:
    c = login(client, nurse)
    r = c.post(
        f"/api/v1/treatments/{discharged.pk}/sign",
        {"version": discharged.version},
        content_type="application/json",
    )
    assert r.status_code == 403


def test_a_prescriber_signs_through_the_api_and_gets_the_next_proposal(
    client: Any, login: Any, prescriber: Any, discharged: Any
) -> None:
    r = login(client, prescriber).post(
        f"/api/v1/treatments/{discharged.pk}/sign",
        {"version": discharged.version},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["session"]["status"] == "signed"
    assert "next_proposal" in r.json()


def test_the_session_page_renders_every_stage(
    client: Any, login: Any, prescriber: Any, discharged: Any
) -> None:
    r = login(client, prescriber).get(reverse("treatments:session", args=[discharged.pk]))
    body = r.content.decode()
    assert r.status_code == 200 and "Sign and lock" in body and "35.0 mg" in body
    assert "<svg" in body
