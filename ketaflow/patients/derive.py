"""Chart rows as the plain values the core and the apps above ask for (no permission checks:
their callers made them)."""

from __future__ import annotations

from django.db.models import QuerySet

from ketaflow.audit.history import RecordStatus
from ketaflow.patients.models import Diagnosis


def primary_diagnosis_codes(diagnoses: QuerySet[Diagnosis]) -> dict[int, str]:
    """Each patient's diagnosis where one is needed (the outcome instrument, the summary).

    The primary one, else the first recorded; entered-in-error rows never count. One query
    for any number of patients: `diagnoses` is already narrowed to them.
    """
    out: dict[int, str] = {}
    rows = (
        diagnoses.exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .order_by("patient_id", "-is_primary", "pk")
        .values_list("patient_id", "code", "other_code")
    )
    for patient_id, code, other in rows:
        out.setdefault(patient_id, Diagnosis.icd10_of(code, other))
    return out


def primary_diagnosis_code(patient_id: int) -> str:
    """One patient's `primary_diagnosis_codes` entry; "" without a diagnosis."""
    return primary_diagnosis_codes(Diagnosis.objects.filter(patient_id=patient_id)).get(
        patient_id, ""
    )


__all__ = ["primary_diagnosis_code", "primary_diagnosis_codes"]
