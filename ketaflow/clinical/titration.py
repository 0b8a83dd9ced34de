"""Titration of fixed-mg oral and sublingual ketamine: propose the next dose, check a dose.

The evidence is thin and marked "experimental" (clinical reference 3.2, 6.4): oral
bioavailability ~20-25%, reported doses 0.25-7 mg/kg or 25-300 mg [S22b, cited as S22]; one
case series titrated 50 mg every 3 days, +25 mg every 3 days per response and tolerability
[S23]; sublingual 10 mg every 2-3 days or weekly [S51]. The numbers come from the protocol
(`Protocol.titration()`); the ceilings are clinic defaults needing local sign-off.

`check_dose` sorts a proposed dose into
- HARD refusals (`HardLimitExceeded`, no override): above the ceiling per dose, or a dose that
  takes the rolling 7-day total above the weekly ceiling;
- soft limits (`SoftLimitWarning`, each needs a prescriber's override with a reason through
  `dosing.overrides.confirm_overrides`): a first dose above the start dose, a step larger than
  the protocol's step, a step up sooner than its interval, or a step up while a stop criterion
  of the last dose holds (side effects, blood pressure, dissociation, sedation, misuse signals).

`propose_next` reads the same history and suggests hold / step up / step down / stop, with
reasons and sources; it never decides (the prescriber orders). Rolling 7 days are calendar
days ending on the dose's day inclusive: (day - 6) .. day. Only supervised doses are counted
here; the doses taken at home are the dispensing app's, when it exists.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from ketaflow.clinical.dosing.limits import (
    DEFAULT_DOSING_LIMITS,
    DosingLimits,
    HardLimitExceeded,
    SoftLimitWarning,
)
from ketaflow.clinical.dosing.racemic import check_dose_cap
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Source, cite, merge
from ketaflow.clinical.misuse import HomeDose
from ketaflow.clinical.monitoring.thresholds import DEFAULT_THRESHOLDS, MonitoringThresholds
from ketaflow.clinical.monitoring.vitals import MOAAS_FULLY_ALERT
from ketaflow.clinical.routes import Route

WINDOW_DAYS = 7
_EPS = 1e-9


class Severity(enum.IntEnum):
    """The worst side effect of a dose (as the session records it)."""

    NONE = 0
    MILD = 1
    MODERATE = 2
    SEVERE = 3


@dataclass(frozen=True)
class TitrationRules:
    """The protocol's titration numbers (each a `ClinicDefault` with its sources)."""

    start_mg: ClinicDefault[float]
    step_mg: ClinicDefault[float]
    min_days_between_steps: ClinicDefault[int]
    max_mg_per_dose: ClinicDefault[float]
    max_mg_per_7_days: ClinicDefault[float]
    thresholds: MonitoringThresholds = field(default=DEFAULT_THRESHOLDS, repr=False)

    def __post_init__(self) -> None:
        for name in ("start_mg", "step_mg", "max_mg_per_dose", "max_mg_per_7_days"):
            value = getattr(self, name).value
            if not math.isfinite(value) or value <= 0:
                raise ClinicalInputError(f"{name} must be more than 0 mg", field=name)
        if self.min_days_between_steps.value < 0:
            raise ClinicalInputError("must be 0 days or more", field="min_days_between_steps")
        if self.start_mg.value > self.max_mg_per_dose.value:
            raise ClinicalInputError(
                "the start dose must not be above the ceiling per dose", field="start_mg"
            )
        if self.max_mg_per_dose.value > self.max_mg_per_7_days.value:
            raise ClinicalInputError(
                "the ceiling per dose must not be above the weekly ceiling",
                field="max_mg_per_dose",
            )


@dataclass(frozen=True)
class SupervisedDose:
    """One supervised dose of the course, as the apps read it from the session's rows."""

    on: date
    mg: float
    worst_side_effect: Severity = Severity.NONE
    peak_sbp: float | None = None
    peak_dbp: float | None = None
    dissociation: int | None = None  # the highest CADSS total after the dose
    sedation: int | None = None  # the lowest MOAA/S after the dose (5 = fully alert)
    misuse_open: bool = False  # a misuse indicator was open when the dose was given

    def __post_init__(self) -> None:
        if not math.isfinite(self.mg) or self.mg <= 0:
            raise ClinicalInputError("a dose must be more than 0 mg", field="mg")


@dataclass(frozen=True)
class StopSignal:
    """A reason not to step up after a dose, and whether it calls for a step down."""

    code: str
    message: str
    step_down: bool
    sources: tuple[Source, ...]


def stop_signals(
    dose: SupervisedDose, rules: TitrationRules, misuse_open: bool = False
) -> tuple[StopSignal, ...]:
    """What about this dose (and an open misuse indicator now) stops titration upwards.

    Severe side effects, blood pressure at the label's marked-elevation category (>= 180/110,
    S1) and deep sedation (MOAA/S at or below the clinic's level) call for a step down;
    moderate side effects, any sedation, dissociation above the research convention (CADSS
    > 4, A16: informational, a clinic choice to use it here) and misuse signals hold the dose.
    """
    t = rules.thresholds
    found: list[StopSignal] = []
    if dose.worst_side_effect is Severity.SEVERE:
        found.append(StopSignal("side_effects", "a severe side effect", True, cite("S4", "S23")))
    elif dose.worst_side_effect is Severity.MODERATE:
        found.append(StopSignal("side_effects", "a moderate side effect", False, cite("S23")))
    sbp, dbp = dose.peak_sbp, dose.peak_dbp
    if (sbp is not None and sbp >= t.session_sbp_at_or_above.value) or (
        dbp is not None and dbp >= t.session_dbp_at_or_above.value
    ):
        found.append(
            StopSignal(
                "blood_pressure",
                f"blood pressure reached {sbp or '-'}/{dbp or '-'} mmHg (at or above "
                f"{t.session_sbp_at_or_above.value:g}/{t.session_dbp_at_or_above.value:g})",
                True,
                merge([t.session_sbp_at_or_above.sources, t.session_dbp_at_or_above.sources]),
            )
        )
    if dose.sedation is not None and dose.sedation < MOAAS_FULLY_ALERT:
        deep = dose.sedation <= t.moaas_deep_sedation_at_or_below.value
        found.append(
            StopSignal(
                "sedation",
                f"sedation (MOAA/S {dose.sedation})",
                deep,
                t.moaas_deep_sedation_at_or_below.sources if deep else cite("S1"),
            )
        )
    cadss = t.cadss_research_convention_above
    if dose.dissociation is not None and dose.dissociation > cadss.value:
        found.append(
            StopSignal(
                "dissociation",
                f"dissociation (CADSS {dose.dissociation}, above {cadss.value})",
                False,
                cadss.sources,
            )
        )
    if dose.misuse_open or misuse_open:
        found.append(
            StopSignal(
                "misuse",
                "an open misuse indicator (prescriber review first)",
                False,
                cite("S1", "S3", "S34"),
            )
        )
    return tuple(found)


def _sorted(history: Sequence[SupervisedDose]) -> list[SupervisedDose]:
    return sorted(history, key=lambda d: d.on)


def level_since(history: Sequence[SupervisedDose]) -> date | None:
    """The day the current dose level began (the first of the trailing run at the last mg)."""
    doses = _sorted(history)
    if not doses:
        return None
    last = doses[-1].mg
    since = doses[-1].on
    for d in reversed(doses):
        if not math.isclose(d.mg, last, abs_tol=1e-6):
            break
        since = d.on
    return since


def window_mg(history: Sequence[SupervisedDose], on: date, home: Sequence[HomeDose] = ()) -> float:
    """mg taken in the 7 days ending on `on` (inclusive), before a new dose: the supervised
    doses and any recorded at home (the weekly ceiling is on ketamine taken, wherever it was
    taken; reference 6.4 asks for cumulative mg per window)."""
    start = on - timedelta(days=WINDOW_DAYS - 1)
    supervised = sum(d.mg for d in history if start <= d.on <= on)
    return supervised + sum(h.mg for h in home if start <= h.on <= on)


def _home_part(home: Sequence[HomeDose], on: date) -> str:
    start = on - timedelta(days=WINDOW_DAYS - 1)
    taken = sum(h.mg for h in home if start <= h.on <= on)
    return f", {taken:g} mg of it at home" if taken > 0 else ""


def _sources(*values: ClinicDefault[float] | ClinicDefault[int]) -> tuple[Source, ...]:
    return merge([v.sources for v in values])


def check_dose(
    rules: TitrationRules,
    history: Sequence[SupervisedDose],
    mg: float,
    on: date,
    *,
    misuse_open: bool = False,
    home: Sequence[HomeDose] = (),
) -> tuple[SoftLimitWarning, ...]:
    """The soft-limit warnings of `mg` on day `on`; a hard limit raises `HardLimitExceeded`.

    `home`: doses recorded at home, counted in the rolling 7-day total with the supervised ones.
    """
    if not math.isfinite(mg) or mg <= 0:
        raise ClinicalInputError("the dose must be more than 0 mg", field="dose_mg")
    cap = rules.max_mg_per_dose
    if mg > cap.value + _EPS:
        raise HardLimitExceeded(
            f"{mg:g} mg is above the titration ceiling of {cap.value:g} mg per dose",
            code="titration.above_max_mg_per_dose",
            sources=cap.sources,
            needs_local_signoff=cap.needs_local_signoff,
            field="dose_mg",
        )
    week = rules.max_mg_per_7_days
    before = window_mg(history, on, home)
    if before + mg > week.value + _EPS:
        raise HardLimitExceeded(
            f"{mg:g} mg would make {before + mg:g} mg in the 7 days to {on.isoformat()} "
            f"({before:g} mg already taken{_home_part(home, on)}), above the ceiling of "
            f"{week.value:g} mg per 7 days",
            code="titration.above_max_mg_per_7_days",
            sources=week.sources,
            needs_local_signoff=week.needs_local_signoff,
            field="dose_mg",
        )
    doses = [d for d in _sorted(history) if d.on <= on]
    if not doses:
        start = rules.start_mg
        if mg > start.value + _EPS:
            return (
                SoftLimitWarning(
                    "titration.above_start_dose",
                    f"{mg:g} mg is above the protocol's start dose of {start.value:g} mg: "
                    "needs a prescriber's override with a reason",
                    start.sources,
                    start.needs_local_signoff,
                ),
            )
        return ()
    last = doses[-1]
    if mg <= last.mg + _EPS:
        return ()  # a hold or a step down never needs an override
    warnings: list[SoftLimitWarning] = []
    step = rules.step_mg
    if mg - last.mg > step.value + _EPS:
        warnings.append(
            SoftLimitWarning(
                "titration.step_above_protocol_step",
                f"{mg:g} mg is a step of {mg - last.mg:g} mg from the last dose ({last.mg:g} "
                f"mg), larger than the protocol's step of {step.value:g} mg",
                step.sources,
                step.needs_local_signoff,
            )
        )
    interval = rules.min_days_between_steps
    since = level_since(doses)
    if since is not None and (on - since).days < interval.value:
        warnings.append(
            SoftLimitWarning(
                "titration.step_too_soon",
                f"a step up {(on - since).days} day(s) after the last change of dose "
                f"({since.isoformat()}); the protocol steps at most every {interval.value} days",
                interval.sources,
                interval.needs_local_signoff,
            )
        )
    signals = stop_signals(last, rules, misuse_open)
    if signals:
        warnings.append(
            SoftLimitWarning(
                "titration.step_while_stop_criterion",
                "a step up although titration should stop after the last dose: "
                + "; ".join(s.message for s in signals),
                merge([s.sources for s in signals]),
                False,
            )
        )
    return tuple(warnings)


class Action(enum.Enum):
    START = "start"
    HOLD = "hold"
    STEP_UP = "step_up"
    STEP_DOWN = "step_down"
    STOP = "stop"


@dataclass(frozen=True)
class Proposal:
    """The suggested next dose (None when titration stops) and why."""

    action: Action
    mg: float | None
    reasons: tuple[str, ...]
    sources: tuple[Source, ...]
    earliest_step_on: date | None = None  # when a step up is next due, if held for time


def propose_next(
    rules: TitrationRules,
    history: Sequence[SupervisedDose],
    on: date,
    *,
    misuse_open: bool = False,
    home: Sequence[HomeDose] = (),
) -> Proposal:
    """What the protocol suggests for a dose on day `on` after these supervised doses (and
    the `home` doses, which count toward the weekly ceiling)."""
    doses = [d for d in _sorted(history) if d.on <= on]
    base = _sources(rules.start_mg, rules.step_mg, rules.min_days_between_steps)
    if not doses:
        return Proposal(
            Action.START,
            rules.start_mg.value,
            (f"first supervised dose: the start dose of {rules.start_mg.value:g} mg",),
            rules.start_mg.sources,
        )
    last = doses[-1]
    signals = stop_signals(last, rules, misuse_open)
    if any(s.code == "misuse" for s in signals):
        return Proposal(
            Action.STOP,
            None,
            tuple(f"stop titration: {s.message}" for s in signals),
            merge([s.sources for s in signals]),
        )
    if any(s.step_down for s in signals):
        lower = [d.mg for d in doses if d.mg < last.mg - _EPS]
        if not lower:
            return Proposal(
                Action.STOP,
                None,
                (
                    *(f"after the last dose: {s.message}" for s in signals),
                    "already at the lowest dose given: stop titration and review",
                ),
                merge([s.sources for s in signals]),
            )
        down = max(max(lower), last.mg - rules.step_mg.value)
        return Proposal(
            Action.STEP_DOWN,
            down,
            (*(f"after the last dose: {s.message}" for s in signals), f"step down to {down:g} mg"),
            merge([base, *(s.sources for s in signals)]),
        )
    if signals:
        return Proposal(
            Action.HOLD,
            last.mg,
            tuple(f"hold at {last.mg:g} mg after {s.message}" for s in signals),
            merge([s.sources for s in signals]),
        )
    cap = rules.max_mg_per_dose
    if last.mg >= cap.value - _EPS:
        return Proposal(
            Action.HOLD,
            last.mg,
            (f"at the ceiling of {cap.value:g} mg per dose",),
            cap.sources,
        )
    since = level_since(doses)
    due = since + timedelta(days=rules.min_days_between_steps.value) if since else on
    if on < due:
        return Proposal(
            Action.HOLD,
            last.mg,
            (f"the next step is due on {due.isoformat()}",),
            rules.min_days_between_steps.sources,
            earliest_step_on=due,
        )
    up = min(last.mg + rules.step_mg.value, cap.value)
    room = rules.max_mg_per_7_days.value - window_mg(doses, on, home)
    if up > room + _EPS:
        fits = max(0.0, room)
        return Proposal(
            Action.HOLD,
            min(last.mg, fits) if fits > 0 else None,
            (
                f"a step to {up:g} mg would pass the weekly ceiling of "
                f"{rules.max_mg_per_7_days.value:g} mg ({room:g} mg left in the 7 days)",
            ),
            rules.max_mg_per_7_days.sources,
        )
    return Proposal(
        Action.STEP_UP,
        up,
        (
            f"tolerated {last.mg:g} mg: step up by {rules.step_mg.value:g} mg if the response "
            "calls for it",
        ),
        base,
    )


@dataclass(frozen=True)
class TitratedDose:
    """A fixed-mg oral/sublingual dose within every hard limit, with its soft-limit warnings."""

    route: Route
    dose_mg: float
    weight_kg: float
    mg_per_kg: float  # per kg of actual weight, for the route's mg/kg limits
    max_dose_mg: float
    warnings: tuple[SoftLimitWarning, ...]
    proposal: Proposal
    sources: tuple[Source, ...]
    limits_version: str


def titrated_dose(
    route: Route,
    dose_mg: float,
    weight_kg: float,
    rules: TitrationRules,
    history: Sequence[SupervisedDose],
    on: date,
    *,
    misuse_open: bool = False,
    home: Sequence[HomeDose] = (),
    limits: DosingLimits = DEFAULT_DOSING_LIMITS,
) -> TitratedDose:
    """One titrated dose checked against the route's limits and the titration's.

    Hard (refused): the route's absolute mg cap and mg/kg ceiling (oral: 300 mg, 7 mg/kg,
    S22b), the titration ceilings per dose and per rolling 7 days. Soft (override with a
    reason): the route's usual mg/kg maximum (oral ~2.5 mg/kg) and the titration's steps.
    """
    if not math.isfinite(dose_mg) or dose_mg <= 0:
        raise ClinicalInputError("the dose must be more than 0 mg", field="dose_mg")
    low, high = limits.weight_kg_range
    if not math.isfinite(weight_kg) or not low <= weight_kg <= high:
        raise ClinicalInputError(
            f"must be between {low:g} and {high:g} kg, not {weight_kg:g}", field="weight_kg"
        )
    route_limits = limits.for_route(route)
    check_dose_cap(route, dose_mg, limits)
    mg_per_kg = dose_mg / weight_kg
    hard = route_limits.hard_max_mg_per_kg
    if mg_per_kg > hard.value + _EPS:
        raise HardLimitExceeded(
            f"{dose_mg:g} mg is {mg_per_kg:.2f} mg/kg at {weight_kg:g} kg, above the hard limit "
            f"of {hard.value:g} mg/kg for {route.label}",
            code="dose.above_hard_max_mg_per_kg",
            sources=hard.sources,
            needs_local_signoff=hard.needs_local_signoff,
            field="dose_mg",
        )
    warnings: list[SoftLimitWarning] = []
    soft = route_limits.soft_max_mg_per_kg
    if soft is not None and mg_per_kg > soft.value + _EPS:
        warnings.append(
            SoftLimitWarning(
                "dose.above_soft_max_mg_per_kg",
                f"{dose_mg:g} mg is {mg_per_kg:.2f} mg/kg, above {soft.value:g} mg/kg for "
                f"{route.label}: needs a prescriber's override with a reason",
                soft.sources,
                soft.needs_local_signoff,
            )
        )
    warnings.extend(check_dose(rules, history, dose_mg, on, misuse_open=misuse_open, home=home))
    caps = [rules.max_mg_per_dose.value]
    if route_limits.hard_max_mg is not None:
        caps.append(route_limits.hard_max_mg.value)
    return TitratedDose(
        route=route,
        dose_mg=dose_mg,
        weight_kg=weight_kg,
        mg_per_kg=mg_per_kg,
        max_dose_mg=min(caps),
        warnings=tuple(warnings),
        proposal=propose_next(rules, history, on, misuse_open=misuse_open, home=home),
        sources=merge(
            [
                hard.sources,
                rules.max_mg_per_dose.sources,
                rules.max_mg_per_7_days.sources,
                *(w.sources for w in warnings),
            ]
        ),
        limits_version=limits.version,
    )


__all__ = [
    "WINDOW_DAYS",
    "Action",
    "Proposal",
    "Severity",
    "StopSignal",
    "SupervisedDose",
    "TitratedDose",
    "TitrationRules",
    "check_dose",
    "level_since",
    "propose_next",
    "stop_signals",
    "titrated_dose",
    "window_mg",
]
