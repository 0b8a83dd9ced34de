"""Booking sessions into chairs with real capacity. BOOK_APPOINTMENTS (front desk, nurses…).

An appointment holds its chair from arrival to the end of observation (preparation +
infusion or dose + the protocol's observation minutes), and the chair then needs the
clinic's turnover minutes before the next patient. Every booking and move is checked, under
a lock on the patient and the chair so two desks cannot both take the same slot:
- the course is open and the chair is in use;
- the day is an opening day and not a closed day (or has an extra opening), and the whole
  stay is within the opening hours, extra openings included (`calendar.open_windows_on`);
- no other appointment on the chair overlaps (turnover included);
- the patient's previous and next sessions are at least the protocol's minimum interval away.
Session numbers are the order of the course's held appointments, so cancelling session 2
makes the next booked one session 2 (and gives it session 2's planned dose).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.protocols import ProposedSession, Protocol
from ketaflow.courses.derive.planning import ChairTime, chair_time, course_protocol, propose_series
from ketaflow.courses.derive.slots import utc
from ketaflow.courses.models import (
    HOLDING,
    Appointment,
    AppointmentStatus,
    Chair,
    Course,
    CoursePhase,
)
from ketaflow.courses.opening_hours import (
    Window,
    closure_on,
    extras_on,
    fits,
    open_windows_on,
    schedule_of,
)
from ketaflow.courses.services._common import locked, require, required_reason
from ketaflow.lib.clock import at_clinic, clinic_today, local
from ketaflow.lib.derived import course_changed
from ketaflow.patients.models import Patient

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ACTIVE = HOLDING[:3]  # booked, checked in, in session: may still move or be cancelled


def _hm(when: datetime | time) -> str:
    return when.strftime("%H:%M")


def _initials(patient: Patient) -> str:
    return f"{patient.given_name[:1]}.{patient.family_name[:1]}.".upper()


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    session_number: int
    phase: str


def _lock_patient(course: Course) -> Course:
    Patient.objects.select_for_update().filter(pk=course.patient_id).first()
    return Course.objects.select_related("patient__clinic", "protocol_version").get(pk=course.pk)


def _lock_chairs(clinic_id: int, *chair_ids: int) -> dict[int, Chair]:
    ids = sorted(set(chair_ids))
    chairs = {
        c.pk: c
        for c in Chair.objects.select_for_update()
        .filter(clinic_id=clinic_id, pk__in=ids)
        .order_by("pk")
    }
    if len(chairs) != len(ids):
        raise ValidationError({"chair": ["Choose one of your clinic's chairs."]})
    return chairs


def next_free_start(
    chair: Chair, day: date, times: ChairTime, *, exclude: int | None = None
) -> datetime | None:
    """The earliest start on `day` at which the chair is free for this whole stay."""
    clinic = chair_clinic(chair)
    # In UTC: the windows are in the clinic's zone, where + timedelta follows the wall clock.
    windows = [(utc(w0), utc(w1)) for w0, w1 in open_windows_on(clinic, day)]
    if not windows:
        return None
    day_start = utc(at_clinic(day, time(0), clinic))
    day_end = utc(at_clinic(day + timedelta(days=1), time(0), clinic))
    held = timedelta(minutes=times.held)
    turnover = timedelta(minutes=times.turnover)
    taken = _chair_bookings(chair, windows[0][0] - timedelta(hours=24), windows[-1][1], exclude)
    candidates = [max(w0, day_start) for w0, _ in windows] + [a.ends_at + turnover for a in taken]
    now = timezone.now()
    for start in sorted(c for c in candidates if day_start <= c < day_end):
        end = start + held
        if start < now or not fits(windows, start, end):
            continue
        if not any(a.starts_at < end + turnover and start < a.ends_at + turnover for a in taken):
            return start
    return None


def chair_clinic(chair: Chair) -> Clinic:
    return Clinic.objects.get(pk=chair.clinic_id)


def _chair_bookings(
    chair: Chair, start: datetime, end: datetime, exclude: int | None
) -> list[Appointment]:
    qs = Appointment.objects.filter(
        chair=chair, status__in=ACTIVE, starts_at__lt=end, ends_at__gt=start
    ).select_related("course__patient")
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("starts_at"))


def _check(
    course: Course,
    protocol: Protocol,
    chair: Chair,
    starts_at: datetime,
    *,
    exclude: int | None = None,
) -> Slot:
    """Every booking rule for one appointment; raises ValidationError naming the problem."""
    clinic = course.patient.clinic
    if course.phase == CoursePhase.ENDED:
        raise ValidationError({"course": ["This course has ended: nothing more can be booked."]})
    if not chair.active:
        raise ValidationError({"chair": [f"{chair.name} is not in use."]})
    if timezone.is_naive(starts_at):
        raise ValidationError({"starts_at": ["Give the time with its time zone."]})
    starts_at = utc(starts_at)  # real minutes from here on, whatever the zone given
    if starts_at < timezone.now() - timedelta(minutes=5):
        raise ValidationError({"starts_at": ["This time is in the past."]})
    schedule = schedule_of(clinic.pk)
    start_local = local(starts_at, clinic)
    day = start_local.date()
    windows = open_windows_on(clinic, day)
    if not windows and day.weekday() not in schedule.working_days:
        open_days = ", ".join(WEEKDAYS[d][:3] for d in sorted(schedule.working_days))
        raise ValidationError(
            {
                "starts_at": [
                    f"The clinic is closed on {WEEKDAYS[day.weekday()]}s (open {open_days})."
                ]
            }
        )
    closure = closure_on(clinic.pk, day)
    if not windows and closure is not None:
        raise ValidationError(
            {"starts_at": [f"The clinic is closed on {day:%a %d %b %Y}: {closure.reason}."]}
        )

    # Session number = rank among the course's held appointments.
    others = [
        a for a in Appointment.objects.filter(course=course, status__in=HOLDING) if a.pk != exclude
    ]
    number = 1 + sum(1 for a in others if a.starts_at < starts_at)
    located = protocol.phase_of(number)
    if located is None:
        total = protocol.total_sessions
        raise ValidationError(
            {
                "__all__": [
                    f"The protocol's series has {total} sessions and this would be session "
                    f"{number}: the series is complete (review the course)."
                ]
            }
        )
    phase, _k = located

    times = chair_time(protocol, clinic.pk)
    ends_at = starts_at + timedelta(minutes=times.held)
    if not fits(windows, starts_at, ends_at):
        raise ValidationError({"starts_at": [_hours_message(clinic, day, windows, times)]})

    # The patient's own spacing (any course): the phase's minimum days between sessions.
    gap = phase.min_days_between_sessions.value
    mine = Appointment.objects.filter(course__patient_id=course.patient_id, status__in=HOLDING)
    for other in mine.order_by("starts_at"):
        if other.pk == exclude:
            continue
        other_day = local(other.starts_at, clinic).date()
        apart = abs((other_day - day).days)
        if apart < gap:
            when = "after" if other_day <= day else "before"
            earliest = other_day + timedelta(days=gap) if when == "after" else None
            hint = f" The earliest date after it is {earliest:%a %d %b %Y}." if earliest else ""
            raise ValidationError(
                {
                    "starts_at": [
                        f"Too close {when} this patient's session {other.session_number} on "
                        f"{other_day:%a %d %b %Y} ({apart} day{'s' if apart != 1 else ''} "
                        f"apart): the protocol ({phase.name}) asks for at least {gap} days "
                        f"between sessions.{hint}"
                    ]
                }
            )

    # The chair: nothing else held on it, turnover included.
    turnover = timedelta(minutes=times.turnover)
    clash = next(
        (
            a
            for a in _chair_bookings(
                chair, starts_at - timedelta(hours=24), ends_at + turnover, exclude
            )
            if a.starts_at < ends_at + turnover and starts_at < a.ends_at + turnover
        ),
        None,
    )
    if clash is not None:
        free = next_free_start(chair, day, times, exclude=exclude)
        hint = (
            f" {chair.name} is next free at {_hm(local(free, clinic))}."
            if free
            else (f" {chair.name} has no free slot long enough that day.")
        )
        who = clash.course.patient
        raise ValidationError(
            {
                "starts_at": [
                    f"{chair.name} is taken {_hm(local(clash.starts_at, clinic))}–"
                    f"{_hm(local(clash.ends_at, clinic))} by {_initials(who)} {who.mrn} "
                    f"(session {clash.session_number}) plus {times.turnover} min turnover; "
                    f"this session needs {times.explain()}.{hint}"
                ]
            }
        )
    return Slot(starts_at, ends_at, number, phase.code)


def _hours_message(clinic: Clinic, day: date, windows: list[Window], times: ChairTime) -> str:
    """Why the stay does not fit the day's opening hours, and which starts would."""
    held = timedelta(minutes=times.held)
    spans = ", ".join(f"{_hm(local(w0, clinic))}–{_hm(local(w1, clinic))}" for w0, w1 in windows)
    starts = " or ".join(
        f"between {_hm(local(w0, clinic))} and {_hm(local(utc(w1) - held, clinic))}"
        for w0, w1 in windows
        if w1 - w0 >= held
    )
    extra = extras_on(clinic, day)
    note = f" (with an extra opening: {'; '.join(e.reason for e in extra)})" if extra else ""
    where = f"it must start {starts}" if starts else "no opening that day is long enough"
    return f"Open {spans}{note}; this session holds the chair {times.explain()}, so {where}."


def _renumber(course: Course, protocol: Protocol, actor: User) -> None:
    """Session numbers follow the order of the held appointments."""
    held = Appointment.objects.filter(course=course, status__in=HOLDING).order_by("starts_at")
    for number, appt in enumerate(held, start=1):
        located = protocol.phase_of(number)
        phase = located[0].code if located else appt.phase
        if appt.session_number != number or appt.phase != phase:
            appt.session_number = number
            appt.phase = phase
            appt._history_user = actor
            appt._change_reason = "Renumbered after a change in the series"
            appt.save()
            course_changed(appt.course_id)


def _course_for_booking(actor: User, course: Course) -> Course:
    require(actor, Capability.BOOK_APPOINTMENTS)
    if course.patient.clinic_id != actor.clinic_pk:
        raise PermissionDenied("This course belongs to another clinic.")
    return _lock_patient(course)


def _book(
    actor: User,
    course: Course,
    protocol: Protocol,
    chair: Chair,
    starts_at: datetime,
    missing: Sequence[str] = (),
) -> Appointment:
    _lock_chairs(course.patient.clinic_id, chair.pk)
    chair.refresh_from_db()
    slot = _check(course, protocol, chair, starts_at)
    appt = Appointment(
        course=course,
        chair=chair,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        session_number=slot.session_number,
        phase=slot.phase,
        created_by=actor,
    )
    appt._history_user = actor  # type: ignore[attr-defined]
    appt.save()
    course_changed(appt.course_id)
    _renumber(course, protocol, actor)
    appt.refresh_from_db()
    detail: dict[str, object] = {
        "chair": chair.name,
        "starts_at": slot.starts_at.isoformat(),
        "session": appt.session_number,
    }
    if missing:
        detail["booked_although_missing"] = list(missing)
    record_event(
        actor=actor, action=Action.CREATE, obj=appt, patient_id=course.patient_id, detail=detail
    )
    return appt


@transaction.atomic
def book_appointment(
    actor: User,
    course: Course,
    *,
    chair: Chair,
    starts_at: datetime,
    missing_acknowledged: Sequence[str] = (),
) -> Appointment:
    """Book one session of the course into a chair at a time (all the checks above).

    Booking ahead of eligibility or consent is allowed (the hard gate is at the start of
    dosing); `missing_acknowledged`: the gates the booker was warned of and booked anyway,
    kept in the audit event."""
    course = _course_for_booking(actor, course)
    if chair.clinic_id != actor.clinic_pk:
        raise ValidationError({"chair": ["Choose one of your clinic's chairs."]})
    return _book(actor, course, course_protocol(course), chair, starts_at, missing_acknowledged)


@dataclass(frozen=True)
class Unbooked:
    session: ProposedSession
    reason: str


@dataclass(frozen=True)
class SeriesBooking:
    booked: tuple[Appointment, ...]
    unbooked: tuple[Unbooked, ...]


@transaction.atomic
def book_series(
    actor: User,
    course: Course,
    *,
    at: time | None = None,
    start: date | None = None,
    missing_acknowledged: Sequence[str] = (),
) -> SeriesBooking:
    """Book every proposed session: the first chair free at the preferred time, else the
    earliest free slot that day on any chair, else report the date as not booked.
    `missing_acknowledged`: as for `book_appointment`."""
    course = _course_for_booking(actor, course)
    protocol = course_protocol(course)
    clinic = course.patient.clinic
    schedule = schedule_of(clinic.pk)
    preferred = at or schedule.opens_at
    chairs = list(Chair.objects.filter(clinic_id=clinic.pk, active=True).order_by("name", "pk"))
    proposal = propose_series(course, start=start)
    times = chair_time(protocol, clinic.pk)
    booked: list[Appointment] = []
    unbooked: list[Unbooked] = []
    if not chairs:
        return SeriesBooking(
            (), tuple(Unbooked(s, "No chair is in use.") for s in proposal.sessions)
        )
    _lock_chairs(clinic.pk, *(c.pk for c in chairs))
    for session in proposal.sessions:
        wanted = at_clinic(session.on, preferred, clinic)
        attempts: list[tuple[Chair, datetime]] = [(c, wanted) for c in chairs]
        frees = [(c, next_free_start(c, session.on, times)) for c in chairs]
        attempts += sorted(((c, f) for c, f in frees if f is not None), key=lambda cf: cf[1])
        reason = f"No chair is free long enough on {session.on:%a %d %b %Y}."
        for chair, starts_at in attempts:
            try:
                with transaction.atomic():
                    slot = _check(course, protocol, chair, starts_at)
            except ValidationError as exc:
                message = " ".join(exc.messages)
                if " is taken " not in message:
                    reason = message
                continue
            booked.append(
                _book(actor, course, protocol, chair, slot.starts_at, missing_acknowledged)
            )
            break
        else:
            unbooked.append(Unbooked(session, reason))
    return SeriesBooking(tuple(booked), tuple(unbooked))


@transaction.atomic
def reschedule_appointment(
    actor: User,
    appointment: Appointment,
    *,
    starts_at: datetime,
    chair: Chair | None = None,
    reason: str,
) -> Appointment:
    """Move an appointment (same checks as booking); the old time stays in its history."""
    require(actor, Capability.BOOK_APPOINTMENTS)
    why = required_reason(reason, what="Say why the appointment is moving.")
    appt = locked(Appointment.objects.filter(chair__clinic_id=actor.clinic_pk), appointment.pk)
    course = _lock_patient(appt.course)
    if appt.status != AppointmentStatus.BOOKED:
        raise ValidationError(
            {
                "status": [
                    "Only booked appointments can move; this one is "
                    f"{appt.get_status_display().lower()}."
                ]
            }
        )
    target = chair or appt.chair
    if target.clinic_id != actor.clinic_pk:
        raise ValidationError({"chair": ["Choose one of your clinic's chairs."]})
    _lock_chairs(actor.clinic_pk, appt.chair_id, target.pk)
    target.refresh_from_db()
    protocol = course_protocol(course)
    slot = _check(course, protocol, target, starts_at, exclude=appt.pk)
    before = {"chair": appt.chair.name, "starts_at": appt.starts_at.isoformat()}
    was_confirmed = appt.confirmed_at is not None
    appt.chair = target
    appt.starts_at = slot.starts_at
    appt.ends_at = slot.ends_at
    # The patient agreed to the old time: the new one is confirmed again (history keeps it).
    appt.confirmed_at, appt.confirmed_by, appt.confirm_note = None, None, ""
    appt._history_user = actor
    appt._change_reason = why
    appt.save()
    course_changed(appt.course_id)
    _renumber(course, protocol, actor)
    appt.refresh_from_db()
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=appt,
        patient_id=course.patient_id,
        detail={
            "moved": [before, {"chair": target.name, "starts_at": slot.starts_at.isoformat()}],
            "reason": why,
            **({"confirmation_cleared": True} if was_confirmed else {}),
        },
    )
    return appt


@transaction.atomic
def confirm_booking(actor: User, appointment: Appointment, *, note: str = "") -> Appointment:
    """Record that the booking was confirmed with the patient (e.g. the desk phoned them):
    who and when. Only a booked appointment still to come; once (moving it clears it)."""
    require(actor, Capability.BOOK_APPOINTMENTS)
    how = (note or "").strip()
    if len(how) > 200:
        raise ValidationError({"note": ["Keep the note under 200 characters."]})
    appt = locked(Appointment.objects.filter(chair__clinic_id=actor.clinic_pk), appointment.pk)
    course = _lock_patient(appt.course)
    clinic = course.patient.clinic
    if appt.status != AppointmentStatus.BOOKED:
        raise ValidationError(
            {
                "status": [
                    "Only a booked appointment can be confirmed; this one is "
                    f"{appt.get_status_display().lower()}."
                ]
            }
        )
    if local(appt.starts_at, clinic).date() < clinic_today(clinic):
        raise ValidationError({"status": ["This appointment's day has passed."]})
    if appt.confirmed_at is not None:
        by = appt.confirmed_by.display_name if appt.confirmed_by else "someone"
        raise ValidationError(
            {
                "status": [
                    f"Already confirmed by {by} on "
                    f"{local(appt.confirmed_at, clinic):%a %d %b %Y %H:%M}."
                ]
            }
        )
    appt.confirmed_at, appt.confirmed_by, appt.confirm_note = timezone.now(), actor, how
    appt._history_user = actor
    appt._change_reason = "Booking confirmed" + (f": {how}" if how else "")
    appt.save()
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=appt,
        patient_id=course.patient_id,
        detail={"confirmed": True, **({"note": how} if how else {})},
    )
    return appt


@transaction.atomic
def cancel_appointment(actor: User, appointment: Appointment, reason: str) -> Appointment:
    require(actor, Capability.BOOK_APPOINTMENTS)
    why = required_reason(reason, what="Say why the appointment is cancelled.")
    appt = locked(Appointment.objects.filter(chair__clinic_id=actor.clinic_pk), appointment.pk)
    course = _lock_patient(appt.course)
    if appt.status not in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN):
        raise ValidationError(
            {"status": [f"A {appt.get_status_display().lower()} appointment cannot be cancelled."]}
        )
    appt.status = AppointmentStatus.CANCELLED
    appt.cancel_reason = why[:300]
    appt._history_user = actor
    appt._change_reason = why
    appt.save()
    course_changed(appt.course_id)
    _renumber(course, course_protocol(course), actor)
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=appt,
        patient_id=course.patient_id,
        detail={"status": "cancelled", "reason": why},
    )
    return appt


def refuse_early_check_in(appointment: Appointment) -> None:
    """A patient is checked in on the appointment's day (the clinic's), never before: a
    check-in opens the day's session and its checklist. ValidationError in plain words."""
    clinic = appointment.course.patient.clinic
    day = local(appointment.starts_at, clinic).date()
    if day > clinic_today(clinic):
        raise ValidationError(
            {
                "status": [
                    f"This appointment is on {day:%a %d %b %Y}: the patient can be checked in "
                    "on that day, not before."
                ]
            }
        )


def may_confirm_on(appointment: Appointment, today: date) -> bool:
    """Whether a Confirm button is offered: booked, not yet confirmed, its day not past (the
    rules `confirm_booking` enforces, each with its own message)."""
    clinic = appointment.course.patient.clinic
    return (
        appointment.status == AppointmentStatus.BOOKED
        and appointment.confirmed_at is None
        and local(appointment.starts_at, clinic).date() >= today
    )


def may_check_in_on(appointment: Appointment, today: date) -> bool:
    """Whether a check-in button is offered for this appointment on the clinic's `today`."""
    clinic = appointment.course.patient.clinic
    return (
        appointment.status == AppointmentStatus.BOOKED
        and local(appointment.starts_at, clinic).date() <= today
    )


# status -> (statuses it may follow, capability needed)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    AppointmentStatus.CHECKED_IN: ((AppointmentStatus.BOOKED,), Capability.BOOK_APPOINTMENTS),
    AppointmentStatus.NO_SHOW: (
        (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
        Capability.BOOK_APPOINTMENTS,
    ),
    AppointmentStatus.IN_SESSION: ((AppointmentStatus.CHECKED_IN,), Capability.CHART_SESSION),
    AppointmentStatus.COMPLETED: ((AppointmentStatus.IN_SESSION,), Capability.CHART_SESSION),
}


@transaction.atomic
def set_appointment_status(actor: User, appointment: Appointment, status: str) -> Appointment:
    """Check in / did not attend (desk), in session / completed (the session's nurse)."""
    if status not in TRANSITIONS:
        choices = ", ".join(TRANSITIONS)
        raise ValidationError({"status": [f"Choose one of: {choices} (cancel has its own form)."]})
    follows, capability = TRANSITIONS[status]
    require(actor, capability)
    appt = locked(Appointment.objects.filter(chair__clinic_id=actor.clinic_pk), appointment.pk)
    course = _lock_patient(appt.course)
    if appt.status not in follows:
        raise ValidationError(
            {
                "status": [
                    f"A {appt.get_status_display().lower()} appointment cannot become "
                    f"{AppointmentStatus(status).label.lower()}."
                ]
            }
        )
    if status == AppointmentStatus.CHECKED_IN:
        refuse_early_check_in(appt)
    before = appt.status
    appt.status = status
    appt._history_user = actor
    appt.save()
    course_changed(appt.course_id)
    if status == AppointmentStatus.NO_SHOW:
        _renumber(course, course_protocol(course), actor)
    record_event(
        actor=actor,
        action=Action.UPDATE,
        obj=appt,
        patient_id=course.patient_id,
        detail={"status": [before, status]},
    )
    return appt
