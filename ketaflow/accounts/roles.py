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
    # The treatment process (screening, consent, courses, sessions).
    BOOK_APPOINTMENTS = "book_appointments", "Book, reschedule and cancel appointments"
    MANAGE_CHAIRS = "manage_chairs", "Set up chairs, opening days and closed dates"
    MANAGE_PROTOCOLS = "manage_protocols", "Adopt and revise the clinic's treatment protocols"
    RECORD_SCREENING = "record_screening", "Open screening reviews, record baseline scales"
    SIGN_ELIGIBILITY = "sign_eligibility", "Sign off eligibility"
    RECORD_CONSENT = "record_consent", "Record a patient's informed consent"
    MANAGE_CONSENT_DOCUMENTS = "manage_consent_documents", "Publish consent document versions"
    MANAGE_COURSES = "manage_courses", "Start courses, choose protocols, change phase"
    CHART_SESSION = "chart_session", "Chart a treatment session (checklist, vitals, events)"
    OVERRIDE_LIMITS = "override_limits", "Override soft limits with a reason"
    SIGN_SESSION = "sign_session", "Sign and lock a treatment session"
    # Measurement-based care, exports and device feeds.
    SEND_QUESTIONNAIRES = (
        "send_questionnaires",
        "Issue patient questionnaire links, manage schedules, answer risk alerts",
    )
    EXPORT_DEIDENTIFIED = "export_deidentified", "Download the de-identified research export"
    EXPORT_CLINIC_DATA = "export_clinic_data", "Export the whole clinic's records (FHIR, CSV)"
    MANAGE_DEVICES = "manage_devices", "Set up bedside monitor feeds and their code mappings"
    # Emergency access (break-glass, ONC §170.315(d)(6)): the role may be designated by a clinic
    # admin (`User.may_break_glass`); only designated people may break the glass.
    BREAK_GLASS = (
        "break_glass",
        "Once designated: open a read-only emergency view of another clinic's patient",
    )
    REVIEW_EMERGENCY_ACCESS = (
        "review_emergency_access",
        "Review emergency (break-glass) access to or by the clinic",
    )
    # Take-home supply (issue #16): the prescription, and the controlled-substance log.
    AUTHORISE_TAKE_HOME = (
        "authorise_take_home",
        "Authorise take-home doses, decide early refill requests, override an overdue PDMP check",
    )
    DISPENSE_CONTROLLED = (
        "dispense_controlled",
        "Dispense take-home supplies, receive and count controlled-substance stock, record "
        "PDMP checks",
    )


_ALL_CHART = {
    Capability.VIEW_PATIENT_LIST,
    Capability.REGISTER_PATIENT,
    Capability.VIEW_CLINICAL,
    Capability.EDIT_CLINICAL,
}

_NURSING = {
    Capability.BOOK_APPOINTMENTS,
    Capability.RECORD_SCREENING,
    Capability.RECORD_CONSENT,
    Capability.CHART_SESSION,
    Capability.SEND_QUESTIONNAIRES,
    Capability.BREAK_GLASS,
    Capability.DISPENSE_CONTROLLED,
}
_PRESCRIBING = {
    Capability.EDIT_DIAGNOSES,
    Capability.SIGN_ELIGIBILITY,
    Capability.MANAGE_COURSES,
    Capability.OVERRIDE_LIMITS,
    Capability.SIGN_SESSION,
    Capability.MANAGE_PROTOCOLS,
    Capability.AUTHORISE_TAKE_HOME,
}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    # Front desk registers and books patients but never reads or writes the clinical chart.
    Role.FRONT_DESK: frozenset(
        {
            Capability.VIEW_PATIENT_LIST,
            Capability.REGISTER_PATIENT,
            Capability.BOOK_APPOINTMENTS,
        }
    ),
    # Nurses chart (medications, allergies, history, vitals, sessions) but do not diagnose,
    # sign eligibility or sessions, or override limits.
    Role.NURSE: frozenset(_ALL_CHART | _NURSING),
    Role.PRESCRIBER: frozenset(_ALL_CHART | _NURSING | _PRESCRIBING),
    # Clinic admins run the clinic (users, audit) and see who is registered, not the chart.
    Role.CLINIC_ADMIN: frozenset(
        {
            Capability.VIEW_PATIENT_LIST,
            Capability.REGISTER_PATIENT,
            Capability.VIEW_AUDIT,
            Capability.MANAGE_USERS,
            Capability.VIEW_DEIDENTIFIED,
            Capability.BOOK_APPOINTMENTS,
            Capability.MANAGE_CHAIRS,
            Capability.MANAGE_CONSENT_DOCUMENTS,
            Capability.EXPORT_DEIDENTIFIED,
            Capability.EXPORT_CLINIC_DATA,
            Capability.MANAGE_DEVICES,
            Capability.REVIEW_EMERGENCY_ACCESS,
        }
    ),
    # Researchers see de-identified aggregates only: no names, no charts.
    Role.RESEARCHER: frozenset({Capability.VIEW_DEIDENTIFIED, Capability.EXPORT_DEIDENTIFIED}),
}

# Roles whose sign-in needs a second factor outside synthetic (demo) clinics.
ROLES_REQUIRING_2FA = frozenset({Role.PRESCRIBER, Role.CLINIC_ADMIN})


def capabilities_of(role: str) -> frozenset[str]:
    return ROLE_CAPABILITIES.get(role, frozenset())
