"""From stored courses to the core's proposals: series dates, next step, chair time.

No permission checks here (callers are services and selectors that have done them) and no
writes: plain values in, the core's answers out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import takewhile

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.outcomes import OutcomeState
from ketaflow.clinical.protocols import (
    NextStep,
    PhaseKind,
    ProposedSession,
    Protocol,
    next_step,
    propose_sessions,
)
from ketaflow.courses.models import HOLDING, Appointment, AppointmentStatus, Course, CoursePhase
from ketaflow.courses.opening_hours import clinic_calendar, schedule_of
from ketaflow.lib.clock import clinic_today, local

OPEN_ENDED_AHEAD = 4  # sessions proposed ahead in an open-ended maintenance phase


@dataclass(frozen=True)
class ChairTime:
    """How long a session holds a chair, and the clinic's turnover after it."""

    prep: int
    dose: int
    observation: int
    turnover: int
    infusion: bool

    @property
    def held(self) -> int:
        """Minutes from arrival to the end of observation (the appointment's length)."""
        return self.prep + self.dose + self.observation

    def explain(self) -> str:
        kind = "infusion" if self.infusion else "dose"
        return (
            f"{self.held} min ({self.prep} arrival and preparation + {self.dose} {kind} + "
            f"{self.observation} observation), then {self.turnover} min turnover"
        )


def chair_time(protocol: Protocol, clinic_id: int) -> ChairTime:
    schedule = schedule_of(clinic_id)
    infusion = protocol.infusion_minutes
    return ChairTime(
        prep=schedule.prep_minutes,
        dose=infusion.value if infusion is not None else schedule.dose_minutes,
        observation=protocol.observation_minutes.value,
        turnover=schedule.turnover_minutes,
        infusion=infusion is not None,
    )


def course_protocol(course: Course) -> Protocol:
    return course.protocol_version.load()


def held_appointments(course: Course, exclude: int | None = None) -> list[Appointment]:
    """The course's appointments that hold a chair or were given, in time order."""
    qs = Appointment.objects.filter(course=course, status__in=HOLDING).order_by("starts_at")
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return list(qs.select_related("chair"))


def completed_dates(course: Course) -> list[date]:
    clinic = course.patient.clinic
    done = Appointment.objects.filter(course=course, status=AppointmentStatus.COMPLETED)
    return [local(a.starts_at, clinic).date() for a in done.order_by("starts_at")]


@dataclass(frozen=True)
class SeriesProposal:
    sessions: tuple[ProposedSession, ...]
    note: str = ""


def propose_series(course: Course, *, start: date | None = None) -> SeriesProposal:
    """The sessions not yet booked in the course's current phase, on clinic days.

    Evaluation and induction propose the rest of the induction phases; maintenance proposes
    the maintenance sessions (the fixed ones, then a few of an open-ended phase).
    """
    if course.phase == CoursePhase.ENDED:
        return SeriesProposal((), "The course has ended.")
    clinic = course.patient.clinic
    protocol = course_protocol(course)
    held = [local(a.starts_at, clinic).date() for a in held_appointments(course)]
    earliest = max(clinic_today(clinic), course.started_on, start or course.started_on)
    fixed = sum(p.sessions.value for p in protocol.phases if p.sessions is not None)
    count = max(0, fixed - len(held))
    if protocol.phases[-1].sessions is None:
        count += OPEN_ENDED_AHEAD
    age = course.patient.age_on(earliest)
    try:
        sessions = propose_sessions(
            protocol,
            clinic_calendar(clinic.pk, earliest),
            start=earliest,
            done=held,
            count=count,
            age=age,
        )
    except ClinicalInputError as exc:
        return SeriesProposal((), f"No proposal: {exc.message}")
    wanted = PhaseKind.MAINTENANCE if course.phase == CoursePhase.MAINTENANCE else None
    wanted = wanted or PhaseKind.INDUCTION
    chosen = tuple(takewhile(lambda s: s.phase_kind is wanted, sessions))
    note = ""
    if not chosen and sessions:
        note = (
            f"The protocol's next session ({protocol.phase_name(sessions[0].phase)}) is not "
            f"in the {wanted.value} phase: change the course phase to book it."
        )
    elif not chosen:
        note = "Every session of the protocol's series is booked or given."
    return SeriesProposal(chosen, note)


def propose_next(
    course: Course,
    sessions_done_dates: Sequence[date],
    outcome_state: OutcomeState | None,
    *,
    as_of: date | None = None,
) -> NextStep:
    """What the protocol proposes after the sessions given (call after each signed session).

    `sessions_done_dates`: clinic-local dates of the sessions given, in order;
    `outcome_state`: the current `outcomes` state, None while no outcome is known. The
    answer carries the proposed session (date, phase, planned dose) and any review flag:
    the review point (S17: after session 4), non-response, a phase for responders only,
    relapse, or the end of the series.
    """
    clinic = course.patient.clinic
    days = list(sessions_done_dates)
    when = as_of or max([clinic_today(clinic), *days[-1:]])
    return next_step(
        course_protocol(course),
        clinic_calendar(clinic.pk, when),
        done=days,
        as_of=when,
        state=outcome_state,
        age=course.patient.age_on(when),
    )
