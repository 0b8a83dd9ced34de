"""Checks on chart entries beyond single-field validity, with field-level messages."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from ketaflow.audit.history import RecordStatus
from ketaflow.lib.units import HEIGHT_RANGE_CM, WEIGHT_RANGE_KG, to_canonical
from ketaflow.patients.codes import DiagnosisCode, MedicationClass
from ketaflow.patients.models import (
    Allergy,
    Diagnosis,
    Measurement,
    Medication,
    Patient,
    PregnancyRecord,
    PriorTreatment,
)


def _not_future(errors: dict[str, list[str]], field: str, value: date | None, today: date) -> None:
    if value is not None and value > today:
        errors.setdefault(field, []).append("This date is in the future.")


def _ordered(
    errors: dict[str, list[str]], start: str, end: str, a: date | None, b: date | None
) -> None:
    if a is not None and b is not None and b < a:
        errors.setdefault(end, []).append(f"Must be on or after {start.replace('_', ' ')}.")


def check_patient(patient: Patient, today: date) -> None:
    errors: dict[str, list[str]] = {}
    dob = patient.date_of_birth
    if dob is not None:
        if dob > today:
            errors["date_of_birth"] = ["Date of birth is in the future."]
        elif dob < today - timedelta(days=365 * 120):
            errors["date_of_birth"] = ["Date of birth is more than 120 years ago: check it."]
    if errors:
        raise ValidationError(errors)


def check_entry(record: Any, today: date) -> None:
    """Raise ValidationError({field: [message]}) for cross-field problems in a chart entry."""
    errors: dict[str, list[str]] = {}
    if isinstance(record, Diagnosis):
        if record.code == DiagnosisCode.OTHER and not record.other_code.strip():
            errors["other_code"] = ["Type the ICD-10 code for an 'Other' diagnosis."]
        _not_future(errors, "onset", record.onset, today)
    elif isinstance(record, Medication):
        unknown = [c for c in record.classes if c not in MedicationClass.values]
        if not isinstance(record.classes, list) or unknown:
            errors["classes"] = [f"Unknown class(es): {', '.join(map(str, unknown))}."]
        if (
            MedicationClass.BENZODIAZEPINE in record.classes
            and record.diazepam_equivalent_mg_per_day is None
        ):
            errors["diazepam_equivalent_mg_per_day"] = [
                "Give the daily dose as diazepam-equivalent mg (0–500) for a benzodiazepine."
            ]
        _ordered(errors, "started_on", "stopped_on", record.started_on, record.stopped_on)
    elif isinstance(record, PriorTreatment):
        _ordered(errors, "started_on", "ended_on", record.started_on, record.ended_on)
        _not_future(errors, "started_on", record.started_on, today)
    elif isinstance(record, Measurement):
        _check_measurement(errors, record)
        _not_future(errors, "measured_on", record.measured_on, today)
    elif isinstance(record, PregnancyRecord):
        _not_future(errors, "observed_on", record.observed_on, today)
        if record.test_positive is not None and not record.test_done:
            errors["test_positive"] = ["A test result needs 'test done' ticked."]
    elif isinstance(record, Allergy):
        _check_allergy(errors, record)
    if errors:
        raise ValidationError(errors)


def _check_allergy(errors: dict[str, list[str]], a: Allergy) -> None:
    """Either a substance or "no known allergies", and never both live on one chart."""
    substance = (a.substance or "").strip()
    if a.no_known_allergies:
        if substance or (a.reaction or "").strip() or a.severity != Allergy.Severity.UNKNOWN:
            errors["no_known_allergies"] = [
                "'No known allergies' is an entry of its own: leave substance, reaction and "
                "severity empty."
            ]
            return
    elif not substance:
        errors["substance"] = ["Name the substance, or tick 'No known allergies'."]
        return
    if a.status != RecordStatus.ACTIVE:
        return
    others = Allergy.objects.filter(patient_id=a.patient_id, status=RecordStatus.ACTIVE).exclude(
        pk=a.pk
    )
    if a.no_known_allergies:
        listed = sorted(o.substance for o in others.filter(no_known_allergies=False))
        if listed:
            errors["no_known_allergies"] = [
                f"The chart lists active allergies ({', '.join(listed)}): set them inactive "
                "first if the patient no longer has them."
            ]
    elif others.filter(no_known_allergies=True).exists():
        errors["substance"] = [
            "The chart says 'No known allergies': amend that entry to inactive first, then "
            "add this allergy."
        ]


def _check_measurement(errors: dict[str, list[str]], m: Measurement) -> None:
    units = ("kg", "lb") if m.kind == Measurement.Kind.WEIGHT else ("cm", "in", "m")
    if m.entered_unit not in units:
        errors["entered_unit"] = [f"Unit for {m.kind} must be one of: {', '.join(units)}."]
        return
    if m.entered_value is None:
        return
    value = to_canonical(m.kind, Decimal(m.entered_value), m.entered_unit)
    low, high = WEIGHT_RANGE_KG if m.kind == Measurement.Kind.WEIGHT else HEIGHT_RANGE_CM
    unit = "kg" if m.kind == Measurement.Kind.WEIGHT else "cm"
    if not low <= value <= high:
        errors["entered_value"] = [
            f"{m.kind.capitalize()} must be between {low} and {high} {unit} "
            f"(this is {value} {unit}): check the number and the unit."
        ]
    m.value = value
