"""Roles and what each may do: least privilege, one table to read.

A capability is a plain string; `rules` predicates (see `rules.py`) combine "has the
capability" with "the object belongs to my clinic", so no role ever reaches another
clinic's records.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", "Front desk"
    NURSE = "nurse", "Nurse"
    PRESCRIBER = "prescriber", "Prescriber"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"
    RESEARCHER = "researcher", "Researcher"


class Capability(models.TextChoices):
    VIEW_PATIENT_LIST = "view_patient_list", "See the patient list and demographics"
    REGISTER_PATIENT = "register_patient", "Register patients and edit demographics"
    VIEW_CLINICAL = "view_clinical", "Read the clinical chart"
    EDIT_CLINICAL = "edit_clinical", "Record medications, allergies, history, measurements"
    EDIT_DIAGNOSES = "edit_diagnoses", "Record and amend diagnoses"
    VIEW_AUDIT = "view_audit", "Read the audit log"
    MANAGE_USERS = "manage_users", "Manage the clinic's users"
    VIEW_DEIDENTIFIED = "view_deidentified", "See de-identified clinic outcomes"


_ALL_CHART = {
    Capability.VIEW_PATIENT_LIST,
    Capability.REGISTER_PATIENT,
    Capability.VIEW_CLINICAL,
    Capability.EDIT_CLINICAL,
}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    # Front desk registers and books patients but never reads or writes the clinical chart.
    Role.FRONT_DESK: frozenset({Capability.VIEW_PATIENT_LIST, Capability.REGISTER_PATIENT}),
    # Nurses chart (medications, allergies, history, vitals) but do not diagnose or sign.
    Role.NURSE: frozenset(_ALL_CHART),
    Role.PRESCRIBER: frozenset(_ALL_CHART | {Capability.EDIT_DIAGNOSES}),
    # Clinic admins run the clinic (users, audit) and see who is registered, not the chart.
    Role.CLINIC_ADMIN: frozenset(
        {
            Capability.VIEW_PATIENT_LIST,
            Capability.REGISTER_PATIENT,
            Capability.VIEW_AUDIT,
            Capability.MANAGE_USERS,
            Capability.VIEW_DEIDENTIFIED,
        }
    ),
    # Researchers see de-identified aggregates only: no names, no charts.
    Role.RESEARCHER: frozenset({Capability.VIEW_DEIDENTIFIED}),
}

# Roles whose sign-in needs a second factor outside synthetic (demo) clinics.
ROLES_REQUIRING_2FA = frozenset({Role.PRESCRIBER, Role.CLINIC_ADMIN})


def capabilities_of(role: str) -> frozenset[str]:
    return ROLE_CAPABILITIES.get(role, frozenset())
