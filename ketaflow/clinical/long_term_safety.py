"""Long-term safety monitoring for repeated ketamine: what is due when, and what a result means.

Repeated ketamine brings risks a single session does not: cholestatic liver injury, ketamine
uropathy, cognitive effects and misuse (clinical reference section 6). This module turns a
course's history (session dates, phase, whether the plan uses recurrent dosing), the last
results and the rules into a due list, each item saying *why* with its sources:

- liver function tests (ALT, AST, ALP and GGT; bilirubin optional): at baseline and
  periodically whenever the plan uses recurrent dosing, per the Ketalar label [S4]. The
  label gives no interval for intermittent psychiatric dosing, so the period is a
  `ClinicDefault` needing local sign-off [S4, S32];
- a lower urinary tract symptom (LUTS) screen at each maintenance visit (the reference's
  local rule built on the label's uropathy warning and recreational-use data [S4, S33]); a
  positive screen is a flag: consider stopping, refer to urology;
- a cognition review [S58, S1] and a substance-use review [S1, S3, S56] at set intervals.

Lab values are judged against the reference range the laboratory reported with them
(out of range → flagged) and, for the liver enzymes, against a multiple of the upper limit
of normal (e.g. ALT > 3 × ULN: "marked"). Those multiples are common drug-induced liver
injury conventions the reference does not state: they are UNVERIFIED defaults.

Pure: no Django, no I/O, no clock. `today` is a parameter.

Invariant (property-tested): for an interval check, nothing is ever due before the last
result plus the interval; for a per-visit check, never on or before the last screen.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, Source, default, merge

V, S, U = Evidence.VERIFIED, Evidence.SECONDARY, Evidence.UNVERIFIED


class Check(enum.Enum):
    """A kind of long-term safety check."""

    LIVER = "liver"
    LUTS = "luts"
    COGNITION = "cognition"
    SUBSTANCE_USE = "substance_use"

    @property
    def label(self) -> str:
        return {
            Check.LIVER: "Liver function tests",
            Check.LUTS: "Urinary symptom (LUTS) screen",
            Check.COGNITION: "Cognition review",
            Check.SUBSTANCE_USE: "Substance-use review",
        }[self]


class CoursePhase(enum.Enum):
    """The course's phase as the apps store it (mirrors `courses.CoursePhase`)."""

    EVALUATION = "evaluation"
    INDUCTION = "induction"
    MAINTENANCE = "maintenance"
    ENDED = "ended"


class DueStatus(enum.Enum):
    OVERDUE = "overdue"
    DUE = "due"  # due today
    DUE_SOON = "due_soon"  # within the look-ahead window
    SCHEDULED = "scheduled"  # later
    NOT_REQUIRED = "not_required"

    @property
    def label(self) -> str:
        return {
            DueStatus.OVERDUE: "Overdue",
            DueStatus.DUE: "Due today",
            DueStatus.DUE_SOON: "Due soon",
            DueStatus.SCHEDULED: "Scheduled",
            DueStatus.NOT_REQUIRED: "Not required",
        }[self]

    @property
    def needs_action(self) -> bool:
        return self in (DueStatus.OVERDUE, DueStatus.DUE, DueStatus.DUE_SOON)


# ---------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class SafetyRules:
    """Every number the due list rests on, each a `ClinicDefault` with its sources.

    A clinic's protocol may set any of them (`with_local`); the UNVERIFIED ones are shown as
    needing local sign-off until it does.
    """

    lft_baseline: ClinicDefault[bool]
    lft_interval_days: ClinicDefault[int]
    luts_each_maintenance_visit: ClinicDefault[bool]
    cognition_interval_days: ClinicDefault[int]
    substance_use_interval_days: ClinicDefault[int]
    alt_ast_marked_x_uln: ClinicDefault[float]
    alp_marked_x_uln: ClinicDefault[float]
    ggt_marked_x_uln: ClinicDefault[float]
    bilirubin_marked_x_uln: ClinicDefault[float]
    due_soon_days: ClinicDefault[int]

    def needs_signoff(self) -> tuple[str, ...]:
        return tuple(
            f.name for f in dataclasses.fields(self) if getattr(self, f.name).needs_local_signoff
        )

    def with_local(self, values: Mapping[str, object]) -> SafetyRules:
        """These rules with a clinic's own values (from its protocol); unknown keys refuse.

        A locally set value is the clinic's sign-off, so it no longer needs one.
        """
        changes: dict[str, ClinicDefault[Any]] = {}
        for key, value in values.items():
            current = getattr(self, key, None)
            if not isinstance(current, ClinicDefault):
                raise ClinicalInputError(f"no long-term safety setting {key!r}", field=key)
            changes[key] = _local(current, value, key)
        return dataclasses.replace(self, **changes)


def _local(current: ClinicDefault[Any], value: object, key: str) -> ClinicDefault[Any]:
    kind = type(current.value)
    if kind is bool:
        if not isinstance(value, bool):
            raise ClinicalInputError("must be true or false", field=key)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ClinicalInputError(f"must be a number, got {value!r}", field=key)
    elif not math.isfinite(value) or value <= 0:
        raise ClinicalInputError("must be more than 0", field=key)
    elif kind is int and not float(value).is_integer():
        raise ClinicalInputError("must be a whole number", field=key)
    note = f"Set locally (default {current.value}). {current.note}".strip()
    evidence = V if current.evidence is U else current.evidence  # the clinic signed it off
    return dataclasses.replace(current, value=kind(value), evidence=evidence, note=note)


_MULTIPLE_NOTE = (
    "A common drug-induced liver injury convention, not stated in the reference: confirm locally."
)


def default_rules() -> SafetyRules:
    """The core's defaults, for a protocol that says nothing about long-term safety."""
    return SafetyRules(
        lft_baseline=default(
            True,
            "S4",
            note="Ketalar label: baseline and periodic LFTs incl. ALP and GGT with recurrent "
            "dosing.",
        ),
        lft_interval_days=default(
            90,
            "S4",
            "S32",
            evidence=U,
            note="The label asks for periodic LFTs; no interval for intermittent psychiatric "
            "dosing was found (every 3 months is a local choice).",
        ),
        luts_each_maintenance_visit=default(
            True,
            "S4",
            "S33",
            evidence=U,
            note="Incidence at therapeutic doses is not established; screening at each "
            "maintenance visit and stop/refer if positive is a local rule.",
        ),
        cognition_interval_days=default(
            180,
            "S58",
            "S1",
            evidence=U,
            note="Cognitive effects reported with chronic misuse; no review interval found.",
        ),
        substance_use_interval_days=default(
            90,
            "S1",
            "S3",
            "S56",
            evidence=U,
            note="Abuse/misuse monitoring per the SPRAVATO boxed warning; a 3-monthly PDMP check "
            "is CDC advice for opioids, adopted here as a local rule.",
        ),
        alt_ast_marked_x_uln=default(3.0, "S4", "S32", evidence=U, note=_MULTIPLE_NOTE),
        alp_marked_x_uln=default(2.0, "S4", "S32", evidence=U, note=_MULTIPLE_NOTE),
        ggt_marked_x_uln=default(3.0, "S4", "S32", evidence=U, note=_MULTIPLE_NOTE),
        bilirubin_marked_x_uln=default(2.0, "S4", "S32", evidence=U, note=_MULTIPLE_NOTE),
        due_soon_days=default(
            14, "S4", evidence=U, note="How far ahead the due list warns (a display choice)."
        ),
    )


def rules_for(local: Mapping[str, object] | None) -> SafetyRules:
    """The rules in force: the protocol's own values where it sets them, else the defaults."""
    rules = default_rules()
    return rules.with_local(local) if local else rules


# ---------------------------------------------------------------------------- lab values


class Analyte(enum.Enum):
    ALT = "alt"
    AST = "ast"
    ALP = "alp"
    GGT = "ggt"
    BILIRUBIN = "bilirubin"

    @property
    def label(self) -> str:
        return {
            Analyte.ALT: "ALT",
            Analyte.AST: "AST",
            Analyte.ALP: "ALP",
            Analyte.GGT: "GGT",
            Analyte.BILIRUBIN: "Bilirubin (total)",
        }[self]

    @property
    def units(self) -> tuple[str, ...]:
        """Units a laboratory reports this analyte in (the first is the usual one)."""
        if self is Analyte.BILIRUBIN:
            return ("µmol/L", "mg/dL")
        return ("U/L",)

    @property
    def required(self) -> bool:
        """Part of the label's panel (ALP and GGT included); bilirubin is optional."""
        return self is not Analyte.BILIRUBIN


REQUIRED_ANALYTES: tuple[Analyte, ...] = tuple(a for a in Analyte if a.required)


class LabFlag(enum.Enum):
    NORMAL = "normal"
    LOW = "low"
    HIGH = "high"  # above the upper limit of normal
    MARKED = "marked"  # at or above the marked multiple of the ULN

    @property
    def abnormal(self) -> bool:
        return self is not LabFlag.NORMAL


@dataclass(frozen=True)
class LabValue:
    analyte: Analyte
    value: float
    unit: str
    lower: float | None  # the laboratory's reference range
    upper: float

    def __post_init__(self) -> None:
        for name in ("value", "upper"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ClinicalInputError("must be a finite number", field=name)
        if self.value < 0:
            raise ClinicalInputError("a lab value cannot be negative", field="value")
        if self.upper <= 0:
            raise ClinicalInputError("the upper limit must be more than 0", field="upper")
        if self.lower is not None and not 0 <= self.lower < self.upper:
            raise ClinicalInputError("the lower limit must be below the upper", field="lower")
        if self.unit not in self.analyte.units:
            raise ClinicalInputError(
                f"{self.analyte.label} is reported in {' or '.join(self.analyte.units)}",
                field="unit",
            )


@dataclass(frozen=True)
class LabFinding:
    value: LabValue
    flag: LabFlag
    times_uln: float
    message: str
    sources: tuple[Source, ...]
    needs_local_signoff: bool


def _marked_multiple(analyte: Analyte, rules: SafetyRules) -> ClinicDefault[float]:
    return {
        Analyte.ALT: rules.alt_ast_marked_x_uln,
        Analyte.AST: rules.alt_ast_marked_x_uln,
        Analyte.ALP: rules.alp_marked_x_uln,
        Analyte.GGT: rules.ggt_marked_x_uln,
        Analyte.BILIRUBIN: rules.bilirubin_marked_x_uln,
    }[analyte]


def evaluate_lab(value: LabValue, rules: SafetyRules) -> LabFinding:
    """Normal, low, high (above the ULN) or marked (at or above the marked multiple)."""
    multiple = _marked_multiple(value.analyte, rules)
    times = value.value / value.upper
    name = value.analyte.label
    shown = f"{name} {value.value:g} {value.unit}"
    if times >= multiple.value:
        flag = LabFlag.MARKED
        message = (
            f"{shown} is {times:.1f} × the upper limit ({value.upper:g}), at or above "
            f"{multiple.value:g} × ULN: review before the next dose (hepatobiliary injury with "
            "recurrent ketamine is mostly cholestatic)."
        )
    elif value.value > value.upper:
        flag = LabFlag.HIGH
        message = f"{shown} is above the reference range (upper limit {value.upper:g})."
    elif value.lower is not None and value.value < value.lower:
        flag = LabFlag.LOW
        message = f"{shown} is below the reference range (lower limit {value.lower:g})."
    else:
        flag = LabFlag.NORMAL
        message = f"{shown} is within the reference range."
    return LabFinding(
        value=value,
        flag=flag,
        times_uln=times,
        message=message,
        sources=multiple.sources,
        needs_local_signoff=flag is LabFlag.MARKED and multiple.needs_local_signoff,
    )


# ---------------------------------------------------------------------------- LUTS screen


LUTS_SYMPTOMS: tuple[tuple[str, str], ...] = (
    ("frequency", "Passing urine more often than usual"),
    ("urgency", "Sudden, hard-to-put-off need to pass urine"),
    ("dysuria", "Pain or burning on passing urine"),
    ("haematuria", "Blood in the urine"),
    ("suprapubic_pain", "Pain low in the tummy, over the bladder"),
    ("incontinence", "Leaking urine (urge incontinence)"),
)
LUTS_KEYS: tuple[str, ...] = tuple(k for k, _ in LUTS_SYMPTOMS)


@dataclass(frozen=True)
class LutsFinding:
    positive: bool
    symptoms: tuple[str, ...]  # the keys answered yes
    advice: str
    sources: tuple[Source, ...]
    needs_local_signoff: bool


def evaluate_luts(answers: Mapping[str, bool], rules: SafetyRules) -> LutsFinding:
    """Positive if any symptom is present: flag, suggest stopping and urology referral."""
    missing = [k for k in LUTS_KEYS if k not in answers]
    if missing:
        raise ClinicalInputError(f"answer every item: {', '.join(missing)}", field=missing[0])
    unknown = sorted(set(answers) - set(LUTS_KEYS))
    if unknown:
        raise ClinicalInputError(f"not a LUTS item: {unknown[0]}", field=unknown[0])
    present = tuple(k for k in LUTS_KEYS if answers[k])
    rule = rules.luts_each_maintenance_visit
    if not present:
        advice = "No lower urinary tract symptoms reported."
    else:
        labels = ", ".join(dict(LUTS_SYMPTOMS)[k].lower() for k in present)
        advice = (
            f"Positive LUTS screen ({labels}). Ketamine uropathy is reported with repeated "
            "use and often improves on stopping: consider stopping ketamine, check a urine "
            "dipstick/culture to exclude infection and refer to urology."
        )
    return LutsFinding(
        positive=bool(present),
        symptoms=present,
        advice=advice,
        sources=rule.sources,
        needs_local_signoff=bool(present) and rule.needs_local_signoff,
    )


# ---------------------------------------------------------------------------- due list


@dataclass(frozen=True)
class CourseHistory:
    """What the due list needs to know about a course (plain values from the apps).

    `session_dates`: days sessions were given (held), any order. `maintenance_dates`: those of
    them in a maintenance phase. `next_session_on`: the next booked session, if any.
    `recurrent`: the plan gives more than one dose (the label's LFT condition).
    `home_dose_dates`: days the patient recorded a dose taken at home (the diary); they count
    as doses: the first dose may be a home one, and any home dose makes the plan recurrent
    (home use is repeated dosing, S4, S34).
    """

    started_on: date
    phase: CoursePhase
    recurrent: bool
    session_dates: tuple[date, ...] = ()
    maintenance_dates: tuple[date, ...] = ()
    next_session_on: date | None = None
    next_session_is_maintenance: bool = False
    ended_on: date | None = None
    home_dose_dates: tuple[date, ...] = ()

    def __post_init__(self) -> None:
        if not set(self.maintenance_dates) <= set(self.session_dates):
            raise ClinicalInputError(
                "maintenance sessions must be among the sessions", field="maintenance_dates"
            )
        if any(d < self.started_on for d in self.session_dates):
            raise ClinicalInputError("a session before the course started", field="session_dates")

    @property
    def first_session_on(self) -> date | None:
        return min(self.session_dates, default=None)

    @property
    def first_dose_on(self) -> date | None:
        """The first dose, in clinic or at home."""
        return min((*self.session_dates, *self.home_dose_dates), default=None)

    @property
    def repeated_dosing(self) -> bool:
        """The label's LFT condition: the plan is recurrent, or doses are taken at home."""
        return self.recurrent or bool(self.home_dose_dates)

    @property
    def active(self) -> bool:
        return self.phase is not CoursePhase.ENDED


@dataclass(frozen=True)
class Exposure:
    """Dose days in a rolling window (calendar days ending `end`), supervised and at home."""

    days: int
    end: date
    supervised: int
    home: int

    @property
    def total(self) -> int:
        return self.supervised + self.home


def exposure(history: CourseHistory, today: date, days: int = 30) -> Exposure:
    """How often ketamine was taken in the last `days` days, clinic and home days apart."""
    if days < 1:
        raise ClinicalInputError("a window is at least 1 day", field="days")
    start = today - timedelta(days=days - 1)
    return Exposure(
        days,
        today,
        sum(1 for d in set(history.session_dates) if start <= d <= today),
        sum(1 for d in set(history.home_dose_dates) if start <= d <= today),
    )


@dataclass(frozen=True)
class LastResult:
    """A recorded result of a check; the latest per check counts.

    For liver tests the apps pass only complete panels (ALT, AST, ALP and GGT on one day):
    a partial panel does not reset the clock.
    """

    check: Check
    on: date
    abnormal: bool = False


@dataclass(frozen=True)
class DueItem:
    check: Check
    status: DueStatus
    due_on: date | None
    reason: str
    sources: tuple[Source, ...]
    needs_local_signoff: bool
    last_on: date | None = None


@dataclass(frozen=True)
class SafetyFlag:
    """Something the chart must show until dealt with (an abnormal last result)."""

    check: Check
    on: date
    message: str
    sources: tuple[Source, ...]


def _status(due_on: date, today: date, soon_days: int) -> DueStatus:
    if due_on < today:
        return DueStatus.OVERDUE
    if due_on == today:
        return DueStatus.DUE
    if due_on <= today + timedelta(days=soon_days):
        return DueStatus.DUE_SOON
    return DueStatus.SCHEDULED


def _not_required(
    check: Check, reason: str, rule: ClinicDefault[Any], last: LastResult | None
) -> DueItem:
    return DueItem(
        check,
        DueStatus.NOT_REQUIRED,
        None,
        reason,
        rule.sources,
        rule.needs_local_signoff,
        last.on if last else None,
    )


def _interval_item(
    check: Check,
    history: CourseHistory,
    last: LastResult | None,
    interval: ClinicDefault[int],
    baseline_rule: ClinicDefault[bool] | None,
    today: date,
    soon: int,
) -> DueItem:
    """Baseline before the first dose (if none yet), then every `interval` days."""
    sources = merge([baseline_rule.sources if baseline_rule else (), interval.sources])
    signoff = interval.needs_local_signoff or bool(
        baseline_rule and baseline_rule.needs_local_signoff
    )
    if not history.active:
        return _not_required(check, "The course has ended.", interval, last)
    first = history.first_dose_on
    if last is None:
        if first is None:
            due_on = history.next_session_on or max(history.started_on, today)
            why = f"Baseline {check.label.lower()} before the first dose."
        else:
            due_on = first
            why = (
                f"No baseline {check.label.lower()} recorded: it was due before the first "
                f"dose on {first:%d %b %Y}."
            )
        return DueItem(check, _status(due_on, today, soon), due_on, why, sources, signoff)
    due_on = last.on + timedelta(days=interval.value)
    why = f"Every {interval.value} days while the course continues; last on {last.on:%d %b %Y}."
    return DueItem(check, _status(due_on, today, soon), due_on, why, sources, signoff, last.on)


def _luts_item(
    history: CourseHistory, last: LastResult | None, rules: SafetyRules, today: date, soon: int
) -> DueItem:
    """At each maintenance visit: a held visit since the last screen without one is overdue."""
    rule = rules.luts_each_maintenance_visit
    if not rule.value:
        return _not_required(Check.LUTS, "Not part of this protocol.", rule, last)
    if not history.active:
        return _not_required(Check.LUTS, "The course has ended.", rule, last)
    after = last.on if last else None
    missed = sorted(d for d in history.maintenance_dates if after is None or d > after)
    if missed:
        due_on = missed[0]
        why = f"Screen at each maintenance visit: none recorded at the visit on {due_on:%d %b %Y}."
    elif (
        history.next_session_on is not None
        and history.next_session_is_maintenance
        and (after is None or history.next_session_on > after)
    ):
        due_on = history.next_session_on
        why = f"Screen at each maintenance visit: next visit on {due_on:%d %b %Y}."
    else:
        reason = (
            "Only at maintenance visits; none is booked."
            if history.phase is CoursePhase.MAINTENANCE
            else "Only at maintenance visits (the course is not in maintenance)."
        )
        return _not_required(Check.LUTS, reason, rule, last)
    return DueItem(
        Check.LUTS,
        _status(due_on, today, soon),
        due_on,
        why,
        rule.sources,
        rule.needs_local_signoff,
        last.on if last else None,
    )


def due_list(
    history: CourseHistory,
    last_results: Iterable[LastResult],
    rules: SafetyRules,
    today: date,
) -> tuple[DueItem, ...]:
    """One item per check: when it is due (or why not) and the sources behind it."""
    last: dict[Check, LastResult] = {}
    for result in last_results:
        held = last.get(result.check)
        if held is None or result.on >= held.on:
            last[result.check] = result
    soon = rules.due_soon_days.value
    if history.repeated_dosing and rules.lft_baseline.value:
        liver = _interval_item(
            Check.LIVER,
            history,
            last.get(Check.LIVER),
            rules.lft_interval_days,
            rules.lft_baseline,
            today,
            soon,
        )
    else:
        liver = _not_required(
            Check.LIVER,
            "The plan does not use recurrent dosing (the label's condition for LFTs).",
            rules.lft_baseline,
            last.get(Check.LIVER),
        )
    return (
        liver,
        _luts_item(history, last.get(Check.LUTS), rules, today, soon),
        _interval_item(
            Check.COGNITION,
            history,
            last.get(Check.COGNITION),
            rules.cognition_interval_days,
            None,
            today,
            soon,
        ),
        _interval_item(
            Check.SUBSTANCE_USE,
            history,
            last.get(Check.SUBSTANCE_USE),
            rules.substance_use_interval_days,
            None,
            today,
            soon,
        ),
    )


def flags(last_results: Sequence[LastResult], rules: SafetyRules) -> tuple[SafetyFlag, ...]:
    """Chart flags from the latest result of each check that was abnormal or positive."""
    latest: dict[Check, LastResult] = {}
    for result in last_results:
        held = latest.get(result.check)
        if held is None or result.on >= held.on:
            latest[result.check] = result
    found = []
    for check, result in latest.items():
        if not result.abnormal:
            continue
        rule: ClinicDefault[Any]
        if check is Check.LUTS:
            rule = rules.luts_each_maintenance_visit
            message = "Positive LUTS screen: consider stopping ketamine and referring to urology."
        elif check is Check.LIVER:
            rule = rules.alt_ast_marked_x_uln
            message = "Liver tests out of range: review before the next dose."
        elif check is Check.COGNITION:
            rule = rules.cognition_interval_days
            message = "Cognition review raised a concern."
        else:
            rule = rules.substance_use_interval_days
            message = "Substance-use review raised a concern (misuse/diversion risk)."
        found.append(SafetyFlag(check, result.on, message, rule.sources))
    return tuple(sorted(found, key=lambda f: f.check.value))


__all__ = [
    "LUTS_KEYS",
    "LUTS_SYMPTOMS",
    "REQUIRED_ANALYTES",
    "Analyte",
    "Check",
    "CourseHistory",
    "CoursePhase",
    "DueItem",
    "DueStatus",
    "Exposure",
    "LabFinding",
    "LabFlag",
    "LabValue",
    "LastResult",
    "LutsFinding",
    "SafetyFlag",
    "SafetyRules",
    "default_rules",
    "due_list",
    "evaluate_lab",
    "evaluate_luts",
    "exposure",
    "flags",
    "rules_for",
]
