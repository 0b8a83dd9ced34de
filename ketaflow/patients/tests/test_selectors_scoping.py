"""Reads of the chart: only the user's clinic, only roles that may, and every read audited."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from ketaflow.audit.models import AccessEvent
from ketaflow.patients.selectors import get_chart, get_entry, get_patient, search_patients
from ketaflow.patients.services import add_entry


def test_a_list_shows_only_the_users_clinic_and_is_audited(front_desk, patient, outsider_patient):
    assert search_patients(front_desk) == [patient]
    event = AccessEvent.objects.get(action="list")
    assert event.detail == {"query": "", "patient_ids": [patient.pk]}


def test_a_search_matches_name_mrn_or_birth_date_and_is_audited(front_desk, patient):
    assert search_patients(front_desk, "jane doe") == [patient]
    assert search_patients(front_desk, "000001") == [patient]
    assert search_patients(front_desk, "1985-04-12") == [patient]
    assert search_patients(front_desk, "nobody") == []
    searches = AccessEvent.objects.filter(action="search", actor=front_desk)
    assert searches.count() == 4


def test_a_search_never_finds_another_clinics_patient(outsider, patient):
    assert search_patients(outsider, "Doe") == []


def test_another_clinics_patient_is_not_found(outsider, patient):
    with pytest.raises(Http404):
        get_patient(outsider, patient.pk)
    with pytest.raises(Http404):
        get_chart(outsider, patient.pk)


def test_viewing_demographics_is_audited(front_desk, patient):
    get_patient(front_desk, patient.pk)
    event = AccessEvent.objects.get(action="view")
    assert (event.patient_id, event.detail) == (patient.pk, {"part": "demographics"})


def test_viewing_the_chart_is_audited_as_a_chart_view(nurse, patient):
    get_chart(nurse, patient.pk)
    event = AccessEvent.objects.get(action="view")
    assert (event.patient_id, event.detail) == (patient.pk, {"part": "chart"})


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin", "researcher"])
def test_roles_without_clinical_rights_cannot_read_the_chart(personas, patient, persona):
    with pytest.raises(PermissionDenied):
        get_chart(personas[persona], patient.pk)


def test_a_researcher_cannot_even_list_patients(researcher, patient):
    with pytest.raises(PermissionDenied):
        search_patients(researcher)


def test_the_chart_has_the_latest_weight_height_and_bmi(nurse, patient):
    from datetime import date
    from decimal import Decimal

    for kind, value, unit, day in [
        ("weight", "80", "kg", date(2025, 1, 1)),
        ("weight", "70", "kg", date(2026, 1, 1)),
        ("height", "175", "cm", date(2025, 1, 1)),
    ]:
        add_entry(
            nurse,
            patient,
            "measurements",
            {
                "kind": kind,
                "entered_value": Decimal(value),
                "entered_unit": unit,
                "measured_on": day,
            },
        )
    chart = get_chart(nurse, patient.pk)
    assert chart.latest_weight_kg == Decimal("70.00")
    assert chart.bmi == Decimal("22.9")


def test_an_entry_of_another_clinic_is_not_found(outsider, nurse, patient):
    allergy = add_entry(nurse, patient, "allergies", {"substance": "Latex"})
    with pytest.raises(Http404):
        get_entry(outsider, "allergies", allergy.pk)
    assert get_entry(nurse, "allergies", allergy.pk) == allergy
