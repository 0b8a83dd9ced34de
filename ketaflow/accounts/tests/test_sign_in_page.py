"""The sign-in page: a bad password is a form error, a good one goes where you were heading."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_renders_for_anonymous_visitors(client: Any) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in" in page and 'name="username"' in page and 'name="password"' in page


def test_a_wrong_password_is_shown_on_the_form_not_a_crash(client: Any, nurse: Any) -> None:
    response = client.post("/accounts/login/", {"username": nurse.username, "password": "nope"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert response.context["form"].non_field_errors()


def test_a_nurse_signs_in_and_lands_where_she_was_going(client: Any, nurse: Any) -> None:
    response = client.post(
        "/accounts/login/?next=/patients/",
        {"username": nurse.username, "password": PASSWORD, "next": "/patients/"},
    )
    assert response.status_code == 302 and response.url == "/patients/"


def test_a_prescriber_must_set_up_two_factor_before_seeing_anything(
    client: Any, prescriber: Any
) -> None:
    client.post("/accounts/login/", {"username": prescriber.username, "password": PASSWORD})
    response = client.get("/patients/")
    assert response.status_code == 302 and response.url == "/accounts/two-factor/setup/"
    assert "Set up two-factor sign-in" in client.get(response.url).content.decode()
