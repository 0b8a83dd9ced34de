"""Registration warns about a likely duplicate in the same clinic (same name and date of
birth, or the same phone), links to the existing patient, and proceeds once the desk
confirms it is a different person. Another clinic's patients are never revealed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ketaflow.audit.models import AccessEvent
from ketaflow.patients.models import Patient
from ketaflow.patients.selectors import likely_duplicates, name_key, phone_key

pytestmark = pytest.mark.django_db

JANE_AGAIN = {
    "given_name": "JANE",
    "family_name": "Doé",
    "date_of_birth": "1985-04-12",
    "sex_at_birth": "female",
}


def register(client: Any, data: dict[str, str]) -> Any:
    return client.post("/patients/register/", data)


def test_same_name_and_birth_date_warns_with_a_link_and_saves_nothing(
    client: Any, login: Any, front_desk: Any, patient: Any
) -> None:
    login(client, front_desk)
    response = register(client, JANE_AGAIN)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="duplicate-warning"' in html
    assert f'href="/patients/{patient.pk}/"' in html
    assert "same name and date of birth" in html
    assert "This is a different person" in html
    assert Patient.objects.filter(family_name__in=["Doe", "Doé"]).count() == 1
    event = AccessEvent.objects.filter(action="search", actor=front_desk).latest("at")
    assert event.detail["patient_ids"] == [patient.pk]


def test_confirming_a_different_person_registers_them(
    client: Any, login: Any, front_desk: Any, patient: Any
) -> None:
    login(client, front_desk)
    register(client, JANE_AGAIN)
    response = register(
        client, {**JANE_AGAIN, "different_person": "on", "warned_about": str(patient.pk)}
    )
    assert response.status_code == 302
    assert Patient.objects.filter(date_of_birth=date(1985, 4, 12)).count() == 2


def test_a_tick_for_one_warning_does_not_wave_through_another_duplicate(
    client: Any, login: Any, front_desk: Any, patient: Any
) -> None:
    login(client, front_desk)
    response = register(client, {**JANE_AGAIN, "different_person": "on", "warned_about": ""})
    assert 'id="duplicate-warning"' in response.content.decode()
    assert Patient.objects.count() == 1


def test_the_same_phone_warns(client: Any, login: Any, front_desk: Any, patient: Any) -> None:
    patient.phone = "+44 7700 900123"
    patient.save()
    login(client, front_desk)
    data = {
        "given_name": "John",
        "family_name": "Smith",
        "date_of_birth": "1990-01-01",
        "sex_at_birth": "male",
        "phone": "07700-900-123",
    }
    html = register(client, data).content.decode()
    assert "same phone number" in html
    assert f'href="/patients/{patient.pk}/"' in html


def test_another_clinics_patient_is_never_revealed(
    client: Any, login: Any, front_desk: Any, outsider_patient: Any
) -> None:
    outsider_patient.phone = "+1 212 555 0101"
    outsider_patient.save()
    login(client, front_desk)
    data = {
        "given_name": "Olga",
        "family_name": "Other",
        "date_of_birth": "1979-01-02",
        "sex_at_birth": "female",
        "phone": "+1 212 555 0101",
    }
    response = register(client, data)
    assert response.status_code == 302  # no warning: nobody like her in this clinic
    found = likely_duplicates(
        front_desk,
        given_name="Olga",
        family_name="Other",
        date_of_birth=date(1979, 1, 2),
        phone="+1 212 555 0101",
    )
    assert outsider_patient.pk not in {d.patient.pk for d in found}


def test_a_different_person_with_another_name_or_birth_date_is_not_warned(
    client: Any, login: Any, front_desk: Any, patient: Any
) -> None:
    login(client, front_desk)
    assert register(client, {**JANE_AGAIN, "date_of_birth": "1985-04-13"}).status_code == 302
    assert register(client, {**JANE_AGAIN, "given_name": "Janet"}).status_code == 302


def test_names_compare_without_accents_case_or_punctuation_and_phones_by_their_digits() -> None:
    assert name_key("Zoë-Anne") == name_key("zoe anne") == "zoeanne"
    assert name_key("O'Brien") == name_key("OBRIEN")
    assert phone_key("+44 7700 900123") == phone_key("07700 900123") == phone_key("0044 7700900123")
    assert phone_key("123") == ""
