"""The audit pages × every persona: reading the audit trail is the clinic admin's alone.

The outsider is a prescriber (no audit capability), so refused before any lookup: 403.
"""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.lib.tests.persona_rows import PERSONAS, Row, expect, request
from ketaflow.web.tests.factories import anonymous_redirects_to_login

ADMIN_ONLY = expect(403, 403, 403, 200, 403, 403)

# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run below.
PERSONA_ROWS = [
    Row("GET", "/audit/", ADMIN_ONLY),
    Row("GET", "/audit/patients/{p}/", ADMIN_ONLY),
]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_each_persona_gets_the_page_or_a_403(
    client: Any, login: Any, personas: dict[str, Any], patient: Any, row: Row, persona: str
) -> None:
    response = request(login(client, personas[persona]), row, {"p": patient.pk})
    assert response.status_code == row.expect[persona]


@pytest.mark.django_db
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_anonymous_visitors_are_sent_to_sign_in(client: Any, patient: Any, row: Row) -> None:
    assert anonymous_redirects_to_login(request(client, row, {"p": patient.pk}))
