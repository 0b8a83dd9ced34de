"""Reads of outcomes: one patient's (identified, audited) and the clinic dashboard's.

- `patient_outcome(actor, patient_id)`: clinical staff (VIEW_CLINICAL); another clinic's
  patient is a 404. Trajectories come from `courses.followup.follow_up` (the core's
  `outcomes.assess`), the misuse indicators from `clinical.misuse`, the prediction from
  `clinical.prediction` (or literature base rates). One audit event lists what was read.
- `dashboard_data(clinic_id, filters, deidentified)`: pure data from the summary table (no
  audit inside, so the benchmark can time it); `dashboard(actor, filters)` is the scoped,
  audited read the page and API use: identified for VIEW_CLINICAL, de-identified for
  VIEW_DEIDENTIFIED.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db.models import Max

from ketaflow.accounts.models import User
from ketaflow.accounts.permissions import require
from ketaflow.accounts.roles import Capability
from ketaflow.audit.models import Action
from ketaflow.audit.services import record_event
from ketaflow.clinical.instruments import INSTRUMENTS
from ketaflow.clinical.instruments.base import BandSet
from ketaflow.clinical.misuse import MisuseReport, SessionDose, Spacing, assess_misuse
from ketaflow.clinical.prediction import (
    MIN_EVENTS_PER_PARAMETER,
    BaseRate,
    Example,
    Features,
    LocalModel,
    Prediction,
    Readiness,
    base_rates,
    fit,
    predict,
    readiness,
)
from ketaflow.clinical.protocols import Protocol
from ketaflow.courses.derive.followup import FollowUp, follow_up
from ketaflow.courses.models import HOLDING, Appointment, AppointmentStatus, Course
from ketaflow.homediary.derive import home_doses
from ketaflow.lib.clock import clinic_today, local
from ketaflow.outcomes import services
from ketaflow.outcomes.dashboard import (
    DashboardData,
    DashboardFilters,
    dashboard_data,
    filter_options,
)
from ketaflow.outcomes.models import CourseOutcome
from ketaflow.patients.derive import primary_diagnosis_code
from ketaflow.patients.models import Patient
from ketaflow.patients.selectors import get_patient

# ---------------------------------------------------------------------------- patient


@dataclass(frozen=True)
class Trajectory:
    """One instrument's course of scores, with what the chart draws around it."""

    code: str
    name: str
    followup: FollowUp
    bands: BandSet | None
    maximum: int | None
    response_at_or_below: float | None  # the score that would meet the response criterion
    remission_at_or_below: int | None


@dataclass(frozen=True)
class SessionRow:
    course_id: int
    on: date
    number: int
    phase: str
    held: bool
    status: str
    delivered_mg: float | None
    mg_per_kg: float | None
    adverse_event: bool
    bp_excursion: bool

    @property
    def status_label(self) -> str:
        """The row's status in words ("signed": a signed session record)."""
        return "Signed" if self.status == "signed" else AppointmentStatus(self.status).label


@dataclass(frozen=True)
class PredictionView:
    """Either the clinic model's estimate for this patient, or the literature base rates."""

    readiness: Readiness
    prediction: Prediction | None
    features: Features | None
    base_rates: tuple[BaseRate, ...]
    why_not: str  # why there is no personal estimate (if none)

    @property
    def min_epv(self) -> float:
        return MIN_EVENTS_PER_PARAMETER.value

    @property
    def percent(self) -> float | None:
        return self.prediction.probability * 100 if self.prediction else None

    @property
    def low_pct(self) -> float | None:
        return self.prediction.low * 100 if self.prediction else None

    @property
    def high_pct(self) -> float | None:
        return self.prediction.high * 100 if self.prediction else None


@dataclass(frozen=True)
class CourseOutcomes:
    course: Course
    protocol: Protocol
    trajectories: tuple[Trajectory, ...]
    primary: Trajectory

    @property
    def primary_followup(self) -> FollowUp:
        return self.primary.followup


@dataclass(frozen=True)
class PatientOutcome:
    patient: Patient
    as_of: date
    courses: tuple[CourseOutcomes, ...]  # newest first
    sessions: tuple[SessionRow, ...]
    misuse: MisuseReport
    prediction: PredictionView

    @property
    def current(self) -> CourseOutcomes | None:
        return self.courses[0] if self.courses else None

    @property
    def protocols(self) -> tuple[Protocol, ...]:
        """The courses' protocols, newest course first (they name the phases)."""
        return tuple(c.protocol for c in self.courses)


def _bands(code: str) -> tuple[BandSet | None, int | None]:
    instrument = INSTRUMENTS.get(code)
    bands = getattr(instrument, "bands", None)
    return (bands if isinstance(bands, BandSet) else None), getattr(instrument, "maximum", None)


def _trajectory(course: Course, code: str | None) -> Trajectory:
    found = follow_up(course, code)
    bands, maximum = _bands(found.instrument.code)
    crit = found.criteria
    response_at = None
    if crit is not None and found.report is not None:
        response_at = crit.response_score(found.report.baseline.value)
    return Trajectory(
        code=found.instrument.code,
        name=found.instrument.name,
        followup=found,
        bands=bands,
        maximum=maximum,
        response_at_or_below=response_at,
        remission_at_or_below=(
            crit.remission_at_or_below.value if crit and crit.remission_at_or_below else None
        ),
    )


def _course_outcomes(course: Course) -> CourseOutcomes:
    primary = _trajectory(course, None)
    others = [
        _trajectory(course, code)
        for code, _name, _n in primary.followup.available
        if code != primary.code
    ]
    return CourseOutcomes(
        course=course,
        protocol=primary.followup.protocol,
        trajectories=(primary, *others),
        primary=primary,
    )


def _spacing(protocol: Protocol, phase_code: str, number: int) -> Spacing | None:
    phase = next((p for p in protocol.phases if p.code == phase_code), None)
    if phase is None:
        found = protocol.phase_of(number) if number >= 1 else None
        phase = found[0] if found else None
    if phase is None:
        return None
    return Spacing(
        phase.code,
        phase.min_days_between_sessions.value,
        phase.sessions_per_period.value,
        phase.period_days.value,
    )


def _sessions(patient: Patient, courses: list[Course]) -> list[SessionRow]:
    """Given sessions (with delivered dose) and booked ones, for the table and misuse."""
    zone_clinic = patient.clinic
    rows: list[SessionRow] = []
    given = services.patient_sessions(patient.pk)
    for course in courses:
        for s in given.get(course.pk, []):
            rows.append(
                SessionRow(
                    course.pk,
                    local(s.starts_at, zone_clinic).date(),
                    s.number,
                    s.phase,
                    True,
                    "signed" if s.pk is not None else "completed",
                    s.mg,
                    s.mg_per_kg,
                    s.adverse_event,
                    s.bp_excursion,
                )
            )
    booked = Appointment.objects.filter(
        course__patient=patient,
        status__in=[s for s in HOLDING if s != AppointmentStatus.COMPLETED],
    ).values_list("course_id", "starts_at", "session_number", "phase", "status")
    for course_id, starts_at, number, phase, status in booked:
        rows.append(
            SessionRow(
                course_id,
                local(starts_at, zone_clinic).date(),
                number,
                phase,
                False,
                status,
                None,
                None,
                False,
                False,
            )
        )
    return sorted(rows, key=lambda r: (r.on, r.number))


def _misuse(
    rows: list[SessionRow], courses: list[Course], today: date, patient: Patient
) -> MisuseReport:
    """Supervised sessions and the doses recorded at home (the diary), each window both."""
    protocols = {c.pk: c.protocol_version.load() for c in courses}
    doses = [
        SessionDose(
            r.on,
            r.held,
            r.delivered_mg,
            _spacing(protocols[r.course_id], r.phase, r.number)
            if r.course_id in protocols
            else None,
        )
        for r in rows
    ]
    return assess_misuse(doses, today, home_doses=home_doses(patient))


# The clinic model, fitted once per clinic and state of its summary table (bounded).
_MODELS: OrderedDict[tuple[int, int, datetime | None], LocalModel] = OrderedDict()
_MODELS_MAX = 8


def training_examples(clinic_id: int) -> list[Example]:
    """Completed inductions with a usable baseline: the clinic model's training courses."""
    rows = CourseOutcome.objects.filter(
        clinic_id=clinic_id,
        induction_complete=True,
        induction_response__isnull=False,
        baseline_score__isnull=False,
        instrument_max__gt=0,
        age_at_start__isnull=False,
    ).values_list(
        "baseline_score",
        "instrument_max",
        "diagnosis_group",
        "prior_failed_trials",
        "route",
        "age_at_start",
        "early_change_pct",
        "induction_response",
    )
    return [
        Example(
            Features(
                min(1.0, float(base or 0) / float(top or 1)),
                dx or "none",
                failed,
                route,
                float(age or 0),
                early,
            ),
            bool(responded),
        )
        for base, top, dx, failed, route, age, early, responded in rows
    ]


def clinic_model(clinic_id: int, examples: list[Example]) -> LocalModel:
    stamp = CourseOutcome.objects.filter(clinic_id=clinic_id).aggregate(m=Max("refreshed_at"))
    key = (clinic_id, len(examples), stamp["m"])
    if key not in _MODELS:
        bootstrap = 200 if len(examples) <= 5000 else 50
        _MODELS[key] = fit(examples, seed=0, bootstrap=bootstrap)
        while len(_MODELS) > _MODELS_MAX:
            _MODELS.popitem(last=False)
    return _MODELS[key]


def _features(patient: Patient, current: CourseOutcomes | None) -> Features | None:
    if current is None:
        return None
    found = current.primary_followup
    report = found.report
    top = current.primary.maximum
    if report is None or not top:
        return None
    dx = primary_diagnosis_code(patient.pk)
    early = [
        a.improvement_pct
        for a in report.assessments
        if 1 <= a.sessions_before <= 2 and a.improvement_pct is not None
    ]
    return Features(
        baseline_severity=min(1.0, report.baseline.value / top),
        diagnosis_group=dx.split(".")[0] if dx else "none",
        prior_failed_trials=services.failed_trials(patient.pk),
        route=current.protocol.route.value,
        age=float(patient.age_on(current.course.started_on)),
        early_change_pct=early[-1] if early else None,
    )


def prediction_for(patient: Patient, current: CourseOutcomes | None) -> PredictionView:
    examples = training_examples(patient.clinic_id)
    state = readiness(examples)
    features = _features(patient, current)
    rates = base_rates()
    if not state.ready:
        return PredictionView(state, None, features, rates, state.reason)
    if features is None:
        return PredictionView(
            state, None, None, rates, "no baseline score on the course's outcome scale yet"
        )
    model = clinic_model(patient.clinic_id, examples)
    return PredictionView(state, predict(model, features), features, rates, "")


def patient_outcome(actor: User, patient_id: int) -> PatientOutcome:
    """Everything the patient outcome page shows; audited as one view of the chart."""
    require(actor, Capability.VIEW_CLINICAL)
    patient = get_patient(actor, patient_id, audit=False)
    courses = list(
        Course.objects.filter(patient=patient)
        .select_related("protocol_version", "patient__clinic")
        .order_by("-started_on", "-pk")
    )
    outcomes = tuple(_course_outcomes(c) for c in courses)
    rows = _sessions(patient, courses)
    today = clinic_today(patient.clinic)
    misuse = _misuse(rows, courses, today, patient)
    prediction = prediction_for(patient, outcomes[0] if outcomes else None)
    record_event(
        actor=actor,
        action=Action.VIEW,
        obj=patient,
        detail={
            "part": "outcomes",
            "course_ids": [c.pk for c in courses],
            "response_ids": sorted(
                {
                    s.response_id
                    for co in outcomes
                    for t in co.trajectories
                    for s in t.followup.scores
                }
            ),
        },
    )
    return PatientOutcome(patient, today, outcomes, tuple(rows), misuse, prediction)


# ---------------------------------------------------------------------------- dashboard


def dashboard_options(clinic_id: int) -> dict[str, tuple[str, ...]]:
    """The filter choices (diagnosis groups, routes, protocols) the clinic has courses in."""
    return filter_options(clinic_id)


def dashboard_mode(actor: User) -> bool:
    """True = de-identified. Clinical staff see the identified dashboard; researchers and
    clinic admins the de-identified one; anyone else is refused."""
    if actor.can(Capability.VIEW_CLINICAL):
        return False
    if actor.can(Capability.VIEW_DEIDENTIFIED):
        return True
    raise PermissionDenied("Your role cannot see clinic outcomes.")


def dashboard(
    actor: User,
    filters: DashboardFilters,
    *,
    deidentified: bool | None = None,
    options: dict[str, tuple[str, ...]] | None = None,
) -> DashboardData:
    """The dashboard for the actor's clinic, audited (identified views list the patients)."""
    mode = dashboard_mode(actor)
    if deidentified is False and mode:
        raise PermissionDenied("Your role sees de-identified outcomes only.")
    deid = mode if deidentified is None else deidentified
    data = dashboard_data(actor.clinic_pk, filters, deid, options=options)
    record_event(
        actor=actor,
        action=Action.VIEW if not deid else Action.LIST,
        detail={
            "part": "outcomes_dashboard",
            "deidentified": deid,
            "filters": {k: str(v) for k, v in filters.__dict__.items() if v},
            "courses": data.courses,
            "patient_ids": sorted({p.patient_id for p in data.patients}),
        },
    )
    return data


__all__ = [
    "DashboardData",
    "DashboardFilters",
    "PatientOutcome",
    "PredictionView",
    "SessionRow",
    "Trajectory",
    "dashboard",
    "dashboard_data",
    "dashboard_mode",
    "dashboard_options",
    "patient_outcome",
    "prediction_for",
    "training_examples",
]
