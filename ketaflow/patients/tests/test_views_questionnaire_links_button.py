"""The patient record shows "Questionnaire links" (to the portal's links page) only to staff
who may issue them (SEND_QUESTIONNAIRES: nurses and prescribers), never to front desk."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

BUTTON = 'id="questionnaire-links"'


@pytest.mark.parametrize("persona", ["nurse", "prescriber"])
def test_nurses_and_prescribers_see_the_button_on_the_chart(
    persona: str, personas: dict[str, Any], patient: Any, client: Client, login: Any
) -> None:
    login(client, personas[persona])
    page = client.get(f"/patients/{patient.pk}/chart/").content.decode()
    assert BUTTON in page
    assert f'href="/p/staff/patients/{patient.pk}/links/"' in page
    assert client.get(f"/p/staff/patients/{patient.pk}/links/").status_code == 200


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin"])
def test_roles_that_cannot_send_questionnaires_do_not_see_it(
    persona: str, personas: dict[str, Any], patient: Any, client: Client, login: Any
) -> None:
    login(client, personas[persona])
    assert client.get(f"/patients/{patient.pk}/chart/").status_code == 403
    page = client.get(f"/patients/{patient.pk}/").content.decode()
    assert "Demographics" in page and BUTTON not in page
    assert "Questionnaire links" not in page
