"""Every home diary page and API operation: who may, who may not, other clinics' 404s.

The patient's own pages (/p/q/<token>/diary/, /something-wrong/) are reached by the link, never
by a staff role: `test_patients_reach_only_their_own_diary.py` covers them.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketaflow.homediary import services
from ketaflow.homediary.services import DiaryInput
from ketaflow.lib.tests.persona_rows import PERSONAS, Row, expect, request
from ketaflow.portal.models import PortalLink

pytestmark = pytest.mark.django_db

CLINICAL = expect(403, 200, 200, 403, 403, 404)
CLINIC_LIST = {**CLINICAL, "outsider": 200}  # a list of one's own clinic: empty for others
ACK_PAGE = expect(403, 302, 302, 403, 403, 404)

PAGE_ROWS = [
    Row("GET", "/homediary/patients/{p}/", CLINICAL),
    Row("POST", "/homediary/entries/{entry}/acknowledge/", ACK_PAGE, {"note": "Read."}),
    Row("GET", "/homediary/alerts/", CLINIC_LIST),
    Row("GET", "/homediary/alerts/{alert}/", CLINICAL),
    Row("POST", "/homediary/alerts/{alert}/", ACK_PAGE, {"action_note": "Called."}),
]
API_ROWS = [
    Row("GET", "/api/v1/homediary/patients/{p}/entries", CLINICAL),
    Row(
        "POST",
        "/api/v1/homediary/entries/{entry}/acknowledge",
        CLINICAL,
        {"note": "Called the patient."},
    ),
    Row("GET", "/api/v1/homediary/alerts?open_only=true", CLINIC_LIST),
    Row(
        "POST",
        "/api/v1/homediary/alerts/{alert}/acknowledge",
        CLINICAL,
        {"action_note": "Called the patient."},
    ),
    Row("GET", "/api/v1/homediary/missed", CLINIC_LIST),
]
PERSONA_ROWS = PAGE_ROWS + API_ROWS


@pytest.fixture
def world(issue: Any, patient: Any, supply: Any) -> dict[str, Any]:
    link = PortalLink.objects.get(pk=issue(patient).link.pk)
    now = timezone.now()
    recorded = services.record_entry(link, DiaryInput(taken_at=now, dose_mg=50, drowsy=3), now=now)
    assert recorded.alert is not None
    return {"p": patient.pk, "entry": recorded.entry.pk, "alert": recorded.alert.pk}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_each_persona_on_each_row(
    login: Any, personas: dict[str, Any], world: dict[str, Any], row: Row, persona: str
) -> None:
    client = login(Client(), personas[persona])
    response = request(client, row, world)
    assert response.status_code == row.expect[persona], response.content[:500]


def test_the_api_lists_the_diary_with_concerns_and_missed_days(
    login: Any, nurse: Any, world: dict[str, Any]
) -> None:
    from ketaflow.lib.tests.api_client import call

    client = login(Client(), nurse)
    body = call(client, "GET", f"/homediary/patients/{world['p']}/entries").json()
    entry = body["entries"][0]
    assert entry["id"] == world["entry"] and entry["supply_id"] is not None
    assert [c["code"] for c in entry["concerns"]] == ["self_check_drowsy"]
    assert body["home_mg"] == 50 and body["missed_days"]  # two dose days already over
    alerts = call(client, "GET", "/homediary/alerts?open_only=true").json()
    assert [a["id"] for a in alerts] == [world["alert"]]


def test_the_api_refuses_unknown_fields_and_an_empty_alert_note(
    login: Any, nurse: Any, world: dict[str, Any]
) -> None:
    from ketaflow.lib.tests.api_client import call

    client = login(Client(), nurse)
    url = f"/homediary/alerts/{world['alert']}/acknowledge"
    assert call(client, "POST", url, {"action_note": ""}).status_code == 422
    assert call(client, "POST", url, {"action_note": "x", "extra": 1}).status_code == 422
    entry_url = f"/homediary/entries/{world['entry']}/acknowledge"
    assert call(client, "POST", entry_url, {"note": ""}).status_code == 422  # it raised an alert


def test_the_operations_are_in_the_openapi_document(client: Client, db: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/homediary/patients/{patient_id}/entries",
        "/api/v1/homediary/entries/{entry_id}/acknowledge",
        "/api/v1/homediary/alerts",
        "/api/v1/homediary/alerts/{alert_id}/acknowledge",
        "/api/v1/homediary/missed",
    ):
        assert path in paths, path
