"""Treatment sessions as FHIR: Encounter, Procedure, MedicationAdministration, vital signs.

Doses come from the administration events through the clinical core, never from a stored
number: the infusion's delivered mg is the integral of its running segments (at the stop, or
at `now` while it still runs); each bolus is its own administration. A line struck as
entered in error goes out as its own MedicationAdministration with status entered-in-error,
so a receiver sees the correction. The lot is the controlled-substance log's (latest entry).
Ketamine has no verified RxNorm or SNOMED code (reference §8), so the drug is sent as text
plus, for racemic ketamine, its UNII; esketamine as text only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fhir_core.fhirabstractmodel import FHIRAbstractModel as Resource

from ketaflow.clinical import administration as adm
from ketaflow.clinical.routes import Route
from ketaflow.fhir import codes, ids
from ketaflow.fhir.derive import SessionRecord
from ketaflow.fhir.resources_common import (
    build,
    encounter_ref,
    instant,
    patient_ref,
    person,
    quantity,
    text_concept,
)
from ketaflow.screening.models import ScreeningObservation
from ketaflow.treatments import derive
from ketaflow.treatments.models import AdministrationEvent, EventKind, VitalsReading

ENCOUNTER_STATUS = {
    "checked_in": "arrived",
    "ready": "arrived",
    "in_progress": "in-progress",
    "observing": "in-progress",
    "discharged": "finished",
    "signed": "finished",
}


def route_of(s: SessionRecord) -> Route:
    return Route(s.session.route)


def encounter(s: SessionRecord) -> Resource:
    session = s.session
    period = {"start": instant(session.checked_in_at)}
    if s.discharge is not None and s.discharge.discharged_at is not None:
        period["end"] = instant(s.discharge.discharged_at)
    status = ENCOUNTER_STATUS[session.status]
    data: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": ids.make("enc", session.pk),
        "status": codes.allowed_code("Encounter", "status", status),
        "class": codes.coding(codes.ACT_CODE, "AMB"),
        "type": [text_concept(f"Ketamine treatment session {session.session_number}")],
        "subject": patient_ref(session.patient_id),
        "period": period,
    }
    return build(data)


def dose_completed_at(s: SessionRecord) -> datetime | None:
    if s.administration is None:
        return None
    return derive.dose_completed_at(s.session, s.administration)


def procedure(s: SessionRecord) -> Resource:
    session = s.session
    record = s.administration
    first = record.first_dose_at if record else None
    done = dose_completed_at(s)
    if first is None:
        status = "not-done" if session.status in ("discharged", "signed") else "preparation"
    else:
        status = "completed" if done is not None else "in-progress"
    data: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": ids.make("proc", session.pk),
        "status": codes.allowed_code("Procedure", "status", status),
        "code": text_concept(f"Ketamine administration ({route_of(s).label})"),
        "subject": patient_ref(session.patient_id),
        "encounter": encounter_ref(session.pk),
    }
    if first is not None:
        period = {"start": instant(first)}
        if done is not None:
            period["end"] = instant(done)
        data["performedPeriod"] = period
    protocol = session.protocol_version
    notes = [f"Session {session.session_number}; protocol {protocol.name} v{protocol.version}"]
    if s.administration_error:
        notes.append(f"Administration record could not be read: {s.administration_error}")
    data["note"] = [{"text": n} for n in notes]
    return build(data)


def _medication(s: SessionRecord) -> dict[str, Any]:
    """The drug as a contained Medication, so the lot (Medication.batch) can travel with it."""
    if route_of(s).is_esketamine:
        med: dict[str, Any] = {"code": text_concept("Esketamine nasal spray")}
    else:
        med = {"code": codes.concept(codes.UNII, "O18YUO0I83", "Ketamine hydrochloride")}
    lots = list(dict.fromkeys(c.lot for c in s.cs_entries))
    if lots:
        med["batch"] = {"lotNumber": lots[0]}
    return {"resourceType": "Medication", "id": "drug", **med}


def _administration(
    s: SessionRecord,
    resource_id: str,
    status: str,
    dosage: dict[str, Any],
    notes: list[str],
    **effective: Any,
) -> Resource:
    dosage = {"route": codes.concept(codes.SNOMED, codes.ROUTE_CODES[route_of(s)].code), **dosage}
    data: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": resource_id,
        "contained": [_medication(s)],
        "status": codes.allowed_code("MedicationAdministration", "status", status),
        "medicationReference": {"reference": "#drug"},
        "subject": patient_ref(s.session.patient_id),
        "context": encounter_ref(s.session.pk),
        "dosage": dosage,
        **effective,
    }
    lots = list(dict.fromkeys(c.lot for c in s.cs_entries))
    if len(lots) > 1:
        notes = [*notes, "Lots drawn (controlled-substance log): " + ", ".join(lots)]
    if notes:
        data["note"] = [{"text": n} for n in notes]
    return build(data)


def _rate_text(s: SessionRecord, event: AdministrationEvent) -> str:
    mg_min = s.mg_per_min(event)
    shown = f"{event.rate_ml_per_h:g} mL/h"
    return shown + (f" ({mg_min:.3g} mg/min)" if mg_min is not None else "")


def _infusion(s: SessionRecord, now: datetime) -> Resource | None:
    record = s.administration
    if record is None or record.started_at is None:
        return None
    until = record.stopped_at or now
    infused = sum(seg.mg_until(until) for seg in record.segments)
    live = [e for e in s.events if not e.in_error]
    start = next(e for e in live if e.kind == EventKind.START)
    steps = []
    for e in live:
        if e.kind in (EventKind.START, EventKind.RATE_CHANGE) and e.rate_ml_per_h is not None:
            steps.append(f"{instant(e.at)} {e.get_kind_display().lower()} {_rate_text(s, e)}")
        elif e.kind in (EventKind.PAUSE, EventKind.RESUME, EventKind.STOP):
            steps.append(f"{instant(e.at)} {e.get_kind_display().lower()}")
    dosage: dict[str, Any] = {
        "text": "Infusion: " + "; ".join(steps),
        "dose": quantity(infused, "mg"),
    }
    first_rate = s.mg_per_min(start)
    if first_rate is not None:
        dosage["rateQuantity"] = quantity(first_rate, "mg/min")
    period = {"start": instant(record.started_at)}
    if record.stopped_at is not None:
        period["end"] = instant(record.stopped_at)
    status = "completed" if record.stopped_at is not None else "in-progress"
    extra: dict[str, Any] = {"effectivePeriod": period}
    performer = person(start.recorded_by)
    if performer:
        extra["performer"] = [{"actor": performer}]
    return _administration(s, ids.make("mai", s.session.pk), status, dosage, [], **extra)


def _event_administration(s: SessionRecord, e: AdministrationEvent) -> Resource:
    dosage: dict[str, Any] = {}
    if e.bolus_mg is not None:
        dosage["dose"] = quantity(e.bolus_mg, "mg")
    mg_min = s.mg_per_min(e)
    if mg_min is not None:
        dosage["rateQuantity"] = quantity(mg_min, "mg/min")
    label = e.get_kind_display()
    dosage["text"] = label + (f" at {_rate_text(s, e)}" if e.rate_ml_per_h is not None else "")
    extra: dict[str, Any] = {"effectiveDateTime": instant(e.at)}
    performer = person(e.recorded_by)
    if performer:
        extra["performer"] = [{"actor": performer}]
    notes = []
    if e.in_error:
        notes.append(f"Entered in error: {e.entered_in_error_reason or 'no reason given'}")
    status = "entered-in-error" if e.in_error else "completed"
    return _administration(s, ids.make("mae", e.pk), status, dosage, notes, **extra)


def administrations(s: SessionRecord, now: datetime) -> list[Resource]:
    """The infusion (if any), each bolus, and each struck dosing line."""
    out: list[Resource] = []
    infusion = _infusion(s, now)
    if infusion is not None:
        out.append(infusion)
    for e in s.events:
        if e.kind == EventKind.BOLUS or (e.in_error and e.kind == EventKind.START):
            out.append(_event_administration(s, e))
    return out


def _vital(
    resource_id: str,
    patient_pk: int,
    at: datetime,
    loinc: str,
    *,
    status: str = "final",
    value: dict[str, Any] | None = None,
    components: list[dict[str, Any]] | None = None,
    session_pk: int | None = None,
) -> Resource:
    data: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id,
        "status": codes.allowed_code("Observation", "status", status),
        "category": [codes.concept(codes.OBSERVATION_CATEGORY, "vital-signs")],
        "code": codes.concept(codes.LOINC, loinc),
        "subject": patient_ref(patient_pk),
        "effectiveDateTime": instant(at),
    }
    if session_pk is not None:
        data["encounter"] = encounter_ref(session_pk)
    if value is not None:
        data["valueQuantity"] = value
    if components:
        data["component"] = components
    return build(data)


def _bp_components(sbp: float | None, dbp: float | None) -> list[dict[str, Any]]:
    return [
        {"code": codes.concept(codes.LOINC, loinc), "valueQuantity": quantity(v, "mm[Hg]")}
        for loinc, v in (("8480-6", sbp), ("8462-4", dbp))
        if v is not None
    ]


def vitals(reading: VitalsReading, patient_pk: int) -> list[Resource]:
    """One reading: a BP panel (85354-9) with its components, then HR, SpO2 and RR."""
    out: list[Resource] = []
    at, session_pk = reading.taken_at, reading.session_id
    if reading.sbp is not None or reading.dbp is not None:
        components = _bp_components(reading.sbp, reading.dbp)
        bp_id = ids.make("vs", reading.pk, "bp")
        out.append(
            _vital(bp_id, patient_pk, at, "85354-9", components=components, session_pk=session_pk)
        )
    for part, loinc, value, unit in (
        ("hr", "8867-4", reading.hr, "/min"),
        ("spo2", "59408-5", reading.spo2, "%"),
        ("rr", "9279-1", reading.rr, "/min"),
    ):
        if value is not None:
            resource_id = ids.make("vs", reading.pk, part)
            value_q = quantity(value, unit)
            out.append(
                _vital(resource_id, patient_pk, at, loinc, value=value_q, session_pk=session_pk)
            )
    return out


def resting_bp(o: ScreeningObservation) -> Resource:
    status = "entered-in-error" if o.status == "entered_in_error" else "final"
    return _vital(
        ids.make("rbp", o.pk),
        o.patient_id,
        o.observed_at,
        "85354-9",
        status=status,
        components=_bp_components(
            float(o.systolic) if o.systolic is not None else None,
            float(o.diastolic) if o.diastolic is not None else None,
        ),
    )


def delivered_total(s: SessionRecord, now: datetime) -> float | None:
    """The session's delivered mg (infusion + boluses), as the session screens show it."""
    if s.administration is None:
        return None
    return adm.delivered_mg(s.administration, dose_completed_at(s) or now)
