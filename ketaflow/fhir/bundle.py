"""A patient's whole record as FHIR resources, and Bundles of them.

`patient_resources` is the single list every edge uses ($everything, the resource reads,
the CLI and the bulk export), so a resource read returns exactly what an export contains.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from fhir_core.fhirabstractmodel import FHIRAbstractModel as Resource

from ketaflow.fhir import (
    codes,
    resources_chart,
    resources_dispensing,
    resources_homediary,
    resources_scales,
    resources_sessions,
)
from ketaflow.fhir.derive import PatientRecord
from ketaflow.fhir.resources_common import build, instant, to_json

#: Resource types in the order they appear in a patient's Bundle.
EXPORTED_TYPES: tuple[str, ...] = (
    "Patient",
    "Condition",
    "MedicationStatement",
    "AllergyIntolerance",
    "Consent",
    "Questionnaire",
    "QuestionnaireResponse",
    "Observation",
    "Encounter",
    "Procedure",
    "MedicationAdministration",
    "MedicationDispense",
)


def patient_resources(record: PatientRecord, now: datetime) -> list[Resource]:
    """Every resource of one patient (Questionnaires: one per instrument the patient used)."""
    p = record.patient
    out: list[Resource] = [resources_chart.patient(p, p.clinic.slug)]
    out += [resources_chart.condition(d) for d in record.diagnoses]
    out += [resources_chart.medication_statement(m) for m in record.medications]
    out += [resources_homediary.medication_statement(e) for e in record.home_doses]
    out += [resources_chart.allergy(a) for a in record.allergies]
    out += [resources_chart.consent(c) for c in record.consents]
    used = sorted({r.instrument for r in record.responses})
    out += [resources_scales.questionnaire(code) for code in used]
    out += [resources_scales.questionnaire_response(r) for r in record.responses]
    out += [resources_scales.score_observation(r) for r in record.responses]
    out += [resources_chart.measurement(m) for m in record.measurements]
    out += [resources_sessions.resting_bp(o) for o in record.resting_bps]
    for s in record.sessions:
        for reading in s.vitals:
            out += resources_sessions.vitals(reading, p.pk)
    for s in record.sessions:
        out.append(resources_sessions.encounter(s))
        out.append(resources_sessions.procedure(s))
        out += resources_sessions.administrations(s, now)
    out += [resources_dispensing.medication_dispense(s) for s in record.supplies]
    return out


def bundle(resources: Iterable[Resource], *, kind: str, now: datetime) -> Resource:
    """A Bundle (collection or searchset) of the resources, with stable fullUrls."""
    from ketaflow.fhir.ids import base_url

    entries: list[dict[str, Any]] = []
    for resource in resources:
        data = to_json(resource)
        entry: dict[str, Any] = {
            "fullUrl": f"{base_url()}/{data['resourceType']}/{data['id']}",
            "resource": data,
        }
        if kind == "searchset":
            entry["search"] = {"mode": "match"}
        entries.append(entry)
    data = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": instant(now)},
        "type": codes.allowed_code("Bundle", "type", kind),
        "timestamp": instant(now),
        "entry": entries,
    }
    if kind == "searchset":
        data["total"] = len(entries)
    return build(data)
