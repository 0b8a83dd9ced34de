"""Accounts' staff pages, for every persona: the clinic's users (admins only) and one's own API
tokens (everyone); anyone signed out is sent to sign in."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.accounts.services import issue_api_token
from ketaflow.lib.tests.persona_rows import PERSONAS, Row, expect, request
from ketaflow.web.tests.factories import anonymous_redirects_to_login

EVERYONE = dict.fromkeys(PERSONAS, 200)
ADMIN_ONLY = expect(403, 403, 403, 200, 403, 403)

# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run below.
PERSONA_ROWS = [
    Row("GET", "/users/", ADMIN_ONLY),
    Row("GET", "/users/add/", ADMIN_ONLY),
    # Deactivating the nurse: only an admin of her clinic gets through (then back to the list).
    Row("POST", "/users/{nurse}/active/", expect(403, 403, 403, 302, 403, 403), {"active": "0"}),
    # Designating the nurse for emergency access (break-glass): only an admin of her clinic.
    Row(
        "POST",
        "/users/{nurse}/emergency-access/",
        expect(403, 403, 403, 302, 403, 403),
        {"allowed": "1"},
    ),
    Row("GET", "/users/{nurse}/reset-two-factor/", ADMIN_ONLY),
    Row(
        "POST",
        "/users/{nurse}/reset-two-factor/",
        expect(403, 403, 403, 302, 403, 403),
        {"reason": "phone lost, confirmed in person"},
    ),
    Row("GET", "/account/api-tokens/", EVERYONE),
    # Revoking one's own token: anyone signed in (then back to the list).
    Row("POST", "/account/api-tokens/{own_token}/revoke/", dict.fromkeys(PERSONAS, 302)),
]


@pytest.fixture
def ids(personas: dict[str, Any]) -> dict[str, Any]:
    tokens = {p: issue_api_token(user, "script")[0].pk for p, user in personas.items()}
    return {"nurse": personas["nurse"].pk, "tokens": tokens}


@pytest.mark.django_db
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_the_page_or_a_403(
    client: Any, login: Any, personas: dict[str, Any], ids: dict, row: Row, persona: str
) -> None:
    login(client, personas[persona])
    response = request(client, row, {**ids, "own_token": ids["tokens"][persona]})
    assert response.status_code == row.expect[persona]


@pytest.mark.django_db
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_anonymous_visitors_are_sent_to_sign_in(client: Any, row: Row) -> None:
    assert anonymous_redirects_to_login(request(client, row, {"nurse": 1, "own_token": 1}))
