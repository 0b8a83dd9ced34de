"""Writes of long-term safety records: one transaction each, permission-checked, audited.

The clinical core validates every value (units, ranges, a complete screen) before anything is
stored. Nothing is deleted: a correction is an amendment whose reason is kept with the old
values in the record's history; a record made by mistake is marked entered in error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.history import RecordStatus
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.long_term_safety import (
    LUTS_KEYS,
    Analyte,
    LabValue,
    evaluate_lab,
    evaluate_luts,
)
from ketaflow.courses.models import Course
from ketaflow.lib.clock import clinic_today
from ketaflow.patients.models import Patient
from ketaflow.safety.derive import rules_of_patient
from ketaflow.safety.models import LabResult, LutsScreen, ReviewKind, ReviewOutcome, SafetyReview

SafetyRecord = LabResult | LutsScreen | SafetyReview
AMENDABLE: dict[type[SafetyRecord], tuple[str, ...]] = {
    LabResult: ("value", "unit", "ref_low", "ref_high", "collected_on", "laboratory", "notes"),
    LutsScreen: ("screened_on", *LUTS_KEYS, "notes"),
    SafetyReview: ("reviewed_on", "outcome", "notes"),
}


def _invalid(exc: ClinicalInputError, field: str | None = None) -> ValidationError:
    return ValidationError({field or exc.field or "__all__": [exc.message]})


def _check_day(patient: Patient, day: date, field: str) -> None:
    today = clinic_today(patient.clinic)
    if day > today:
        raise ValidationError({field: ["A result cannot be dated in the future."]})
    if day < patient.date_of_birth:
        raise ValidationError({field: ["Before the patient's date of birth."]})


def _course(patient: Patient, course: Course | None) -> Course | None:
    if course is not None and course.patient_id != patient.pk:
        raise ValidationError({"course": ["That course belongs to another patient."]})
    return course


def _number(value: Any) -> Any:
    """Pass the value through; the core refuses anything that is not a finite number."""
    return value


def _lab_value(row: LabResult) -> LabValue:
    try:
        return LabValue(Analyte(row.analyte), row.value, row.unit, row.ref_low, row.ref_high)
    except (ClinicalInputError, ValueError) as exc:
        if isinstance(exc, ClinicalInputError):
            raise _invalid(exc) from exc
        raise ValidationError({"analyte": ["Not a liver test this panel records."]}) from exc


@transaction.atomic
def record_lab_panel(
    actor: User,
    patient: Patient,
    *,
    collected_on: date,
    values: Sequence[Mapping[str, Any]],
    course: Course | None = None,
    laboratory: str = "",
) -> list[LabResult]:
    """Store one sample's results (one row per analyte); each is checked by the core first.

    `values`: dicts with analyte, value, unit, ref_low (optional) and ref_high.
    """
    require(actor, Capability.EDIT_CLINICAL, patient)
    _check_day(patient, collected_on, "collected_on")
    if not values:
        raise ValidationError({"values": ["Enter at least one result."]})
    analytes = [str(v.get("analyte", "")) for v in values]
    if len(set(analytes)) != len(analytes):
        raise ValidationError({"values": ["Each analyte once per sample."]})
    rows = []
    rules = rules_of_patient(patient)
    for v in values:
        row = LabResult(
            patient=patient,
            course=_course(patient, course),
            recorded_by=actor,
            analyte=str(v.get("analyte", "")),
            value=_number(v.get("value")),
            unit=str(v.get("unit", "")),
            ref_low=v.get("ref_low"),
            ref_high=_number(v.get("ref_high")),
            collected_on=collected_on,
            laboratory=laboratory.strip()[:120],
            notes=str(v.get("notes", ""))[:500],
        )
        if row.analyte not in {a.value for a in Analyte}:
            raise ValidationError({"analyte": [f"Unknown analyte {row.analyte!r}."]})
        finding = evaluate_lab(_lab_value(row), rules)
        _for_history(row, actor)
        row.save()
        rows.append(row)
        record_event(
            actor=actor,
            action=Action.CREATE,
            obj=row,
            detail={"analyte": row.analyte, "flag": finding.flag.value},
        )
    return rows


@transaction.atomic
def record_luts_screen(
    actor: User,
    patient: Patient,
    *,
    screened_on: date,
    answers: Mapping[str, bool],
    course: Course | None = None,
    notes: str = "",
) -> LutsScreen:
    """Store a LUTS screen; a positive one is audited as such and flagged on the chart."""
    require(actor, Capability.EDIT_CLINICAL, patient)
    _check_day(patient, screened_on, "screened_on")
    try:
        finding = evaluate_luts(answers, rules_of_patient(patient))
    except ClinicalInputError as exc:
        raise _invalid(exc) from exc
    screen = LutsScreen(
        patient=patient,
        course=_course(patient, course),
        recorded_by=actor,
        screened_on=screened_on,
        notes=notes.strip()[:500],
        **{k: bool(answers[k]) for k in LUTS_KEYS},
    )
    _for_history(screen, actor)
    screen.save()
    record_event(
        actor=actor,
        action=Action.CREATE,
        obj=screen,
        detail={"positive": finding.positive, "symptoms": list(finding.symptoms)},
    )
    return screen


@transaction.atomic
def record_review(
    actor: User,
    patient: Patient,
    *,
    kind: str,
    reviewed_on: date,
    outcome: str,
    notes: str = "",
    course: Course | None = None,
) -> SafetyReview:
    """A cognition or substance-use review by the acting clinician (the reviewer)."""
    require(actor, Capability.EDIT_CLINICAL, patient)
    if kind not in ReviewKind.values:
        raise ValidationError({"kind": [f"Choose one of: {', '.join(ReviewKind.values)}."]})
    if outcome not in ReviewOutcome.values:
        raise ValidationError({"outcome": [f"Choose one of: {', '.join(ReviewOutcome.values)}."]})
    _check_day(patient, reviewed_on, "reviewed_on")
    if outcome != ReviewOutcome.NO_CONCERN and not notes.strip():
        raise ValidationError({"notes": ["Say what the concern is."]})
    review = SafetyReview(
        patient=patient,
        course=_course(patient, course),
        recorded_by=actor,
        reviewer=actor,
        kind=kind,
        reviewed_on=reviewed_on,
        outcome=outcome,
        notes=notes.strip(),
    )
    _for_history(review, actor)
    review.save()
    record_event(
        actor=actor, action=Action.CREATE, obj=review, detail={"kind": kind, "outcome": outcome}
    )
    return review


def _for_history(row: Any, actor: User, reason: str | None = None) -> None:
    """Tell simple-history who made this change and why (read when the row is saved)."""
    if reason is not None:
        row._change_reason = reason
    row._history_user = actor


def _locked(record: SafetyRecord) -> SafetyRecord:
    return type(record).objects.select_for_update().get(pk=record.pk)


@transaction.atomic
def amend(
    actor: User, record: SafetyRecord, changes: Mapping[str, Any], reason: str
) -> SafetyRecord:
    """Correct a record; the reason and the previous values stay in its history."""
    require(actor, Capability.EDIT_CLINICAL, record.patient)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the record is being changed."]})
    allowed = AMENDABLE[type(record)]
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise ValidationError({unknown[0]: ["This field cannot be amended."]})
    row = _locked(record)
    if row.status == RecordStatus.ENTERED_IN_ERROR:
        raise ValidationError({"status": ["A record entered in error cannot be amended."]})
    before = {f: getattr(row, f) for f in changes}
    for field, value in changes.items():
        setattr(row, field, value)
    rules = rules_of_patient(row.patient)
    if isinstance(row, LabResult):
        _check_day(row.patient, row.collected_on, "collected_on")
        evaluate_lab(_lab_value(row), rules)
    elif isinstance(row, LutsScreen):
        _check_day(row.patient, row.screened_on, "screened_on")
    else:
        _check_day(row.patient, row.reviewed_on, "reviewed_on")
        if row.outcome not in ReviewOutcome.values:
            raise ValidationError({"outcome": ["Not an outcome."]})
    changed = {f: [str(before[f]), str(getattr(row, f))] for f in changes}
    changed = {f: v for f, v in changed.items() if v[0] != v[1]}
    if not changed:
        return row
    _for_history(row, actor, reason.strip())  # for simple-history
    row.save()
    record_event(
        actor=actor,
        action=Action.AMEND,
        obj=row,
        detail={"changes": changed, "reason": reason.strip()},
    )
    return row


@transaction.atomic
def mark_entered_in_error(actor: User, record: SafetyRecord, reason: str) -> SafetyRecord:
    """Withdraw a record made by mistake: it stays, marked, and no longer counts."""
    require(actor, Capability.EDIT_CLINICAL, record.patient)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why the record is being withdrawn."]})
    row = _locked(record)
    if row.status == RecordStatus.ENTERED_IN_ERROR:
        raise ValidationError({"status": ["Already marked entered in error."]})
    row.status = RecordStatus.ENTERED_IN_ERROR
    row.status_reason = reason.strip()[:300]
    _for_history(row, actor, reason.strip())  # for simple-history
    row.save()
    record_event(
        actor=actor,
        action=Action.AMEND,
        obj=row,
        detail={"status": "entered_in_error", "reason": reason.strip(), "at": str(timezone.now())},
    )
    return row
