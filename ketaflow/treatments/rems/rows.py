"""Everything the REMS record reads from one session, loaded in one place.

The rows stay rows (model instances, UTC times); `assembly` turns them into the form's values.
Device uses and scales entered in error are left out here, so no later step can count them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ketaflow.accounts.models import Clinic, User
from ketaflow.audit.history import RecordStatus
from ketaflow.clinical.routes import Route
from ketaflow.lib.clock import local
from ketaflow.patients.models import Patient
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.treatments import derive
from ketaflow.treatments.models import (
    AdministrationEvent,
    ChecklistAnswers,
    ControlledSubstanceLog,
    DischargeRecord,
    DoseOrder,
    EventKind,
    RemsSubmission,
    RescueMedication,
    SideEffect,
    TreatmentSession,
)
from ketaflow.treatments.rems.rules import minutes_between


@dataclass(frozen=True)
class SessionRows:
    """One esketamine session's rows that the form is filled from."""

    session: TreatmentSession
    order: DoseOrder | None  # the confirmed dose order
    boluses: list[AdministrationEvent]  # device uses in force, in time order
    readings: list[derive.ReadingView]  # vitals with the alerts they raised
    vitals_recorders: list[User | None]
    answers: ChecklistAnswers | None  # the latest pre-session checklist
    first_treatment: bool  # no earlier esketamine session for this patient
    cs_entry: ControlledSubstanceLog | None  # the latest controlled-substance log entry
    discharge: DischargeRecord | None  # the latest discharge that let the patient go
    side_effects: list[SideEffect]
    rescues: list[RescueMedication]
    moaas_after: list[InstrumentResponse]  # MOAA/S from the first device on
    cadss_before: list[InstrumentResponse]  # CADSS before the first device (the baseline)
    cadss_after: list[InstrumentResponse]
    submission: RemsSubmission | None  # the official form, once marked submitted

    @property
    def patient(self) -> Patient:
        return self.session.patient

    @property
    def clinic(self) -> Clinic:
        return self.session.patient.clinic

    @property
    def first(self) -> datetime | None:
        """The first device use: the form's "time of dose administration"."""
        return self.boluses[0].at if self.boluses else None

    @property
    def last(self) -> datetime | None:
        return self.boluses[-1].at if self.boluses else None

    @property
    def left(self) -> datetime | None:
        """When the patient was discharged (None until then)."""
        return self.discharge.discharged_at if self.discharge is not None else None

    @property
    def readings_after_dose(self) -> list[derive.ReadingView]:
        first = self.first
        return [v for v in self.readings if first is not None and v.reading.taken_at > first]

    def loc(self, dt: datetime | None) -> datetime | None:
        """`dt` in the clinic's zone (the form prints clinic times)."""
        return local(dt, self.clinic) if dt is not None else None

    def after(self, t: datetime) -> int | None:
        """Whole minutes from the first device use to `t`."""
        return minutes_between(self.first, t)


def _scores(
    session: TreatmentSession, code: str, first: datetime | None
) -> tuple[list[InstrumentResponse], list[InstrumentResponse]]:
    """The session's `code` scores in force, (before, from) the first device use."""
    rows = list(
        InstrumentResponse.objects.filter(
            patient_id=session.patient_id, instrument=code, context_ref=f"session:{session.pk}"
        )
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .order_by("administered_at", "pk")
    )
    before = [r for r in rows if first is None or r.administered_at < first]
    after = [r for r in rows if first is not None and r.administered_at >= first]
    return before, after


def gather(session: TreatmentSession) -> SessionRows:
    """Load what the form needs from `session` (an esketamine session)."""
    record = derive.record_of(session)
    boluses = list(
        session.events.filter(kind=EventKind.BOLUS, entered_in_error_at__isnull=True).order_by(
            "at", "pk"
        )
    )
    first = boluses[0].at if boluses else None
    _, moaas_after = _scores(session, "moaas", first)
    cadss_before, cadss_after = _scores(session, "cadss", first)
    return SessionRows(
        session=session,
        order=derive.confirmed_order(session),
        boluses=boluses,
        readings=derive.reading_views(session, record),
        vitals_recorders=[v.recorded_by for v in session.vitals.all()],
        answers=derive.latest_answers(session),
        first_treatment=not TreatmentSession.objects.filter(
            patient_id=session.patient.pk,
            route=Route.INTRANASAL.value,
            checked_in_at__lt=session.checked_in_at,
        ).exists(),
        cs_entry=session.cs_entries.order_by("-recorded_at", "-pk").first(),
        discharge=session.discharges.filter(discharged_at__isnull=False)
        .order_by("-discharged_at", "-pk")
        .first(),
        side_effects=list(session.side_effects.order_by("onset_at", "pk")),
        rescues=list(session.rescues.order_by("given_at", "pk")),
        moaas_after=moaas_after,
        cadss_before=cadss_before,
        cadss_after=cadss_after,
        submission=RemsSubmission.objects.filter(session=session)
        .select_related("submitted_by")
        .first(),
    )
