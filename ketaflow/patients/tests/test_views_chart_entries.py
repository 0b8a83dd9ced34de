"""Adding chart entries through the generic forms, inline (htmx) or as a page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketaflow.audit.models import AccessEvent
from ketaflow.patients.entries import ENTRY_KINDS

pytestmark = pytest.mark.django_db

VALID = {
    "diagnoses": {"code": "F41.1", "is_primary": "on", "onset": "2019-03-01"},
    "history": {"condition": "hypertension", "presence": "past"},
    "medications": {
        "name": "Lorazepam",
        "classes": ["benzodiazepine"],
        "diazepam_equivalent_mg_per_day": "20",
    },
    "prior-treatments": {
        "kind": "ssri",
        "name": "Sertraline",
        "adequate": "True",
        "outcome": "no_response",
    },
    "allergies": {"substance": "Penicillin", "severity": "severe"},
    "measurements": {
        "kind": "weight",
        "entered_value": "154",
        "entered_unit": "lb",
        "measured_on": "2025-01-02",
    },
    "pregnancy": {
        "observed_on": "2025-01-02",
        "pregnancy_status": "not_pregnant",
        "test_done": "on",
        "test_positive": "false",
    },
}


def test_every_kind_of_entry_has_valid_example_data() -> None:
    assert set(VALID) == set(ENTRY_KINDS)


@pytest.mark.parametrize("slug", list(VALID))
def test_a_prescriber_adds_each_kind_of_entry_from_its_page(
    client: Any, login: Any, prescriber: Any, patient: Any, slug: str
) -> None:
    login(client, prescriber)
    assert client.get(f"/patients/{patient.pk}/chart/{slug}/add/").status_code == 200
    response = client.post(f"/patients/{patient.pk}/chart/{slug}/add/", VALID[slug])
    assert response.status_code == 302
    assert response.url == f"/patients/{patient.pk}/chart/#section-{slug}"
    record = ENTRY_KINDS[slug].model.objects.get(patient=patient)
    assert record.recorded_by == prescriber
    assert AccessEvent.objects.filter(action="create", object_id=str(record.pk)).exists()


def test_a_weight_in_pounds_is_stored_in_kilograms(
    client: Any, login: Any, nurse: Any, patient: Any
) -> None:
    login(client, nurse)
    client.post(f"/patients/{patient.pk}/chart/measurements/add/", VALID["measurements"])
    weight = patient.measurements.get()
    assert (weight.value, weight.entered_unit) == (Decimal("69.85"), "lb")
    assert "BMI" in client.get(f"/patients/{patient.pk}/chart/").content.decode()


def test_htmx_gets_back_the_redrawn_section_with_the_new_entry(
    client: Any, login: Any, nurse: Any, patient: Any
) -> None:
    login(client, nurse)
    response = client.post(
        f"/patients/{patient.pk}/chart/allergies/add/", VALID["allergies"], HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert page.lstrip().startswith('<section id="section-allergies"')
    assert "Penicillin" in page and "Saved to allergies" in page
    assert 'hx-swap-oob="true"' in page  # the allergy banner at the top is redrawn too


@pytest.mark.parametrize(
    ("slug", "data", "field", "message"),
    [
        (
            "medications",
            {"name": "Lorazepam", "classes": ["benzodiazepine"]},
            "diazepam_equivalent_mg_per_day",
            "diazepam-equivalent",
        ),
        (
            "medications",
            {"name": "X", "started_on": "2024-05-01", "stopped_on": "2024-01-01"},
            "stopped_on",
            "on or after",
        ),
        ("medications", {"name": "X", "classes": ["not-a-class"]}, "classes", "valid choice"),
        (
            "medications",
            {"name": "X", "classes": ["benzodiazepine"], "diazepam_equivalent_mg_per_day": "900"},
            "diazepam_equivalent_mg_per_day",
            "500",
        ),
        ("medications", {"name": ""}, "name", "required"),
        (
            "measurements",
            {
                "kind": "weight",
                "entered_value": "700",
                "entered_unit": "kg",
                "measured_on": "2025-01-01",
            },
            "entered_value",
            "between 25 and 350 kg",
        ),
        (
            "measurements",
            {
                "kind": "height",
                "entered_value": "170",
                "entered_unit": "kg",
                "measured_on": "2025-01-01",
            },
            "entered_unit",
            "cm, in",
        ),
        (
            "measurements",
            {
                "kind": "weight",
                "entered_value": "70",
                "entered_unit": "kg",
                "measured_on": "2999-01-01",
            },
            "measured_on",
            "future",
        ),
        (
            "measurements",
            {
                "kind": "weight",
                "entered_value": "heavy",
                "entered_unit": "kg",
                "measured_on": "2025-01-01",
            },
            "entered_value",
            "number",
        ),
        ("diagnoses", {"code": "other"}, "other_code", "ICD-10"),
        (
            "pregnancy",
            {"observed_on": "2025-01-01", "pregnancy_status": "unknown", "test_positive": "true"},
            "test_positive",
            "test done",
        ),
    ],
)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_bad_input_is_a_field_error_and_records_nothing(
    client: Any,
    login: Any,
    prescriber: Any,
    patient: Any,
    slug: str,
    data: dict,
    field: str,
    message: str,
    htmx: bool,
) -> None:
    login(client, prescriber)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(f"/patients/{patient.pk}/chart/{slug}/add/", data, **headers)
    assert response.status_code == 200
    form = response.context["section"].form if htmx else response.context["form"]
    assert any(message in e for e in form.errors[field]), form.errors
    page = response.content.decode()
    assert "has-error" in page and "There is a problem" in page
    if htmx:
        assert '<details class="add-entry" open>' in page
    assert not ENTRY_KINDS[slug].model.objects.exists()
    assert not AccessEvent.objects.filter(action="create").exists()


def test_the_forms_state_units_and_ranges(client: Any, login: Any, nurse: Any, patient: Any):
    login(client, nurse)
    page = client.get(f"/patients/{patient.pk}/chart/").content.decode()
    assert "weight 25–350 kg, height 100–250 cm" in page
    assert "diazepam mg, 0–500" in page
    assert '<option value="lb">' in page and '<option value="in">' in page


def test_a_nurse_sees_no_add_form_for_diagnoses(
    client: Any, login: Any, nurse: Any, patient: Any
) -> None:
    login(client, nurse)
    page = client.get(f"/patients/{patient.pk}/chart/").content.decode()
    assert f"/patients/{patient.pk}/chart/medications/add/" in page
    assert f"/patients/{patient.pk}/chart/diagnoses/add/" not in page


def test_the_chart_counts_failed_adequate_trials(
    client: Any, login: Any, nurse: Any, patient: Any
) -> None:
    from ketaflow.patients.services import add_entry

    for outcome in ("no_response", "partial", "response"):
        add_entry(
            nurse,
            patient,
            "prior-treatments",
            {"kind": "ssri", "name": outcome, "adequate": True, "outcome": outcome},
        )
    login(client, nurse)
    response = client.get(f"/patients/{patient.pk}/chart/")
    assert response.context["summary"]["failed_trials"] == 2
