"""Reads for courses, scoped to the actor's clinic (another clinic's object is a 404).

Who may read what:
- protocols: clinical staff (VIEW_CLINICAL) and whoever manages them;
- chairs, the calendar, the schedule and courses: whoever books (front desk, nurses,
  prescribers, clinic admins) or reads the chart; planned doses and course notes are
  clinical and shown only to VIEW_CLINICAL roles (pages decide with `user_can`);
- series decisions: who decided and when are part of the course history; their notes and
  snapshots of the core's states are clinical (`list_decisions`: VIEW_CLINICAL).
Reads of patient data (courses, appointments) are audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.protocols import NextStep, Protocol
from ketaflow.courses.derive.followup import FollowUp, follow_up
from ketaflow.courses.derive.planning import (
    ChairTime,
    SeriesProposal,
    chair_time,
    course_protocol,
    propose_series,
)
from ketaflow.courses.derive.slots import free_starts
from ketaflow.courses.models import (
    HOLDING,
    Appointment,
    AppointmentStatus,
    CalendarFeed,
    Chair,
    ClinicSchedule,
    ClosedDay,
    Course,
    ExtraOpening,
    FeedKind,
    PhaseChange,
    ProtocolVersion,
    SeriesDecision,
)
from ketaflow.courses.opening_hours import clinic_days_end, open_windows_on, schedule_of
from ketaflow.courses.services._common import require_any
from ketaflow.lib.clock import at_clinic, clinic_today, local
from ketaflow.patients.models import Patient
from ketaflow.patients.selectors import get_patient

READ_PROTOCOLS = (Capability.VIEW_CLINICAL, Capability.MANAGE_PROTOCOLS)
READ_SCHEDULE = (
    Capability.BOOK_APPOINTMENTS,
    Capability.VIEW_CLINICAL,
    Capability.MANAGE_CHAIRS,
)
READ_COURSES = (Capability.BOOK_APPOINTMENTS, Capability.VIEW_CLINICAL)


def _get(qs: QuerySet[Any], pk: int, what: str) -> Any:
    try:
        return qs.get(pk=pk)
    except ObjectDoesNotExist:
        raise Http404(f"No such {what} in your clinic.") from None


# ---------------------------------------------------------------------------- protocols


@dataclass(frozen=True)
class SettingRow:
    key: str
    label: str
    default: float
    local: float | None
    value: float
    unit: str
    evidence: str
    sources: tuple[str, ...]
    note: str
    needs_signoff: bool


@dataclass(frozen=True)
class ProtocolFamily:
    """The clinic's current version of one protocol and the versions before it."""

    current: ProtocolVersion
    older: tuple[ProtocolVersion, ...]
    needs_signoff: tuple[str, ...]
    experimental: bool = False  # thin evidence (oral, sublingual): needs the clinic's sign-off


def list_protocols(actor: User) -> list[ProtocolFamily]:
    require_any(actor, *READ_PROTOCOLS)
    rows = ProtocolVersion.objects.filter(clinic_id=actor.clinic_pk).select_related("created_by")
    families: dict[str, list[ProtocolVersion]] = {}
    for row in rows.order_by("code", "-version"):
        families.setdefault(row.code, []).append(row)
    found = []
    for versions in families.values():
        protocol = versions[0].load()
        found.append(
            ProtocolFamily(
                versions[0], tuple(versions[1:]), protocol.needs_signoff(), protocol.experimental
            )
        )
    return found


def current_protocols(actor: User) -> list[ProtocolVersion]:
    """The versions a new course may start on (readable by whoever starts courses)."""
    require_any(actor, *READ_PROTOCOLS)
    return [f.current for f in list_protocols(actor)]


def get_protocol_version(actor: User, pk: int) -> ProtocolVersion:
    require_any(actor, *READ_PROTOCOLS)
    qs = ProtocolVersion.objects.filter(clinic_id=actor.clinic_pk).select_related("created_by")
    row: ProtocolVersion = _get(qs, pk, "protocol version")
    return row


def is_current(version: ProtocolVersion) -> bool:
    latest = (
        ProtocolVersion.objects.filter(clinic_id=version.clinic_id, code=version.code)
        .order_by("-version")
        .values_list("pk", flat=True)
        .first()
    )
    return latest == version.pk


def protocol_settings(protocol: Protocol) -> list[SettingRow]:
    """Every setting with its default, local value, sources and sign-off flag."""
    return [
        SettingRow(
            key=key,
            label=protocol.setting_label(key),
            default=s.default.value,
            local=s.local[0] if s.local else None,
            value=s.value,
            unit=s.unit,
            evidence=s.default.evidence.value,
            sources=tuple(src.key for src in s.sources),
            note=s.default.note,
            needs_signoff=s.needs_local_signoff,
        )
        for key, s in protocol.settings()
    ]


# ---------------------------------------------------------------------------- calendar


def list_chairs(actor: User, *, active_only: bool = False) -> list[Chair]:
    require_any(actor, *READ_SCHEDULE)
    qs = Chair.objects.filter(clinic_id=actor.clinic_pk)
    if active_only:
        qs = qs.filter(active=True)
    return list(qs.order_by("name", "pk"))


def get_chair(actor: User, pk: int) -> Chair:
    require_any(actor, *READ_SCHEDULE)
    chair: Chair = _get(Chair.objects.filter(clinic_id=actor.clinic_pk), pk, "chair")
    return chair


def opening_hours(actor: User) -> ClinicSchedule:
    require_any(actor, *READ_SCHEDULE)
    return schedule_of(actor.clinic_pk)


def list_closed_days(actor: User, *, include_past: bool = False) -> list[ClosedDay]:
    require_any(actor, *READ_SCHEDULE)
    clinic = actor.clinic
    assert clinic is not None
    qs = ClosedDay.objects.filter(clinic_id=clinic.pk).select_related("created_by", "reopened_by")
    if not include_past:
        qs = qs.filter(on__gte=clinic_today(clinic) - timedelta(days=30))
    return list(qs.order_by("on", "pk"))


def list_extra_openings(actor: User, *, include_past: bool = False) -> list[ExtraOpening]:
    """Extra openings from the last 30 days on (all with `include_past`), withdrawn included."""
    require_any(actor, *READ_SCHEDULE)
    clinic = actor.clinic
    assert clinic is not None
    qs = ExtraOpening.objects.filter(clinic_id=clinic.pk).select_related(
        "created_by", "withdrawn_by"
    )
    if not include_past:
        qs = qs.filter(ends_at__gte=timezone.now() - timedelta(days=30))
    return list(qs.order_by("starts_at", "pk"))


def get_extra_opening(actor: User, pk: int) -> ExtraOpening:
    require_any(actor, *READ_SCHEDULE)
    opening: ExtraOpening = _get(
        ExtraOpening.objects.filter(clinic_id=actor.clinic_pk), pk, "extra opening"
    )
    return opening


def get_closed_day(actor: User, pk: int) -> ClosedDay:
    require_any(actor, *READ_SCHEDULE)
    day: ClosedDay = _get(ClosedDay.objects.filter(clinic_id=actor.clinic_pk), pk, "closed day")
    return day


def live_feeds(actor: User, *, patient: Patient | None = None) -> list[CalendarFeed]:
    require_any(actor, *READ_SCHEDULE)
    qs = CalendarFeed.objects.filter(clinic_id=actor.clinic_pk, revoked_at__isnull=True)
    qs = qs.filter(patient=patient) if patient else qs.filter(kind=FeedKind.CHAIR)
    return list(qs.select_related("chair", "created_by"))


def get_feed(actor: User, pk: int) -> CalendarFeed:
    require_any(actor, *READ_SCHEDULE)
    feed: CalendarFeed = _get(CalendarFeed.objects.filter(clinic_id=actor.clinic_pk), pk, "feed")
    return feed


def feed_by_token(raw: str) -> CalendarFeed | None:
    """The live feed with this secret (no sign-in: the secret is the credential)."""
    if not raw or len(raw) > 100:
        return None
    return (
        CalendarFeed.objects.filter(digest=CalendarFeed.hash(raw), revoked_at__isnull=True)
        .select_related("clinic", "patient", "chair")
        .first()
    )


# ---------------------------------------------------------------------------- courses


def _courses(actor: User) -> QuerySet[Course]:
    require_any(actor, *READ_COURSES)
    return Course.objects.filter(patient__clinic_id=actor.clinic_pk).select_related(
        "patient__clinic", "protocol_version", "created_by"
    )


def patient_courses(actor: User, patient_id: int) -> tuple[Patient, list[Course]]:
    require_any(actor, *READ_COURSES)
    patient = get_patient(actor, patient_id, audit=False)
    courses = list(_courses(actor).filter(patient=patient))
    record_event(
        actor=actor,
        action=Action.LIST,
        obj=patient,
        detail={"part": "courses", "course_ids": [c.pk for c in courses]},
    )
    return patient, courses


def get_course(actor: User, pk: int, *, audit: bool = True) -> Course:
    course: Course = _get(_courses(actor), pk, "course")
    if audit:
        record_event(actor=actor, action=Action.VIEW, obj=course, patient_id=course.patient_id)
    return course


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the course's history: a phase change or a series decision."""

    kind: str  # "phase" or "decision"
    at: datetime
    row: PhaseChange | SeriesDecision


@dataclass(frozen=True)
class CourseView:
    course: Course
    protocol: Protocol
    appointments: list[Appointment]
    phase_changes: list[Any]
    proposal: SeriesProposal
    next_step: NextStep | None
    next_error: str
    chair_time: ChairTime
    decisions: list[SeriesDecision] = field(default_factory=list)

    @property
    def history(self) -> list[HistoryEntry]:
        """Phase changes and series decisions in date order (a decision changes no phase,
        so the phase log alone would hide that the prescriber chose to go on)."""
        rows = [HistoryEntry("phase", c.at, c) for c in self.phase_changes]
        rows += [HistoryEntry("decision", d.at, d) for d in self.decisions]
        return sorted(rows, key=lambda e: (e.at, e.kind == "decision", e.row.pk))


def course_view(actor: User, pk: int) -> CourseView:
    """Everything the course page shows: phase, protocol, sessions, proposal, next step."""
    course = get_course(actor, pk)
    protocol = course.protocol_version.load()
    appointments = list(
        course.appointments.select_related("chair", "created_by", "confirmed_by").order_by(
            "starts_at", "pk"
        )
    )
    changes = list(course.phase_changes.select_related("by").order_by("at", "pk"))
    decisions = list(course.decisions.select_related("by", "after_session").order_by("at", "pk"))
    proposal = propose_series(course)
    step: NextStep | None = None
    error = ""
    if not course.is_ended:
        found = follow_up(course)
        step, error = found.step, found.step_error
    return CourseView(
        course,
        protocol,
        appointments,
        changes,
        proposal,
        step,
        error,
        chair_time(protocol, course.patient.clinic_id),
        decisions,
    )


def course_outcomes(actor: User, course_id: int, instrument: str | None = None) -> FollowUp:
    """The course's follow-up for clinical staff (scores are clinical); audited.

    403 for roles that cannot read the chart, 404 for a course outside the actor's clinic.
    """
    require(actor, Capability.VIEW_CLINICAL)
    course = get_course(actor, course_id, audit=False)
    found = follow_up(course, instrument)
    record_event(
        actor=actor,
        action=Action.VIEW,
        obj=course,
        patient_id=course.patient_id,
        detail={
            "part": "outcomes",
            "instrument": found.instrument.code,
            "response_ids": [s.response_id for s in found.scores],
        },
    )
    return found


def list_decisions(actor: User, course_id: int) -> tuple[Course, list[SeriesDecision]]:
    """A course's series decisions with their snapshots (clinical: VIEW_CLINICAL); audited."""
    require_any(actor, Capability.VIEW_CLINICAL)
    course = get_course(actor, course_id, audit=False)
    rows = list(course.decisions.select_related("by", "after_session").order_by("at", "pk"))
    record_event(
        actor=actor,
        action=Action.LIST,
        obj=course,
        patient_id=course.patient_id,
        detail={"part": "series_decisions", "decision_ids": [d.pk for d in rows]},
    )
    return course, rows


# ---------------------------------------------------------------------------- appointments


def get_appointment(actor: User, pk: int, *, audit: bool = True) -> Appointment:
    require_any(actor, *READ_COURSES)
    qs = Appointment.objects.filter(chair__clinic_id=actor.clinic_pk).select_related(
        "chair", "course__patient__clinic", "course__protocol_version"
    )
    appt: Appointment = _get(qs, pk, "appointment")
    if audit:
        record_event(actor=actor, action=Action.VIEW, obj=appt, patient_id=appt.course.patient_id)
    return appt


def appointments_between(
    actor: User, start: date, days: int = 1, *, chair_id: int | None = None
) -> list[Appointment]:
    """Appointments on the clinic's local days [start, start + days), all statuses."""
    require_any(actor, *READ_COURSES)
    clinic = actor.clinic
    assert clinic is not None
    days = max(1, min(days, 31))
    begin: datetime = at_clinic(start, datetime.min.time(), clinic)
    end: datetime = at_clinic(start + timedelta(days=days), datetime.min.time(), clinic)
    qs = Appointment.objects.filter(
        chair__clinic_id=clinic.pk, starts_at__gte=begin, starts_at__lt=end
    ).select_related("chair", "course__patient__clinic", "course__protocol_version", "confirmed_by")
    if chair_id is not None:
        qs = qs.filter(chair_id=chair_id)
    found = list(qs.order_by("starts_at", "chair__name"))
    record_event(
        actor=actor,
        action=Action.LIST,
        detail={
            "part": "schedule",
            "from": str(start),
            "days": days,
            "patient_ids": sorted({a.course.patient_id for a in found}),
        },
    )
    return found


@dataclass(frozen=True)
class ChairSlots:
    """One chair's free start times on a day, in the clinic's zone."""

    chair: Chair
    starts: list[datetime]


def free_slots(
    actor: User, course: Course, day: date, chair: Chair | None = None
) -> list[ChairSlots]:
    """The free start times for one session of `course` on the clinic-local `day`, per chair
    (one chair, or every chair in use), within the opening hours and clear of the chairs'
    held appointments plus turnover (`derive.slots.free_starts`). Times only, no patients:
    not audited beyond the course read the page made."""
    require(actor, Capability.BOOK_APPOINTMENTS)
    clinic = course.patient.clinic
    if clinic.pk != actor.clinic_pk:
        raise Http404("No such course in your clinic.")
    if chair is not None and (chair.clinic_id != clinic.pk or not chair.active):
        raise Http404("No such chair in use in your clinic.")
    chairs = [chair] if chair is not None else list_chairs(actor, active_only=True)
    times = chair_time(course_protocol(course), clinic.pk)
    windows = open_windows_on(clinic, day)
    day_span = (
        at_clinic(day, datetime.min.time(), clinic),
        at_clinic(day + timedelta(days=1), datetime.min.time(), clinic),
    )
    held = timedelta(minutes=times.held)
    turnover = timedelta(minutes=times.turnover)
    found = []
    for c in chairs:
        taken = []
        if windows:
            taken = list(
                Appointment.objects.filter(
                    chair=c,
                    status__in=HOLDING[:3],
                    starts_at__lt=windows[-1][1] + turnover,
                    ends_at__gt=windows[0][0] - turnover,
                ).values_list("starts_at", "ends_at")
            )
        starts = free_starts(
            windows,
            taken,
            held=held,
            turnover=turnover,
            day=day_span,
            not_before=timezone.now(),
        )
        found.append(ChairSlots(c, [local(s, clinic) for s in starts]))
    return found


def _open_from_past_days(actor: User) -> QuerySet[Appointment]:
    clinic = actor.clinic
    assert clinic is not None
    today_starts = at_clinic(clinic_today(clinic), datetime.min.time(), clinic)
    return Appointment.objects.filter(
        chair__clinic_id=clinic.pk, status=AppointmentStatus.BOOKED, starts_at__lt=today_starts
    )


def bookings_to_close(actor: User, *, limit: int = 50) -> list[Appointment]:
    """Appointments of past days still marked booked (attended? did not attend?); audited.

    The front desk closes each one (checked in, cancelled, or did not attend) so the series
    counts and the no-show record stay true. Oldest first, at most `limit`.
    """
    require_any(actor, *READ_COURSES)
    return _listed(actor, _open_from_past_days(actor), "bookings_to_close", limit)


def _listed(
    actor: User, bookings: QuerySet[Appointment], part: str, limit: int
) -> list[Appointment]:
    """The first `limit` bookings, soonest first, audited as a list of their patients."""
    found = list(
        bookings.select_related("chair", "course__patient").order_by("starts_at", "pk")[:limit]
    )
    record_event(
        actor=actor,
        action=Action.LIST,
        detail={"part": part, "patient_ids": sorted({a.course.patient_id for a in found})},
    )
    return found


def bookings_to_close_count(actor: User) -> int:
    """How many past bookings are still open (a number only: not audited)."""
    if not any(actor.can(c) for c in READ_COURSES):
        return 0
    return _open_from_past_days(actor).count()


def _unconfirmed(actor: User) -> QuerySet[Appointment]:
    """Bookings still to come within the clinic's confirmation horizon (its next
    `confirm_days_ahead` clinic days, today included) that nobody has confirmed."""
    clinic = actor.clinic
    assert clinic is not None
    days = schedule_of(clinic.pk).confirm_days_ahead
    until = clinic_days_end(clinic, clinic_today(clinic), days)
    return Appointment.objects.filter(
        chair__clinic_id=clinic.pk,
        status=AppointmentStatus.BOOKED,
        confirmed_at__isnull=True,
        starts_at__gte=timezone.now(),
        starts_at__lt=until,
    )


def unconfirmed_bookings(actor: User, *, limit: int = 50) -> list[Appointment]:
    """Upcoming bookings not yet confirmed with the patient, soonest first; audited."""
    require_any(actor, *READ_COURSES)
    return _listed(actor, _unconfirmed(actor), "unconfirmed_bookings", limit)


def unconfirmed_bookings_count(actor: User) -> int:
    """How many upcoming bookings wait to be confirmed (a number only: not audited)."""
    if not any(actor.can(c) for c in READ_COURSES):
        return 0
    return _unconfirmed(actor).count()
