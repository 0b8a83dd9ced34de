"""Follow-up of a course: the core's outcome findings and the next step they lead to.

Builds the inputs of `clinical.outcomes.assess` from what the apps recorded, then asks
`planning.propose_next` (the protocol's `next_step`) with the real outcome state:

- the primary outcome instrument (`choose_instrument`, the core's
  `clinical.outcome_instrument` rule shared with the summary table): the one asked for;
  else, of the candidates in order (the clinic's choice for the patient's primary diagnosis,
  `settings.KETAFLOW_OUTCOME_INSTRUMENTS`; the usual scales for the diagnosis, the
  protocol's entry instruments first (GAD → HAM-A, SAD → LSAS, S11), then GAD-7 and PHQ-9
  for the anxiety diagnoses; the protocol's only entry instrument; GAD-7), the first one
  the course has a baseline score for, else the first one. Only instruments with response
  criteria in the core qualify.
- the dated scores: live responses (entered-in-error excluded) in the baseline, screening,
  pre-session and follow-up contexts (in-session scales measure the acute effect, not the
  course), from the end of the patient's previous course to the end of this one. Dates are
  clinic-local days, the core's convention (a score on a session day is a pre-dose score);
  of two scores on one day the pre-dose one (baseline/screening/pre-session) is kept.
- the session dates: signed treatment sessions, plus completed appointments that have no
  treatment-session record (courses charted before the sessions app, or outside it).

The phase moves offered (`PhaseMove`) restate the core's proposal for a prescriber to
confirm through `services.change_phase`; nothing here moves a course.

`follow_up(course)` is unscoped (for services that have checked permissions, e.g. signing a
session); `selectors.course_outcomes(actor, course_id)` is the scoped, audited read for pages
and API (there, so that this module reads no selector and the selectors read this one).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings

from ketaflow.audit.history import RecordStatus
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Source, merge
from ketaflow.clinical.instruments import INSTRUMENTS
from ketaflow.clinical.outcome_instrument import (
    DEFAULT_BY_DIAGNOSIS,
    FALLBACK_INSTRUMENT,
    InstrumentChoice,
    baseline_instruments,
    choose_outcome_instrument,
)
from ketaflow.clinical.outcomes import (
    SCORE_CONTEXTS,
    Finding,
    FindingStatus,
    OutcomeReport,
    OutcomeState,
    ScoreWindow,
    assess,
    daily_scores,
    given_days,
    score_window,
)
from ketaflow.clinical.protocols import NextAction, NextStep, PhaseKind, Protocol, ReviewReason
from ketaflow.clinical.response import ResponseCriteria
from ketaflow.courses.derive.planning import course_protocol, propose_next
from ketaflow.courses.models import (
    SESSION_GIVEN,
    Appointment,
    Course,
    CoursePhase,
    EndedReason,
    PhaseChange,
)
from ketaflow.lib.clock import local
from ketaflow.patients.derive import primary_diagnosis_code
from ketaflow.questionnaires.models import InstrumentResponse

_RESPONDING = (OutcomeState.RESPONDER, OutcomeState.REMITTER)
# The phase log's reason (and the record history's change reason) holds 500 characters; the
# full explanation (`detail`) is shown beside it and, when a course ends, goes into the
# 500-character ended note.
_REASON_MAX = 500
_DETAIL_MAX = 500
STATE_LABELS: Mapping[OutcomeState, str] = {
    OutcomeState.BASELINE: "baseline",
    OutcomeState.NOT_IMPROVING: "not improving",
    OutcomeState.IMPROVING: "improving",
    OutcomeState.RESPONDER: "responder",
    OutcomeState.REMITTER: "remitter",
    OutcomeState.NON_RESPONDER: "non-responder",
    OutcomeState.RELAPSED: "relapsed",
}
FINDING_LABELS: Mapping[FindingStatus, str] = {
    FindingStatus.MET: "met",
    FindingStatus.NOT_MET: "not met",
    FindingStatus.PENDING: "pending",
    FindingStatus.NOT_ASSESSABLE: "not assessable",
}


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DatedScore:
    on: date
    value: int
    context: str
    response_id: int


@dataclass(frozen=True)
class TrajectoryRow:
    on: date
    score: float
    sessions_before: int
    change: float | None  # points; negative is better; None for the baseline
    improvement_pct: float | None  # % better than baseline
    response: bool
    remission: bool
    state: str
    is_baseline: bool

    @property
    def change_pct(self) -> float | None:
        """Percent change from baseline: negative is better."""
        return -self.improvement_pct if self.improvement_pct is not None else None


@dataclass(frozen=True)
class PhaseMove:
    """A phase change the core's proposal points to; a prescriber confirms (or not).

    `kind`: "maintenance", "end" (non-response), "continue" (no phase change: book the
    proposed session) or "reinduction" (after a relapse). When ending, `detail` is offered as
    the ended note.
    """

    kind: str
    label: str
    to_phase: str
    reason: str  # for the phase log (at most 500 characters)
    ended_reason: str
    sources: tuple[Source, ...]
    detail: str = ""  # the core's full explanation (at most 500 characters)


@dataclass(frozen=True)
class FollowUp:
    course: Course
    protocol: Protocol
    instrument: InstrumentChoice
    criteria: ResponseCriteria | None
    scores: tuple[DatedScore, ...]
    sessions: tuple[date, ...]
    sessions_from: str
    notes: tuple[str, ...]
    report: OutcomeReport | None
    message: str  # why there are no findings yet (e.g. "record a baseline")
    step: NextStep | None
    step_error: str
    moves: tuple[PhaseMove, ...]
    available: tuple[tuple[str, str, int], ...]  # (code, name, scores) with response criteria

    @property
    def state(self) -> OutcomeState | None:
        return self.report.current_state if self.report else None

    @property
    def baseline(self) -> DatedScore | None:
        """The baseline the core used, or the latest pre-course score while none is given."""
        if self.report is not None:
            when = self.report.baseline.when
            return next(s for s in self.scores if s.on == when)
        first = self.sessions[0] if self.sessions else None
        pre = [s for s in self.scores if first is None or s.on <= first]
        return pre[-1] if pre else None

    @property
    def latest(self) -> DatedScore | None:
        return self.scores[-1] if self.scores else None

    @property
    def latest_improvement_pct(self) -> float | None:
        if self.report is None or not self.report.assessments:
            return None
        return self.report.assessments[-1].improvement_pct

    @property
    def latest_change_pct(self) -> float | None:
        pct = self.latest_improvement_pct
        return -pct if pct is not None else None

    @property
    def non_response_after(self) -> int:
        return self.protocol.review_after_session.value

    @property
    def non_response(self) -> Finding | None:
        return self.report.non_response_signal if self.report else None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state] if self.state else ""

    @property
    def state_history(self) -> list[tuple[str, date, float, tuple[Source, ...], bool]]:
        """(state, began, score, sources, needs local sign-off) for each state entered."""
        if self.report is None:
            return []
        return [
            (STATE_LABELS[c.state], c.began, c.score, c.sources, c.needs_local_signoff)
            for c in self.report.states
        ]

    @property
    def early_status(self) -> str:
        return FINDING_LABELS[self.report.early_improvement.status] if self.report else ""

    @property
    def signal_status(self) -> str:
        if self.report is None:
            return ""
        signal = self.report.non_response_signal
        return "signal present" if signal.met else FINDING_LABELS[signal.status]

    @property
    def trajectory(self) -> list[TrajectoryRow]:
        if self.report is None:
            return []
        base = self.report.baseline
        rows = [TrajectoryRow(base.when, base.value, 0, None, None, False, False, "baseline", True)]
        for a in self.report.assessments:
            state = self.report.state_on(a.when)
            rows.append(
                TrajectoryRow(
                    a.when,
                    a.score,
                    a.sessions_before,
                    a.change,
                    a.improvement_pct,
                    a.response,
                    a.remission,
                    STATE_LABELS[state] if state else "",
                    False,
                )
            )
        return rows

    @property
    def review_reasons(self) -> tuple[str, ...]:
        return tuple(r.reason.value for r in self.step.reviews) if self.step else ()


# ---------------------------------------------------------------------------- inputs


def _criteria(code: str) -> ResponseCriteria | None:
    found = INSTRUMENTS.get(code)
    return found.response if found is not None else None


def _name(code: str) -> str:
    found = INSTRUMENTS.get(code)
    return found.name if found is not None else code


def choose_instrument(
    course: Course,
    requested: str | None = None,
    *,
    protocol: Protocol | None = None,
    measured: Collection[str] | None = None,
) -> InstrumentChoice:
    """The course's primary outcome instrument, and why (see the module docstring).

    `measured`: the instruments with a usable baseline, when the caller has already read the
    scores (`follow_up`); otherwise they are read here, so a direct call chooses from data too.
    """
    protocol = protocol or course_protocol(course)
    diagnosis = primary_diagnosis_code(course.patient_id)
    if measured is None and not requested:
        sessions, _, _ = session_dates(course)
        measured = measured_instruments(course, _responses(course, SCORE_CONTEXTS), sessions)
    return choose_outcome_instrument(
        diagnosis or None,
        protocol,
        measured=measured or frozenset(),
        clinic_map=getattr(settings, "KETAFLOW_OUTCOME_INSTRUMENTS", {}),
        requested=requested,
    )


def measured_instruments(
    course: Course, responses: Sequence[InstrumentResponse], sessions: Sequence[date]
) -> frozenset[str]:
    """Instruments with a usable baseline in `responses` (the outcome computation's rule)."""
    clinic = course.patient.clinic
    return baseline_instruments(
        ((r.instrument, local(r.administered_at, clinic).date()) for r in responses),
        sessions[0] if sessions else None,
    )


def window(course: Course) -> ScoreWindow:
    """Which of the patient's scores belong to the course (`clinical.outcomes.score_window`)."""
    ends = PhaseChange.objects.filter(to_phase=CoursePhase.ENDED)
    earlier = ends.filter(course__patient_id=course.patient_id, course__pk__lt=course.pk)
    own = ends.filter(course=course) if course.is_ended else ends.none()
    return score_window(
        earlier.values_list("at", flat=True),
        own.values_list("at", flat=True).order_by("-at").first(),
    )


def _responses(course: Course, contexts: Iterable[str]) -> list[InstrumentResponse]:
    held = window(course)
    qs = InstrumentResponse.objects.filter(
        patient_id=course.patient_id, context__in=list(contexts), total__isnull=False
    ).exclude(status=RecordStatus.ENTERED_IN_ERROR)
    return [r for r in qs.order_by("administered_at", "pk") if held.holds(r.administered_at)]


def dated_scores(
    course: Course,
    responses: Sequence[InstrumentResponse],
    code: str,
    contexts: Collection[str] = SCORE_CONTEXTS,
) -> tuple[tuple[DatedScore, ...], tuple[str, ...]]:
    """One score a clinic day (the pre-dose one if any, else the latest), and what was left."""
    clinic = course.patient.clinic
    kept = daily_scores(
        (
            (local(r.administered_at, clinic).date(), r.context, r.total, r)
            for r in responses
            if r.instrument == code and r.total is not None
        ),
        contexts,
    )
    scores = tuple(DatedScore(s.day, int(s.value), s.context, s.record.pk) for s in kept)
    notes = tuple(
        f"{s.of} {_name(code)} scores on {s.day:%d %b %Y}: kept the "
        f"{s.record.get_context_display().lower()} one ({s.record.total})."
        for s in kept
        if s.of > 1
    )
    return scores, notes


def session_dates(course: Course) -> tuple[tuple[date, ...], str, tuple[str, ...]]:
    """Clinic-local days of the sessions given (`SESSION_GIVEN`, `clinical.outcomes.given_days`),
    where they come from, and any note."""
    clinic = course.patient.clinic
    signed: list[date] = []
    unrecorded: list[date] = []
    for starts_at, status in Appointment.objects.filter(SESSION_GIVEN, course=course).values_list(
        "starts_at", "treatment_session__status"
    ):
        (unrecorded if status is None else signed).append(local(starts_at, clinic).date())
    given = given_days(signed, unrecorded)
    if given.signed and given.unrecorded:
        source = "signed treatment sessions and completed appointments without a session record"
    elif given.signed:
        source = "signed treatment sessions"
    else:
        source = "completed appointments"
    notes: tuple[str, ...] = ()
    if given.repeated:
        notes = (f"{given.repeated} second session(s) on one day counted once.",)
    return given.days, source, notes


def _available(
    course: Course, responses: Sequence[InstrumentResponse]
) -> tuple[tuple[str, str, int], ...]:
    counts: dict[str, int] = {}
    for r in responses:
        if _criteria(r.instrument) is not None:
            counts[r.instrument] = counts.get(r.instrument, 0) + 1
    return tuple((c, _name(c), n) for c, n in sorted(counts.items()))


# ---------------------------------------------------------------------------- moves


def _keys(sources: Iterable[Source]) -> str:
    keys = [s.key for s in sources]
    return f" [{', '.join(keys)}]" if keys else ""


def _fit(text: str, limit: int = _REASON_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _moves(
    course: Course,
    instrument: InstrumentChoice,
    criteria: ResponseCriteria | None,
    report: OutcomeReport | None,
    step: NextStep | None,
    sessions: Sequence[date],
) -> tuple[PhaseMove, ...]:
    """The phase changes the core's proposal points to (shown to prescribers to confirm)."""
    if course.is_ended or step is None:
        return ()
    state = report.current_state if report else None
    reasons = {r.reason for r in step.reviews}
    moves: list[PhaseMove] = []
    next_kind = step.session.phase_kind if step.session else None
    induction_done = course.phase == CoursePhase.INDUCTION and (
        step.action is NextAction.SERIES_COMPLETE or next_kind is PhaseKind.MAINTENANCE
    )
    name = instrument.name
    if induction_done and state in _RESPONDING and report is not None and criteria:
        first = report.first_response or report.first_remission
        latest = report.assessments[-1]
        pct = latest.improvement_pct or 0.0
        label = STATE_LABELS[state] if state else ""
        crit = criteria.response_rule
        plan = (
            f" The protocol proposes session {step.session.number} "
            f"({course_protocol(course).phase_name(step.session.phase)}) from "
            f"{step.session.on:%d %b %Y}."
            if step.session
            else ""
        )
        since = f" since {first.when:%d %b %Y}" if first else ""
        sources = merge([crit.sources, step.sources])
        detail = (
            f"Induction series finished ({len(sessions)} sessions). {name} {label}{since}: "
            f"baseline {report.baseline.value:g}, latest {latest.score:g} ({pct:.0f}% better; "
            f"response at {criteria.response_label}).{plan}"
        )
        reason = (
            f"Induction done ({len(sessions)}); {name} {label}: {report.baseline.value:g} → "
            f"{latest.score:g} ({pct:.0f}% better)"
        )
        moves.append(
            PhaseMove(
                "maintenance",
                "Move to maintenance",
                CoursePhase.MAINTENANCE,
                _fit(reason + _keys(crit.sources)),
                "",
                sources,
                _fit(detail + _keys(sources), _DETAIL_MAX),
            )
        )
    not_responding = induction_done and state not in _RESPONDING
    if ReviewReason.NON_RESPONSE in reasons or not_responding:
        signal = report.non_response_signal if report else None
        review = next(
            (
                r
                for r in step.reviews
                if r.reason in (ReviewReason.NON_RESPONSE, ReviewReason.RESPONSE_REQUIRED)
            ),
            None,
        )
        parts = []
        groups: list[tuple[Source, ...]] = []
        if signal is not None and signal.met:
            parts.append(f"{name}: {signal.explanation}.")
            groups.append(signal.sources)
            reason = (
                f"{name} {signal.improvement_pct or 0:.0f}% better after session "
                f"{len([d for d in sessions if signal.at is None or d < signal.at])}: "
                f"non-response signal{_keys(signal.sources)}"
            )
        else:
            shown = STATE_LABELS[state] if state else "no outcome recorded"
            reason = f"Induction done ({len(sessions)}); {name}: {shown}, not a responder"
        if review is not None:
            parts.append(review.message)
            groups.append(review.sources)
        sources = merge(groups)
        detail = _fit(" ".join(parts) + _keys(sources), _DETAIL_MAX)
        moves.append(
            PhaseMove(
                "end",
                "End the course (non-response)",
                CoursePhase.ENDED,
                _fit(reason),
                EndedReason.NON_RESPONSE,
                sources,
                detail,
            )
        )
        moves.append(PhaseMove("continue", "Continue the series", "", "", "", sources, detail))
    if ReviewReason.RELAPSE in reasons and course.phase == CoursePhase.MAINTENANCE:
        review = next(r for r in step.reviews if r.reason is ReviewReason.RELAPSE)
        relapse = report.relapses[-1] if report and report.relapses else None
        when = (
            f" from {relapse.onset:%d %b %Y} (confirmed {relapse.confirmed:%d %b %Y})"
            if relapse
            else ""
        )
        moves.append(
            PhaseMove(
                "reinduction",
                "Start a new induction",
                CoursePhase.INDUCTION,
                _fit(f"{name} relapse{when}{_keys(review.sources)}"),
                "",
                review.sources,
                _fit(f"{name} relapse{when}. {review.message}{_keys(review.sources)}", _DETAIL_MAX),
            )
        )
    return tuple(moves)


# ---------------------------------------------------------------------------- follow-up


def follow_up(
    course: Course,
    instrument: str | None = None,
    *,
    contexts: Sequence[str] = SCORE_CONTEXTS,
    as_of: date | None = None,
) -> FollowUp:
    """The outcome findings and the next step of a course (no permission check, no audit).

    Raises `ClinicalInputError` only for an unknown or unusable `instrument` asked for.
    """
    protocol = course_protocol(course)
    responses = _responses(course, contexts)
    sessions, source, session_notes = session_dates(course)
    measured = measured_instruments(course, responses, sessions)
    choice = choose_instrument(course, instrument, protocol=protocol, measured=measured)
    criteria = _criteria(choice.code)
    scores, score_notes = dated_scores(course, responses, choice.code, contexts)
    report: OutcomeReport | None = None
    message = ""
    first = sessions[0] if sessions else None
    has_baseline = any(first is None or s.on <= first for s in scores)
    if criteria is None:
        message = f"{choice.name} has no response criteria in the core: choose another scale."
    elif not has_baseline:
        when = f" on or before the first session ({first:%d %b %Y})" if first else ""
        message = (
            f"No baseline {choice.name} yet: record a baseline {choice.name}{when} so that "
            "change, response and the non-response signal can be measured."
        )
    elif not sessions:
        message = "Baseline recorded. Outcomes are measured from the first session."
    else:
        try:
            report = assess(
                [(s.on, s.value) for s in scores], criteria, sessions, protocol.outcome_config()
            )
        except ClinicalInputError as exc:
            message = exc.message
    step: NextStep | None = None
    step_error = ""
    if not course.is_ended:
        try:
            step = propose_next(
                course, sessions, report.current_state if report else None, as_of=as_of
            )
        except ClinicalInputError as exc:
            step_error = exc.message
    return FollowUp(
        course=course,
        protocol=protocol,
        instrument=choice,
        criteria=criteria,
        scores=scores,
        sessions=sessions,
        sessions_from=source,
        notes=score_notes + session_notes,
        report=report,
        message=message,
        step=step,
        step_error=step_error,
        moves=_moves(course, choice, criteria, report, step, sessions),
        available=_available(course, responses),
    )


__all__ = [
    "DEFAULT_BY_DIAGNOSIS",
    "FALLBACK_INSTRUMENT",
    "SCORE_CONTEXTS",
    "DatedScore",
    "FollowUp",
    "InstrumentChoice",
    "PhaseMove",
    "TrajectoryRow",
    "choose_instrument",
    "dated_scores",
    "follow_up",
    "measured_instruments",
    "session_dates",
    "window",
]
