"""Treatment courses as JSON: protocols, chairs, courses, proposals and appointments.

The same selectors and services as the pages; nothing is decided here.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from ketaflow.accounts.requests import staff_user
from ketaflow.courses import selectors, services
from ketaflow.courses.models import (
    Appointment,
    Course,
    ProtocolVersion,
    SeriesDecision,
    SeriesDecisionKind,
)
from ketaflow.lib.api_schemas import Bool, Id, IsoDate, IsoDateTime, PathId, Text
from ketaflow.lib.clock import clinic_today
from ketaflow.patients.selectors import get_patient

router = Router(tags=["courses"])
ERRORS = "Errors: 401 not signed in, 403 role may not, 404 not in your clinic, 422 bad input."


# ---------------------------------------------------------------------------- schemas


class SettingOut(Schema):
    key: str
    default: float
    local: float | None
    value: float
    unit: str
    evidence: str
    sources: list[str]
    note: str
    needs_signoff: bool


class ProtocolVersionOut(Schema):
    id: int
    code: str
    version: int
    name: str
    route: str
    change_reason: str
    created_at: datetime
    needs_signoff: list[str]


class ProtocolDetailOut(ProtocolVersionOut):
    is_current: bool
    settings: list[SettingOut]
    data: dict[str, Any]


class ReviseIn(Schema):
    changes: dict[str, float | int | str | None] = Field(
        ...,
        description='Setting key → new value, or "default" (or null) to go back to the default. '
        'Keys as listed in `settings`, e.g. "observation_minutes", "induction.doses.1".',
    )
    reason: Text = Field(..., min_length=1, max_length=500)


class ChairOut(Schema):
    id: int
    name: str
    active: bool
    notes: str


class ChairIn(Schema):
    name: Text = Field(..., max_length=60)
    notes: Text = Field("", max_length=300)
    active: Bool = True


class ChairPatch(Schema):
    name: Text | None = Field(None, max_length=60)
    notes: Text | None = Field(None, max_length=300)
    active: Bool | None = None


class CourseIn(Schema):
    patient_id: Id
    protocol_version_id: Id
    started_on: IsoDate
    notes: Text = Field("", max_length=4000)


class PhaseChangeOut(Schema):
    from_phase: str
    to_phase: str
    at: datetime
    reason: str


class CourseOut(Schema):
    id: int
    patient_id: int
    protocol_version_id: int
    protocol_code: str
    protocol_version: int
    phase: str
    ended_reason: str
    ended_note: str
    started_on: date
    phase_changes: list[PhaseChangeOut]


class PhaseIn(Schema):
    to_phase: str = Field(..., max_length=20)
    reason: Text = Field("", max_length=500)
    ended_reason: str = Field("", max_length=20)
    ended_note: Text = Field("", max_length=500)


class DecisionIn(Schema):
    decision: str = Field(
        SeriesDecisionKind.CONTINUE,
        max_length=20,
        description='"continue": go on with the series as planned (no phase change).',
    )
    note: Text = Field(
        "",
        max_length=500,
        description="Why. Required when the core signals non-response (S17).",
    )
    after_session_id: Id | None = Field(
        None,
        description="The appointment of the session the proposal followed; a 422 if a later "
        "session has been given since. Default: the latest session given.",
    )


class DecisionOut(Schema):
    id: int
    course_id: int
    after_session_id: int
    after_session_number: int
    decision: str
    at: datetime
    by: str
    note: str
    snapshot: dict[str, Any]


class ProposedOut(Schema):
    number: int
    on: date
    phase: str
    number_in_phase: int
    planned_dose: str
    moved: bool


class CourseReviewOut(Schema):
    reason: str
    message: str
    sources: list[str]


class NextOut(Schema):
    action: str
    session: ProposedOut | None
    phase_change: list[str] | None
    reviews: list[CourseReviewOut]


class ProposalOut(Schema):
    sessions: list[ProposedOut]
    note: str
    next: NextOut | None
    chair_minutes: int
    turnover_minutes: int


class CourseFindingOut(Schema):
    status: str
    explanation: str
    at: date | None
    improvement_pct: float | None
    sources: list[str]
    needs_local_signoff: bool = False  # rests on a threshold UNVERIFIED for this scale


class StateOut(Schema):
    state: str
    began: date
    score: float
    sources: list[str]
    needs_local_signoff: bool = False  # rests on a threshold UNVERIFIED for this scale


class TrajectoryOut(Schema):
    on: date
    score: float
    sessions_before: int
    change: float | None
    change_pct: float | None
    response: bool
    remission: bool
    state: str


class RelapseOut(Schema):
    onset: date
    confirmed: date
    sources: list[str]


class MoveOut(Schema):
    kind: str
    to_phase: str
    ended_reason: str
    reason: str
    detail: str
    sources: list[str]


class OutcomesOut(Schema):
    instrument: str
    instrument_reason: str
    message: str
    sessions: list[date]
    sessions_from: str
    baseline: float | None
    baseline_on: date | None
    latest: float | None
    latest_on: date | None
    change_pct: float | None
    state: str | None
    states: list[StateOut]
    first_response_on: date | None
    first_remission_on: date | None
    early_improvement: CourseFindingOut | None
    non_response_signal: CourseFindingOut | None
    relapses: list[RelapseOut]
    trajectory: list[TrajectoryOut]
    next: NextOut | None
    next_error: str
    moves: list[MoveOut]
    notes: list[str]


class OutcomeParams(Schema):
    instrument: str | None = Field(None, max_length=20, description="Default: the course's.")


class AppointmentOut(Schema):
    id: int
    course_id: int
    patient_id: int
    chair_id: int
    chair: str
    starts_at: datetime
    ends_at: datetime
    session_number: int
    phase: str
    status: str
    cancel_reason: str


class BookIn(Schema):
    course_id: Id
    chair_id: Id
    starts_at: IsoDateTime


class SeriesIn(Schema):
    at: time | None = Field(None, description="Preferred arrival time (clinic zone), HH:MM.")
    start: IsoDate | None = None


class UnbookedOut(Schema):
    on: date
    number: int
    reason: str


class SeriesOut(Schema):
    booked: list[AppointmentOut]
    unbooked: list[UnbookedOut]


class RescheduleIn(Schema):
    starts_at: IsoDateTime
    chair_id: Id | None = None
    reason: Text = Field(..., min_length=1, max_length=300)


class CancelIn(Schema):
    reason: Text = Field(..., min_length=1, max_length=300)


class StatusIn(Schema):
    status: str = Field(..., max_length=20)


class DayParams(Schema):
    day: IsoDate | None = Field(None, description="Clinic-local day; default today.")
    days: int = Field(1, ge=1, le=31)
    chair_id: Id | None = None


class CourseListParams(Schema):
    patient_id: Id


# ---------------------------------------------------------------------------- converters


def _version(v: ProtocolVersion) -> dict[str, Any]:
    return {
        "id": v.pk,
        "code": v.code,
        "version": v.version,
        "name": v.name,
        "route": v.route,
        "change_reason": v.change_reason,
        "created_at": v.created_at,
        "needs_signoff": list(v.load().needs_signoff()),
    }


def _course(c: Course) -> dict[str, Any]:
    return {
        "id": c.pk,
        "patient_id": c.patient_id,
        "protocol_version_id": c.protocol_version_id,
        "protocol_code": c.protocol_version.code,
        "protocol_version": c.protocol_version.version,
        "phase": c.phase,
        "ended_reason": c.ended_reason,
        "ended_note": c.ended_note,
        "started_on": c.started_on,
        "phase_changes": [
            {"from_phase": p.from_phase, "to_phase": p.to_phase, "at": p.at, "reason": p.reason}
            for p in c.phase_changes.order_by("at", "pk")
        ],
    }


def _decision(d: SeriesDecision) -> dict[str, Any]:
    return {
        "id": d.pk,
        "course_id": d.course_id,
        "after_session_id": d.after_session_id,
        "after_session_number": d.after_session.session_number,
        "decision": d.decision,
        "at": d.at,
        "by": str(d.by),
        "note": d.note,
        "snapshot": d.snapshot,
    }


def _appt(a: Appointment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "course_id": a.course_id,
        "patient_id": a.course.patient_id,
        "chair_id": a.chair_id,
        "chair": a.chair.name,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "session_number": a.session_number,
        "phase": a.phase,
        "status": a.status,
        "cancel_reason": a.cancel_reason,
    }


def _proposed(s: Any) -> dict[str, Any]:
    return {
        "number": s.number,
        "on": s.on,
        "phase": s.phase,
        "number_in_phase": s.number_in_phase,
        "planned_dose": s.dose.label,
        "moved": s.moved,
    }


# ---------------------------------------------------------------------------- protocols


@router.get("/protocols", response=list[ProtocolVersionOut], summary="Current protocols")
def protocols(request: HttpRequest) -> list[dict[str, Any]]:
    return [_version(f.current) for f in selectors.list_protocols(staff_user(request))]


@router.post(
    "/protocols/adopt", response=list[ProtocolVersionOut], summary="Adopt built-in protocols"
)
def adopt(request: HttpRequest) -> list[dict[str, Any]]:
    return [_version(v) for v in services.adopt_builtin_protocols(staff_user(request))]


@router.get("/protocols/{protocol_id}", response=ProtocolDetailOut, summary="A protocol version")
def protocol(request: HttpRequest, protocol_id: PathId) -> dict[str, Any]:
    v = selectors.get_protocol_version(staff_user(request), protocol_id)
    rows = selectors.protocol_settings(v.load())
    return {
        **_version(v),
        "is_current": selectors.is_current(v),
        "settings": [{**r.__dict__, "sources": list(r.sources)} for r in rows],
        "data": v.data,
    }


@router.post(
    "/protocols/{protocol_id}/revise",
    response={201: ProtocolVersionOut},
    summary="Revise (makes a new version)",
    description=ERRORS,
)
def revise(request: HttpRequest, protocol_id: PathId, payload: ReviseIn) -> Status[Any]:
    actor = staff_user(request)
    v = selectors.get_protocol_version(actor, protocol_id)
    return Status(
        201, _version(services.revise_protocol(actor, v, payload.changes, payload.reason))
    )


# ---------------------------------------------------------------------------- chairs


@router.get("/chairs", response=list[ChairOut], summary="Chairs")
def chairs(request: HttpRequest) -> list[Any]:
    return selectors.list_chairs(staff_user(request))


@router.post("/chairs", response={201: ChairOut}, summary="Add a chair", description=ERRORS)
def chair_add(request: HttpRequest, payload: ChairIn) -> Status[Any]:
    return Status(201, services.add_chair(staff_user(request), **payload.dict()))


@router.patch("/chairs/{chair_id}", response=ChairOut, summary="Edit a chair")
def chair_edit(request: HttpRequest, chair_id: PathId, payload: ChairPatch) -> Any:
    actor = staff_user(request)
    chair = selectors.get_chair(actor, chair_id)
    changes = {k: v for k, v in payload.dict().items() if v is not None}
    return services.update_chair(actor, chair, **changes)


# ---------------------------------------------------------------------------- courses


@router.get("", response=list[CourseOut], summary="A patient's courses")
def courses(request: HttpRequest, params: Query[CourseListParams]) -> list[dict[str, Any]]:
    _patient, found = selectors.patient_courses(staff_user(request), params.patient_id)
    return [_course(c) for c in found]


@router.post("", response={201: CourseOut}, summary="Start a course", description=ERRORS)
def course_start(request: HttpRequest, payload: CourseIn) -> Status[Any]:
    actor = staff_user(request)
    patient = get_patient(actor, payload.patient_id, audit=False)
    version = selectors.get_protocol_version(actor, payload.protocol_version_id)
    course = services.start_course(
        actor, patient, version, started_on=payload.started_on, notes=payload.notes
    )
    return Status(201, _course(course))


@router.get("/{int:course_id}", response=CourseOut, summary="A course")
def course(request: HttpRequest, course_id: PathId) -> dict[str, Any]:
    return _course(selectors.get_course(staff_user(request), course_id))


@router.post(
    "/{int:course_id}/phase", response=CourseOut, summary="Change phase", description=ERRORS
)
def phase(request: HttpRequest, course_id: PathId, payload: PhaseIn) -> dict[str, Any]:
    actor = staff_user(request)
    found = selectors.get_course(actor, course_id, audit=False)
    return _course(services.change_phase(actor, found, **payload.dict()))


@router.get(
    "/{int:course_id}/decisions",
    response=list[DecisionOut],
    summary="Series decisions",
    description="Continue-the-series decisions with the core's states at the time. " + ERRORS,
)
def decisions(request: HttpRequest, course_id: PathId) -> list[dict[str, Any]]:
    _course, rows = selectors.list_decisions(staff_user(request), course_id)
    return [_decision(d) for d in rows]


@router.post(
    "/{int:course_id}/decisions",
    response={201: DecisionOut},
    summary="Continue the series (prescribers)",
    description="Records the decision after the latest session given, with a snapshot of the "
    "core's states. " + ERRORS,
)
def decide(request: HttpRequest, course_id: PathId, payload: DecisionIn) -> Status[Any]:
    actor = staff_user(request)
    found = selectors.get_course(actor, course_id, audit=False)
    row = services.record_series_decision(actor, found, **payload.dict())
    return Status(201, _decision(row))


@router.get("/{int:course_id}/proposal", response=ProposalOut, summary="Proposed sessions")
def proposal(request: HttpRequest, course_id: PathId) -> dict[str, Any]:
    view = selectors.course_view(staff_user(request), course_id)
    step = view.next_step
    nxt = None
    if step is not None:
        nxt = {
            "action": step.action.value,
            "session": _proposed(step.session) if step.session else None,
            "phase_change": list(step.phase_change) if step.phase_change else None,
            "reviews": [
                {
                    "reason": r.reason.value,
                    "message": r.message,
                    "sources": [s.key for s in r.sources],
                }
                for r in step.reviews
            ],
        }
    return {
        "sessions": [_proposed(s) for s in view.proposal.sessions],
        "note": view.proposal.note,
        "next": nxt,
        "chair_minutes": view.chair_time.held,
        "turnover_minutes": view.chair_time.turnover,
    }


def _next(step: Any) -> dict[str, Any] | None:
    if step is None:
        return None
    return {
        "action": step.action.value,
        "session": _proposed(step.session) if step.session else None,
        "phase_change": list(step.phase_change) if step.phase_change else None,
        "reviews": [
            {"reason": r.reason.value, "message": r.message, "sources": [s.key for s in r.sources]}
            for r in step.reviews
        ],
    }


def _finding(f: Any) -> dict[str, Any]:
    keys = [s.key for s in f.sources]
    return {
        **{k: getattr(f, k) for k in ("explanation", "at", "improvement_pct")},
        "status": f.status.value,
        "sources": keys,
        "needs_local_signoff": f.needs_local_signoff,
    }


@router.get("/{int:course_id}/outcomes", response=OutcomesOut, summary="Outcomes and next step")
def outcomes(
    request: HttpRequest, course_id: PathId, params: Query[OutcomeParams]
) -> dict[str, Any]:
    fu = selectors.course_outcomes(staff_user(request), course_id, params.instrument)
    r = fu.report
    base, latest = fu.baseline, fu.latest
    return {
        "instrument": fu.instrument.code,
        "instrument_reason": fu.instrument.reason,
        "message": fu.message,
        "sessions": list(fu.sessions),
        "sessions_from": fu.sessions_from,
        "baseline": base.value if base else None,
        "baseline_on": base.on if base else None,
        "latest": latest.value if latest else None,
        "latest_on": latest.on if latest else None,
        "change_pct": fu.latest_change_pct,
        "state": fu.state.value if fu.state else None,
        "states": [
            {
                "state": c.state.value,
                "began": c.began,
                "score": c.score,
                "sources": [s.key for s in c.sources],
                "needs_local_signoff": c.needs_local_signoff,
            }
            for c in (r.states if r else ())
        ],
        "first_response_on": r.first_response.when if r and r.first_response else None,
        "first_remission_on": r.first_remission.when if r and r.first_remission else None,
        "early_improvement": _finding(r.early_improvement) if r else None,
        "non_response_signal": _finding(r.non_response_signal) if r else None,
        "relapses": [
            {"onset": x.onset, "confirmed": x.confirmed, "sources": [s.key for s in x.sources]}
            for x in (r.relapses if r else ())
        ],
        "trajectory": [{**t.__dict__, "change_pct": t.change_pct} for t in fu.trajectory],
        "next": _next(fu.step),
        "next_error": fu.step_error,
        "moves": [
            {
                **{
                    k: getattr(m, k)
                    for k in ("kind", "to_phase", "ended_reason", "reason", "detail")
                },
                "sources": [s.key for s in m.sources],
            }
            for m in fu.moves
        ],
        "notes": list(fu.notes),
    }


@router.post("/{int:course_id}/book-series", response=SeriesOut, summary="Book the proposed series")
def series(request: HttpRequest, course_id: PathId, payload: SeriesIn) -> dict[str, Any]:
    actor = staff_user(request)
    found = selectors.get_course(actor, course_id, audit=False)
    result = services.book_series(actor, found, at=payload.at, start=payload.start)
    return {
        "booked": [_appt(a) for a in result.booked],
        "unbooked": [
            {"on": u.session.on, "number": u.session.number, "reason": u.reason}
            for u in result.unbooked
        ],
    }


# ---------------------------------------------------------------------------- appointments


@router.get("/appointments", response=list[AppointmentOut], summary="Appointments by day")
def appointments(request: HttpRequest, params: Query[DayParams]) -> list[dict[str, Any]]:
    actor = staff_user(request)
    clinic = actor.clinic
    day = params.day or (clinic_today(clinic) if clinic else timezone.localdate())
    found = selectors.appointments_between(actor, day, params.days, chair_id=params.chair_id)
    return [_appt(a) for a in found]


@router.post("/appointments", response={201: AppointmentOut}, summary="Book", description=ERRORS)
def book(request: HttpRequest, payload: BookIn) -> Status[Any]:
    actor = staff_user(request)
    found = selectors.get_course(actor, payload.course_id, audit=False)
    chair = selectors.get_chair(actor, payload.chair_id)
    appt = services.book_appointment(actor, found, chair=chair, starts_at=payload.starts_at)
    return Status(201, _appt(appt))


@router.post("/appointments/{appointment_id}/reschedule", response=AppointmentOut, summary="Move")
def reschedule(
    request: HttpRequest, appointment_id: PathId, payload: RescheduleIn
) -> dict[str, Any]:
    actor = staff_user(request)
    appt = selectors.get_appointment(actor, appointment_id, audit=False)
    chair = selectors.get_chair(actor, payload.chair_id) if payload.chair_id else None
    moved = services.reschedule_appointment(
        actor, appt, starts_at=payload.starts_at, chair=chair, reason=payload.reason
    )
    return _appt(moved)


@router.post("/appointments/{appointment_id}/cancel", response=AppointmentOut, summary="Cancel")
def cancel(request: HttpRequest, appointment_id: PathId, payload: CancelIn) -> dict[str, Any]:
    actor = staff_user(request)
    appt = selectors.get_appointment(actor, appointment_id, audit=False)
    return _appt(services.cancel_appointment(actor, appt, payload.reason))


@router.post(
    "/appointments/{appointment_id}/status", response=AppointmentOut, summary="Check in etc."
)
def status(request: HttpRequest, appointment_id: PathId, payload: StatusIn) -> dict[str, Any]:
    actor = staff_user(request)
    appt = selectors.get_appointment(actor, appointment_id, audit=False)
    return _appt(services.set_appointment_status(actor, appt, payload.status))
