"""The clinic outcomes dashboard as plain data, from the `CourseOutcome` summary table.

`dashboard_data(clinic_id, filters, deidentified)` runs a fixed handful of aggregate
queries (no loop over sessions or responses; Kaplan-Meier inputs come pre-grouped from
GROUP BY): it is what the benchmark times, so it does no auditing (the view audits) and no
permission check (the view and the API check). De-identified data carries no names, MRNs,
dates of birth or patient links, and every count from 1 to 4 is suppressed ("<5"), as is
any rate whose numerator or its complement is such a count.

Definitions (see docs/outcomes.md):
- assessed course: a baseline score and at least one score after the first session;
- response rate: assessed courses that met the instrument's response criterion at any
  assessment, over assessed courses; remission likewise, over assessed courses whose
  instrument defines remission;
- time to response: Kaplan-Meier from the first session, censored at the last assessment;
- relapse-free durability: among responders, Kaplan-Meier from the first response to the
  onset of a confirmed relapse (core `RelapseRule`; the onset, not the confirmation 5-15
  days later), censored at the last assessment;
- adverse-event and BP-excursion rates: sessions with at least one, over signed sessions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast, Floor

from ketaflow.clinical.outcome_stats import (
    MIN_CELL,
    Bin,
    KMCurve,
    Proportion,
    bins_from_counts,
    is_small,
    kaplan_meier,
    suppress,
    wilson,
)
from ketaflow.outcomes.models import CourseOutcome

MG_BIN_WIDTH = 10.0  # mg per session (course mean)
MG_PER_KG_BIN_WIDTH = 0.1
IDENTIFIED_LIST_LIMIT = 100


@dataclass(frozen=True)
class DashboardFilters:
    diagnosis_group: str = ""
    route: str = ""
    protocol_code: str = ""
    started_from: date | None = None
    started_to: date | None = None

    def apply(self, qs: QuerySet[CourseOutcome]) -> QuerySet[CourseOutcome]:
        if self.diagnosis_group:
            qs = qs.filter(diagnosis_group=self.diagnosis_group)
        if self.route:
            qs = qs.filter(route=self.route)
        if self.protocol_code:
            qs = qs.filter(protocol_code=self.protocol_code)
        if self.started_from:
            qs = qs.filter(started_on__gte=self.started_from)
        if self.started_to:
            qs = qs.filter(started_on__lte=self.started_to)
        return qs


@dataclass(frozen=True)
class Rate:
    """A rate for display: the Wilson estimate, or why it is not shown."""

    label: str
    proportion: Proportion
    suppressed: bool
    k_shown: str
    n_shown: str

    @property
    def shown(self) -> bool:
        return not self.suppressed and self.proportion.p is not None


@dataclass(frozen=True)
class Curve:
    label: str
    km: KMCurve
    suppressed_from_day: int | None  # de-identified: the curve stops where < MIN_CELL at risk
    n_shown: str
    events_shown: str

    @property
    def visible_steps(self) -> list[tuple[int, int, float, float, float]]:
        """(day, at risk, survival, low, high) up to the suppression point."""
        rows = []
        for s in self.km.steps:
            if self.suppressed_from_day is not None and s.days >= self.suppressed_from_day:
                break
            rows.append((s.days, s.at_risk, s.survival, s.low, s.high))
        return rows


@dataclass(frozen=True)
class Histogram:
    label: str
    unit: str
    bins: tuple[Bin, ...]
    deidentified: bool

    def shown(self, b: Bin) -> str:
        return suppress(b.count) if self.deidentified else str(b.count)


@dataclass(frozen=True)
class GroupRow:
    group: str
    courses: str
    response: Rate


@dataclass(frozen=True)
class CourseLink:
    """Identified dashboard only: one course, its patient and state, for clinical follow-up."""

    course_id: int
    patient_id: int
    patient_name: str
    mrn: str
    started_on: date
    diagnosis_code: str
    route: str
    protocol_code: str
    state: str
    improvement_pct: float | None
    state_needs_signoff: bool = False


@dataclass(frozen=True)
class DashboardData:
    clinic_id: int
    filters: DashboardFilters
    deidentified: bool
    courses: int
    courses_shown: str
    assessed: int
    response: Rate
    remission: Rate
    time_to_response: Curve
    relapse_free: Curve
    adverse_events: Rate
    bp_excursions: Rate
    sessions: int
    mg_per_session: Histogram
    mg_per_kg: Histogram
    by_diagnosis: tuple[GroupRow, ...]
    by_route: tuple[GroupRow, ...]
    options: dict[str, tuple[str, ...]]
    patients: tuple[CourseLink, ...] = field(default_factory=tuple)
    min_cell: int = MIN_CELL.value


def _rate(label: str, k: int, n: int, deidentified: bool) -> Rate:
    small = deidentified and (is_small(k) or is_small(n - k) or is_small(n))
    return Rate(
        label,
        wilson(k, n),
        small,
        suppress(k) if deidentified else str(k),
        suppress(n) if deidentified else str(n),
    )


def _curve(label: str, rows: list[tuple[int, bool, int]], deidentified: bool) -> Curve:
    km = kaplan_meier(rows)
    cut = None
    if deidentified:
        cut = next((s.days for s in km.steps if s.at_risk < MIN_CELL.value), None)
        if km.n < MIN_CELL.value:
            cut = 0
    show = suppress if deidentified else str
    return Curve(label, km, cut, show(km.n), show(km.events))


def _histograms(qs: QuerySet[CourseOutcome], deid: bool) -> tuple[Histogram, Histogram]:
    """Both dose histograms from one GROUP BY over two database-side buckets."""
    per_session = Floor(Cast(F("mean_mg_per_session"), FloatField()) / MG_BIN_WIDTH)
    per_kg = Floor(Cast(F("mean_mg_per_kg"), FloatField()) / MG_PER_KG_BIN_WIDTH)
    mg: dict[int, int] = {}
    kg: dict[int, int] = {}
    rows = (
        qs.annotate(b1=per_session, b2=per_kg).values("b1", "b2").annotate(n=Count("pk")).order_by()
    )
    for r in rows:
        if r["b1"] is not None:
            mg[int(r["b1"])] = mg.get(int(r["b1"]), 0) + int(r["n"])
        if r["b2"] is not None:
            kg[int(r["b2"])] = kg.get(int(r["b2"]), 0) + int(r["n"])
    return (
        Histogram(
            "Delivered mg per session (course mean)",
            "mg",
            tuple(bins_from_counts(mg, MG_BIN_WIDTH)),
            deid,
        ),
        Histogram(
            "Ordered mg/kg (course mean)",
            "mg/kg",
            tuple(bins_from_counts(kg, MG_PER_KG_BIN_WIDTH)),
            deid,
        ),
    )


def _groups(
    qs: QuerySet[CourseOutcome], deid: bool
) -> tuple[tuple[GroupRow, ...], tuple[GroupRow, ...]]:
    """Response by diagnosis group and by route, from one GROUP BY (group, route)."""
    assessed = Q(assessments__gt=0)
    rows = (
        qs.values("diagnosis_group", "route")
        .annotate(
            n=Count("pk"),
            assessed=Count("pk", filter=assessed),
            responded=Count("pk", filter=assessed & Q(first_response_on__isnull=False)),
        )
        .order_by()
    )
    sums: dict[str, dict[str, list[int]]] = {"diagnosis_group": {}, "route": {}}
    for r in rows:
        for column in sums:
            acc = sums[column].setdefault(r[column] or "not recorded", [0, 0, 0])
            acc[0] += r["n"]
            acc[1] += r["assessed"]
            acc[2] += r["responded"]

    def build(column: str) -> tuple[GroupRow, ...]:
        return tuple(
            GroupRow(
                group,
                suppress(n) if deid else str(n),
                _rate("response", responded, assessed_n, deid),
            )
            for group, (n, assessed_n, responded) in sorted(sums[column].items())
        )

    return build("diagnosis_group"), build("route")


def filter_options(clinic_id: int) -> dict[str, tuple[str, ...]]:
    """The diagnosis groups, routes and protocols the clinic has courses in (one query)."""
    found: dict[str, set[str]] = {"diagnosis_group": set(), "route": set(), "protocol_code": set()}
    rows = (
        CourseOutcome.objects.filter(clinic_id=clinic_id)
        .values_list("diagnosis_group", "route", "protocol_code")
        .distinct()
        .order_by()
    )
    for dx, route, protocol in rows:
        for key, value in (("diagnosis_group", dx), ("route", route), ("protocol_code", protocol)):
            if value:  # blank = not recorded; not a filter choice
                found[key].add(value)
    return {k: tuple(sorted(v)) for k, v in found.items()}


def dashboard_data(
    clinic_id: int,
    filters: DashboardFilters,
    deidentified: bool,
    *,
    options: dict[str, tuple[str, ...]] | None = None,
) -> DashboardData:
    """Every number of the dashboard for one clinic (no auditing, no permission check).

    `options` (the filter choices) may be passed in when the caller already read them.
    """
    qs = filters.apply(CourseOutcome.objects.filter(clinic_id=clinic_id))
    assessed = Q(assessments__gt=0)
    totals = qs.aggregate(
        courses=Count("pk"),
        assessed=Count("pk", filter=assessed),
        responded=Count("pk", filter=assessed & Q(first_response_on__isnull=False)),
        remission_assessed=Count("pk", filter=assessed & Q(remission_defined=True)),
        remitted=Count(
            "pk",
            filter=assessed & Q(remission_defined=True, first_remission_on__isnull=False),
        ),
        sessions=Sum("sessions"),
        signed=Sum("signed_sessions"),
        ae=Sum("sessions_with_adverse_events"),
        bp=Sum("sessions_with_bp_excursion"),
    )
    signed = int(totals["signed"] or 0)
    sessions = int(totals["sessions"] or 0)
    ttr_rows = [
        (r["days_to_response"], r["response_event"], r["n"])
        for r in qs.filter(days_to_response__isnull=False)
        .values("days_to_response", "response_event")
        .annotate(n=Count("pk"))
        .order_by()
    ]
    rf_rows = [
        (r["days_relapse_free"], r["relapse_event"], r["n"])
        for r in qs.filter(days_relapse_free__isnull=False)
        .values("days_relapse_free", "relapse_event")
        .annotate(n=Count("pk"))
        .order_by()
    ]
    options = filter_options(clinic_id) if options is None else options
    patients: tuple[CourseLink, ...] = ()
    if not deidentified:
        patients = tuple(
            CourseLink(
                r.course_id,
                r.patient_id,
                r.patient.full_name,
                r.patient.mrn,
                r.started_on,
                r.diagnosis_code,
                r.route,
                r.protocol_code,
                r.state,
                r.improvement_pct,
                r.state_needs_signoff,
            )
            for r in qs.select_related("patient").order_by("-started_on", "-course_id")[
                :IDENTIFIED_LIST_LIMIT
            ]
        )
    courses = int(totals["courses"])
    d = deidentified
    mg_per_session, mg_per_kg = _histograms(qs, d)
    by_diagnosis, by_route = _groups(qs, d)
    return DashboardData(
        clinic_id=clinic_id,
        filters=filters,
        deidentified=d,
        courses=courses,
        courses_shown=suppress(courses) if d else str(courses),
        assessed=int(totals["assessed"]),
        response=_rate("response", totals["responded"], totals["assessed"], d),
        remission=_rate("remission", totals["remitted"], totals["remission_assessed"], d),
        time_to_response=_curve("Not yet responded", ttr_rows, d),
        relapse_free=_curve("Relapse-free (responders)", rf_rows, d),
        # Per signed session (those with a treatment-session record: vitals, side effects).
        adverse_events=_rate("adverse events", int(totals["ae"] or 0), signed, d),
        bp_excursions=_rate("BP excursions", int(totals["bp"] or 0), signed, d),
        sessions=sessions,
        mg_per_session=mg_per_session,
        mg_per_kg=mg_per_kg,
        by_diagnosis=by_diagnosis,
        by_route=by_route,
        options=options,
        patients=patients,
    )


__all__ = [
    "CourseLink",
    "DashboardData",
    "DashboardFilters",
    "Rate",
    "dashboard_data",
    "filter_options",
]
