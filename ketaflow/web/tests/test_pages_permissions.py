"""Every page of the web app, for every persona: allowed, forbidden (403) or sign in first.

The staff-user and API-token pages are accounts' (accounts/tests/test_pages_permissions.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.lib.tests.persona_rows import PERSONAS, Row, request
from ketaflow.web.tests.factories import anonymous_redirects_to_login

# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run below.
PERSONA_ROWS = [Row("GET", "/", dict.fromkeys(PERSONAS, 200))]


@pytest.mark.django_db
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_the_page_or_a_403(
    client: Any, login: Any, personas: dict[str, Any], row: Row, persona: str
) -> None:
    login(client, personas[persona])
    assert request(client, row, {}).status_code == row.expect[persona]


@pytest.mark.django_db
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_anonymous_visitors_are_sent_to_sign_in(client: Any, row: Row) -> None:
    assert anonymous_redirects_to_login(request(client, row, {}))
