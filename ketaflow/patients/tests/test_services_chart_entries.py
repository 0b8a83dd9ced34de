"""Adding, amending and withdrawing chart entries through the services."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.patients.services import add_entry, amend_entry, mark_entered_in_error

TOMORROW = timezone.localdate() + timedelta(days=1)


def weight(value, unit="kg", on=date(2026, 1, 5)):
    return {
        "kind": "weight",
        "entered_value": Decimal(value),
        "entered_unit": unit,
        "measured_on": on,
    }


def test_a_nurse_adds_an_allergy_and_it_is_audited(nurse, patient):
    allergy = add_entry(nurse, patient, "allergies", {"substance": "Latex", "severity": "mild"})
    assert allergy.recorded_by == nurse
    event = AccessEvent.objects.get(action="create", object_type="patients.Allergy")
    assert (event.patient_id, event.actor_id) == (patient.pk, nurse.pk)


def test_only_prescribers_record_diagnoses(nurse, prescriber, patient):
    with pytest.raises(PermissionDenied):
        add_entry(nurse, patient, "diagnoses", {"code": "F41.1"})
    assert add_entry(prescriber, patient, "diagnoses", {"code": "F41.1"}).pk


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin", "researcher"])
def test_roles_without_clinical_rights_cannot_chart(personas, patient, persona):
    with pytest.raises(PermissionDenied):
        add_entry(personas[persona], patient, "allergies", {"substance": "Latex"})


def test_nobody_charts_on_another_clinics_patient(outsider, patient):
    with pytest.raises(PermissionDenied):
        add_entry(outsider, patient, "allergies", {"substance": "Latex"})


def test_a_benzodiazepine_needs_its_diazepam_equivalent(nurse, patient):
    data = {"name": "Clonazepam", "dose": "0.5 mg bd", "classes": ["benzodiazepine"]}
    with pytest.raises(ValidationError) as err:
        add_entry(nurse, patient, "medications", data)
    assert "diazepam_equivalent_mg_per_day" in err.value.message_dict
    med = add_entry(
        nurse, patient, "medications", {**data, "diazepam_equivalent_mg_per_day": Decimal(20)}
    )
    assert med.diazepam_equivalent_mg_per_day == Decimal(20)


def test_an_unknown_medication_class_is_refused(nurse, patient):
    with pytest.raises(ValidationError) as err:
        add_entry(nurse, patient, "medications", {"name": "X", "classes": ["magic"]})
    assert "classes" in err.value.message_dict


def test_a_weight_in_pounds_is_stored_in_kilograms_with_the_entry_kept(nurse, patient):
    m = add_entry(nurse, patient, "measurements", weight("154", "lb"))
    assert m.value == Decimal("69.85")
    assert (m.entered_value, m.entered_unit) == (Decimal("154"), "lb")


def test_a_height_in_inches_is_stored_in_centimetres(nurse, patient):
    data = {
        "kind": "height",
        "entered_value": Decimal(65),
        "entered_unit": "in",
        "measured_on": date(2026, 1, 5),
    }
    assert add_entry(nurse, patient, "measurements", data).value == Decimal("165.10")


@pytest.mark.parametrize(("value", "unit"), [("20", "kg"), ("400", "kg"), ("800", "lb")])
def test_an_implausible_weight_is_refused(nurse, patient, value, unit):
    with pytest.raises(ValidationError) as err:
        add_entry(nurse, patient, "measurements", weight(value, unit))
    assert "entered_value" in err.value.message_dict


def test_a_wrong_unit_is_refused(nurse, patient):
    with pytest.raises(ValidationError) as err:
        add_entry(nurse, patient, "measurements", weight("70", "cm"))
    assert "entered_unit" in err.value.message_dict


@pytest.mark.parametrize(
    ("slug", "data", "field"),
    [
        ("measurements", weight("70", on=TOMORROW), "measured_on"),
        ("diagnoses", {"code": "F41.1", "onset": TOMORROW}, "onset"),
        ("pregnancy", {"observed_on": TOMORROW, "pregnancy_status": "not_pregnant"}, "observed_on"),
        (
            "prior-treatments",
            {
                "kind": "cbt",
                "name": "CBT",
                "adequate": True,
                "outcome": "partial",
                "started_on": TOMORROW,
            },
            "started_on",
        ),
    ],
)
def test_dates_in_the_future_are_refused(prescriber, patient, slug, data, field):
    with pytest.raises(ValidationError) as err:
        add_entry(prescriber, patient, slug, data)
    assert field in err.value.message_dict


def test_a_stop_date_before_the_start_is_refused(nurse, patient):
    data = {"name": "Sertraline", "started_on": date(2025, 5, 1), "stopped_on": date(2025, 1, 1)}
    with pytest.raises(ValidationError) as err:
        add_entry(nurse, patient, "medications", data)
    assert "stopped_on" in err.value.message_dict


def test_amending_an_entry_needs_a_reason(nurse, patient):
    allergy = add_entry(nurse, patient, "allergies", {"substance": "Latex"})
    with pytest.raises(ValidationError):
        amend_entry(nurse, allergy, {"severity": "severe"}, "")


def test_an_amended_entry_keeps_its_history_with_the_reason_and_user(nurse, prescriber, patient):
    allergy = add_entry(nurse, patient, "allergies", {"substance": "Latex", "severity": "mild"})
    amend_entry(prescriber, allergy, {"severity": "severe"}, "Anaphylaxis in 2019")
    allergy.refresh_from_db()
    assert allergy.severity == "severe"
    latest, first = allergy.history.order_by("-history_id")[:2]
    assert (latest.history_user, latest.history_change_reason) == (
        prescriber,
        "Anaphylaxis in 2019",
    )
    assert first.severity == "mild"
    event = AccessEvent.objects.get(action="amend")
    assert event.detail["changes"] == {"severity": ["mild", "severe"]}


def test_entered_in_error_withdraws_without_deleting(nurse, patient):
    allergy = add_entry(nurse, patient, "allergies", {"substance": "Latex"})
    mark_entered_in_error(nurse, allergy, "Wrong patient")
    allergy.refresh_from_db()
    assert (allergy.status, allergy.status_reason) == ("entered_in_error", "Wrong patient")
    assert allergy.history.count() == 2
    assert type(allergy).objects.filter(pk=allergy.pk).exists()


def test_entered_in_error_needs_a_reason(nurse, patient):
    allergy = add_entry(nurse, patient, "allergies", {"substance": "Latex"})
    with pytest.raises(ValidationError):
        mark_entered_in_error(nurse, allergy, " ")


def test_a_field_outside_the_entry_cannot_be_set(nurse, patient):
    with pytest.raises(ValidationError):
        add_entry(nurse, patient, "allergies", {"substance": "Latex", "recorded_by_id": 1})
