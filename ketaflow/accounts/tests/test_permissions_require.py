"""`require`: the one check services and views share — role capability and same clinic."""

import pytest
from django.core.exceptions import PermissionDenied

from ketaflow.accounts.permissions import clinic_id_of, require, require_any
from ketaflow.accounts.roles import Capability


def test_a_role_with_the_capability_passes_for_its_own_clinic(nurse, patient):
    require(nurse, Capability.EDIT_CLINICAL, patient)


def test_a_role_without_the_capability_is_refused(front_desk, patient):
    with pytest.raises(PermissionDenied, match="edit_clinical"):
        require(front_desk, Capability.EDIT_CLINICAL, patient)


def test_another_clinics_record_is_refused_even_with_the_capability(outsider, patient):
    with pytest.raises(PermissionDenied, match="another clinic"):
        require(outsider, Capability.EDIT_CLINICAL, patient)


def test_require_any_passes_with_one_of_several_capabilities(front_desk, researcher):
    require_any(front_desk, Capability.VIEW_CLINICAL, Capability.BOOK_APPOINTMENTS)
    with pytest.raises(PermissionDenied, match="view_clinical or book_appointments"):
        require_any(researcher, Capability.VIEW_CLINICAL, Capability.BOOK_APPOINTMENTS)


def test_a_records_clinic_is_its_own_or_its_patients(patient, nurse):
    from ketaflow.patients.services import add_entry

    allergy = add_entry(nurse, patient, "allergies", {"substance": "Latex"})
    assert clinic_id_of(patient) == patient.clinic_id
    assert clinic_id_of(allergy) == patient.clinic_id
    assert clinic_id_of(None) is None
