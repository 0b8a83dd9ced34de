"""From stored rows to the core's plain inputs: the rules in force and a course's history.

The protocol decides where it says something: a protocol version's JSON may carry a
`long_term_safety` mapping of setting → value (`SafetyRules.with_local`). The built-in
protocols say nothing yet, so the core's defaults (with their sources, UNVERIFIED ones
flagged for local sign-off) apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from django.utils import timezone

from ketaflow.audit.history import RecordStatus
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.long_term_safety import (
    REQUIRED_ANALYTES,
    Check,
    CourseHistory,
    CoursePhase,
    LabFlag,
    LabValue,
    LastResult,
    SafetyRules,
    evaluate_lab,
    evaluate_luts,
    rules_for,
)
from ketaflow.clinical.protocols import PhaseKind, Protocol
from ketaflow.courses.models import Appointment, AppointmentStatus, Course, ProtocolVersion
from ketaflow.lib.clock import local
from ketaflow.patients.models import Patient
from ketaflow.safety.models import CONCERNS, LabResult, LutsScreen, SafetyReview

#: Who answers "on which days did this patient take a dose at home" (the home dose diary, an
#: app above this one, registers it when Django is ready: arrows point down, so safety asks
#: through this hook, like `courses/gates.py`). Each returns clinic-local days.
HomeDoseDays = Callable[[Patient], Iterable[date]]
_home_dose_days: list[HomeDoseDays] = []


def register_home_dose_days(provider: HomeDoseDays) -> None:
    if provider not in _home_dose_days:
        _home_dose_days.append(provider)


def home_dose_days(patient: Patient) -> tuple[date, ...]:
    """Every day the patient recorded a home dose (from the registered providers)."""
    return tuple(sorted({d for provider in _home_dose_days for d in provider(patient)}))


HELD = (AppointmentStatus.COMPLETED, AppointmentStatus.IN_SESSION, AppointmentStatus.CHECKED_IN)
LOCAL_KEY = "long_term_safety"


def rules_of(version: ProtocolVersion | None) -> SafetyRules:
    """The protocol's own long-term safety settings, else the core defaults."""
    local_values = (version.data or {}).get(LOCAL_KEY) if version is not None else None
    try:
        return rules_for(local_values or None)
    except ClinicalInputError:
        return rules_for(None)  # a bad stored value never hides the defaults' checks


def current_course(patient: Patient) -> Course | None:
    """The course that drives the due list: the latest one still running, else the latest."""
    courses = Course.objects.filter(patient=patient).select_related("protocol_version")
    running = courses.exclude(phase="ended").order_by("-started_on", "-pk").first()
    return running or courses.order_by("-started_on", "-pk").first()


def rules_of_patient(patient: Patient) -> SafetyRules:
    course = current_course(patient)
    return rules_of(course.protocol_version if course else None)


def _maintenance_codes(protocol: Protocol) -> set[str]:
    return {p.code for p in protocol.phases if p.kind is PhaseKind.MAINTENANCE}


def course_history(
    course: Course, appointments: Iterable[Appointment] | None = None
) -> CourseHistory:
    """The core's view of a course: held session days, maintenance ones, the next booking."""
    protocol = course.protocol_version.load()
    clinic = course.patient.clinic
    maintenance = _maintenance_codes(protocol)
    rows = (
        list(appointments)
        if appointments is not None
        else list(Appointment.objects.filter(course=course).order_by("starts_at"))
    )
    now = timezone.now()
    held = [a for a in rows if a.status in HELD]
    upcoming = sorted(
        (a for a in rows if a.status == AppointmentStatus.BOOKED and a.starts_at >= now),
        key=lambda a: a.starts_at,
    )
    days = tuple(sorted({local(a.starts_at, clinic).date() for a in held}))
    m_days = tuple(
        sorted({local(a.starts_at, clinic).date() for a in held if a.phase in maintenance})
    )
    total = protocol.total_sessions
    nxt = upcoming[0] if upcoming else None
    ended_change = course.phase_changes.filter(to_phase="ended").order_by("-at").first()
    home = tuple(d for d in home_dose_days(course.patient) if d >= course.started_on)
    started = min([course.started_on, *days])
    return CourseHistory(
        started_on=started,
        phase=CoursePhase(course.phase),
        recurrent=total is None or total > 1,
        session_dates=days,
        maintenance_dates=m_days,
        next_session_on=local(nxt.starts_at, clinic).date() if nxt else None,
        next_session_is_maintenance=bool(nxt and nxt.phase in maintenance),
        ended_on=local(ended_change.at, clinic).date() if ended_change else None,
        home_dose_dates=home,
    )


def lab_flag(row: LabResult, rules: SafetyRules) -> LabFlag | None:
    """The core's flag for a stored value (None if the stored row no longer validates)."""
    from ketaflow.clinical.long_term_safety import Analyte

    try:
        value = LabValue(Analyte(row.analyte), row.value, row.unit, row.ref_low, row.ref_high)
    except (ClinicalInputError, ValueError):
        return None
    return evaluate_lab(value, rules).flag


def luts_answers(screen: LutsScreen) -> dict[str, bool]:
    from ketaflow.clinical.long_term_safety import LUTS_KEYS

    return {k: bool(getattr(screen, k)) for k in LUTS_KEYS}


def last_results(
    labs: Iterable[LabResult],
    screens: Iterable[LutsScreen],
    reviews: Iterable[SafetyReview],
    rules: SafetyRules,
) -> list[LastResult]:
    """Every active record as a core `LastResult`; a liver day counts once its panel is full."""
    results: list[LastResult] = []
    by_day: dict[date, list[LabResult]] = {}
    for row in labs:
        if row.status != RecordStatus.ENTERED_IN_ERROR:
            by_day.setdefault(row.collected_on, []).append(row)
    required = {a.value for a in REQUIRED_ANALYTES}
    for day, rows in by_day.items():
        if required <= {r.analyte for r in rows}:
            abnormal = any((lab_flag(r, rules) or LabFlag.NORMAL).abnormal for r in rows)
            results.append(LastResult(Check.LIVER, day, abnormal))
    for screen in screens:
        if screen.status != RecordStatus.ENTERED_IN_ERROR:
            positive = evaluate_luts(luts_answers(screen), rules).positive
            results.append(LastResult(Check.LUTS, screen.screened_on, positive))
    for review in reviews:
        if review.status != RecordStatus.ENTERED_IN_ERROR:
            results.append(
                LastResult(Check(review.kind), review.reviewed_on, review.outcome in CONCERNS)
            )
    return results
