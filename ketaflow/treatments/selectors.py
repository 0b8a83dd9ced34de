"""Reads for treatment sessions, scoped to the actor's clinic and audited.

Sessions are clinical: read by whoever charts them (nurses, prescribers). Another clinic's
session is a 404, never a 403.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical import administration as adm
from ketaflow.clinical import session_exceptions as sx
from ketaflow.clinical.checklist import Checklist
from ketaflow.clinical.discharge import DischargeReadiness, Instruction, discharge_instructions
from ketaflow.clinical.evidence import ClinicDefault
from ketaflow.clinical.monitoring.alerts import Alert, AlertLevel
from ketaflow.clinical.monitoring.schedule import VitalsDue
from ketaflow.clinical.monitoring.thresholds import DEFAULT_THRESHOLDS
from ketaflow.courses.models import Appointment, AppointmentStatus, Chair, SessionStatus
from ketaflow.lib.clock import at_clinic, clinic_today
from ketaflow.ops import freshness
from ketaflow.patients.models import Measurement, Patient
from ketaflow.questionnaires.models import InstrumentResponse, RiskAlert
from ketaflow.treatments import derive
from ketaflow.treatments.models import (
    AdministrationEvent,
    DoseOrder,
    OrderStatus,
    RescueMedication,
    SessionNote,
    TreatmentSession,
    VitalsReading,
)
from ketaflow.treatments.risk import alerts_awaiting_assessment_of


def require_charting(actor: User) -> None:
    if not actor.can(Capability.CHART_SESSION):
        raise PermissionDenied("Your role cannot see treatment sessions.")


def get_session(actor: User, pk: int, *, audit: bool = True) -> TreatmentSession:
    require_charting(actor)
    try:
        session = TreatmentSession.objects.select_related(
            "patient__clinic", "chair", "course", "protocol_version", "appointment"
        ).get(pk=pk, clinic_id=actor.clinic_pk)
    except TreatmentSession.DoesNotExist:
        raise Http404("No such session in your clinic.") from None
    if audit:
        _audit_session_read(actor, session)
    return session


def session_heading(actor: User, pk: int) -> TreatmentSession:
    """What the session page's frame names (its number, the patient's name), scoped and
    audited like `get_session`, in a lighter read: the page's body may be a reused drawing
    (`ops.freshness`), but each read is checked and audited on its own. The row's few values
    are memoised like the drawing; the session returned is a fresh, unsaved stand-in."""
    require_charting(actor)

    def load() -> tuple[Any, ...] | None:
        return (
            TreatmentSession.objects.filter(pk=pk, clinic_id=actor.clinic_pk)
            .values_list(
                "patient_id", "session_number", "patient__given_name", "patient__family_name"
            )
            .first()
        )

    found = freshness.memo("session-heading", (actor.clinic_pk, pk), load)
    if found is None:
        raise Http404("No such session in your clinic.")
    patient_id, number, given, family = found
    session = TreatmentSession(
        pk=pk, clinic_id=actor.clinic_pk, patient_id=patient_id, session_number=number
    )
    session.patient = Patient(
        pk=patient_id, clinic_id=actor.clinic_pk, given_name=given, family_name=family
    )
    _audit_session_read(actor, session)
    return session


def _audit_session_read(actor: User, session: TreatmentSession) -> None:
    record_event(
        actor=actor,
        action=Action.VIEW,
        obj=session,
        patient_id=session.patient_id,
        detail={"part": "treatment_session"},
    )


def get_appointment(actor: User, pk: int) -> Appointment:
    require_charting(actor)
    try:
        return Appointment.objects.select_related("course__patient", "chair").get(
            pk=pk, chair__clinic_id=actor.clinic_pk
        )
    except Appointment.DoesNotExist:
        raise Http404("No such appointment in your clinic.") from None


def last_weight(session: TreatmentSession) -> Measurement | None:
    """The patient's last recorded weight, for the checklist's placeholder (the session page
    that asks was read, and audited, through `session_view`)."""
    return derive.last_weight(session)


@dataclass(frozen=True)
class SessionView:
    session: TreatmentSession
    now: datetime
    record: adm.AdministrationRecord
    order: DoseOrder | None
    checklist: Checklist | None
    readings: list[derive.ReadingView]
    due: VitalsDue | None
    readiness: DischargeReadiness | None
    flags: tuple[adm.OrderFlag, ...]
    scales: list[InstrumentResponse]
    phase: str

    @property
    def delivered_mg(self) -> float:
        return adm.delivered_mg(self.record, self.now)

    @property
    def infusing_minutes(self) -> float:
        return adm.infusing_minutes(self.record, self.now)

    @property
    def state(self) -> adm.InfusionState:
        return adm.state_at(self.record, self.now)

    @property
    def state_label(self) -> str:
        return self.state.value.replace("_", " ")

    @property
    def phase_label(self) -> str:
        return derive.BOARD_PHASES.get(self.phase, self.phase)

    @property
    def elapsed_minutes(self) -> float | None:
        first = self.record.first_dose_at
        return (self.now - first).total_seconds() / 60 if first else None

    @property
    def rate_ml_per_h(self) -> float | None:
        if self.order is None or not self.order.concentration_mg_per_ml:
            return None
        rate = adm.rate_at(self.record, self.now)
        return rate * 60 / self.order.concentration_mg_per_ml if rate else None

    @property
    def open_alerts(self) -> list[tuple[VitalsReading, Any]]:
        return [(v.reading, a) for v in self.readings for a in v.open_alerts]

    @property
    def instructions(self) -> tuple[Instruction, ...]:
        return discharge_instructions(derive.route_of(self.session))


def prefetch_record_lines(session: TreatmentSession) -> None:
    """Load the lines the whole session page lists (administration lines, side effects,
    rescue medication, notes), each with the staff it names: one query per list, however
    many lines (else one query per line for its "by")."""
    prefetch_related_objects(
        [session],
        Prefetch(
            "events",
            AdministrationEvent.objects.select_related("recorded_by", "entered_in_error_by"),
        ),
        "side_effects",
        Prefetch("rescues", RescueMedication.objects.select_related("given_by", "acknowledged_by")),
        Prefetch("notes", SessionNote.objects.select_related("by")),
    )


def session_view(
    actor: User, pk: int, *, now: datetime | None = None, audit: bool = True
) -> SessionView:
    session = get_session(actor, pk, audit=audit)
    return build_view(session, now or timezone.now())


#: Statuses in which a session's pre-session checklist is computed (and shown).
BEFORE_DOSING = ("checked_in", "ready")


def build_view(
    session: TreatmentSession,
    now: datetime,
    rows: derive.SessionRows | None = None,
    checklist: Checklist | None = None,
) -> SessionView:
    """The session as its page shows it. `rows`: its rows, if already loaded (the board loads
    every chair's at once); else they are loaded here, one query per table. `checklist`: its
    pre-session checklist, if already computed on this read (the board computes every
    checked-in chair's at once); else it is computed here when the session is before dosing."""
    if rows is None:
        rows = derive.load_rows([session])[session.pk]
    record = derive.record_of(session, rows)
    order = derive.current_order(session, rows)
    if session.status not in BEFORE_DOSING:
        checklist = None
    elif checklist is None:
        checklist = derive.checklists_of([session], now, {session.pk: rows}, for_display=True)[
            session.pk
        ]
    if checklist is not None:
        # Before dosing the status is derived on read: the checklist may have passed (or
        # lapsed) through an answer recorded elsewhere, e.g. the patient's pre-session
        # questionnaire. In memory only; the next write stores it.
        session.status = "ready" if checklist.can_start else "checked_in"
    flags: tuple[adm.OrderFlag, ...] = ()
    if order is not None and order.status == "confirmed" and record.events:
        flags = adm.order_flags(
            record, now, ordered_mg=order.dose_mg, ordered_mg_per_min=order.mg_per_min
        )
    readiness = derive.readiness(session, now, rows=rows) if session.status == "observing" else None
    return SessionView(
        session=session,
        now=now,
        record=record,
        order=order,
        checklist=checklist,
        readings=derive.reading_views(session, record, rows),
        due=derive.due(session, record, now, rows),
        readiness=readiness,
        flags=flags,
        scales=rows.scales,
        phase=derive.board_phase(session, record, now, rows, readiness),
    )


#: Board phases in which vitals are expected on the protocol's schedule (dose given, not gone).
MONITORED_PHASES = frozenset({"infusing", "paused", "dosing", "observing", "discharge_ready"})


@dataclass(frozen=True)
class BoardFlag:
    """One thing the board shows on a chair's row, in words with its values.

    `level`: "critical" (the row turns red), "warn" or "info". `at`: the reading it is about.
    """

    level: str
    text: str
    at: datetime | None = None

    @property
    def level_label(self) -> str:
        return {"critical": "Critical", "warn": "Check", "info": "Note"}[self.level]


_BP_NAMES = {"sbp": "systolic", "dbp": "diastolic"}


def _bp_limit(alert: Alert, vital: str) -> float | None:
    """The limit of `vital` paired with the alert's (the systolic one for a diastolic alert)."""
    name = alert.threshold_name
    if name is None:
        return None
    if alert.vital == vital:
        return alert.threshold_value
    other = name.replace(alert.vital or "", vital)
    limit = getattr(DEFAULT_THRESHOLDS, other, None)
    return float(limit.value) if limit is not None else None


def _reading_flags(reading: VitalsReading, alerts: Sequence[Alert]) -> list[BoardFlag]:
    """A reading's open alerts in words: a high blood pressure as "BP 185/112 — at or above the
    limit (180/110)", one line for both numbers; a rise from before the dose with its size;
    every other alert as the core's message (which names its value and limit)."""
    flags: list[BoardFlag] = []
    bp = "BP " + "/".join("–" if v is None else f"{v:g}" for v in (reading.sbp, reading.dbp))
    high = [
        a
        for a in alerts
        if a.vital in _BP_NAMES and a.threshold_name and "_rise_" not in a.threshold_name
    ]
    if high:
        first = high[0]
        word = "at or above" if "at_or_above" in (first.threshold_name or "") else "above"
        sbp, dbp = _bp_limit(first, "sbp"), _bp_limit(first, "dbp")
        limit = f" ({sbp:g}/{dbp:g})" if sbp is not None and dbp is not None else ""
        pre = " before the dose" if first.code.startswith("predose.") else ""
        level = max(a.level for a in high)
        flags.append(
            BoardFlag(level.label, f"{bp} — {word} the limit{limit}{pre}", reading.taken_at)
        )
    for a in alerts:
        if a in high:
            continue
        if a.vital in _BP_NAMES and a.value is not None and a.threshold_value is not None:
            text = (
                f"{bp} — {_BP_NAMES[a.vital]} up {a.value:g} mmHg from before the dose "
                f"(limit {a.threshold_value:g})"
            )
        else:
            text = a.message
        flags.append(BoardFlag(a.level.label, text, reading.taken_at))
    return flags


def board_flags(view: SessionView, max_pause: ClinicDefault[int]) -> list[BoardFlag]:
    """What the board flags for one session: open alerts with their values, vitals overdue on
    the protocol's schedule, a pause longer than the protocol allows. Most urgent first."""
    flags: list[BoardFlag] = []
    for r in view.readings:
        if r.open_alerts:
            flags.extend(_reading_flags(r.reading, r.open_alerts))
    if view.phase in MONITORED_PHASES and view.due is not None:
        for late in view.due.overdue:
            if not late.can_still_be_done:
                continue
            minutes = max(1, round(late.minutes_late))
            check = late.check
            if check.code == "interval":  # "Vitals every 10 min during the infusion"
                every = check.label.removeprefix("Vitals ")
                text = f"Vitals overdue by {minutes} min (due {every})"
            else:
                text = f"{check.label} overdue by {minutes} min"
            flags.append(BoardFlag("warn", text))
    if view.phase == "paused":
        blank = [""] * len(view.record.events)  # the reasons do not change a pause's length
        still = [p for p in sx.pauses(view.record, blank, view.now) if p.end is None]
        if still and still[-1].minutes > max_pause.value:
            flags.append(
                BoardFlag(
                    "warn",
                    f"Paused {still[-1].minutes:.0f} min (longest allowed {max_pause.value})",
                    still[-1].start,
                )
            )
    order = {"critical": 0, "warn": 1, "info": 2}
    return sorted(flags, key=lambda f: order[f.level])


@dataclass(frozen=True)
class BoardRow:
    chair: Chair
    appointment: Appointment | None
    view: SessionView | None
    flags: tuple[BoardFlag, ...] = ()
    #: The patient's risk alerts waiting for a prescriber's assessment (the row's flag).
    risk_alerts: tuple[RiskAlert, ...] = ()

    @property
    def level(self) -> str | None:
        """The row's urgency: "critical" (red), "warn", or None."""
        levels = {f.level for f in self.flags}
        return next((lv for lv in ("critical", "warn") if lv in levels), None)

    @property
    def phase(self) -> str:
        if self.view is not None:
            return self.view.phase
        return "waiting" if self.appointment is not None else "empty"

    @property
    def phase_label(self) -> str:
        return derive.BOARD_PHASES.get(self.phase, "Free")

    @property
    def latest(self) -> VitalsReading | None:
        if self.view is None or not self.view.readings:
            return None
        return self.view.readings[-1].reading


def board(actor: User, *, now: datetime | None = None) -> list[BoardRow]:
    """Every active chair today: who is in it (or next), what phase, latest vitals, alerts;
    audited (one event naming every patient booked today)."""
    rows, patient_ids = board_unaudited(actor, now=now)
    audit_board(actor, patient_ids)
    return rows


def audit_board(actor: User, patient_ids: list[int]) -> None:
    """The board's read, for each time it is shown (also when its drawing is reused)."""
    require_charting(actor)
    record_event(
        actor=actor,
        action=Action.VIEW,
        clinic_id=actor.clinic_pk,
        detail={"part": "chair_board", "patient_ids": patient_ids},
    )


def board_unaudited(
    actor: User, *, now: datetime | None = None
) -> tuple[list[BoardRow], list[int]]:
    """`board`'s rows and the patients they read, without the audit event: the caller
    records it with `audit_board` on every read."""
    require_charting(actor)
    clinic = actor.clinic
    assert clinic is not None
    now = now or timezone.now()
    today = clinic_today(clinic)
    start = at_clinic(today, datetime.min.time(), clinic)
    end = start + timedelta(days=1)
    appts = list(
        Appointment.objects.filter(
            chair__clinic_id=clinic.pk,
            starts_at__lt=end,
            ends_at__gt=start,  # an evening list's session running past midnight stays on
            status__in=[
                AppointmentStatus.BOOKED,
                AppointmentStatus.CHECKED_IN,
                AppointmentStatus.IN_SESSION,
                AppointmentStatus.COMPLETED,
            ],
        )
        .select_related("course__patient", "chair")
        .order_by("starts_at")
    )
    sessions = {
        s.appointment_id: s
        for s in TreatmentSession.objects.filter(appointment__in=appts).select_related(
            "patient__clinic", "chair", "course", "protocol_version", "appointment"
        )
    }
    chairs = list(Chair.objects.filter(clinic_id=clinic.pk, active=True).order_by("name"))
    shown: dict[int, Appointment | None] = {}
    for chair in chairs:
        mine = [a for a in appts if a.chair_id == chair.pk]
        current = next(
            (a for a in mine if a.pk in sessions and sessions[a.pk].status != "signed"), None
        )
        if current is None:
            current = next((a for a in mine if a.status == AppointmentStatus.BOOKED), None)
        shown[chair.pk] = current
    live = [sessions[a.pk] for a in shown.values() if a is not None and a.pk in sessions]
    loaded = derive.load_rows(live)  # one query per table for every chair
    checklists = derive.checklists_of(  # one pass for every checked-in chair
        [s for s in live if s.status in BEFORE_DOSING], now, loaded, for_display=True
    )
    waiting = alerts_awaiting_assessment_of(
        [a.course.patient_id for a in shown.values() if a is not None], now
    )
    rows = []
    for chair in chairs:
        current = shown[chair.pk]
        session = sessions[current.pk] if current and current.pk in sessions else None
        view = (
            build_view(session, now, loaded[session.pk], checklists.get(session.pk))
            if session is not None
            else None
        )
        flags = board_flags(view, derive.max_pause_of(view.session)) if view is not None else []
        risk = tuple(waiting[current.course.patient_id]) if current is not None else ()
        rows.append(BoardRow(chair, current, view, tuple(flags), risk))
    return rows, [a.course.patient_id for a in appts]


# ---------------------------------------------------------------------------- worklists
#
# Small reads for the staff home's worklists (`web/worklists.py`). Each list is audited with
# the patients it shows; each `*_count` is a number only (for a badge), not audited.

#: Sessions whose dosing started and that are not signed yet: where an in-session alert can
#: still be open (it must be acknowledged before signing, `derive.open_alerts_to_sign`).
_DOSED_UNSIGNED = (SessionStatus.IN_PROGRESS, SessionStatus.OBSERVING, SessionStatus.DISCHARGED)


@dataclass(frozen=True)
class OpenAlert:
    """An in-session vital-sign alert nobody has acknowledged yet."""

    session: TreatmentSession
    reading: VitalsReading
    alert: Alert


def _audit_list(actor: User, part: str, patient_ids: Iterable[int]) -> None:
    record_event(
        actor=actor,
        action=Action.LIST,
        clinic_id=actor.clinic_pk,
        detail={"part": part, "patient_ids": sorted(set(patient_ids))},
    )


def _critical_alerts(actor: User) -> list[OpenAlert]:
    sessions = TreatmentSession.objects.filter(
        clinic_id=actor.clinic_pk, status__in=_DOSED_UNSIGNED
    ).select_related("patient__clinic", "chair", "course", "protocol_version", "appointment")
    found = list(sessions.order_by("chair__name", "pk"))
    rows = derive.load_rows(found)  # one query per table, however many chairs are dosing
    return [
        OpenAlert(session, reading, alert)
        for session in found
        for reading, alert in derive.open_alerts_to_sign(session, rows[session.pk])
        if alert.level is AlertLevel.CRITICAL
    ]


def open_critical_alerts(actor: User) -> list[OpenAlert]:
    """Critical in-session alerts not yet acknowledged, in the actor's clinic; audited.

    The alerts are the core's, computed from each dosed, unsigned session's readings (one
    home: `derive.open_alerts_to_sign`), so the cost grows with the sessions in the chairs
    now, never with the clinic's history.
    """
    require_charting(actor)
    found = _critical_alerts(actor)
    _audit_list(actor, "critical_vital_alerts", (a.session.patient_id for a in found))
    return found


def critical_alert_count(actor: User) -> int:
    """How many readings carry a critical in-session alert not yet acknowledged (a BP of
    185/112 is one reading with two alerts); a number only: not audited."""
    if not actor.can(Capability.CHART_SESSION):
        return 0
    return len({a.reading.pk for a in _critical_alerts(actor)})


def _orders_to_confirm(actor: User) -> QuerySet[DoseOrder]:
    return DoseOrder.objects.filter(
        session__clinic_id=actor.clinic_pk,
        session__status__in=(SessionStatus.CHECKED_IN, SessionStatus.READY),
        status=OrderStatus.PROPOSED,
    )


def orders_to_confirm(actor: User) -> list[DoseOrder]:
    """Proposed dose orders waiting for a prescriber, oldest first; audited."""
    require_charting(actor)
    rows = list(
        _orders_to_confirm(actor)
        .select_related("session__patient", "session__chair")
        .order_by("proposed_at", "pk")
    )
    _audit_list(actor, "orders_to_confirm", (o.session.patient_id for o in rows))
    return rows


def orders_to_confirm_count(actor: User) -> int:
    if not actor.can(Capability.CHART_SESSION):
        return 0
    return _orders_to_confirm(actor).count()


def _to_sign(actor: User) -> QuerySet[TreatmentSession]:
    return TreatmentSession.objects.filter(
        clinic_id=actor.clinic_pk, status=SessionStatus.DISCHARGED
    )


def sessions_to_sign(actor: User) -> list[TreatmentSession]:
    """Discharged sessions waiting for the prescriber's signature, oldest first; audited."""
    require_charting(actor)
    rows = list(_to_sign(actor).select_related("patient", "chair").order_by("checked_in_at", "pk"))
    _audit_list(actor, "sessions_to_sign", (s.patient_id for s in rows))
    return rows


def sessions_to_sign_count(actor: User) -> int:
    if not actor.can(Capability.CHART_SESSION):
        return 0
    return _to_sign(actor).count()
