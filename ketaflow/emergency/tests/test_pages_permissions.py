"""Emergency access pages and API operations, for every persona. The personas' clinic belongs
to an organisation with Lakeside; the nurse and the prescriber are designated (and so is the
outsider, whose clinic belongs to none). The grant is the prescriber's, to Lakeside's patient."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketaflow.emergency import services
from ketaflow.lib.tests.persona_rows import PERSONAS, Row, expect, request
from ketaflow.web.tests.factories import anonymous_redirects_to_login

pytestmark = pytest.mark.django_db

DESIGNATED = expect(403, 200, 200, 403, 403, 403)
ADMINS = expect(403, 403, 403, 200, 403, 403)


def _break_glass(ids: dict[str, Any]) -> dict[str, Any]:
    return {
        "clinic": ids["lakeside"],
        "date_of_birth": "1990-06-01",
        "mrn": "LK-000042",
        "kind": "covering",
        "reason": "Covering Lakeside tonight, the patient is here",
    }


PERSONA_ROWS = [
    Row("GET", "/emergency/", DESIGNATED),
    Row("POST", "/emergency/", expect(403, 302, 302, 403, 403, 403), _break_glass),
    # The grant holder alone; anyone else's is "not found".
    Row("GET", "/emergency/{grant}/", expect(404, 404, 200, 404, 404, 404)),
    Row("GET", "/emergency/reviews/", ADMINS),
    Row(
        "POST",
        "/emergency/reviews/{grant}/",
        expect(403, 403, 403, 302, 403, 403),
        lambda ids: {f"g{ids['grant']}-outcome": "appropriate"},
    ),
    Row(
        "POST",
        "/api/v1/emergency/grants",
        expect(403, 201, 201, 403, 403, 403),
        lambda ids: {**_break_glass(ids), "family_name": ""},
    ),
    Row("GET", "/api/v1/emergency/grants/{grant}", expect(404, 404, 200, 404, 404, 404)),
    Row("GET", "/api/v1/emergency/reviews", ADMINS),
]


@pytest.fixture
def ids(
    personas: dict[str, Any], organisation: Any, sister_clinic: Any, sister_patient: Any
) -> dict[str, Any]:
    for name in ("nurse", "prescriber", "outsider"):
        personas[name].may_break_glass = True
        personas[name].save()
    grant = services.request_grant(
        personas["prescriber"],
        clinic_id=sister_clinic.pk,
        date_of_birth=sister_patient.date_of_birth,
        mrn=sister_patient.mrn,
        kind="covering",
        reason="Covering Lakeside tonight, the patient is here",
        now=timezone.now(),
    )
    return {"grant": grant.pk, "lakeside": sister_clinic.pk}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_persona_by_page(
    persona: str,
    personas: dict[str, Any],
    ids: dict[str, Any],
    client: Client,
    login: Any,
    row: Row,
) -> None:
    login(client, personas[persona])
    assert request(client, row, ids).status_code == row.expect[persona]


@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_signed_out_visitors_are_sent_to_sign_in(client: Client, row: Row) -> None:
    response = request(client, row, {"grant": 1, "lakeside": 1})
    if row.path.startswith("/api/"):
        assert response.status_code == 401
    else:
        assert anonymous_redirects_to_login(response)
