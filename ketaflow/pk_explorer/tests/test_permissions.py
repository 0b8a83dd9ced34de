"""The PK explorer × every persona: a teaching tool with no patient data, for all clinic staff."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.lib.tests.persona_rows import PERSONAS, Row, request
from ketaflow.web.tests.factories import anonymous_redirects_to_login

# What the route census reads (`test_every_route_has_a_persona_row.py`): the row run below.
PERSONA_ROWS = [Row("GET", "/pk/", dict.fromkeys(PERSONAS, 200))]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_each_persona_gets_the_page(
    client: Any, login: Any, personas: dict[str, Any], row: Row, persona: str
) -> None:
    assert request(login(client, personas[persona]), row, {}).status_code == row.expect[persona]


@pytest.mark.django_db
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_anonymous_visitors_are_sent_to_sign_in(client: Any, row: Row) -> None:
    assert anonymous_redirects_to_login(request(client, row, {}))
