"""Every page of the web app, for every persona: allowed, forbidden (403) or sign in first."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.web.tests.factories import anonymous_redirects_to_login

PERSONAS = ("front_desk", "nurse", "prescriber", "clinic_admin", "researcher", "outsider")
ADMIN_ONLY = dict.fromkeys(PERSONAS, 403) | {"clinic_admin": 200}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/", dict.fromkeys(PERSONAS, 200)),
        ("/account/api-tokens/", dict.fromkeys(PERSONAS, 200)),
        ("/users/", ADMIN_ONLY),
        ("/users/add/", ADMIN_ONLY),
    ],
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_the_page_or_a_403(
    client: Any, login: Any, personas: dict[str, Any], url: str, expected: dict, persona: str
) -> None:
    login(client, personas[persona])
    assert client.get(url).status_code == expected[persona]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/"),
        ("get", "/users/"),
        ("get", "/users/add/"),
        ("post", "/users/1/active/"),
        ("get", "/account/api-tokens/"),
        ("post", "/account/api-tokens/1/revoke/"),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client: Any, method: str, url: str) -> None:
    assert anonymous_redirects_to_login(getattr(client, method)(url))
