"""One patient's record, read in a handful of queries, for the mapping functions.

Loading is the only part of an export that touches the database; the mappings in
`resources_*` read these plain containers and the clinical core only (pure apart from
attribute access), so what goes out is decided in one place and testable without a request.
The delivered dose is never read from a column: it is derived from the administration events
by the core (`ketaflow.clinical.administration`), exactly as the session screens derive it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ketaflow.clinical import administration as adm
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.dispensing.models import Supply
from ketaflow.homediary.models import DiaryEntry
from ketaflow.patients.models import Allergy, Diagnosis, Measurement, Medication, Patient
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.screening.models import ConsentSignature, ObservationKind, ScreeningObservation
from ketaflow.treatments.models import (
    AdministrationEvent,
    ControlledSubstanceLog,
    DischargeRecord,
    DoseOrder,
    OrderStatus,
    TreatmentSession,
    VitalsReading,
)


@dataclass
class SessionRecord:
    session: TreatmentSession
    order: DoseOrder | None  # the confirmed order in force (its concentration converts rates)
    events: list[AdministrationEvent]  # every line, struck ones included
    vitals: list[VitalsReading]
    cs_entries: list[ControlledSubstanceLog]  # newest first
    discharge: DischargeRecord | None  # the latest assessment
    administration: adm.AdministrationRecord | None  # the core's reading of the live lines
    administration_error: str = ""

    @property
    def concentration(self) -> float | None:
        return self.order.concentration_mg_per_ml if self.order else None

    def mg_per_min(self, event: AdministrationEvent) -> float | None:
        if event.rate_ml_per_h is None or not self.concentration:
            return None
        return adm.mg_per_min_from_ml_per_h(event.rate_ml_per_h, self.concentration)


@dataclass
class PatientRecord:
    patient: Patient
    diagnoses: list[Diagnosis] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    allergies: list[Allergy] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    consents: list[ConsentSignature] = field(default_factory=list)
    resting_bps: list[ScreeningObservation] = field(default_factory=list)
    responses: list[InstrumentResponse] = field(default_factory=list)
    sessions: list[SessionRecord] = field(default_factory=list)
    home_doses: list[DiaryEntry] = field(default_factory=list)  # patient-reported
    supplies: list[Supply] = field(default_factory=list)  # take-home (MedicationDispense)


def _session_record(session: TreatmentSession) -> SessionRecord:
    orders = [o for o in session.orders.all() if o.status != OrderStatus.SUPERSEDED]
    current = max(orders, key=lambda o: o.pk, default=None)
    order = current if current is not None and current.status == OrderStatus.CONFIRMED else None
    events = sorted(session.events.all(), key=lambda e: (e.at, e.pk))
    record = SessionRecord(
        session=session,
        order=order,
        events=events,
        vitals=sorted(session.vitals.all(), key=lambda v: (v.taken_at, v.pk)),
        cs_entries=sorted(session.cs_entries.all(), key=lambda c: (c.recorded_at, c.pk))[::-1],
        discharge=max(session.discharges.all(), key=lambda d: (d.recorded_at, d.pk), default=None),
        administration=None,
    )
    live = []
    for e in events:
        if e.in_error:
            continue
        live.append(
            adm.Event(e.at, adm.EventKind(e.kind), mg_per_min=record.mg_per_min(e), mg=e.bolus_mg)
        )
    try:
        record.administration = adm.validate_events(live)
    except ClinicalInputError as exc:  # never expected: services validate every line
        record.administration_error = exc.message
    return record


def load(patient: Patient) -> PatientRecord:
    """Everything the FHIR export sends about one patient, oldest first where time matters."""
    sessions = (
        TreatmentSession.objects.filter(patient=patient)
        .select_related("clinic")
        .prefetch_related("orders", "events", "vitals", "cs_entries", "discharges")
        .order_by("checked_in_at", "pk")
    )
    return PatientRecord(
        patient=patient,
        diagnoses=list(Diagnosis.objects.filter(patient=patient).order_by("pk")),
        medications=list(Medication.objects.filter(patient=patient).order_by("pk")),
        allergies=list(Allergy.objects.filter(patient=patient).order_by("pk")),
        measurements=list(Measurement.objects.filter(patient=patient).order_by("pk")),
        consents=list(
            ConsentSignature.objects.filter(patient=patient)
            .select_related("document")
            .order_by("signed_at", "pk")
        ),
        resting_bps=list(
            ScreeningObservation.objects.filter(
                patient=patient, kind=ObservationKind.RESTING_BP
            ).order_by("observed_at", "pk")
        ),
        responses=list(
            InstrumentResponse.objects.filter(patient=patient).order_by("administered_at", "pk")
        ),
        sessions=[_session_record(s) for s in sessions],
        home_doses=list(
            DiaryEntry.objects.filter(patient=patient)
            .select_related("supply")
            .order_by("taken_at", "pk")
        ),
        supplies=list(
            Supply.objects.filter(patient=patient)
            .select_related("authorisation", "dispensed_by", "witnessed_by")
            .order_by("dispensed_at", "pk")
        ),
    )
