""" "No known allergies" is an entry of its own, recorded by someone who asked (issue #13).

Until someone records allergies or "no known allergies", the chart says "not recorded", never
"none". The entry names no substance; it cannot stand next to an active allergy (set one
inactive first); the API takes it; FHIR exports it as an AllergyIntolerance in words.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from ketaflow.fhir.resources_chart import allergy as fhir_allergy
from ketaflow.lib.tests.api_client import call
from ketaflow.patients.models import Allergy
from ketaflow.patients.selectors import allergy_line
from ketaflow.patients.services import add_entry, amend_entry

pytestmark = pytest.mark.django_db


def line(patient: Any) -> Any:
    return allergy_line(list(Allergy.objects.filter(patient=patient, status="active")))


def test_the_line_reads_not_recorded_then_none_known_then_the_allergies(
    patient: Any, nurse: Any
) -> None:
    assert not line(patient).recorded
    nka = add_entry(nurse, patient, "allergies", {"no_known_allergies": True})
    assert line(patient).none_known == nka and line(patient).allergies == ()
    assert str(nka) == "No known allergies"
    amend_entry(nurse, nka, {"status": "inactive"}, "Reacted to penicillin today")
    penicillin = add_entry(nurse, patient, "allergies", {"substance": "Penicillin"})
    assert line(patient).allergies == (penicillin,) and line(patient).none_known is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "substance"),
        ({"substance": "  "}, "substance"),
        ({"no_known_allergies": True, "substance": "Latex"}, "no_known_allergies"),
        ({"no_known_allergies": True, "severity": "severe"}, "no_known_allergies"),
    ],
)
def test_an_entry_is_either_a_substance_or_no_known_allergies(
    patient: Any, nurse: Any, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        add_entry(nurse, patient, "allergies", data)
    assert field in refused.value.message_dict


def test_no_known_allergies_cannot_stand_next_to_an_active_allergy(
    patient: Any, nurse: Any
) -> None:
    add_entry(nurse, patient, "allergies", {"substance": "Latex"})
    with pytest.raises(ValidationError) as refused:
        add_entry(nurse, patient, "allergies", {"no_known_allergies": True})
    assert "Latex" in str(refused.value)


def test_an_allergy_cannot_be_added_over_no_known_allergies(patient: Any, nurse: Any) -> None:
    add_entry(nurse, patient, "allergies", {"no_known_allergies": True})
    with pytest.raises(ValidationError) as refused:
        add_entry(nurse, patient, "allergies", {"substance": "Latex"})
    assert "inactive first" in str(refused.value)


def test_the_api_records_it_and_fhir_says_it_in_words(
    patient: Any, prescriber: Any, login: Any
) -> None:
    client = login(Client(), prescriber)
    response = call(
        client, "POST", f"/patients/{patient.pk}/allergies", {"no_known_allergies": True}
    )
    assert response.status_code == 201, response.content
    assert response.json()["no_known_allergies"] is True
    resource = fhir_allergy(Allergy.objects.get(pk=response.json()["id"]))
    assert resource.code.text == "No known allergies"


def test_the_chart_page_shows_the_fact(patient: Any, nurse: Any, login: Any) -> None:
    client = login(Client(), nurse)
    assert "not recorded" in client.get(f"/patients/{patient.pk}/chart/").content.decode()
    add_entry(nurse, patient, "allergies", {"no_known_allergies": True})
    html = client.get(f"/patients/{patient.pk}/chart/").content.decode()
    assert "no known allergies" in html.lower()
    assert "Allergies not recorded" not in html
