"""FHIR reads: a patient's $everything and single-resource reads, scoped and audited.

Reading FHIR is reading the chart: it needs VIEW_CLINICAL, another clinic's record is "not
found" (never "forbidden", which would confirm it exists), and every read writes an audit
event against the patient whose data left (action "export" for a whole record, "view" for
one resource), on whichever channel the request came from (api, cli, web).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import get_instrument
from ketaflow.dispensing.models import Supply
from ketaflow.fhir import derive, ids, resources_scales
from ketaflow.fhir.bundle import EXPORTED_TYPES, bundle, patient_resources
from ketaflow.fhir.models import ExportJob
from ketaflow.fhir.resources_common import to_json
from ketaflow.homediary.models import DiaryEntry
from ketaflow.patients.models import Allergy, Diagnosis, Measurement, Medication, Patient
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.screening.models import ConsentSignature, ScreeningObservation
from ketaflow.treatments.models import AdministrationEvent, TreatmentSession, VitalsReading

# id prefix → (model, lookup of the patient's id from that model)
_OWNER: dict[str, tuple[type[models.Model], str]] = {
    "pat": (Patient, "pk"),
    "dx": (Diagnosis, "patient_id"),
    "med": (Medication, "patient_id"),
    "alg": (Allergy, "patient_id"),
    "consent": (ConsentSignature, "patient_id"),
    "qr": (InstrumentResponse, "patient_id"),
    "score": (InstrumentResponse, "patient_id"),
    "rbp": (ScreeningObservation, "patient_id"),
    "meas": (Measurement, "patient_id"),
    "vs": (VitalsReading, "session__patient_id"),
    "enc": (TreatmentSession, "patient_id"),
    "proc": (TreatmentSession, "patient_id"),
    "mai": (TreatmentSession, "patient_id"),
    "mae": (AdministrationEvent, "session__patient_id"),
    "hdd": (DiaryEntry, "patient_id"),
    "mdisp": (Supply, "patient_id"),
}

NOT_FOUND = "No such resource in your clinic."


def require_clinical_read(actor: User) -> None:
    if not actor.can(Capability.VIEW_CLINICAL):
        raise PermissionDenied("Your role cannot read clinical records (view_clinical).")


def _scoped_patient(actor: User, patient_pk: int) -> Patient:
    try:
        return Patient.objects.select_related("clinic").get(
            pk=patient_pk, clinic_id=actor.clinic_pk
        )
    except Patient.DoesNotExist:
        raise Http404(NOT_FOUND) from None


def patient_by_fhir_id(actor: User, fhir_id: str) -> Patient:
    require_clinical_read(actor)
    parsed = ids.parse("Patient", fhir_id)
    if parsed is None:
        raise Http404(NOT_FOUND)
    return _scoped_patient(actor, parsed.pk)


def audit_export(
    patient: Patient, *, actor: User | None, detail: dict[str, Any], actor_label: str = ""
) -> None:
    """One audit event per patient whose record left Ketaflow."""
    record_event(
        actor=actor,
        action=Action.EXPORT,
        obj=patient,
        clinic_id=patient.clinic_id,
        detail=detail,
        actor_label=actor_label or None,
    )


def everything(actor: User, fhir_id: str, now: datetime) -> dict[str, Any]:
    """Patient/{id}/$everything: the whole record as a searchset Bundle; audited as export."""
    patient = patient_by_fhir_id(actor, fhir_id)
    resources = patient_resources(derive.load(patient), now)
    audit_export(
        patient,
        actor=actor,
        detail={"format": "fhir", "operation": "$everything", "resources": len(resources)},
    )
    return to_json(bundle(resources, kind="searchset", now=now))


def read(actor: User, resource_type: str, fhir_id: str, now: datetime) -> dict[str, Any]:
    """One resource by type and id, exactly as $everything would contain it; audited."""
    require_clinical_read(actor)
    if resource_type == "Questionnaire":
        try:
            instrument = get_instrument(fhir_id)
        except ClinicalInputError:
            raise Http404(NOT_FOUND) from None
        if instrument.code != fhir_id:
            raise Http404(NOT_FOUND)
        return to_json(resources_scales.questionnaire(instrument.code))
    if resource_type not in EXPORTED_TYPES:
        raise Http404(NOT_FOUND)
    parsed = ids.parse(resource_type, fhir_id)
    if parsed is None:
        raise Http404(NOT_FOUND)
    model, owner = _OWNER[parsed.prefix]
    patient_pk = model._default_manager.filter(pk=parsed.pk).values_list(owner, flat=True).first()
    if patient_pk is None:
        raise Http404(NOT_FOUND)
    patient = _scoped_patient(actor, int(patient_pk))
    for resource in patient_resources(derive.load(patient), now):
        data = to_json(resource)
        if data["resourceType"] == resource_type and data["id"] == fhir_id:
            record_event(
                actor=actor,
                action=Action.VIEW,
                obj=patient,
                detail={"part": "fhir", "resource": f"{resource_type}/{fhir_id}"},
            )
            return data
    raise Http404(NOT_FOUND)


def recent_exports(actor: User, *, limit: int = 5) -> list[ExportJob]:
    """The clinic's latest whole-clinic exports (no patient data: not audited)."""
    if not actor.can(Capability.EXPORT_CLINIC_DATA):
        raise PermissionDenied("Only clinic admins may export the whole clinic.")
    return list(
        ExportJob.objects.filter(clinic_id=actor.clinic_pk).select_related("requested_by")[:limit]
    )
