"""Amending demographics needs a reason; the previous values stay in the history."""

from __future__ import annotations

from typing import Any

import pytest

from ketaflow.audit.models import AccessEvent

pytestmark = pytest.mark.django_db


def _form(patient: Any, **changes: Any) -> dict[str, Any]:
    data = {
        "mrn": patient.mrn,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex_at_birth": patient.sex_at_birth,
        "can_become_pregnant": "on" if patient.can_become_pregnant else "",
    }
    return {**data, **changes}


def test_the_form_starts_from_the_current_values(
    client: Any, login: Any, front_desk: Any, patient: Any
) -> None:
    login(client, front_desk)
    form = client.get(f"/patients/{patient.pk}/amend/").context["form"]
    assert form["family_name"].value() == "Doe"


def test_an_amendment_keeps_the_old_values_and_the_reason(
    client: Any, login: Any, front_desk: Any, patient: Any
) -> None:
    login(client, front_desk)
    response = client.post(
        f"/patients/{patient.pk}/amend/", _form(patient, family_name="Smith", reason="Married")
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.family_name == "Smith"
    latest = patient.history.latest()
    assert latest.history_change_reason == "Married" and latest.history_user == front_desk
    event = AccessEvent.objects.get(action="amend")
    assert event.detail["changes"] == {"family_name": ["Doe", "Smith"]}


def test_an_amendment_without_a_reason_is_refused_at_the_field(
    client: Any, login: Any, front_desk: Any, patient: Any
) -> None:
    login(client, front_desk)
    response = client.post(f"/patients/{patient.pk}/amend/", _form(patient, family_name="Smith"))
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["Say why the record is being changed."]
    patient.refresh_from_db()
    assert patient.family_name == "Doe"
    assert not AccessEvent.objects.filter(action="amend").exists()


def test_submitting_no_change_is_said_and_records_nothing(
    client: Any, login: Any, front_desk: Any, patient: Any
) -> None:
    login(client, front_desk)
    response = client.post(f"/patients/{patient.pk}/amend/", _form(patient, reason="checked"))
    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode()
    assert not AccessEvent.objects.filter(action="amend").exists()
