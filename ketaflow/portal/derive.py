"""From the records to the core's schedule: which rules, which sessions, which completions.

Unscoped helpers: callers (selectors, services, the reminder job) have already decided who
may see what. Everything is evaluated when asked, with the rules as they are now, so a rule
edit changes what is still to come and nothing already sent (`Reminder` keeps that).

- Rules: a course's own live rules, else its protocol's (by protocol code, all versions),
  else the clinic's, else the core defaults (`DEFAULT_RULES`, flagged for local sign-off).
- Sessions (anchors): treatment given, i.e. treatment sessions discharged or signed, plus
  completed appointments without a session record (charted outside the sessions app), on
  their clinic-local day. The phase of a session is the kind of the protocol phase its
  appointment was booked in; failing that, the course's phase at the time.
- Completions: live responses (not entered in error) of the patient-facing forms, by whoever
  entered them (a form done on paper at the clinic counts), on their clinic-local day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from ketaflow.accounts.models import Clinic
from ketaflow.audit.history import RecordStatus
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.questionnaire_schedule import (
    DEFAULT_RULES,
    Anchor,
    Completion,
    Occurrence,
    SchedulePhase,
    open_now,
    patient_instruments,
    schedule,
)
from ketaflow.clinical.questionnaire_schedule import ScheduleRule as CoreRule
from ketaflow.courses.models import Appointment, AppointmentStatus, Course, CoursePhase
from ketaflow.lib.clock import local
from ketaflow.patients.models import Patient
from ketaflow.portal.models import RuleScope, ScheduleRule
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.treatments.models import SessionStatus

GIVEN = (SessionStatus.DISCHARGED, SessionStatus.SIGNED)


@dataclass(frozen=True)
class EffectiveRules:
    """The rules a course runs under and where they come from (shown to staff)."""

    rules: tuple[CoreRule, ...]
    origin: str  # "course", "protocol", "clinic" or "default"


def to_core(rule: ScheduleRule) -> CoreRule:
    """A stored rule as the core's rule (the core validates it again)."""
    return CoreRule(
        instrument=rule.instrument,
        phase=SchedulePhase(rule.phase),
        offsets_days=tuple(int(d) for d in rule.offsets_days),
        window_days=rule.window_days,
        repeat_every_days=rule.repeat_every_days,
        note=rule.reason,
    )


def _live(rows: Iterable[ScheduleRule]) -> tuple[CoreRule, ...]:
    rules = []
    for row in rows:
        try:
            rules.append(to_core(row))
        except ClinicalInputError:
            continue  # refused on entry; a rule that no longer validates is not applied
    return tuple(rules)


def effective_rules(course: Course) -> EffectiveRules:
    clinic_id = course.patient.clinic_id
    live = ScheduleRule.objects.filter(clinic_id=clinic_id, retired_at__isnull=True)
    own = _live(live.filter(scope=RuleScope.COURSE, course=course))
    if own:
        return EffectiveRules(own, "course")
    code = course.protocol_version.code
    protocol = _live(live.filter(scope=RuleScope.PROTOCOL, protocol_code=code))
    if protocol:
        return EffectiveRules(protocol, "protocol")
    clinic = _live(live.filter(scope=RuleScope.CLINIC))
    if clinic:
        return EffectiveRules(clinic, "clinic")
    return EffectiveRules(DEFAULT_RULES, "default")


def _phase_kinds(course: Course) -> dict[str, SchedulePhase]:
    try:
        protocol = course.protocol_version.load()
    except (ClinicalInputError, KeyError, TypeError, ValueError):
        return {}
    return {p.name: SchedulePhase(p.kind.value) for p in protocol.phases}


def _course_phase_at(course: Course, when: datetime) -> SchedulePhase:
    phase = SchedulePhase.INDUCTION
    for change in course.phase_changes.filter(at__lte=when).order_by("at", "pk"):
        if change.to_phase == CoursePhase.MAINTENANCE:
            phase = SchedulePhase.MAINTENANCE
        elif change.to_phase == CoursePhase.INDUCTION:
            phase = SchedulePhase.INDUCTION
    return phase


def anchors(course: Course) -> list[Anchor]:
    """The clinic-local days treatment was given in this course, with each session's phase."""
    clinic = course.patient.clinic
    kinds = _phase_kinds(course)
    given = Appointment.objects.filter(course=course, treatment_session__status__in=GIVEN)
    charted_elsewhere = Appointment.objects.filter(
        course=course, status=AppointmentStatus.COMPLETED, treatment_session__isnull=True
    )
    found = []
    for appt in [*given, *charted_elsewhere]:
        phase = kinds.get(appt.phase) or _course_phase_at(course, appt.starts_at)
        found.append(Anchor(local(appt.starts_at, clinic).date(), phase))
    return sorted(set(found))


def completions(patient: Patient) -> list[Completion]:
    clinic = patient.clinic
    rows = (
        InstrumentResponse.objects.filter(patient=patient, instrument__in=patient_instruments())
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .values_list("instrument", "administered_at")
    )
    return [Completion(code, local(at, clinic).date()) for code, at in rows]


def course_end(course: Course) -> date | None:
    """The clinic-local day the course ended, if it has."""
    if course.phase != CoursePhase.ENDED:
        return None
    change = course.phase_changes.filter(to_phase=CoursePhase.ENDED).order_by("-at").first()
    return local(change.at, course.patient.clinic).date() if change else None


def course_occurrences(
    course: Course, today: date, *, until: date | None = None
) -> tuple[Occurrence, ...]:
    """Everything the course's rules ask for up to `until` (default today), with its state."""
    return schedule(
        effective_rules(course).rules,
        anchors(course),
        completions(course.patient),
        today=today,
        stop_on=course_end(course),
        until=until,
    )


def open_courses(clinic: Clinic | None = None) -> list[Course]:
    """Courses that can have forms due (not ended), oldest first."""
    qs = Course.objects.exclude(phase=CoursePhase.ENDED).select_related(
        "patient__clinic", "protocol_version"
    )
    if clinic is not None:
        qs = qs.filter(patient__clinic=clinic)
    return list(qs.order_by("started_on", "pk"))


@dataclass(frozen=True)
class DueForm:
    """One form open now for a patient: due or overdue."""

    course: Course
    occurrence: Occurrence

    @property
    def patient(self) -> Patient:
        return self.course.patient


def open_for_patient(patient: Patient, today: date) -> list[DueForm]:
    return [
        DueForm(course, o)
        for course in Course.objects.filter(patient=patient)
        .exclude(phase=CoursePhase.ENDED)
        .select_related("patient__clinic", "protocol_version")
        for o in open_now(course_occurrences(course, today))
    ]


def clinic_today(clinic: Clinic, now: datetime) -> date:
    return local(now, clinic).date()
