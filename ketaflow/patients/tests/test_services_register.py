"""Registering patients and amending demographics through the service."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaflow.audit.models import AccessEvent
from ketaflow.patients.models import Patient
from ketaflow.patients.services import amend_demographics, register_patient

JANE = {
    "given_name": "Jane",
    "family_name": "Doe",
    "date_of_birth": date(1985, 4, 12),
    "sex_at_birth": "female",
}


def test_registration_gives_the_next_free_mrn_in_the_clinic(front_desk):
    first = register_patient(front_desk, **JANE)
    second = register_patient(front_desk, **{**JANE, "given_name": "Janet"})
    assert (first.mrn, second.mrn) == ("KF-000001", "KF-000002")
    assert first.clinic_id == front_desk.clinic_id
    assert first.created_by == front_desk


def test_registration_is_audited(front_desk):
    patient = register_patient(front_desk, **JANE)
    event = AccessEvent.objects.get(action="create", patient=patient)
    assert event.actor == front_desk


def test_an_mrn_is_unique_within_a_clinic(front_desk):
    register_patient(front_desk, mrn="A-1", **JANE)
    with pytest.raises(ValidationError) as err:
        register_patient(front_desk, mrn="A-1", **JANE)
    assert "mrn" in err.value.message_dict


def test_the_same_mrn_may_be_used_in_two_clinics(front_desk, outsider):
    register_patient(front_desk, mrn="A-1", **JANE)
    register_patient(outsider, mrn="A-1", **JANE)
    assert Patient.objects.filter(mrn="A-1").count() == 2


def test_auto_mrns_are_counted_per_clinic(front_desk, outsider):
    register_patient(front_desk, **JANE)
    assert register_patient(outsider, **JANE).mrn == "KF-000001"


@pytest.mark.parametrize("persona", ["nurse", "prescriber", "clinic_admin"])
def test_other_roles_with_the_capability_may_register(personas, persona):
    assert register_patient(personas[persona], **JANE).pk


def test_a_researcher_may_not_register(researcher):
    with pytest.raises(PermissionDenied):
        register_patient(researcher, **JANE)


def test_a_birth_date_in_the_future_is_refused(front_desk):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        register_patient(front_desk, **{**JANE, "date_of_birth": tomorrow})
    assert "date_of_birth" in err.value.message_dict


def test_an_unknown_field_is_refused(front_desk):
    with pytest.raises(ValidationError):
        register_patient(front_desk, clinic_id=99, **JANE)


def test_amending_needs_a_reason(front_desk, patient):
    with pytest.raises(ValidationError) as err:
        amend_demographics(front_desk, patient, {"family_name": "Smith"}, "   ")
    assert "reason" in err.value.message_dict


def test_an_amendment_keeps_the_old_values_with_who_and_why(front_desk, patient):
    amend_demographics(front_desk, patient, {"family_name": "Smith"}, "Married name")
    patient.refresh_from_db()
    assert patient.family_name == "Smith"
    latest, before = patient.history.order_by("-history_id")[:2]
    assert latest.history_change_reason == "Married name"
    assert latest.history_user == front_desk
    assert before.family_name == "Doe"
    event = AccessEvent.objects.get(action="amend", patient=patient)
    assert event.detail == {"changes": {"family_name": ["Doe", "Smith"]}, "reason": "Married name"}


def test_an_amendment_that_changes_nothing_writes_nothing(front_desk, patient):
    versions = patient.history.count()
    amend_demographics(front_desk, patient, {"family_name": "Doe"}, "No change")
    assert patient.history.count() == versions
    assert not AccessEvent.objects.filter(action="amend").exists()


def test_amending_to_an_mrn_already_in_use_is_refused(front_desk, patient):
    other = register_patient(front_desk, **JANE)
    with pytest.raises(ValidationError):
        amend_demographics(front_desk, other, {"mrn": patient.mrn}, "Typo")


def test_another_clinics_patient_cannot_be_amended(outsider, patient):
    with pytest.raises(PermissionDenied):
        amend_demographics(outsider, patient, {"family_name": "X"}, "Because")
