"""Writes to the chart: one transaction each, permission-checked, audited, never destructive.

Corrections are amendments: the old values stay in the record's history with who, when and
the reason given; an entry made by mistake is marked "entered in error", never deleted.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.history import ClinicalRecord, RecordStatus
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.patients.entries import entry_kind, kind_of
from ketaflow.patients.models import Patient
from ketaflow.patients.validation import check_entry, check_patient

DEMOGRAPHIC_FIELDS = (
    "mrn",
    "given_name",
    "family_name",
    "preferred_name",
    "date_of_birth",
    "sex_at_birth",
    "gender_identity",
    "can_become_pregnant",
    "phone",
    "email",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def next_mrn(clinic_id: int) -> str:
    """The clinic's next free MRN of the form KF-000001."""
    existing = Patient.objects.filter(clinic_id=clinic_id, mrn__startswith="KF-").values_list(
        "mrn", flat=True
    )
    numbers = [int(m[3:]) for m in existing if m[3:].isdigit()]
    return f"KF-{(max(numbers, default=0) + 1):06d}"


@transaction.atomic
def register_patient(actor: User, *, is_synthetic: bool = False, **data: Any) -> Patient:
    require(actor, Capability.REGISTER_PATIENT)
    unknown = set(data) - set(DEMOGRAPHIC_FIELDS)
    if unknown:
        raise ValidationError({f: ["Not a demographic field."] for f in sorted(unknown)})
    patient = Patient(clinic_id=actor.clinic_pk, created_by=actor, is_synthetic=is_synthetic)
    for field, value in data.items():
        setattr(patient, field, value)
    if not patient.mrn:
        patient.mrn = next_mrn(actor.clinic_pk)
    patient.full_clean(exclude=["clinic", "created_by"])
    check_patient(patient, timezone.localdate())
    if Patient.objects.filter(clinic_id=actor.clinic_pk, mrn=patient.mrn).exists():
        raise ValidationError({"mrn": ["This MRN is already used in your clinic."]})
    patient._history_user = actor  # type: ignore[attr-defined]  # not only in web requests
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:  # a concurrent registration took the MRN
        raise ValidationError({"mrn": ["This MRN is already used in your clinic."]}) from exc
    record_event(actor=actor, action=Action.CREATE, obj=patient)
    return patient


@transaction.atomic
def amend_demographics(
    actor: User, patient: Patient, changes: dict[str, Any], reason: str
) -> Patient:
    """Change demographics; the reason is kept with the previous values in the history."""
    require(actor, Capability.REGISTER_PATIENT, patient)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the record is being changed."]})
    unknown = set(changes) - set(DEMOGRAPHIC_FIELDS)
    if unknown:
        raise ValidationError({f: ["Not a demographic field."] for f in sorted(unknown)})
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    before = {f: _jsonable(getattr(patient, f)) for f in changes}
    for field, value in changes.items():
        setattr(patient, field, value)
    patient.full_clean(exclude=["clinic", "created_by"])
    check_patient(patient, timezone.localdate())
    clash = Patient.objects.filter(clinic_id=patient.clinic_id, mrn=patient.mrn).exclude(
        pk=patient.pk
    )
    if clash.exists():
        raise ValidationError({"mrn": ["This MRN is already used in your clinic."]})
    changed = {f: [before[f], _jsonable(getattr(patient, f))] for f in changes}
    changed = {f: v for f, v in changed.items() if v[0] != v[1]}
    if not changed:
        return patient
    patient._change_reason = reason.strip()  # type: ignore[attr-defined]
    patient._history_user = actor  # type: ignore[attr-defined]  # API, CLI and HL7 too
    patient.save()
    record_event(
        actor=actor,
        action=Action.AMEND,
        obj=patient,
        detail={"changes": changed, "reason": reason.strip()},
    )
    return patient


@transaction.atomic
def add_entry(actor: User, patient: Patient, kind_slug: str, data: dict[str, Any]) -> Any:
    """Add a diagnosis, medication, allergy, history item, measurement… to the chart."""
    kind = entry_kind(kind_slug)
    require(actor, kind.write_capability, patient)
    unknown = set(data) - set(kind.fields)
    if unknown:
        raise ValidationError({f: ["Not a field of this entry."] for f in sorted(unknown)})
    record = kind.model(patient=patient, recorded_by=actor, **data)
    check_entry(record, timezone.localdate())
    record.full_clean(exclude=["patient", "recorded_by"])
    record._history_user = actor  # not only in web requests: API, CLI and HL7 too
    record.save()
    record_event(actor=actor, action=Action.CREATE, obj=record, patient_id=patient.pk)
    return record


@transaction.atomic
def amend_entry(
    actor: User, record: ClinicalRecord, changes: dict[str, Any], reason: str
) -> ClinicalRecord:
    """Correct a chart entry. The old values and the reason stay in its history."""
    kind = kind_of(record)
    patient = record.patient  # type: ignore[attr-defined]
    require(actor, kind.write_capability, patient)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the entry is being amended."]})
    allowed = set(kind.fields) | {"status"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({f: ["Not a field of this entry."] for f in sorted(unknown)})
    if changes.get("status") is not None and changes["status"] not in RecordStatus.values:
        raise ValidationError({"status": [f"Choose one of: {', '.join(RecordStatus.values)}."]})
    record = type(record).objects.select_for_update().get(pk=record.pk)
    before = {f: _jsonable(getattr(record, f)) for f in changes}
    for field, value in changes.items():
        setattr(record, field, value)
    check_entry(record, timezone.localdate())
    record.full_clean(exclude=["patient", "recorded_by"])
    changed = {f: [before[f], _jsonable(getattr(record, f))] for f in changes}
    changed = {f: v for f, v in changed.items() if v[0] != v[1]}
    if not changed:
        return record
    record.status_reason = reason.strip()[:300] if "status" in changed else record.status_reason
    record._change_reason = reason.strip()  # type: ignore[attr-defined]
    record._history_user = actor  # type: ignore[attr-defined]  # API, CLI and HL7 too
    record.save()
    record_event(
        actor=actor,
        action=Action.AMEND,
        obj=record,
        patient_id=patient.pk,
        detail={"changes": changed, "reason": reason.strip()},
    )
    return record


def mark_entered_in_error(actor: User, record: ClinicalRecord, reason: str) -> ClinicalRecord:
    """Withdraw an entry made by mistake; it stays visible in the history, struck through."""
    return amend_entry(actor, record, {"status": RecordStatus.ENTERED_IN_ERROR}, reason)
