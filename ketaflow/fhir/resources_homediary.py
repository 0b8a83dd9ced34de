"""Home dose diary entries as FHIR MedicationStatements, marked patient-reported.

A dose the patient took at home and recorded through their portal link is what the patient
says they took, not an administration anyone witnessed: a MedicationStatement (status
"completed"; "entered-in-error" for an entry so marked) whose `informationSource` is the
Patient, with the take-home supply's lot in a contained Medication when the entry names one.
"""

from __future__ import annotations

from typing import Any

from fhir_core.fhirabstractmodel import FHIRAbstractModel as Resource

from ketaflow.fhir import codes, ids
from ketaflow.fhir.resources_common import build, in_error, instant, patient_ref, quantity
from ketaflow.homediary.models import DiaryEntry

PATIENT_REPORTED = "Patient-reported: recorded by the patient in their home dose diary."


def medication_statement(entry: DiaryEntry) -> Resource:
    med: dict[str, Any] = {
        "resourceType": "Medication",
        "id": "drug",
        "code": codes.concept(codes.UNII, "O18YUO0I83", "Ketamine hydrochloride"),
    }
    if entry.supply is not None:
        med["batch"] = {"lotNumber": entry.supply.lot}
    status = "entered-in-error" if in_error(entry) else "completed"
    data: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": ids.make("hdd", entry.pk),
        "contained": [med],
        "status": codes.allowed_code("MedicationStatement", "status", status),
        "medicationReference": {"reference": "#drug"},
        "subject": patient_ref(entry.patient_id),
        "effectiveDateTime": instant(entry.taken_at),
        "dateAsserted": instant(entry.recorded_at),
        "informationSource": patient_ref(entry.patient_id),
        "dosage": [
            {
                "text": f"{entry.dose_mg:g} mg taken at home",
                "doseAndRate": [{"doseQuantity": quantity(entry.dose_mg, "mg")}],
            }
        ],
        "note": [{"text": PATIENT_REPORTED}],
    }
    return build(data)
