"""The treatment process in the main demo clinic: set-up, screening, consent and courses.

Everything goes through the services (permission, validation, audit on channel "cli") as the
staff who would do it: the clinic admin sets up chairs, hours and the consent document; the
nurse records scales, clearance, consent and check-ins; the prescriber signs reviews and runs
courses. Each part is skipped when it exists already, so a second run changes nothing.

Dates, and what is deterministic:
- Clinical data (scales, clearance, BP, chart additions), course start dates and the sessions
  already given are on FIXED dates in October-November 2026 (before `REFERENCE_DAY`), so every
  run builds the same charts and history.
- FUTURE appointments are the one exception: they are booked from the day after the seed runs
  ("today" in the clinic's zone), so `make demo` always shows sessions in the coming days. The
  booking service (and the core's series proposal) picks the dates from there, so they are
  deterministic given the day of seeding (the tests freeze that day).
- The services stamp reviews, sign-offs, consent signatures and audit events with the real
  time of seeding (they refuse back-dating), so those times are not fixed.
- The clinic's set-up (chairs, hours, protocols, consent document) is made on the FIRST run
  by `demo.oral.set_up_first`, with the clock 35 days back, so the oral programme's patient
  (`demo.oral`, whose whole story is written at the moments it happened) can follow it;
  `_setup` here then finds it all and adds nothing.
- The booking service rightly refuses a time in the past. The sessions given before the demo
  "starts" are backfilled by booking them with the booking rules' clock set to a moment
  before them (`_booking_clock`); every other rule is checked as usual and the audit log and
  record histories keep the real time. The sessions already given carry no treatment-session
  record: it cannot be made honestly (see below).
- TODAY's live sessions for the chair board (`demo.sessions`) depend on the time of seeding:
  five of today's appointments are booked (before the future series, which are then spaced
  from them) and taken to their phase on the real clock. Outside the opening hours the clinic
  admin first adds a labelled extra opening around now (`DEMO_OPENING_REASON`), as a clinic
  would for a Saturday clinic, so the demo has live sessions whenever it is seeded.

Why the sessions already given have no treatment-session record: the session checklist gates
the start on eligibility and consent *as they stood at that moment* (read from the records'
history), and the demo's sign-offs and consent are stamped with the real time of seeding. A
session dated before the seed would therefore (rightly) be refused at its checklist; moving
only the treatments clock cannot change that, and back-dating the screening is what the
services refuse. So they stay status-only (checked in, in session, completed).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from unittest import mock

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import Clinic, User
from ketaflow.courses.models import (
    Appointment,
    AppointmentStatus,
    Chair,
    ClinicSchedule,
    ClosedDay,
    Course,
    CoursePhase,
    EndedReason,
    ProtocolVersion,
)
from ketaflow.courses.services import (
    add_chair,
    add_extra_opening,
    adopt_builtin_protocols,
    book_appointment,
    book_series,
    booking,
    change_phase,
    close_day,
    set_appointment_status,
    set_opening_hours,
    start_course,
)
from ketaflow.demo.sessions import (
    DEMO_OPENING_REASON,
    LivePlan,
    live_plan,
    run_live,
)
from ketaflow.lib.clock import clinic_today, local
from ketaflow.patients.codes import MedicationClass, TreatmentKind, TreatmentOutcome
from ketaflow.patients.models import Medication, Patient
from ketaflow.patients.services import add_entry, amend_entry
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.questionnaires.services import record_response
from ketaflow.screening.consent_text import DEFAULT_BODY, DEFAULT_TITLE
from ketaflow.screening.models import ConsentDocument, EligibilityReview, ScreeningObservation
from ketaflow.screening.services import (
    open_review,
    publish_document,
    record_observation,
    record_signature,
    sign_review,
    withdraw_consent,
)

# Every fixed date of the process is before this day; a run on any later day builds the same.
REFERENCE_DAY = date(2026, 11, 20)
_LONDON = zoneinfo.ZoneInfo("Europe/London")  # the main demo clinic's zone (MAIN_CLINIC)
IV, SC, ESK = "iv-racemic", "sc-racemic-anxiety", "esketamine-label"

CHAIRS = (
    ("Chair 1", "By the window; IV pole"),
    ("Chair 2", "IV pole"),
    ("Chair 3", "Recliner"),
    ("Chair 4", "IV pole; near the nurses' station"),
    ("Quiet room", "Low light, for patients who find the bay overwhelming"),
)
OPENING_HOURS: dict[str, Any] = {
    "working_days": [0, 1, 2, 3, 4],  # Monday to Friday
    "opens_at": time(8, 0),
    "closes_at": time(18, 0),
    "prep_minutes": 30,
    "dose_minutes": 15,
    "turnover_minutes": 15,
}
CLOSED_DAY = (date(2026, 12, 9), "Staff training day (fictional)")

CLEARANCE = ("psychiatric_assessment", "ecg", "liver_function", "renal_function")


@dataclass(frozen=True)
class Scales:
    gad7: int
    phq9: int
    entry: str  # "hama" (GAD and most others) or "lsas" (social anxiety)
    entry_total: int
    phq9_item9: int = 0  # above 0 raises the PHQ-9 safety flag


@dataclass(frozen=True)
class Screening:
    """One patient's screening as the demo shows it (`decision` "" = review left unsigned)."""

    mrn: str
    day: date  # the work-up day: scales, clearance and BP
    scales: Scales
    bp: tuple[int, int]
    protocol: str = IV
    clearance: Sequence[str] = CLEARANCE
    stop_bang: int | None = 2
    pregnancy_test: str = "negative"  # for those who can become pregnant
    urine_toxicology: bool = False
    review: bool = True
    decision: str = ""
    reason: str = ""
    consent: str = ""  # "" none, else the method
    extra_prior_treatment: dict[str, Any] | None = None  # e.g. a GP letter, before the review
    stop_medication: tuple[str, date, str] | None = None  # name, stopped on, why
    later_medication: dict[str, Any] | None = None  # added after sign-off: the review goes stale


WITH_CAUTIONS = "eligible_with_cautions"
NOT_ELIGIBLE = "not_eligible"

SCREENINGS: tuple[Screening, ...] = (
    Screening(
        "KF-000001",
        date(2026, 10, 1),
        Scales(16, 13, "hama", 26),
        (118, 76),
        decision=WITH_CAUTIONS,
        reason="Refractory GAD (HAM-A 26). Comorbid depression: PHQ-9 each visit.",
        consent="in_person",
    ),
    Screening(
        "KF-000002",
        date(2026, 11, 2),
        Scales(11, 7, "lsas", 88),
        (136, 86),
        protocol=SC,
        stop_bang=5,
        decision=WITH_CAUTIONS,
        reason="Generalised SAD, LSAS 88. Treated hypertension and OSA: BP and SpO2 closely; "
        "bring CPAP.",
        consent="in_person",
    ),
    Screening(
        "KF-000003",
        date(2026, 10, 6),
        Scales(14, 11, "hama", 22),
        (112, 72),
        decision=NOT_ELIGIBLE,
        reason="Panic disorder is outside our protocols' scope and only one adequate trial has "
        "failed. Referred back for panic-focused treatment.",
    ),
    Screening(
        "KF-000004",
        date(2026, 11, 10),
        Scales(15, 19, "hama", 24, phq9_item9=1),
        (126, 82),
        clearance=("psychiatric_assessment", "liver_function", "renal_function"),
        urine_toxicology=True,
        review=False,  # work-up in progress: ECG not done yet
    ),
    Screening(
        "KF-000005",
        date(2026, 10, 7),
        Scales(10, 12, "hama", 18),
        (110, 70),
        decision=NOT_ELIGIBLE,
        reason="Planning a pregnancy; OCD is outside our protocols' scope. Discussed alternatives.",
    ),
    Screening(
        "KF-000006",
        date(2026, 11, 12),
        Scales(17, 8, "hama", 25),
        (122, 78),
        protocol=SC,
        # Left unsigned: only one failed adequate trial is recorded; waiting for GP records.
    ),
    Screening(
        "KF-000007",
        date(2026, 11, 9),
        Scales(15, 9, "hama", 24),
        (128, 82),
        decision=WITH_CAUTIONS,
        reason="GAD (HAM-A 24) after two failed adequate trials. Alprazolam as needed: none on "
        "session days. Past hypertension: BP closely.",
        consent="in_person",
        extra_prior_treatment={
            "kind": TreatmentKind.SSRI,
            "name": "Sertraline 200 mg (GP letter)",
            "adequate": True,
            "outcome": TreatmentOutcome.NO_RESPONSE,
            "started_on": date(2018, 3, 1),
            "ended_on": date(2018, 11, 1),
        },
    ),
    Screening(
        "KF-000008",
        date(2026, 10, 5),
        Scales(12, 15, "lsas", 96),
        (128, 80),
        protocol=SC,
        urine_toxicology=True,
        decision=WITH_CAUTIONS,
        reason="SAD, LSAS 96. On phenelzine: BP closely. Past cannabis use: urine screen negative.",
        consent="in_person",
    ),
    Screening(
        "KF-000009",
        date(2026, 11, 3),
        Scales(16, 14, "hama", 27),
        (116, 74),
        pregnancy_test="positive",
        decision=NOT_ELIGIBLE,
        reason="Positive pregnancy test; PTSD is outside our protocols' scope. Referred to "
        "perinatal mental health.",
    ),
    Screening(
        "KF-000010",
        date(2026, 11, 4),
        Scales(15, 17, "hama", 28),
        (132, 84),
        protocol=ESK,
        stop_bang=3,
        decision=WITH_CAUTIONS,
        reason="GAD with recurrent depression, two failed antidepressants. Past OSA and "
        "levothyroxine: BP and SpO2 closely.",
        consent="remote",
        extra_prior_treatment={
            "kind": TreatmentKind.SNRI,
            "name": "Venlafaxine 225 mg (GP letter)",
            "adequate": True,
            "outcome": TreatmentOutcome.NO_RESPONSE,
            "started_on": date(2016, 2, 1),
            "ended_on": date(2016, 10, 1),
        },
    ),
    Screening(
        "KF-000012",
        date(2026, 10, 8),
        Scales(18, 9, "hama", 29),
        (186, 106),
        decision=NOT_ELIGIBLE,
        reason="Uncontrolled hypertension (resting BP 186/106). Referred to GP; rescreen once "
        "controlled.",
    ),
    Screening(
        "KF-000013",
        date(2026, 11, 13),
        Scales(13, 18, "hama", 21),
        (120, 78),
        clearance=("psychiatric_assessment",),
        stop_bang=None,
        urine_toxicology=True,
        review=False,  # breast-feeding: the prescriber will see her first
    ),
    Screening(
        "KF-000014",
        date(2026, 11, 5),
        Scales(14, 10, "hama", 23),
        (124, 80),
        decision="eligible",
        reason="GAD (HAM-A 23) after two failed trials; methylphenidate held for the course.",
        consent="in_person",
        stop_medication=(
            "Methylphenidate XL",
            date(2026, 11, 2),
            "Held for the ketamine course (stimulants raise BP).",
        ),
    ),
    Screening(
        "KF-000015",
        date(2026, 11, 6),
        Scales(12, 9, "lsas", 74),
        (114, 72),
        protocol=SC,
        stop_bang=3,
        decision=WITH_CAUTIONS,
        reason="SAD, LSAS 74. Mild OSA and zopiclone: SpO2 closely.",
        consent="in_person",
        extra_prior_treatment={
            "kind": TreatmentKind.SSRI,
            "name": "Sertraline 150 mg (GP letter)",
            "adequate": True,
            "outcome": TreatmentOutcome.NO_RESPONSE,
            "started_on": date(2018, 1, 1),
            "ended_on": date(2018, 9, 1),
        },
        # Started after the sign-off: the signed review is now out of date (stale).
        later_medication={
            "name": "Pregabalin",
            "dose": "75 mg twice daily",
            "classes": [MedicationClass.OTHER_CNS_DEPRESSANT],
            "started_on": date(2026, 11, 16),
        },
    ),
)


@dataclass(frozen=True)
class DemoCourse:
    """A course and where it stands. `given`: sessions already given (fixed, clinic-local);
    `future_at`: book the rest of the phase's series from tomorrow at this time."""

    mrn: str
    protocol: str
    started_on: date
    phases: Sequence[tuple[str, str]] = ()  # (to phase, reason) before the future bookings
    given: Sequence[datetime] = ()
    given_chair: str = "Chair 1"
    phase_after_given: tuple[str, str] | None = None
    future_at: time | None = None
    ended: tuple[str, str] | None = None  # (ended reason, note), after everything else


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A fixed clinic-local (Europe/London) wall-clock time, for sessions already given."""
    return datetime.combine(day, time(hour, minute), tzinfo=_LONDON)


def _courses() -> tuple[DemoCourse, ...]:
    monday = date(2026, 10, 12)
    return (
        # Maintenance: six infusions given in October, maintenance booked from tomorrow.
        DemoCourse(
            "KF-000001",
            IV,
            date(2026, 10, 5),
            phases=[(CoursePhase.INDUCTION, "Eligible with cautions; consent signed.")],
            given=[_at(monday + timedelta(days=d), 9, 0) for d in (0, 2, 4, 7, 9, 11)],
            phase_after_given=(
                CoursePhase.MAINTENANCE,
                "Responded: HAM-A 26 to 11 after six infusions.",
            ),
            future_at=time(15, 0),
        ),
        # Induction with the whole series booked in the coming days and weeks.
        DemoCourse(
            "KF-000002",
            SC,
            date(2026, 11, 9),
            phases=[(CoursePhase.INDUCTION, "Eligible with cautions; consent signed.")],
            future_at=time(10, 0),
        ),
        DemoCourse(
            "KF-000010",
            ESK,
            date(2026, 11, 16),
            phases=[(CoursePhase.INDUCTION, "Eligible with cautions; consent signed.")],
            future_at=time(13, 0),
        ),
        DemoCourse(
            "KF-000014",
            IV,
            date(2026, 11, 16),
            phases=[(CoursePhase.INDUCTION, "Eligible; consent signed.")],
            future_at=time(8, 30),
        ),
        DemoCourse(
            "KF-000007",
            IV,
            date(2026, 11, 16),
            phases=[(CoursePhase.INDUCTION, "Eligible with cautions; consent signed.")],
            future_at=time(9, 30),
        ),
        # Evaluation: screening not signed off yet.
        DemoCourse("KF-000006", SC, date(2026, 11, 16)),
        # Ended: two ascending doses given, then the patient withdrew consent.
        DemoCourse(
            "KF-000008",
            SC,
            date(2026, 10, 12),
            phases=[(CoursePhase.INDUCTION, "Eligible with cautions; consent signed.")],
            given=[_at(date(2026, 10, 19), 11, 0), _at(date(2026, 10, 26), 11, 0)],
            given_chair="Chair 2",
            future_at=time(11, 0),
            ended=(
                EndedReason.PATIENT_CHOICE,
                "Withdrew consent after session 2; prefers to continue CBT.",
            ),
        ),
    )


WITHDRAWN_CONSENT = ("KF-000008", "Patient asked to stop treatment after session 2.")


# ---------------------------------------------------------------------------- helpers


def _spread(total: int, count: int, maximum: int) -> list[int]:
    """`count` item answers (0..maximum) adding up to `total`, as even as they come."""
    if not 0 <= total <= count * maximum:
        raise ValueError(f"{total} cannot be spread over {count} items of 0-{maximum}")
    base, extra = divmod(total, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def _workup_time(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=_LONDON)


@contextmanager
def _booking_clock(as_of: datetime) -> Iterator[None]:
    """Let the booking rules read `as_of` as "now", to backfill sessions already given.

    Only the booking module's clock moves; the audit log and histories keep the real time.
    """

    class _Clock:
        def __getattr__(self, name: str) -> Any:
            return getattr(timezone, name)

        @staticmethod
        def now() -> datetime:
            return as_of

    with mock.patch.object(booking, "timezone", _Clock()):
        yield


# ---------------------------------------------------------------------------- the parts


def _setup(clinic: Clinic, admin: User, prescriber: User, note: Any) -> None:
    if not ClinicSchedule.objects.filter(clinic=clinic).exists():
        set_opening_hours(admin, **OPENING_HOURS)
        note("opening hours Mon-Fri 08:00-18:00")
    for name, notes in CHAIRS:
        if not Chair.objects.filter(clinic=clinic, name=name).exists():
            add_chair(admin, name=name, notes=notes)
            note(f"chair {name}")
    on, reason = CLOSED_DAY
    if not ClosedDay.objects.filter(clinic=clinic, on=on).exists():
        close_day(admin, on=on, reason=reason)
        note(f"closed day {on}")
    for row in adopt_builtin_protocols(prescriber):
        note(f"protocol {row.code} v{row.version}")
    if not ConsentDocument.objects.filter(clinic=clinic).exists():
        publish_document(
            admin,
            title=DEFAULT_TITLE,
            body=DEFAULT_BODY,
            requires_reconsent=True,
            change_summary="First version (Ketaflow's default text).",
        )
        note("consent document version 1")


def _has_process(patient: Patient) -> bool:
    return (
        InstrumentResponse.objects.filter(patient=patient).exists()
        or ScreeningObservation.objects.filter(patient=patient).exists()
        or EligibilityReview.objects.filter(patient=patient).exists()
        or Course.objects.filter(patient=patient).exists()
    )


def _screen(spec: Screening, patient: Patient, nurse: User, prescriber: User) -> None:
    scales = spec.scales
    at = _workup_time(spec.day, 9, 30)
    phq9 = [*_spread(scales.phq9 - scales.phq9_item9, 8, 3), scales.phq9_item9]
    record_response(
        nurse,
        patient,
        "gad7",
        answers=_spread(scales.gad7, 7, 3),
        context="baseline",
        administered_at=at,
        rater="self",
    )
    record_response(
        nurse, patient, "phq9", answers=phq9, context="baseline", administered_at=at, rater="self"
    )
    items, top = (48, 3) if scales.entry == "lsas" else (14, 4)
    record_response(
        nurse,
        patient,
        scales.entry,
        answers=_spread(scales.entry_total, items, top),
        context="baseline",
        administered_at=at + timedelta(minutes=20),
        rater="clinician",
    )
    done = at + timedelta(hours=1)
    for kind in spec.clearance:
        record_observation(nurse, patient, kind=kind, observed_at=done, result="normal")
    if spec.stop_bang is not None:
        record_observation(
            nurse,
            patient,
            kind="sleep_apnoea_screen",
            observed_at=done,
            result="abnormal" if spec.stop_bang >= 5 else "normal",
            score=spec.stop_bang,
            notes="STOP-BANG",
        )
    if patient.can_become_pregnant:
        record_observation(
            nurse, patient, kind="pregnancy_test", observed_at=done, result=spec.pregnancy_test
        )
    if spec.urine_toxicology:
        record_observation(
            nurse, patient, kind="urine_toxicology", observed_at=done, result="negative"
        )
    systolic, diastolic = spec.bp
    record_observation(
        nurse,
        patient,
        kind="resting_bp",
        observed_at=at + timedelta(minutes=5),
        systolic=systolic,
        diastolic=diastolic,
        notes="Seated, after 5 minutes' rest",
    )
    if spec.extra_prior_treatment is not None:
        add_entry(nurse, patient, "prior-treatments", spec.extra_prior_treatment)
    if spec.stop_medication is not None:
        name, stopped_on, why = spec.stop_medication
        medication = Medication.objects.get(patient=patient, name=name)
        amend_entry(prescriber, medication, {"stopped_on": stopped_on}, why)
    if not spec.review:
        return
    review = open_review(nurse, patient, protocol=spec.protocol)
    if spec.decision:
        sign_review(prescriber, review, decision=spec.decision, reason=spec.reason)
    if spec.consent:
        record_signature(nurse, patient, typed_name=patient.full_name, method=spec.consent)
    if spec.later_medication is not None:
        add_entry(prescriber, patient, "medications", spec.later_medication)


def _give(appointment: Any, nurse: User) -> None:
    """A session already given: checked in, in session, completed (no session record)."""
    for status in (
        AppointmentStatus.CHECKED_IN,
        AppointmentStatus.IN_SESSION,
        AppointmentStatus.COMPLETED,
    ):
        appointment = set_appointment_status(nurse, appointment, status)


def _book_live(
    course: Course, desk: User, clinic: Clinic, plan: LivePlan, note: Any
) -> Appointment | None:
    """Today's live appointment of this course, booked "yesterday" (the booking clock)."""
    slot = plan.slots.get(course.patient.mrn)
    if slot is None:
        return None
    chair_name, starts_at = slot
    chair = Chair.objects.get(clinic=clinic, name=chair_name)
    try:
        with transaction.atomic(), _booking_clock(starts_at - timedelta(days=1)):
            return book_appointment(desk, course, chair=chair, starts_at=starts_at)
    except ValidationError as exc:
        note(f"no live session for {course.patient.mrn}: {' '.join(exc.messages)}")
        return None


def _course(
    spec: DemoCourse,
    patient: Patient,
    users: dict[str, User],
    clinic: Clinic,
    plan: LivePlan,
    note: Any,
) -> tuple[Course, Appointment | None]:
    prescriber, nurse, desk = users["prescriber"], users["nurse"], users["frontdesk"]
    version = (
        ProtocolVersion.objects.filter(clinic=clinic, code=spec.protocol)
        .order_by("-version")
        .first()
    )
    assert version is not None
    course = start_course(prescriber, patient, version, started_on=spec.started_on)
    for phase, reason in spec.phases:
        course = change_phase(prescriber, course, phase, reason=reason)
    chair = Chair.objects.get(clinic=clinic, name=spec.given_chair)
    for starts_at in spec.given:
        with _booking_clock(starts_at - timedelta(days=1)):
            appointment = book_appointment(desk, course, chair=chair, starts_at=starts_at)
        _give(appointment, nurse)
    if spec.phase_after_given is not None:
        phase, reason = spec.phase_after_given
        course = change_phase(prescriber, course, phase, reason=reason)
    live = None
    if spec.future_at is not None:
        live = _book_live(course, desk, clinic, plan, note)
        tomorrow = clinic_today(clinic) + timedelta(days=1)
        book_series(desk, course, at=spec.future_at, start=tomorrow)
    if spec.ended is not None:
        ended_reason, ended_note = spec.ended
        if patient.mrn == WITHDRAWN_CONSENT[0]:
            signature = patient.consent_signatures.order_by("-signed_at").first()
            if signature is not None:
                withdraw_consent(nurse, signature, reason=WITHDRAWN_CONSENT[1])
        course = change_phase(
            prescriber, course, CoursePhase.ENDED, ended_reason=ended_reason, ended_note=ended_note
        )
    return course, live


def _open_for_the_demo(admin: User, clinic: Clinic, plan: LivePlan, note: Any) -> LivePlan:
    """Outside the opening hours: the clinic admin adds a labelled extra opening around now."""
    assert plan.extra_opening is not None
    start, end = (local(t, clinic) for t in plan.extra_opening)
    try:
        with transaction.atomic():
            add_extra_opening(
                admin,
                on=start.date(),
                opens_at=start.time().replace(tzinfo=None),
                closes_at=end.time().replace(tzinfo=None),
                reason=DEMO_OPENING_REASON,
            )
    except ValidationError as exc:
        return LivePlan({}, f"no live sessions on the chair board: {' '.join(exc.messages)}")
    note(f"extra opening {start:%a %d %b %H:%M}-{end:%H:%M} ({DEMO_OPENING_REASON})")
    return LivePlan(plan.slots)


def seed_process(clinic: Clinic, users: dict[str, User], note: Any) -> None:
    """Add whatever part of the treatment process the main demo clinic is missing."""
    _setup(clinic, users["admin"], users["prescriber"], note)
    patients = {p.mrn: p for p in Patient.objects.filter(clinic=clinic)}
    courses = {c.mrn: c for c in _courses()}
    plan = live_plan(clinic)
    if plan.extra_opening is not None and any(not _has_process(patients[m]) for m in plan.slots):
        plan = _open_for_the_demo(users["admin"], clinic, plan, note)
    live: dict[str, Appointment] = {}
    booked_courses = False
    for spec in SCREENINGS:
        patient = patients[spec.mrn]
        if _has_process(patient):
            continue
        _screen(spec, patient, users["nurse"], users["prescriber"])
        course = courses.get(spec.mrn)
        if course is not None:
            _, appointment = _course(course, patient, users, clinic, plan, note)
            booked_courses = booked_courses or course.future_at is not None
            if appointment is not None:
                live[spec.mrn] = appointment
        note(f"screening{' and course' if course else ''} of {spec.mrn}")
    if live:
        run_live(live, users, note)
    elif booked_courses and plan.reason:
        note(plan.reason)
