"""The home page says what the signed-in role can do and offers what it may use."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "clinic_admin"])
def test_roles_that_see_patients_get_a_quick_search(
    client: Any, login: Any, personas: dict, persona: str
) -> None:
    login(client, personas[persona])
    page = client.get("/").content.decode()
    assert 'action="/patients/"' in page
    assert "De-identified outcomes only" not in page


def test_a_researcher_is_told_they_see_only_de_identified_outcomes(
    client: Any, login: Any, researcher: Any
) -> None:
    login(client, researcher)
    page = client.get("/").content.decode()
    assert "De-identified outcomes only" in page
    assert 'action="/patients/"' not in page
    assert "/patients/" not in page  # not even in the navigation


def test_the_home_page_lists_the_roles_abilities(client: Any, login: Any, front_desk: Any) -> None:
    login(client, front_desk)
    page = client.get("/").content.decode()
    assert "Register patients and edit demographics" in page
    assert "Read the clinical chart" not in page


def test_only_a_clinic_admin_sees_users_in_the_navigation(
    client: Any, login: Any, clinic_admin: Any, nurse: Any
) -> None:
    login(client, clinic_admin)
    assert 'href="/users/"' in client.get("/").content.decode()
    client.logout()
    login(client, nurse)
    assert 'href="/users/"' not in client.get("/").content.decode()


def test_a_synthetic_clinic_shows_the_demo_data_banner(
    client: Any, login: Any, nurse: Any, clinic: Any
) -> None:
    login(client, nurse)
    assert "SYNTHETIC DEMO DATA" not in client.get("/").content.decode()
    clinic.is_synthetic = True
    clinic.save()
    assert "SYNTHETIC DEMO DATA" in client.get("/").content.decode()
