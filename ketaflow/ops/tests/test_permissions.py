"""The probes and /metrics × every persona: no role applies. The probes answer anyone (no
patient data); /metrics wants its bearer token from everyone, signed-in staff included."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.lib.tests.persona_rows import PERSONAS, Row, request

# What the route census reads (`test_every_route_has_a_persona_row.py`): the rows run below.
PERSONA_ROWS = [
    Row("GET", "/healthz", dict.fromkeys(PERSONAS, 200)),
    Row("GET", "/readyz", dict.fromkeys(PERSONAS, 200)),
    Row("GET", "/metrics", dict.fromkeys(PERSONAS, 403)),  # with a token configured
]


@pytest.fixture(autouse=True)
def _metrics_token(settings: Any) -> None:
    settings.KETAFLOW_METRICS_TOKEN = "a-scraper-token-of-enough-length"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_each_persona_gets_the_same_answer(
    client: Any, login: Any, personas: dict[str, Any], row: Row, persona: str
) -> None:
    assert request(login(client, personas[persona]), row, {}).status_code == row.expect[persona]


@pytest.mark.django_db
@pytest.mark.parametrize("row", PERSONA_ROWS, ids=str)
def test_anonymous_visitors_get_the_same_answer_as_staff(client: Any, row: Row) -> None:
    assert request(client, row, {}).status_code == row.expect["nurse"]
