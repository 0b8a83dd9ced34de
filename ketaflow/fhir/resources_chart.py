"""The chart as FHIR: Patient, Condition, MedicationStatement, AllergyIntolerance, Consent,
and body weight/height Observations.

Statuses follow the chart's own: an entry marked entered in error goes out as
`entered-in-error` (so a receiver that imported it earlier can retract it), never dropped.
"""

from __future__ import annotations

from typing import Any

from fhir_core.fhirabstractmodel import FHIRAbstractModel as Resource

from ketaflow.fhir import codes, ids
from ketaflow.fhir.resources_common import (
    build,
    day,
    in_error,
    instant,
    patient_ref,
    quantity,
    status_of,
    text_concept,
)
from ketaflow.patients.codes import DiagnosisCode
from ketaflow.patients.models import Allergy, Diagnosis, Measurement, Medication, Patient
from ketaflow.screening.models import ConsentSignature

# Sex at birth is what the chart records; FHIR's administrative gender is the nearest element.
GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}


def patient(p: Patient, clinic_slug: str) -> Resource:
    names: list[dict[str, Any]] = [
        {"use": "official", "family": p.family_name, "given": [p.given_name]}
    ]
    if p.preferred_name:
        names.append({"use": "usual", "given": [p.preferred_name]})
    telecom = [
        {"system": system, "value": value}
        for system, value in (("phone", p.phone), ("email", p.email))
        if value
    ]
    data: dict[str, Any] = {
        "resourceType": "Patient",
        "id": ids.make("pat", p.pk),
        "identifier": [
            {
                "use": "usual",
                "type": codes.concept(codes.V2_0203, "MR"),
                "system": ids.mrn_system(clinic_slug),
                "value": p.mrn,
            }
        ],
        "active": True,
        "name": names,
        "gender": codes.allowed_code("Patient", "gender", GENDER.get(p.sex_at_birth, "unknown")),
        "birthDate": day(p.date_of_birth),
    }
    if telecom:
        data["telecom"] = telecom
    if p.address:
        data["address"] = [{"text": p.address}]
    if p.emergency_contact_name or p.emergency_contact_phone:
        contact: dict[str, Any] = {}
        if p.emergency_contact_name:
            contact["name"] = {"text": p.emergency_contact_name}
        if p.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": p.emergency_contact_phone}]
        data["contact"] = [contact]
    return build(data)


def condition(d: Diagnosis) -> Resource:
    if d.code == DiagnosisCode.OTHER:
        # A code typed by hand is not checked against ICD-10-CM: text only, never a coding.
        code: dict[str, Any] = text_concept(f"{d.other_code} {d.description}".strip())
    else:
        label = dict(DiagnosisCode.choices)[d.code]
        code = codes.concept(codes.ICD10CM, d.code, d.description or str(label))
    data: dict[str, Any] = {
        "resourceType": "Condition",
        "id": ids.make("dx", d.pk),
        "verificationStatus": codes.concept(
            codes.CONDITION_VERIFICATION, "entered-in-error" if in_error(d) else "confirmed"
        ),
        "category": [codes.concept(codes.CONDITION_CATEGORY, "problem-list-item")],
        "code": code,
        "subject": patient_ref(d.patient_id),
        "recordedDate": instant(d.recorded_at),
    }
    if not in_error(d):  # con-5: no clinical status on an entry made in error
        clinical = "inactive" if status_of(d) == "inactive" else "active"
        data["clinicalStatus"] = codes.concept(codes.CONDITION_CLINICAL, clinical)
    if d.onset:
        data["onsetDateTime"] = day(d.onset)
    notes = [n for n in (("Primary diagnosis" if d.is_primary else ""), d.notes) if n]
    if notes:
        data["note"] = [{"text": n} for n in notes]
    return build(data)


def medication_statement(m: Medication) -> Resource:
    if in_error(m):
        status = "entered-in-error"
    elif m.stopped_on or status_of(m) == "inactive":
        status = "stopped"
    else:
        status = "active"
    data: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": ids.make("med", m.pk),
        "status": codes.allowed_code("MedicationStatement", "status", status),
        "medicationCodeableConcept": text_concept(m.name),
        "subject": patient_ref(m.patient_id),
        "dateAsserted": instant(m.recorded_at),
    }
    period = {k: day(v) for k, v in (("start", m.started_on), ("end", m.stopped_on)) if v}
    if period:
        data["effectivePeriod"] = period
    if m.dose:
        data["dosage"] = [{"text": m.dose}]
    notes = []
    if m.classes:
        notes.append("Classes: " + ", ".join(m.class_labels()))
    if m.diazepam_equivalent_mg_per_day is not None:
        notes.append(f"Diazepam equivalent: {m.diazepam_equivalent_mg_per_day} mg/day")
    if notes:
        data["note"] = [{"text": n} for n in notes]
    return build(data)


def allergy(a: Allergy) -> Resource:
    data: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": ids.make("alg", a.pk),
        "verificationStatus": codes.concept(
            codes.ALLERGY_VERIFICATION, "entered-in-error" if in_error(a) else "confirmed"
        ),
        "code": text_concept(str(a)),  # "No known allergies" is an entry of its own
        "patient": patient_ref(a.patient_id),
        "recordedDate": instant(a.recorded_at),
    }
    if not in_error(a):
        clinical = "inactive" if status_of(a) == "inactive" else "active"
        data["clinicalStatus"] = codes.concept(codes.ALLERGY_CLINICAL, clinical)
    if a.reaction:
        reaction: dict[str, Any] = {"manifestation": [text_concept(a.reaction)]}
        if a.severity != Allergy.Severity.UNKNOWN:
            reaction["severity"] = codes.allowed_code(
                "AllergyIntolerance", "reaction.severity", a.severity
            )
        data["reaction"] = [reaction]
    elif a.severity != Allergy.Severity.UNKNOWN:
        data["note"] = [{"text": f"Severity: {a.get_severity_display()}"}]
    return build(data)


def consent(c: ConsentSignature) -> Resource:
    """One signed document version; a withdrawal makes it inactive, ending its period."""
    if in_error(c):
        status = "entered-in-error"
    elif c.is_withdrawn:
        status = "inactive"
    else:
        status = "active"
    document = c.document
    rule = f"{document.title}, version {document.version}"
    if c.withdrawn_at:
        rule += f"; withdrawn {instant(c.withdrawn_at)}"
        if c.withdrawal_reason:
            rule += f": {c.withdrawal_reason}"
    period = {"start": instant(c.signed_at)}
    if c.withdrawn_at:
        period["end"] = instant(c.withdrawn_at)
    data: dict[str, Any] = {
        "resourceType": "Consent",
        "id": ids.make("consent", c.pk),
        "status": codes.allowed_code("Consent", "status", status),
        "scope": codes.concept(codes.CONSENT_SCOPE, "treatment"),
        "category": [text_concept("Informed consent to ketamine treatment")],
        "patient": patient_ref(c.patient_id),
        "dateTime": instant(c.signed_at),
        "performer": [patient_ref(c.patient_id)],
        "policyRule": text_concept(rule),
        "provision": {"type": codes.allowed_code("Consent", "provision.type", "permit")},
    }
    data["provision"]["period"] = period
    return build(data)


MEASUREMENT_CODES = {
    Measurement.Kind.WEIGHT: ("29463-7", "kg"),
    Measurement.Kind.HEIGHT: ("8302-2", "cm"),
}


def measurement(m: Measurement) -> Resource:
    loinc, unit = MEASUREMENT_CODES[Measurement.Kind(m.kind)]
    data: dict[str, Any] = {
        "resourceType": "Observation",
        "id": ids.make("meas", m.pk),
        "status": codes.allowed_code(
            "Observation", "status", "entered-in-error" if in_error(m) else "final"
        ),
        "category": [codes.concept(codes.OBSERVATION_CATEGORY, "vital-signs")],
        "code": codes.concept(codes.LOINC, loinc),
        "subject": patient_ref(m.patient_id),
        "effectiveDateTime": day(m.measured_on),
        "valueQuantity": quantity(float(m.value), unit),
    }
    return build(data)
