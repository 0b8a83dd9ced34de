"""Outcomes of a treatment course, read from a dated score series of one instrument.

Given the scores of one instrument (higher is worse), its `ResponseCriteria` and the dates
of the sessions given, this module works out change from baseline, response, remission,
early improvement (S18), the non-response signal after session 4 (S17), relapse after
response (SUSTAIN-1 shape, S19) and time to response, and the state of the course at each
assessment (baseline / not improving / improving / responder / remitter / non-responder /
relapsed) with the date each state began.

`daily_scores` makes that series from the records: one score per clinic-local day (the
pre-dose one), in the contexts that follow a course, for the course page and the summary.
`score_window` says which of a patient's scores belong to a course, and `given_days` which
clinic days count as sessions given: the course page and the outcome summary both ask them.

Conventions, chosen so every answer is reproducible from the same input:
- Times are `date`s or `datetime`s (all of one kind; pass clinic-local datetimes). A
  score dated the same day as a session (or at the same instant) counts as *before* that
  session: a pre-dose questionnaire. So an assessment "after session N" is one taken after
  session N and no later than the day of session N+1.
- Baseline is the last score on or before the first session (Sanacora 2017 asks for a
  baseline severity so change can be measured, A2/A6). Earlier scores are ignored.
- Day counts are calendar days between the dates (the date part of datetimes).
- The S17/S18 thresholds come from depression cohorts (MADRS, QIDS-SR16); applying them to
  anxiety instruments is an analogy the clinic signs off: on any scale that is not a
  depression scale (`ResponseCriteria.depression_scale`) they are UNVERIFIED, and the
  findings and states that rest on them say `needs_local_signoff`.
- Remission needs a response (`ResponseCriteria.meets_remission`).
- A relapse is dated at its onset (the first assessment of the qualifying run), not at the
  assessment that confirmed it: durability ends when the patient got worse, not 5-15 days
  later when the rule could be sure.
"""

from __future__ import annotations

import bisect
import enum
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Generic, NamedTuple, TypeVar

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import (
    ClinicDefault,
    Evidence,
    Source,
    cite,
    default,
    merge,
)
from ketaflow.clinical.response import ResponseCriteria

T = TypeVar("T")

# ---------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------


class RelapseCriterion(enum.Enum):
    """What makes one assessment count towards a relapse after response."""

    LOST_RESPONSE = "lost_response"  # no longer meets the instrument's response criterion
    SCORE_AT_OR_ABOVE = "score_at_or_above"  # score back at/above a level (SUSTAIN-1: MADRS 22)
    LOST_IMPROVEMENT = "lost_improvement"  # lost >= X% of the best improvement achieved


class ResponseClock(enum.Enum):
    """Where time to response is counted from."""

    FIRST_SESSION = "first_session"
    BASELINE = "baseline"


_RELAPSE_CRITERION = default(
    RelapseCriterion.LOST_RESPONSE,
    "S19",
    evidence=Evidence.UNVERIFIED,
    note="No anxiety relapse definition published; loss of response is a local choice.",
)
_LOST_IMPROVEMENT_PCT = default(
    50.0,
    evidence=Evidence.UNVERIFIED,
    note="'Loss of >= 50% of the achieved improvement' is a local rule (reference 5.4).",
)
_RELAPSE_CONSECUTIVE = default(2, "S19")
_RELAPSE_MIN_DAYS = default(5, "S19")
_RELAPSE_MAX_DAYS = default(15, "S19")
_IMPROVEMENT_MIN_PCT = default(
    20.0, "S17", "S18", note="Depression data (MADRS/QIDS-SR16) applied to anxiety scales."
)
_EARLY_BY_SESSION = default(2, "S18")
_NON_RESPONSE_AFTER = default(
    4, "S17", note="Repeated IV ketamine in depression; S18: do not stop after 1-2."
)


@dataclass(frozen=True)
class RelapseRule:
    """Relapse after response: N consecutive qualifying assessments, each 5-15 days apart.

    The run shape (2 consecutive assessments 5-15 days apart) is SUSTAIN-1's (S19, MADRS
    >= 22 in esketamine-treated depression). No anxiety relapse definition was found (clinical
    reference 5.4), so what "qualifying" means is a clinic choice; the default, "no longer
    meets the response criterion", needs local sign-off. `RelapseRule.sustain1()` reproduces
    the trial rule on MADRS.

    Within a run, an extra qualifying assessment fewer than `min_days_apart` after the
    previous one neither extends nor breaks the run (a repeat measurement); a gap longer than
    `max_days_apart` starts a new run; a non-qualifying assessment ends the run.
    """

    criterion: ClinicDefault[RelapseCriterion] = _RELAPSE_CRITERION
    score_at_or_above: ClinicDefault[float] | None = None
    lost_improvement_pct: ClinicDefault[float] = _LOST_IMPROVEMENT_PCT
    consecutive: ClinicDefault[int] = _RELAPSE_CONSECUTIVE
    min_days_apart: ClinicDefault[int] = _RELAPSE_MIN_DAYS
    max_days_apart: ClinicDefault[int] = _RELAPSE_MAX_DAYS

    def __post_init__(self) -> None:
        if self.criterion.value is RelapseCriterion.SCORE_AT_OR_ABOVE and (
            self.score_at_or_above is None
        ):
            raise ClinicalInputError(
                "a score-level relapse rule needs the level (score_at_or_above)",
                field="score_at_or_above",
            )
        if self.consecutive.value < 1:
            raise ClinicalInputError("must be at least 1", field="consecutive")
        if not 0 <= self.min_days_apart.value <= self.max_days_apart.value:
            raise ClinicalInputError(
                "need 0 <= min_days_apart <= max_days_apart", field="min_days_apart"
            )
        if not 0 < self.lost_improvement_pct.value <= 100:
            raise ClinicalInputError("must be in (0, 100]", field="lost_improvement_pct")

    @classmethod
    def sustain1(cls, level: float = 22.0) -> RelapseRule:
        """SUSTAIN-1: MADRS >= 22 on 2 consecutive assessments 5-15 days apart (S19)."""
        return cls(
            criterion=default(RelapseCriterion.SCORE_AT_OR_ABOVE, "S19"),
            score_at_or_above=default(level, "S19"),
        )

    @property
    def sources(self) -> tuple[Source, ...]:
        groups = [self.criterion.sources, self.consecutive.sources]
        if self.criterion.value is RelapseCriterion.SCORE_AT_OR_ABOVE:
            assert self.score_at_or_above is not None
            groups.append(self.score_at_or_above.sources)
        return merge(groups)


@dataclass(frozen=True)
class OutcomeConfig:
    """The clinic-configurable numbers behind the outcome findings.

    `improvement_min_pct` (20%) is S17's "improvement" (and S18's early improvement);
    `early_improvement_by_session` (2) is S18's "after the first or second infusion";
    `non_response_after_session` (4) is S17's "non-improvement at 24 h post-infusion 4".
    """

    improvement_min_pct: ClinicDefault[float] = _IMPROVEMENT_MIN_PCT
    early_improvement_by_session: ClinicDefault[int] = _EARLY_BY_SESSION
    non_response_after_session: ClinicDefault[int] = _NON_RESPONSE_AFTER
    relapse: RelapseRule = field(default_factory=RelapseRule)
    time_to_response_from: ResponseClock = ResponseClock.FIRST_SESSION

    def __post_init__(self) -> None:
        if not 0 < self.improvement_min_pct.value <= 100:
            raise ClinicalInputError("must be in (0, 100]", field="improvement_min_pct")
        if self.early_improvement_by_session.value < 1:
            raise ClinicalInputError("must be at least 1", field="early_improvement_by_session")
        if self.non_response_after_session.value < 1:
            raise ClinicalInputError("must be at least 1", field="non_response_after_session")

    def on_scale(self, criteria: ResponseCriteria) -> OutcomeConfig:
        """This config as it applies to a scale: off depression scales, the S17/S18
        thresholds (derived on MADRS and QIDS-SR16) are UNVERIFIED and need local sign-off."""
        if criteria.depression_scale:
            return self
        return replace(
            self,
            improvement_min_pct=_on_anxiety_scale(self.improvement_min_pct),
            early_improvement_by_session=_on_anxiety_scale(self.early_improvement_by_session),
            non_response_after_session=_on_anxiety_scale(self.non_response_after_session),
        )


_ANXIETY_NOTE = (
    "Derived on depression scales (MADRS, QIDS-SR16); on this scale UNVERIFIED: "
    "needs local sign-off."
)


def _on_anxiety_scale(value: ClinicDefault[T]) -> ClinicDefault[T]:
    if value.needs_local_signoff:
        return value
    note = f"{value.note} {_ANXIETY_NOTE}".strip()
    return replace(value, evidence=Evidence.UNVERIFIED, note=note)


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


class Score(NamedTuple):
    """One total score of the instrument at a date or datetime."""

    when: date
    value: float


class OutcomeState(enum.Enum):
    BASELINE = "baseline"
    NOT_IMPROVING = "not_improving"  # < 20% better than baseline (S17's non-improvement)
    IMPROVING = "improving"  # >= 20% better, short of response
    RESPONDER = "responder"
    REMITTER = "remitter"
    NON_RESPONDER = "non_responder"  # S17 signal after session 4, no response since
    RELAPSED = "relapsed"  # relapse confirmed, response not regained


class FindingStatus(enum.Enum):
    MET = "met"
    NOT_MET = "not_met"
    PENDING = "pending"  # not enough sessions yet to decide
    NOT_ASSESSABLE = "not_assessable"  # the window passed without a usable score


@dataclass(frozen=True)
class Finding:
    """A yes/no finding with the assessment it rests on and why."""

    status: FindingStatus
    explanation: str
    sources: tuple[Source, ...]
    at: date | None = None
    improvement_pct: float | None = None
    needs_local_signoff: bool = False  # rests on a threshold the clinic must sign off

    @property
    def met(self) -> bool:
        return self.status is FindingStatus.MET


@dataclass(frozen=True)
class Assessment:
    """One score after baseline, compared with baseline."""

    when: date
    score: float
    sessions_before: int  # sessions given before this score
    change: float  # score - baseline: negative is better
    improvement_pct: float | None  # (baseline - score) / baseline * 100; None if baseline 0
    response: bool
    remission: bool


@dataclass(frozen=True)
class Relapse:
    """A confirmed relapse: the run of qualifying assessments from onset to confirmation.

    `onset` is when the relapse happened (the first score of the run) and the date every
    durability figure uses; `confirmed` is when the rule could be sure of it.
    """

    onset: date
    confirmed: date
    scores: tuple[Score, ...]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class StateChange:
    """The course entered `state` at the assessment dated `began`."""

    state: OutcomeState
    began: date
    score: float
    sources: tuple[Source, ...]
    needs_local_signoff: bool = False  # the state rests on an UNVERIFIED threshold


@dataclass(frozen=True)
class OutcomeReport:
    baseline: Score
    assessments: tuple[Assessment, ...]
    first_response: Assessment | None
    first_remission: Assessment | None
    time_to_response_days: int | None
    early_improvement: Finding
    non_response_signal: Finding  # MET = the S17 signal is present
    non_improvement_through_three: Finding  # S17's more conservative 3-in-a-row signal
    relapses: tuple[Relapse, ...]
    states: tuple[StateChange, ...]
    sources: tuple[Source, ...]

    @property
    def current_state(self) -> OutcomeState:
        return self.states[-1].state

    @property
    def current_state_needs_local_signoff(self) -> bool:
        return self.states[-1].needs_local_signoff

    @property
    def relapse_onset(self) -> date | None:
        """The onset of the first relapse: where relapse-free durability ends."""
        return self.relapses[0].onset if self.relapses else None

    def state_on(self, when: date) -> OutcomeState | None:
        """The state in force on `when` (None before baseline)."""
        current: OutcomeState | None = None
        for change in self.states:
            if _day(change.began) > _day(when):
                break
            current = change.state
        return current


# ---------------------------------------------------------------------------------------
# One score a day
# ---------------------------------------------------------------------------------------

#: Contexts whose scores follow a course (baseline, screening, pre-session, follow-up): a
#: scale taken in session measures the acute effect of a dose, not the course.
SCORE_CONTEXTS: tuple[str, ...] = ("baseline", "screening", "pre_session", "follow_up")
#: Contexts of a score taken before that day's dose: the one a day's several scores keep, so
#: a session day's score is the pre-dose one (`assess` dates it before the session).
PRE_DOSE_CONTEXTS: frozenset[str] = frozenset({"baseline", "screening", "pre_session"})

R = TypeVar("R")


@dataclass(frozen=True)
class DailyScore(Generic[R]):
    """The score that counts for one clinic-local day, its record, and of how many."""

    day: date
    value: float
    context: str
    record: R
    of: int  # scores that day in a counted context (more than 1: one was chosen)


@dataclass(frozen=True)
class ScoreWindow:
    """The stretch of time whose scores belong to one course.

    A course's scores are those taken after the patient's previous course ended (so a
    baseline taken between courses belongs to the next one) and, once the course has ended,
    no later than its end: each score belongs to one course only.
    """

    since: datetime | None = None  # exclusive: the previous course's end
    until: datetime | None = None  # inclusive: this course's end, once ended

    def holds(self, at: datetime) -> bool:
        return (self.since is None or at > self.since) and (self.until is None or at <= self.until)


def score_window(earlier_ends: Iterable[datetime], own_end: datetime | None) -> ScoreWindow:
    """The window of a course from the ends of the patient's earlier courses and its own.

    `own_end`: when the course ended, or None while it runs.
    """
    return ScoreWindow(max(earlier_ends, default=None), own_end)


@dataclass(frozen=True)
class GivenDays:
    """The clinic days on which a course's sessions were given, each day once, in order."""

    days: tuple[date, ...]
    signed: int  # sessions given with a signed session record
    unrecorded: int  # completed appointments with no session record

    @property
    def repeated(self) -> int:
        """Second sessions on a day already counted (a day is one session for outcomes)."""
        return self.signed + self.unrecorded - len(self.days)


def given_days(signed: Iterable[date], unrecorded: Iterable[date]) -> GivenDays:
    """Session days for `assess` from the clinic-local days of the sessions given.

    `signed`: days of signed treatment sessions; `unrecorded`: days of completed appointments
    without a session record (a clinic that charts elsewhere). `assess` counts sessions by
    day, so two on one day count once.
    """
    signed_days, unrecorded_days = list(signed), list(unrecorded)
    days = tuple(sorted(set(signed_days) | set(unrecorded_days)))
    return GivenDays(days, len(signed_days), len(unrecorded_days))


def daily_scores(
    scored: Iterable[tuple[date, str, float, R]], contexts: Collection[str] = SCORE_CONTEXTS
) -> list[DailyScore[R]]:
    """One score per clinic-local day, by day, for `assess`'s series.

    `scored`: (clinic-local day, context, total, record) of one instrument's live scores
    (entered-in-error records are left out where they are read), in the order they were
    taken (time, then entry). Scores outside `contexts` (by default `SCORE_CONTEXTS`) do not
    count. Of a day's
    scores the last pre-dose one (`PRE_DOSE_CONTEXTS`) is kept, else the last one.
    """
    by_day: dict[date, list[tuple[str, float, R]]] = {}
    for day, context, value, record in scored:
        if context in contexts:
            by_day.setdefault(day, []).append((context, value, record))
    out: list[DailyScore[R]] = []
    for day in sorted(by_day):
        found = by_day[day]
        pre = [f for f in found if f[0] in PRE_DOSE_CONTEXTS]
        context, value, record = (pre or found)[-1]
        out.append(DailyScore(day, value, context, record, len(found)))
    return out


# ---------------------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------------------

_BASELINE_SOURCES = ("A2", "A6")


def assess(
    scores: Sequence[tuple[date, float]],
    criteria: ResponseCriteria,
    sessions: Sequence[date],
    config: OutcomeConfig | None = None,
) -> OutcomeReport:
    """Work out the outcome findings and states of one instrument over a course.

    `scores`: (date or datetime, total) in time order, no duplicates, no negatives.
    `sessions`: the dates (or datetimes) of the sessions given so far, in order.
    """
    cfg = (config or OutcomeConfig()).on_scale(criteria)
    series = _validate(scores, sessions)
    session_days = list(sessions)
    pre = [s for s in series if _sessions_before(s.when, session_days) == 0]
    if not pre:
        raise ClinicalInputError(
            "no score on or before the first session: record a baseline score first",
            field="scores",
        )
    baseline = pre[-1]
    after = series[len(pre) :]
    assessments = tuple(_compare(baseline, s, session_days, criteria) for s in after)

    first_response = next((a for a in assessments if a.response), None)
    first_remission = next((a for a in assessments if a.remission), None)
    ttr = None
    if first_response is not None:
        anchor = (
            baseline.when
            if cfg.time_to_response_from is ResponseClock.BASELINE
            else session_days[0]
        )
        ttr = (_day(first_response.when) - _day(anchor)).days

    given = len(session_days)
    pct, by, after_n = (
        cfg.improvement_min_pct,
        cfg.early_improvement_by_session,
        cfg.non_response_after_session,
    )
    early = _flagged(_early_improvement(assessments, given, cfg), pct, by)
    signal = _flagged(_non_response_signal(assessments, given, cfg), pct, after_n)
    three = _flagged(_three_non_improvements(assessments, given, cfg), pct)
    relapses = _relapses(baseline, assessments, cfg.relapse)
    states = _states(baseline, assessments, criteria, cfg, signal, relapses)
    sources = merge(
        [
            cite(*_BASELINE_SOURCES),
            criteria.response_sources,
            criteria.remission_at_or_below.sources if criteria.remission_at_or_below else (),
            early.sources,
            signal.sources,
            cfg.relapse.sources,
        ]
    )
    return OutcomeReport(
        baseline=baseline,
        assessments=assessments,
        first_response=first_response,
        first_remission=first_remission,
        time_to_response_days=ttr,
        early_improvement=early,
        non_response_signal=signal,
        non_improvement_through_three=three,
        relapses=relapses,
        states=states,
        sources=sources,
    )


def _flagged(finding: Finding, *thresholds: ClinicDefault[int] | ClinicDefault[float]) -> Finding:
    """The finding, marked for local sign-off when any threshold it rests on needs it."""
    flag = any(t.needs_local_signoff for t in thresholds)
    return replace(finding, needs_local_signoff=flag) if flag else finding


def _day(when: date) -> date:
    return when.date() if isinstance(when, datetime) else when


def _sessions_before(when: date, sessions: list[date]) -> int:
    """Sessions strictly before `when` (a same-day score counts as pre-dose)."""
    return bisect.bisect_left(sessions, when)


def _kind(values: Sequence[date], name: str) -> set[str]:
    kinds: set[str] = set()
    for i, when in enumerate(values):
        if isinstance(when, datetime):
            kinds.add("aware" if when.tzinfo is not None else "naive")
        elif isinstance(when, date):
            kinds.add("date")
        else:
            raise ClinicalInputError(f"not a date or datetime: {when!r}", field=f"{name}[{i}]")
    return kinds


def _check_order(values: Sequence[date], name: str) -> None:
    for i in range(1, len(values)):
        if values[i] == values[i - 1]:
            raise ClinicalInputError(
                f"two entries at {values[i].isoformat()}: keep one", field=f"{name}[{i}]"
            )
        if values[i] < values[i - 1]:
            raise ClinicalInputError(
                f"{values[i].isoformat()} comes before {values[i - 1].isoformat()}: sort by date",
                field=f"{name}[{i}]",
            )


def _validate(scores: Sequence[tuple[date, float]], sessions: Sequence[date]) -> list[Score]:
    if not scores:
        raise ClinicalInputError("no scores: record a baseline score first", field="scores")
    if not sessions:
        raise ClinicalInputError(
            "no sessions yet: outcomes are measured from the first session", field="sessions"
        )
    series: list[Score] = []
    for i, item in enumerate(scores):
        try:
            when, value = item
        except (TypeError, ValueError):
            raise ClinicalInputError(
                "each score must be a (date, value) pair", field=f"scores[{i}]"
            ) from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ClinicalInputError(f"not a number: {value!r}", field=f"scores[{i}]")
        if not math.isfinite(value) or value < 0:
            raise ClinicalInputError(
                f"a total score must be a finite number >= 0, got {value}", field=f"scores[{i}]"
            )
        series.append(Score(when, float(value)))
    whens = [s.when for s in series]
    kinds = _kind(whens, "scores") | _kind(sessions, "sessions")
    if len(kinds) > 1:
        raise ClinicalInputError(
            "mix of dates, naive and time-zone-aware datetimes: use one kind throughout",
            field="scores",
        )
    _check_order(whens, "scores")
    _check_order(sessions, "sessions")
    return series


def _compare(
    baseline: Score, score: Score, sessions: list[date], criteria: ResponseCriteria
) -> Assessment:
    return Assessment(
        when=score.when,
        score=score.value,
        sessions_before=_sessions_before(score.when, sessions),
        change=score.value - baseline.value,
        improvement_pct=criteria.improvement_pct(baseline.value, score.value),
        response=criteria.is_response(baseline.value, score.value),
        remission=criteria.meets_remission(baseline.value, score.value),
    )


def _last_after(assessments: Sequence[Assessment], session: int) -> Assessment | None:
    """The latest score after session N and before session N+1 (the durable effect)."""
    found = [a for a in assessments if a.sessions_before == session]
    return found[-1] if found else None


def _window_passed(assessments: Sequence[Assessment], given: int, session: int) -> bool:
    return given > session or any(a.sessions_before > session for a in assessments)


def _early_improvement(
    assessments: Sequence[Assessment], given: int, cfg: OutcomeConfig
) -> Finding:
    """S18: >= 20% better after the first or second session."""
    by = cfg.early_improvement_by_session.value
    pct = cfg.improvement_min_pct.value
    sources = merge([cfg.early_improvement_by_session.sources, cfg.improvement_min_pct.sources])
    window = [a for a in assessments if 1 <= a.sessions_before <= by]
    for a in window:
        if a.improvement_pct is not None and a.improvement_pct >= pct:
            return Finding(
                FindingStatus.MET,
                f"{a.improvement_pct:.1f}% better after session {a.sessions_before} "
                f"(>= {pct:g}% by session {by})",
                sources,
                at=a.when,
                improvement_pct=a.improvement_pct,
            )
    if not _window_passed(assessments, given, by):
        return Finding(FindingStatus.PENDING, f"not yet past session {by}", sources)
    usable = [a for a in window if a.improvement_pct is not None]
    if not usable:
        return Finding(
            FindingStatus.NOT_ASSESSABLE,
            f"no usable score between session 1 and session {by + 1}",
            sources,
        )
    best = max(usable, key=lambda a: a.improvement_pct or 0.0)
    return Finding(
        FindingStatus.NOT_MET,
        f"best {best.improvement_pct:.1f}% by session {by}; S18: most non-early improvers "
        "still improve by session 4, so this alone is no reason to stop",
        sources,
        at=best.when,
        improvement_pct=best.improvement_pct,
    )


def _non_response_signal(
    assessments: Sequence[Assessment], given: int, cfg: OutcomeConfig
) -> Finding:
    """S17: < 20% better after session 4 signals overall non-response (MET = signal)."""
    n = cfg.non_response_after_session.value
    pct = cfg.improvement_min_pct.value
    sources = merge([cfg.non_response_after_session.sources, cfg.improvement_min_pct.sources])
    a = _last_after(assessments, n)
    if a is None:
        if _window_passed(assessments, given, n):
            return Finding(
                FindingStatus.NOT_ASSESSABLE,
                f"no score between session {n} and session {n + 1}",
                sources,
            )
        return Finding(FindingStatus.PENDING, f"session {n} not yet assessed", sources)
    if a.improvement_pct is None:
        return Finding(
            FindingStatus.NOT_ASSESSABLE, "baseline score is 0: change undefined", sources, a.when
        )
    if a.improvement_pct < pct:
        return Finding(
            FindingStatus.MET,
            f"only {a.improvement_pct:.1f}% better after session {n} (< {pct:g}%): "
            "non-response signal, review continuing",
            sources,
            at=a.when,
            improvement_pct=a.improvement_pct,
        )
    return Finding(
        FindingStatus.NOT_MET,
        f"{a.improvement_pct:.1f}% better after session {n}",
        sources,
        at=a.when,
        improvement_pct=a.improvement_pct,
    )


def _three_non_improvements(
    assessments: Sequence[Assessment], given: int, cfg: OutcomeConfig
) -> Finding:
    """S17's conservative signal: non-improvement after each of sessions 1, 2 and 3."""
    pct = cfg.improvement_min_pct.value
    sources = cfg.improvement_min_pct.sources
    seen: list[Assessment] = []
    for n in (1, 2, 3):
        a = _last_after(assessments, n)
        if a is None:
            if _window_passed(assessments, given, n):
                return Finding(FindingStatus.NOT_ASSESSABLE, f"no score after session {n}", sources)
            return Finding(FindingStatus.PENDING, f"session {n} not yet assessed", sources)
        if a.improvement_pct is None:
            return Finding(
                FindingStatus.NOT_ASSESSABLE, "baseline score is 0: change undefined", sources
            )
        if a.improvement_pct >= pct:
            return Finding(
                FindingStatus.NOT_MET,
                f"{a.improvement_pct:.1f}% better after session {n}",
                sources,
                at=a.when,
                improvement_pct=a.improvement_pct,
            )
        seen.append(a)
    return Finding(
        FindingStatus.MET,
        f"< {pct:g}% better after each of sessions 1-3",
        sources,
        at=seen[-1].when,
        improvement_pct=seen[-1].improvement_pct,
    )


def _qualifies(a: Assessment, baseline: float, best: float, rule: RelapseRule) -> bool:
    criterion = rule.criterion.value
    if criterion is RelapseCriterion.LOST_RESPONSE:
        return not a.response
    if criterion is RelapseCriterion.SCORE_AT_OR_ABOVE:
        assert rule.score_at_or_above is not None
        return a.score >= rule.score_at_or_above.value
    achieved = baseline - best
    kept = baseline - a.score
    return achieved > 0 and (achieved - kept) >= achieved * rule.lost_improvement_pct.value / 100


def _relapses(
    baseline: Score,
    assessments: Sequence[Assessment],
    rule: RelapseRule,
) -> tuple[Relapse, ...]:
    found: list[Relapse] = []
    responding = False
    best = baseline.value
    run: list[Assessment] = []
    need = rule.consecutive.value
    lo, hi = rule.min_days_apart.value, rule.max_days_apart.value
    for a in assessments:
        if not responding:
            if a.response:
                responding, best, run = True, a.score, []
            continue
        if not _qualifies(a, baseline.value, best, rule):
            run = []
            best = min(best, a.score)
            continue
        if run:
            gap = (_day(a.when) - _day(run[-1].when)).days
            if gap < lo:
                continue  # a repeat measurement: neither extends nor breaks the run
            if gap > hi:
                run = []
        run.append(a)
        if len(run) >= need:
            found.append(
                Relapse(
                    onset=run[0].when,
                    confirmed=a.when,
                    scores=tuple(Score(r.when, r.score) for r in run),
                    sources=rule.sources,
                )
            )
            responding, run = False, []
    return tuple(found)


def _states(
    baseline: Score,
    assessments: Sequence[Assessment],
    criteria: ResponseCriteria,
    cfg: OutcomeConfig,
    signal: Finding,
    relapses: Sequence[Relapse],
) -> tuple[StateChange, ...]:
    """The state at each assessment, collapsed to the dates each state began.

    Priority: relapse (from its onset, through its confirmation, until response is regained
    afterwards), remission, response, the S17 non-response signal (from the assessment that
    showed it), then improving (>= 20%) or not improving. Relapse is dated at its onset,
    the first score of the qualifying run: the report is drawn with all the scores so far,
    and the patient was worse from that day, not from the day the rule was sure.
    """
    runs = [(r.onset, r.confirmed) for r in relapses]
    relapse_sources = cfg.relapse.sources
    improvement = cfg.improvement_min_pct
    changes = [
        StateChange(OutcomeState.BASELINE, baseline.when, baseline.value, cite(*_BASELINE_SOURCES))
    ]
    relapsed = False
    signalled = False
    for a in assessments:
        if signal.met and a.when == signal.at:
            signalled = True
        if a.response or a.remission:
            signalled = False
        in_run = any(onset <= a.when <= confirmed for onset, confirmed in runs)
        if in_run:
            relapsed = True
        elif relapsed and (a.response or a.remission):
            relapsed = False
        flag = False
        if relapsed:
            state, sources = OutcomeState.RELAPSED, relapse_sources
            flag = cfg.relapse.criterion.needs_local_signoff
        elif a.remission:
            assert criteria.remission_at_or_below is not None
            state, sources = OutcomeState.REMITTER, criteria.remission_at_or_below.sources
            flag = criteria.remission_at_or_below.needs_local_signoff
        elif a.response:
            state, sources = OutcomeState.RESPONDER, criteria.response_sources
            flag = criteria.response_rule.needs_local_signoff
        elif signalled:
            state, sources = OutcomeState.NON_RESPONDER, signal.sources
            flag = signal.needs_local_signoff
        elif a.improvement_pct is not None and a.improvement_pct >= improvement.value:
            state, sources = OutcomeState.IMPROVING, improvement.sources
            flag = improvement.needs_local_signoff
        else:
            state, sources = OutcomeState.NOT_IMPROVING, improvement.sources
            flag = improvement.needs_local_signoff
        if state is not changes[-1].state:
            changes.append(StateChange(state, a.when, a.score, sources, flag))
    return tuple(changes)


__all__ = [
    "PRE_DOSE_CONTEXTS",
    "SCORE_CONTEXTS",
    "Assessment",
    "DailyScore",
    "Finding",
    "FindingStatus",
    "GivenDays",
    "OutcomeConfig",
    "OutcomeReport",
    "OutcomeState",
    "Relapse",
    "RelapseCriterion",
    "RelapseRule",
    "ResponseClock",
    "Score",
    "ScoreWindow",
    "StateChange",
    "assess",
    "daily_scores",
    "given_days",
    "score_window",
]
