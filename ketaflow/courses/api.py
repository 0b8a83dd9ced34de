"""Treatment courses as JSON: protocols, chairs, courses, proposals and appointments.

The same selectors and services as the pages; nothing is decided here. The request and
response shapes are in `courses.schemas`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from ketaflow.accounts.models import User
from ketaflow.accounts.requests import staff_user
from ketaflow.accounts.roles import Capability
from ketaflow.courses import gates, selectors, services
from ketaflow.courses.models import (
    Appointment,
    AppointmentStatus,
    Course,
    ProtocolVersion,
    SeriesDecision,
)
from ketaflow.courses.schemas import (
    AppointmentOut,
    BookedOut,
    BookIn,
    CancelIn,
    ChairIn,
    ChairOut,
    ChairPatch,
    CourseIn,
    CourseListParams,
    CourseOut,
    DayParams,
    DecisionIn,
    DecisionOut,
    OutcomeParams,
    OutcomesOut,
    PhaseIn,
    ProposalOut,
    ProtocolDetailOut,
    ProtocolVersionOut,
    RescheduleIn,
    ReviseIn,
    SeriesIn,
    SeriesOut,
    StatusIn,
)
from ketaflow.lib.api_schemas import PathId
from ketaflow.lib.clock import clinic_today
from ketaflow.patients.selectors import get_patient

router = Router(tags=["courses"])
ERRORS = "Errors: 401 not signed in, 403 role may not, 404 not in your clinic, 422 bad input."


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
        "experimental": v.load().experimental,
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


def _before_dosing(actor: User, patient: Any) -> list[str]:
    clinical = actor.can(Capability.VIEW_CLINICAL)
    return gates.missing_in_words(patient, timezone.now(), clinical=clinical)


@router.post("/appointments", response={201: BookedOut}, summary="Book", description=ERRORS)
def book(request: HttpRequest, payload: BookIn) -> Status[Any]:
    actor = staff_user(request)
    found = selectors.get_course(actor, payload.course_id, audit=False)
    chair = selectors.get_chair(actor, payload.chair_id)
    missing = _before_dosing(actor, found.patient)
    appt = services.book_appointment(
        actor, found, chair=chair, starts_at=payload.starts_at, missing_acknowledged=missing
    )
    return Status(201, {**_appt(appt), "before_dosing": missing})


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


@router.post("/appointments/{appointment_id}/status", response=BookedOut, summary="Check in etc.")
def status(request: HttpRequest, appointment_id: PathId, payload: StatusIn) -> dict[str, Any]:
    actor = staff_user(request)
    appt = selectors.get_appointment(actor, appointment_id, audit=False)
    changed = services.set_appointment_status(actor, appt, payload.status)
    missing: list[str] = []
    if changed.status == AppointmentStatus.CHECKED_IN:
        missing = _before_dosing(actor, changed.course.patient)
    return {**_appt(changed), "before_dosing": missing}
