"""The role table: least privilege, and every permission check keeps to the user's clinic."""

import pytest
from django.core.exceptions import PermissionDenied

from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import (
    ROLE_CAPABILITIES,
    ROLES_REQUIRING_2FA,
    Capability,
    Role,
    capabilities_of,
)

C = Capability
CLINICAL = {C.VIEW_CLINICAL, C.EDIT_CLINICAL, C.EDIT_DIAGNOSES}
PATIENT = {C.VIEW_PATIENT_LIST, C.REGISTER_PATIENT} | CLINICAL


def test_every_role_has_an_entry():
    assert set(ROLE_CAPABILITIES) == set(Role.values)


def test_a_researcher_has_no_patient_capability_at_all():
    assert capabilities_of(Role.RESEARCHER) == {C.VIEW_DEIDENTIFIED, C.EXPORT_DEIDENTIFIED}


def test_only_clinic_admins_export_identified_clinic_data():
    who = [r for r in Role.values if C.EXPORT_CLINIC_DATA in capabilities_of(r)]
    assert who == [Role.CLINIC_ADMIN]


def test_front_desk_registers_patients_but_never_touches_the_chart():
    caps = capabilities_of(Role.FRONT_DESK)
    assert {C.VIEW_PATIENT_LIST, C.REGISTER_PATIENT} <= caps
    assert not caps & CLINICAL
    assert C.VIEW_AUDIT not in caps


def test_nurses_chart_but_do_not_diagnose_or_run_the_clinic():
    caps = capabilities_of(Role.NURSE)
    assert {C.VIEW_CLINICAL, C.EDIT_CLINICAL} <= caps
    assert C.EDIT_DIAGNOSES not in caps
    assert not caps & {C.VIEW_AUDIT, C.MANAGE_USERS}


def test_only_prescribers_diagnose():
    assert [r for r in Role.values if C.EDIT_DIAGNOSES in capabilities_of(r)] == [Role.PRESCRIBER]


def test_clinic_admins_run_the_clinic_but_do_not_read_the_chart():
    caps = capabilities_of(Role.CLINIC_ADMIN)
    assert {C.VIEW_AUDIT, C.MANAGE_USERS} <= caps
    assert not caps & CLINICAL


def test_only_clinic_admins_read_the_audit_log_and_manage_users():
    for cap in (C.VIEW_AUDIT, C.MANAGE_USERS):
        assert [r for r in Role.values if cap in capabilities_of(r)] == [Role.CLINIC_ADMIN]


def test_only_prescribers_authorise_take_home_doses():
    who = [r for r in Role.values if C.AUTHORISE_TAKE_HOME in capabilities_of(r)]
    assert who == [Role.PRESCRIBER]


def test_nurses_and_prescribers_keep_the_controlled_substance_log_and_no_one_else():
    who = {r for r in Role.values if C.DISPENSE_CONTROLLED in capabilities_of(r)}
    assert who == {Role.NURSE, Role.PRESCRIBER}


def test_an_unknown_or_empty_role_has_nothing():
    assert capabilities_of("") == frozenset()
    assert capabilities_of("superhero") == frozenset()


def test_second_factor_roles_are_the_ones_that_sign_or_see_everything():
    assert {Role.PRESCRIBER, Role.CLINIC_ADMIN} == ROLES_REQUIRING_2FA


def test_an_inactive_user_or_one_without_a_clinic_can_do_nothing(nurse):
    nurse.is_active = False
    assert not nurse.can(C.VIEW_CLINICAL)
    nurse.is_active = True
    nurse.clinic = None
    assert not nurse.can(C.VIEW_CLINICAL)


def test_a_superuser_without_a_role_gets_no_clinic_capability(db):
    from ketaflow.accounts.models import User

    root = User.objects.create_superuser("root", "root@example.org", "x" * 20)
    assert not any(root.can(c) for c in C.values)


def _allowed(user, capability, obj) -> bool:
    """The one object check services and views make (`permissions.require`)."""
    try:
        require(user, capability, obj)
    except PermissionDenied:
        return False
    return True


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "clinic_admin"])
def test_object_permissions_hold_only_inside_the_users_clinic(
    personas, patient, outsider_patient, persona
):
    user = personas[persona]
    assert _allowed(user, C.VIEW_PATIENT_LIST, patient)
    assert not _allowed(user, C.VIEW_PATIENT_LIST, outsider_patient)


def test_chart_entries_are_scoped_through_their_patient(nurse, patient, outsider_patient):
    from ketaflow.patients.models import Allergy

    mine = Allergy(patient=patient, substance="Latex")
    theirs = Allergy(patient=outsider_patient, substance="Latex")
    assert _allowed(nurse, C.VIEW_CLINICAL, mine)
    assert not _allowed(nurse, C.VIEW_CLINICAL, theirs)


def test_a_researcher_is_refused_every_patient_permission(researcher, patient):
    assert not any(_allowed(researcher, c, patient) for c in PATIENT)
