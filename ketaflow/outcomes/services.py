"""Keeping `CourseOutcome` current: one course at a time (a task) or everything in bulk.

The services that change a course's inputs (courses, treatments, questionnaires, the portal)
call `lib.derived.course_changed` / `patient_changed`; after their commit, `queue_refresh`
queues `refresh_outcomes` (deduplicated per course and transaction) for `ketaflow worker`.

Both paths run the same code (`_refresh`): read the records of a batch of courses with a
handful of set-based queries (patient-id ranges, `values_list`, `.iterator()`), group them
in memory per patient and course, ask the clinical core (`outcomes.assess`, the
administration record's delivered dose) and upsert the rows (`bulk_create` with
`update_conflicts`). One course is a batch of one, so the per-course refresh and the bulk
rebuild cannot drift apart.

What the row says mirrors `courses.followup.follow_up` (the course page): the same
instrument choice (the core's `clinical.outcome_instrument`, fed the instruments with a
baseline from the batch's in-memory responses), score contexts, one score per clinic-local
day (the pre-dose one), the scores of the course's window and the session days given: the
core's rules (`daily_scores`, `score_window`, `given_days`) over the same appointments
(`courses.models.SESSION_GIVEN`) and primary diagnosis (`patients.derive`).
`tests/test_instrument_choice.py` checks that both paths pick the same instrument on the
same data.

Dose: the delivered mg of each signed session from its administration events (core
`administration.delivered_mg`, rates converted with the confirmed order's concentration);
a record the core refuses (impossible sequence) counts as "dose unknown", never as 0.
BP excursion: any reading in the session at or above the core's in-session levels
(`clinical.monitoring.bp_excursion_levels`: SBP >= 180 or DBP >= 110 by default, SPRAVATO
label Table 6 categories, S1), filtered in SQL built from them (`bp_excursion_q`).
"""

from __future__ import annotations

import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tasks import task

from ketaflow.audit.history import RecordStatus
from ketaflow.clinical import administration as adm
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.instruments import INSTRUMENTS
from ketaflow.clinical.monitoring import (
    DEFAULT_THRESHOLDS,
    MonitoringThresholds,
    bp_excursion_levels,
)
from ketaflow.clinical.outcome_instrument import baseline_instruments, choose_outcome_instrument
from ketaflow.clinical.outcome_stats import time_to_event
from ketaflow.clinical.outcomes import (
    SCORE_CONTEXTS,
    OutcomeReport,
    ScoreWindow,
    assess,
    daily_scores,
    given_days,
    score_window,
)
from ketaflow.clinical.protocols import Protocol
from ketaflow.clinical.response import ResponseCriteria
from ketaflow.courses.models import (
    SESSION_GIVEN,
    Appointment,
    Course,
    CoursePhase,
    PhaseChange,
    ProtocolVersion,
)
from ketaflow.outcomes.models import CourseOutcome
from ketaflow.patients.codes import FAILED_TRIAL_OUTCOMES
from ketaflow.patients.derive import primary_diagnosis_codes
from ketaflow.patients.models import Diagnosis, Patient, PriorTreatment
from ketaflow.questionnaires.models import InstrumentResponse
from ketaflow.treatments.derive import core_event
from ketaflow.treatments.models import (
    AdministrationEvent,
    DoseOrder,
    OrderStatus,
    SideEffect,
    VitalsReading,
)

log = logging.getLogger(__name__)

#: A prior adequate trial without response (no response or partial), as eligibility counts.
_FAILED_TRIAL = Q(adequate=True, outcome__in=sorted(FAILED_TRIAL_OUTCOMES))
_UPDATE_FIELDS = [f.name for f in CourseOutcome._meta.concrete_fields if f.name not in {"course"}]


# ---------------------------------------------------------------------------- public


def refresh_course_outcome(course_id: int) -> None:
    """Recompute one course's summary row (`refresh_outcomes` does, after a change commits)."""
    _refresh(Course.objects.filter(pk=course_id), batch_size=1)


def refresh_patient_outcomes(patient_id: int) -> None:
    """Recompute the rows of every course of one patient (a new score may belong to any)."""
    _refresh(Course.objects.filter(patient_id=patient_id), batch_size=50)


@task
def refresh_outcomes(kind: str, key: int) -> None:
    """The background job that refreshes the summary after a change to a course or a patient.

    Queued on commit by `lib.derived` (the services that change the inputs call it); safe to
    run twice or late: it recomputes from the committed records.
    """
    if kind == "patient":
        refresh_patient_outcomes(key)
    elif kind == "course":
        refresh_course_outcome(key)
    else:
        raise ValueError(f"nothing to refresh for {kind!r}")


def queue_refresh(kind: str, key: int) -> None:
    """What `lib.derived` calls after a commit that changed a course or a patient."""
    refresh_outcomes.enqueue(kind, key)


def rebuild_course_outcomes(clinic_id: int | None = None, batch_size: int = 2000) -> int:
    """Recompute every course's row (of one clinic, or all); returns the rows written."""
    courses = Course.objects.all()
    if clinic_id is not None:
        courses = courses.filter(patient__clinic_id=clinic_id)
    return _refresh(courses, batch_size=batch_size)


def patient_sessions(patient_id: int) -> dict[int, list[SessionFacts]]:
    """The sessions given in each of a patient's courses, with delivered dose, AE and BP."""
    facts = [
        _CourseFacts(*row)
        for row in Course.objects.filter(patient_id=patient_id).values_list(*_FACTS)
    ]
    if not facts:
        return {}
    out = _Batch()
    _read_sessions(out, patient_id, patient_id, {c.pk for c in facts})
    return {k: sorted(v, key=lambda s: s.starts_at) for k, v in out.sessions.items()}


def failed_trials(patient_id: int) -> int:
    """Prior adequate trials without response (no response or partial), as eligibility counts."""
    return (
        PriorTreatment.objects.filter(_FAILED_TRIAL, patient_id=patient_id)
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .count()
    )


# ---------------------------------------------------------------------------- batching


@dataclass(frozen=True)
class _CourseFacts:
    pk: int
    patient_id: int
    clinic_id: int
    protocol_version_id: int
    phase: str
    ended_reason: str
    started_on: date


#: The `Course` columns a `_CourseFacts` is made of, in its field order.
_FACTS = (
    "pk",
    "patient_id",
    "patient__clinic_id",
    "protocol_version_id",
    "phase",
    "ended_reason",
    "started_on",
)


def _batches(courses: QuerySet[Course], size: int) -> Iterator[list[_CourseFacts]]:
    """Courses in patient order, cut at patient boundaries near `size` courses."""
    rows = courses.order_by("patient_id", "pk").values_list(*_FACTS)
    batch: list[_CourseFacts] = []
    for row in rows.iterator(chunk_size=max(size, 100)):
        facts = _CourseFacts(*row)
        if len(batch) >= size and batch[-1].patient_id != facts.patient_id:
            yield batch
            batch = []
        batch.append(facts)
    if batch:
        yield batch


def _refresh(courses: QuerySet[Course], *, batch_size: int) -> int:
    written = 0
    cache = _Cache()
    for batch in _batches(courses, max(1, batch_size)):
        rows = _compute_batch(batch, cache)
        with transaction.atomic():
            CourseOutcome.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["course"],
                update_fields=_UPDATE_FIELDS,
                batch_size=500,
            )
        written += len(rows)
    return written


@dataclass
class _Cache:
    protocols: dict[int, Protocol] = field(default_factory=dict)
    zones: dict[int, zoneinfo.ZoneInfo] = field(default_factory=dict)

    def protocol(self, version_id: int) -> Protocol:
        if version_id not in self.protocols:
            self.protocols[version_id] = ProtocolVersion.objects.get(pk=version_id).load()
        return self.protocols[version_id]

    def zone(self, clinic_id: int) -> zoneinfo.ZoneInfo:
        if clinic_id not in self.zones:
            from ketaflow.accounts.models import Clinic

            tz = Clinic.objects.values_list("timezone", flat=True).get(pk=clinic_id)
            self.zones[clinic_id] = zoneinfo.ZoneInfo(tz)
        return self.zones[clinic_id]


# ---------------------------------------------------------------------------- reading


@dataclass
class SessionFacts:
    """A session given: signed treatment session, or completed appointment (`pk` None)."""

    pk: int | None  # None: a completed appointment without a session record
    starts_at: datetime
    phase: str
    number: int
    mg: float | None = None
    mg_per_kg: float | None = None
    adverse_event: bool = False
    bp_excursion: bool = False


@dataclass
class _Batch:
    patients: dict[int, tuple[date, str]] = field(default_factory=dict)  # dob, sex
    diagnosis: dict[int, str] = field(default_factory=dict)
    failed_trials: dict[int, int] = field(default_factory=dict)
    ended_at: dict[int, datetime] = field(default_factory=dict)  # course -> ENDED at
    responses: dict[int, list[tuple[str, datetime, str, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    sessions: dict[int, list[SessionFacts]] = field(default_factory=lambda: defaultdict(list))


def _between(prefix: str, lo: int, hi: int) -> Q:
    return Q(**{f"{prefix}__gte": lo, f"{prefix}__lte": hi})


def _read(batch: list[_CourseFacts]) -> _Batch:
    lo, hi = batch[0].patient_id, batch[-1].patient_id
    patients = {c.patient_id for c in batch}
    course_ids = {c.pk for c in batch}
    out = _Batch()
    for pk, dob, sex in Patient.objects.filter(_between("pk", lo, hi)).values_list(
        "pk", "date_of_birth", "sex_at_birth"
    ):
        if pk in patients:
            out.patients[pk] = (dob, sex)
    found = primary_diagnosis_codes(Diagnosis.objects.filter(_between("patient_id", lo, hi)))
    out.diagnosis = {pid: code for pid, code in found.items() if pid in patients}
    for pid in (
        PriorTreatment.objects.filter(_FAILED_TRIAL, _between("patient_id", lo, hi))
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .values_list("patient_id", flat=True)
    ):
        out.failed_trials[pid] = out.failed_trials.get(pid, 0) + 1
    for course_id, at in PhaseChange.objects.filter(
        _between("course__patient_id", lo, hi), to_phase=CoursePhase.ENDED
    ).values_list("course_id", "at"):
        if course_id not in out.ended_at or at > out.ended_at[course_id]:
            out.ended_at[course_id] = at
    responses = (
        InstrumentResponse.objects.filter(
            _between("patient_id", lo, hi),
            context__in=list(SCORE_CONTEXTS),
            total__isnull=False,
        )
        .exclude(status=RecordStatus.ENTERED_IN_ERROR)
        .order_by("patient_id", "administered_at", "pk")
        .values_list("patient_id", "instrument", "administered_at", "context", "total", "pk")
    )
    for pid, instrument, at, context, total, pk in responses.iterator(chunk_size=5000):
        if pid in patients:
            out.responses[pid].append((instrument, at, context, total, pk))
    _read_sessions(out, lo, hi, course_ids)
    return out


def _read_sessions(out: _Batch, lo: int, hi: int, course_ids: set[int]) -> None:
    by_pk: dict[int, SessionFacts] = {}
    for course_id, starts_at, phase, number, pk, session_number in Appointment.objects.filter(
        SESSION_GIVEN, _between("course__patient_id", lo, hi)
    ).values_list(
        "course_id",
        "starts_at",
        "phase",
        "session_number",
        "treatment_session__pk",
        "treatment_session__session_number",
    ):
        if course_id not in course_ids:
            continue
        session = SessionFacts(pk, starts_at, phase, number if pk is None else session_number)
        out.sessions[course_id].append(session)
        if pk is not None:
            by_pk[pk] = session
    if not by_pk:
        return
    in_batch = _between("session__patient_id", lo, hi)
    # The current order: the latest one not superseded; its concentration if confirmed.
    orders: dict[int, tuple[str, float | None, float | None]] = {}
    for sid, status, conc, per_kg in (
        DoseOrder.objects.filter(in_batch)
        .exclude(status=OrderStatus.SUPERSEDED)
        .order_by("session_id", "-pk")
        .values_list("session_id", "status", "concentration_mg_per_ml", "mg_per_kg")
    ):
        orders.setdefault(sid, (status, conc, per_kg))
    events: dict[int, list[tuple[str, datetime, float | None, float | None]]] = defaultdict(list)
    for sid, kind, at, rate, bolus in (
        AdministrationEvent.objects.filter(in_batch, entered_in_error_at__isnull=True)
        .order_by("session_id", "at", "pk")
        .values_list("session_id", "kind", "at", "rate_ml_per_h", "bolus_mg")
        .iterator(chunk_size=5000)
    ):
        if sid in by_pk:
            events[sid].append((kind, at, rate, bolus))
    for sid, session in by_pk.items():
        status, conc, per_kg = orders.get(sid, ("", None, None))
        confirmed = status == OrderStatus.CONFIRMED
        session.mg = _delivered(events.get(sid, []), conc if confirmed else None)
        session.mg_per_kg = per_kg if confirmed else None
    for sid in SideEffect.objects.filter(in_batch).values_list("session_id", flat=True):
        if sid in by_pk:
            by_pk[sid].adverse_event = True
    for sid in (
        VitalsReading.objects.filter(in_batch)
        .filter(bp_excursion_q(DEFAULT_THRESHOLDS))
        .values_list("session_id", flat=True)
    ):
        if sid in by_pk:
            by_pk[sid].bp_excursion = True


def bp_excursion_q(thresholds: MonitoringThresholds) -> Q:
    """Readings at or above the core's in-session levels (`is_bp_excursion`), as a filter.

    Built from `bp_excursion_levels` so the database applies the core's rule (a set-based
    query, no reading loaded per session) without restating a threshold or the comparison.
    """
    high = Q()
    for vital, level in bp_excursion_levels(thresholds):
        high |= Q(**{f"{vital}__gte": level})
    return high


def _delivered(
    rows: list[tuple[str, datetime, float | None, float | None]], conc: float | None
) -> float | None:
    """Delivered mg from the session's events (None: no record, or one the core refuses)."""
    if not rows:
        return None
    events = [core_event(kind, at, rate, bolus, conc) for kind, at, rate, bolus in rows]
    try:
        record = adm.validate_events(events)
        end = record.stopped_at or record.last_event_at
        return adm.delivered_mg(record, end) if end is not None else None
    except ClinicalInputError:
        return None


# ---------------------------------------------------------------------------- computing


def _criteria(code: str) -> ResponseCriteria | None:
    found = INSTRUMENTS.get(code)
    return found.response if found is not None else None


def choose_instrument_code(
    diagnosis: str | None, protocol: Protocol, measured: Collection[str] = frozenset()
) -> str:
    """`followup.choose_instrument` on plain values (no queries), for bulk use.

    `measured`: the instruments the course has a usable baseline for, from the batch's
    in-memory responses (`_baseline_instruments`), so the bulk rebuild picks the scale that was
    measured exactly as the course page does, without a query per course.
    """
    clinic_map: Mapping[str, str] = getattr(settings, "KETAFLOW_OUTCOME_INSTRUMENTS", {})
    return choose_outcome_instrument(
        diagnosis, protocol, measured=measured, clinic_map=clinic_map
    ).code


def _baseline_instruments(
    responses: Iterable[tuple[str, datetime, str, int, int]],
    zone: zoneinfo.ZoneInfo,
    window: ScoreWindow,
    first_session: date | None,
) -> frozenset[str]:
    """Instruments with a usable baseline in the course's window (the core's rule)."""
    return baseline_instruments(
        (
            (instrument, at.astimezone(zone).date())
            for instrument, at, _context, _total, _pk in responses
            if window.holds(at)
        ),
        first_session,
    )


def _daily_scores(
    responses: Iterable[tuple[str, datetime, str, int, int]],
    code: str,
    zone: zoneinfo.ZoneInfo,
    window: ScoreWindow,
) -> list[tuple[date, float]]:
    """One score per clinic day: the core's rule (`clinical.outcomes.daily_scores`)."""
    kept = daily_scores(
        (at.astimezone(zone).date(), context, total, pk)
        for instrument, at, context, total, pk in responses
        if instrument == code and window.holds(at)
    )
    return [(s.day, float(s.value)) for s in kept]


def _age(dob: date, on: date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _compute_batch(batch: list[_CourseFacts], cache: _Cache) -> list[CourseOutcome]:
    data = _read(batch)
    now = timezone.now()
    by_patient: dict[int, list[_CourseFacts]] = defaultdict(list)
    for c in batch:
        by_patient[c.patient_id].append(c)
    rows = []
    for c in batch:
        window = score_window(
            (
                data.ended_at[o.pk]
                for o in by_patient[c.patient_id]
                if o.pk < c.pk and o.pk in data.ended_at
            ),
            data.ended_at.get(c.pk) if c.phase == CoursePhase.ENDED else None,
        )
        rows.append(_row(c, data, cache, window, now))
    return rows


def _row(
    c: _CourseFacts,
    data: _Batch,
    cache: _Cache,
    window: ScoreWindow,
    now: datetime,
) -> CourseOutcome:
    protocol = cache.protocol(c.protocol_version_id)
    zone = cache.zone(c.clinic_id)
    dx = data.diagnosis.get(c.patient_id, "")
    dob, sex = data.patients.get(c.patient_id, (None, ""))
    sessions = sorted(data.sessions.get(c.pk, []), key=lambda s: s.starts_at)
    given = given_days(
        (s.starts_at.astimezone(zone).date() for s in sessions if s.pk is not None),
        (s.starts_at.astimezone(zone).date() for s in sessions if s.pk is None),
    )
    days = list(given.days)
    responses = data.responses.get(c.patient_id, [])
    measured = _baseline_instruments(responses, zone, window, days[0] if days else None)
    code = choose_instrument_code(dx or None, protocol, measured)
    criteria = _criteria(code)
    instrument = INSTRUMENTS.get(code)
    scores = _daily_scores(responses, code, zone, window)
    first_phase = protocol.phases[0]
    planned = first_phase.sessions.value if first_phase.sessions is not None else None
    doses = [s.mg for s in sessions if s.mg is not None]
    per_kg = [s.mg_per_kg for s in sessions if s.mg_per_kg is not None]
    row = CourseOutcome(
        course_id=c.pk,
        clinic_id=c.clinic_id,
        patient_id=c.patient_id,
        diagnosis_code=dx,
        diagnosis_group=dx.split(".")[0] if dx else "",
        route=protocol.route.value,
        protocol_code=protocol.code,
        protocol_version_id=c.protocol_version_id,
        started_on=c.started_on,
        phase=c.phase,
        ended_reason=c.ended_reason,
        age_at_start=_age(dob, c.started_on) if dob else None,
        sex_at_birth=sex,
        prior_failed_trials=data.failed_trials.get(c.patient_id, 0),
        instrument=code,
        instrument_max=getattr(instrument, "maximum", None),
        remission_defined=bool(criteria and criteria.remission_at_or_below is not None),
        first_session_on=days[0] if days else None,
        last_session_on=days[-1] if days else None,
        sessions=len(days),
        signed_sessions=sum(1 for s in sessions if s.pk is not None),
        induction_planned=planned,
        induction_sessions=min(len(days), planned) if planned else len(days),
        sessions_with_dose=len(doses),
        total_mg=float(sum(doses)),
        mean_mg_per_session=sum(doses) / len(doses) if doses else None,
        mean_mg_per_kg=sum(per_kg) / len(per_kg) if per_kg else None,
        sessions_with_adverse_events=sum(1 for s in sessions if s.adverse_event),
        sessions_with_bp_excursion=sum(1 for s in sessions if s.bp_excursion),
        refreshed_at=now,
    )
    pre = [s for s in scores if not days or s[0] <= days[0]]
    if pre:
        row.baseline_on, row.baseline_score = pre[-1]
    if criteria is None or not days or not pre:
        return row
    try:
        report = assess(scores, criteria, days, protocol.outcome_config())
    except ClinicalInputError as exc:  # e.g. a duplicate day the core refuses
        log.warning("course %s: outcome not assessable: %s", c.pk, exc.message)
        return row
    _fill(row, report, days, planned, c.phase == CoursePhase.ENDED)
    return row


def _fill(
    row: CourseOutcome,
    report: OutcomeReport,
    days: list[date],
    planned: int | None,
    ended: bool,
) -> None:
    base = report.baseline
    row.baseline_on, row.baseline_score = base.when, base.value
    a = report.assessments
    row.assessments = len(a)
    last_day = a[-1].when if a else base.when
    row.latest_on, row.latest_score = (a[-1].when, a[-1].score) if a else (base.when, base.value)
    row.improvement_pct = a[-1].improvement_pct if a else None
    early = [x for x in a if 1 <= x.sessions_before <= 2 and x.improvement_pct is not None]
    row.early_change_pct = early[-1].improvement_pct if early else None
    row.state = report.current_state.value
    row.state_needs_signoff = report.current_state_needs_local_signoff
    row.first_response_on = report.first_response.when if report.first_response else None
    row.first_remission_on = report.first_remission.when if report.first_remission else None
    signal = report.non_response_signal
    row.non_response_signal_on = signal.at if signal.met else None
    row.relapse_on = report.relapse_onset  # durability ends when the relapse began
    ttr = time_to_event(days[0], row.first_response_on, last_day)
    if ttr is not None:
        row.days_to_response, row.response_event = ttr.days, ttr.event
    if row.first_response_on is not None:
        rf = time_to_event(row.first_response_on, row.relapse_on, last_day)
        if rf is not None:
            row.days_relapse_free, row.relapse_event = rf.days, rf.event
    n = planned or len(days)
    in_induction = [x for x in a if 1 <= x.sessions_before <= n]
    row.induction_complete = any(x.sessions_before >= n for x in a) or (ended and bool(a))
    if row.induction_complete:
        row.induction_response = any(x.response for x in in_induction)


__all__ = [
    "SessionFacts",
    "bp_excursion_q",
    "choose_instrument_code",
    "failed_trials",
    "patient_sessions",
    "queue_refresh",
    "rebuild_course_outcomes",
    "refresh_course_outcome",
    "refresh_outcomes",
    "refresh_patient_outcomes",
]
