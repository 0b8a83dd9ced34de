"""The pre-session checklist that gates the start of dosing.

Each item is OK, CAUTION (the prescriber should know; it does not stop the start), BLOCKING
(the dose must not start) or MISSING (not yet answered: the start waits for the answer, since
an unchecked safety item is not a passed one). `can_start` is true only when no item blocks
or is missing. Every item carries the sources it rests on.

Items:
- fasting: hours since food and since clear drinks vs the protocol's settings (clinic policy;
  ASA 6 h solids / 2 h clear liquids default, esketamine label 2 h / 30 min; addendum 7);
- escort: a named responsible adult with a phone number (UK ketamine SmPC S4, PADSS S41);
- pregnancy: for a patient who can become pregnant, a negative test today (S4 pregnancy is a
  contraindication in the ketamine labels; the clinic's eligibility rules say the same);
- medications: changes since the last visit asked; sedatives taken today (benzodiazepines,
  non-benzodiazepine hypnotics, opioids) → caution to the prescriber, psychostimulants and
  MAOIs → caution (REMS monitoring form asks each, S3; BP interaction S1);
- weight: today's weight recorded; a change of more than 10% from the last weight → caution
  (the dose is mg/kg: re-check the order; a clinic convention);
- baseline vitals with the monitoring core's pre-dose rules: > 180/100 blocks, > 140/90 caution
  (S4, S1);
- pre-session questionnaire done; consent current; eligibility signed and not stale (the apps
  pass these in as booleans with their reasons);
- suicide risk assessed: an open risk alert (PHQ-9 item 9 above 0, C-SSRS moderate or high)
  blocks until a prescriber records a structured assessment (today's C-SSRS or a clinician
  risk level, the plan, proceed or defer); "defer" keeps this session blocked. The alert's
  own message says "assess before the next treatment" (S40; the workflow is practice
  convention, see `gad7_phq9`); the antidepressant suicidality warning of the esketamine
  label (S1) is why a dosing clinic gates on it;
- the day of treatment: alcohol today, recreational drugs today, signs of intoxication. Not
  asked blocks (MISSING); any "yes" blocks until a prescriber decides, with a reason, to
  proceed (a caution stays on the record) or to defer. Alcohol and other CNS depressants add
  sedation and respiratory depression (S1, S4, S49); the ketamine label warns about use in
  people who misuse drugs or alcohol (S4); NHS Oxford excludes people who cannot abstain
  from alcohol for 24 h or who use recreational drugs (S37). A decision covers the answers
  it was made on: a new "yes" after it needs a new decision.

Pure: no clock (`now` is a parameter), no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Source, cite, merge
from ketaflow.clinical.monitoring import (
    DEFAULT_THRESHOLDS,
    Action,
    MonitoringThresholds,
    Phase,
    VitalSigns,
    assess_reading,
)

#: A weight change above this share of the last weight asks for the order to be re-checked.
WEIGHT_CHANGE_CAUTION_PCT: Final = 10.0

#: The risk levels a prescriber's assessment records (the C-SSRS screener's, or the clinician's).
RISK_LEVELS: Final = ("none", "low", "moderate", "high")

#: Medication classes taken today that the REMS form asks about (S3): each is a caution.
SEDATING_CLASSES: Final = {
    "benzodiazepine": "a benzodiazepine",
    "z_drug": "a non-benzodiazepine sleeping tablet",
    "opioid": "an opioid",
}
PRESSOR_CLASSES: Final = {
    "psychostimulant": "a psychostimulant",
    "maoi": "an MAOI",
}


class Decision(enum.Enum):
    """A prescriber's decision on a blocking answer: dose today, or not."""

    PROCEED = "proceed"
    DEFER = "defer"


#: The day-of-treatment questions, in the order the form asks them.
SUBSTANCE_QUESTIONS: Final = {
    "alcohol": "alcohol today",
    "drugs": "recreational drugs today",
    "intoxication": "signs of intoxication",
}


@dataclass(frozen=True)
class RiskAssessment:
    """A prescriber's suicide risk assessment recorded for this session."""

    decision: Decision
    risk_level: str  # none | low | moderate | high (the C-SSRS screen's level or the clinician's)
    plan: str
    by: str = ""


@dataclass(frozen=True)
class SubstanceDecision:
    """A prescriber's decision on the day-of-treatment answers that were "yes"."""

    decision: Decision
    reason: str
    answers: frozenset[str]  # the SUBSTANCE_QUESTIONS keys answered "yes" when decided
    by: str = ""


class Status(enum.Enum):
    OK = "ok"
    CAUTION = "caution"
    BLOCKING = "blocking"
    MISSING = "missing"

    @property
    def label(self) -> str:
        return {
            Status.OK: "OK",
            Status.CAUTION: "Caution",
            Status.BLOCKING: "Blocks the start",
            Status.MISSING: "Not yet answered",
        }[self]


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    status: Status
    message: str
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class ChecklistInputs:
    """What the chart and the nurse's answers say at `now` (None = not answered)."""

    now: datetime
    fasting_solids_minutes: int
    fasting_clear_liquids_minutes: int
    last_food_at: datetime | None = None
    last_clear_liquid_at: datetime | None = None
    escort_name: str = ""
    escort_phone: str = ""
    can_become_pregnant: bool = False
    pregnancy_test_on: date | None = None  # the latest test's date
    pregnancy_test_positive: bool | None = None
    today: date | None = None  # the clinic's date of `now`
    medication_changes_reviewed: bool | None = None  # changes since the last visit asked
    medication_changes: str = ""
    taken_today: frozenset[str] = frozenset()  # classes taken today (SEDATING/PRESSOR keys)
    weight_today_kg: float | None = None
    previous_weight_kg: float | None = None
    baseline: VitalSigns | None = None
    thresholds: MonitoringThresholds = DEFAULT_THRESHOLDS
    pre_session_questionnaire_done: bool = False
    consent_ok: bool = False
    consent_reasons: Sequence[str] = ()
    eligibility_ok: bool = False
    eligibility_reasons: Sequence[str] = ()
    risk_alerts: Sequence[str] = ()  # messages of risk alerts awaiting an assessment
    risk_assessment: RiskAssessment | None = None  # the latest one for this session
    alcohol_today: bool | None = None
    drugs_today: bool | None = None
    intoxication_signs: bool | None = None
    substance_decision: SubstanceDecision | None = None  # the latest one for this session

    def __post_init__(self) -> None:
        if self.now.utcoffset() is None:
            raise ClinicalInputError("give the time with its time zone", field="now")
        for name in ("last_food_at", "last_clear_liquid_at"):
            value = getattr(self, name)
            if value is None:
                continue
            if value.utcoffset() is None:
                raise ClinicalInputError("give the time with its time zone", field=name)
            if value > self.now:
                raise ClinicalInputError("this is later than now", field=name)
        for name in ("fasting_solids_minutes", "fasting_clear_liquids_minutes"):
            if getattr(self, name) < 0:
                raise ClinicalInputError("must be 0 or more minutes", field=name)
        for name in ("weight_today_kg", "previous_weight_kg"):
            value = getattr(self, name)
            if value is not None and not 20 <= value <= 350:
                raise ClinicalInputError("must be between 20 and 350 kg", field=name)
        unknown = self.taken_today - set(SEDATING_CLASSES) - set(PRESSOR_CLASSES)
        if unknown:
            raise ClinicalInputError(
                f"unknown medication class: {', '.join(sorted(unknown))}", field="taken_today"
            )
        if self.risk_assessment is not None:
            if self.risk_assessment.risk_level not in RISK_LEVELS:
                raise ClinicalInputError(
                    f"risk level must be one of: {', '.join(RISK_LEVELS)}", field="risk_level"
                )
            if not self.risk_assessment.plan.strip():
                raise ClinicalInputError("give the plan", field="plan")
        if self.substance_decision is not None:
            if not self.substance_decision.reason.strip():
                raise ClinicalInputError("give the reason", field="reason")
            if self.substance_decision.answers - set(SUBSTANCE_QUESTIONS):
                raise ClinicalInputError("unknown day-of-treatment question", field="answers")

    @property
    def substances_yes(self) -> frozenset[str]:
        """The day-of-treatment questions answered "yes"."""
        answers = {
            "alcohol": self.alcohol_today,
            "drugs": self.drugs_today,
            "intoxication": self.intoxication_signs,
        }
        return frozenset(k for k, v in answers.items() if v)


@dataclass(frozen=True)
class Checklist:
    items: tuple[Item, ...]

    @property
    def can_start(self) -> bool:
        return not any(i.status in (Status.BLOCKING, Status.MISSING) for i in self.items)

    @property
    def blocking(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.status in (Status.BLOCKING, Status.MISSING))

    @property
    def cautions(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.status is Status.CAUTION)

    @property
    def sources(self) -> tuple[Source, ...]:
        return merge([i.sources for i in self.items])

    def item(self, code: str) -> Item:
        return next(i for i in self.items if i.code == code)


def _hm(minutes: float) -> str:
    minutes = max(0.0, minutes)
    h, m = divmod(round(minutes), 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def _fasting(i: ChecklistInputs) -> Item:
    src = cite("A22", "A21", "A23")
    label = "Fasting"
    if i.last_food_at is None or i.last_clear_liquid_at is None:
        return Item(
            "fasting",
            label,
            Status.MISSING,
            "Ask when the patient last ate and last drank a clear liquid.",
            src,
        )
    problems = []
    for what, since, need in (
        ("food", i.last_food_at, i.fasting_solids_minutes),
        ("clear liquids", i.last_clear_liquid_at, i.fasting_clear_liquids_minutes),
    ):
        gap = (i.now - since).total_seconds() / 60
        if gap < need:
            problems.append(
                f"{what} {_hm(gap)} ago, the protocol asks for {_hm(need)} "
                f"({_hm(need - gap)} to go)"
            )
    if problems:
        return Item(
            "fasting", label, Status.BLOCKING, "Not fasted long enough: " + "; ".join(problems), src
        )
    return Item(
        "fasting",
        label,
        Status.OK,
        f"Food {_hm((i.now - i.last_food_at).total_seconds() / 60)} ago, clear liquids "
        f"{_hm((i.now - i.last_clear_liquid_at).total_seconds() / 60)} ago.",
        src,
    )


def escort_recorded(name: str, phone: str) -> bool:
    """An escort counts as recorded with both a name and a phone number (the checklist's rule,
    which the discharge form also asks to carry the escort over as its first answer)."""
    return bool(name.strip() and phone.strip())


def _escort(i: ChecklistInputs) -> Item:
    src = cite("S4", "S41", "S1")
    name, phone = i.escort_name.strip(), i.escort_phone.strip()
    if not escort_recorded(name, phone):
        missing = " and ".join(w for w, v in (("name", name), ("phone number", phone)) if not v)
        return Item(
            "escort",
            "Escort home",
            Status.MISSING,
            f"Record the escort's {missing}: the patient must go home with a responsible adult.",
            src,
        )
    return Item("escort", "Escort home", Status.OK, f"{name}, {phone}.", src)


def _pregnancy(i: ChecklistInputs) -> Item:
    src = cite("S4", "S1")
    label = "Pregnancy test"
    if not i.can_become_pregnant:
        return Item("pregnancy", label, Status.OK, "Not applicable.", ())
    if i.pregnancy_test_on is None or i.today is None or i.pregnancy_test_on != i.today:
        return Item(
            "pregnancy", label, Status.MISSING, "Record today's pregnancy test result.", src
        )
    if i.pregnancy_test_positive is None:
        return Item("pregnancy", label, Status.MISSING, "Record the test's result.", src)
    if i.pregnancy_test_positive:
        return Item(
            "pregnancy",
            label,
            Status.BLOCKING,
            "Today's pregnancy test is positive: do not give ketamine; tell the prescriber.",
            src,
        )
    return Item("pregnancy", label, Status.OK, "Negative today.", src)


def _medications(i: ChecklistInputs) -> Item:
    src = cite("S3", "S1", "S4", "S49")
    label = "Medications since the last visit"
    if not i.medication_changes_reviewed:
        return Item(
            "medications",
            label,
            Status.MISSING,
            "Ask about medication changes since the last visit and what was taken today.",
            src,
        )
    notes = []
    sedating = sorted(SEDATING_CLASSES[c] for c in i.taken_today if c in SEDATING_CLASSES)
    pressor = sorted(PRESSOR_CLASSES[c] for c in i.taken_today if c in PRESSOR_CLASSES)
    if sedating:
        notes.append(
            f"took {', '.join(sedating)} today: added sedation and respiratory depression; "
            "tell the prescriber"
        )
    if pressor:
        notes.append(
            f"took {', '.join(pressor)} today: may raise blood pressure further; tell the "
            "prescriber"
        )
    changes = i.medication_changes.strip()
    if changes:
        notes.append(f"changes: {changes}")
    if sedating or pressor:
        return Item("medications", label, Status.CAUTION, "Caution: " + "; ".join(notes) + ".", src)
    return Item(
        "medications",
        label,
        Status.OK,
        ("; ".join(notes).capitalize() + ".") if notes else "No changes, nothing relevant today.",
        src,
    )


def _weight(i: ChecklistInputs) -> Item:
    label = "Today's weight"
    if i.weight_today_kg is None:
        return Item(
            "weight", label, Status.MISSING, "Weigh the patient: the dose is per kg.", cite("S24")
        )
    if i.previous_weight_kg:
        change = (i.weight_today_kg - i.previous_weight_kg) / i.previous_weight_kg * 100
        if abs(change) > WEIGHT_CHANGE_CAUTION_PCT:
            return Item(
                "weight",
                label,
                Status.CAUTION,
                f"{i.weight_today_kg:g} kg is {change:+.0f}% from the last weight "
                f"({i.previous_weight_kg:g} kg): check the weight and re-check the order.",
                cite("S24"),
            )
    return Item("weight", label, Status.OK, f"{i.weight_today_kg:g} kg.", cite("S24"))


def _vitals(i: ChecklistInputs) -> Item:
    label = "Baseline vitals"
    if i.baseline is None or not i.baseline.has_bp:
        return Item(
            "baseline_vitals",
            label,
            Status.MISSING,
            "Take baseline vitals (blood pressure at least) before the dose.",
            cite("S1", "S4"),
        )
    alerts = assess_reading(i.baseline, phase=Phase.PRE_DOSE, thresholds=i.thresholds)
    bp = f"{i.baseline.sbp:g}/{i.baseline.dbp:g}"
    if any(Action.DO_NOT_START in a.actions for a in alerts):
        msgs = [a.message for a in alerts if Action.DO_NOT_START in a.actions]
        return Item(
            "baseline_vitals",
            label,
            Status.BLOCKING,
            " ".join(msgs),
            merge([a.sources for a in alerts]),
        )
    if alerts:
        return Item(
            "baseline_vitals",
            label,
            Status.CAUTION,
            " ".join(a.message for a in alerts),
            merge([a.sources for a in alerts]),
        )
    return Item("baseline_vitals", label, Status.OK, f"BP {bp}.", cite("S1", "S4"))


def _gate(code: str, label: str, ok: bool, reasons: Sequence[str], src: tuple[Source, ...]) -> Item:
    if ok:
        return Item(code, label, Status.OK, "In order.", src)
    return Item(code, label, Status.BLOCKING, " ".join(reasons) or "Not in order.", src)


def _suicide_risk(i: ChecklistInputs) -> Item:
    src = cite("S40", "S1")
    label = "Suicide risk assessed"
    a = i.risk_assessment
    by = f" by {a.by}" if a is not None and a.by else ""
    if a is not None and a.decision is Decision.DEFER:
        return Item(
            "suicide_risk",
            label,
            Status.BLOCKING,
            f"Deferred{by} after a suicide risk assessment (risk {a.risk_level}): do not dose "
            f"in this session. Plan: {a.plan.strip()}",
            src,
        )
    if i.risk_alerts:
        alerts = " ".join(m.strip() for m in i.risk_alerts if m.strip())
        return Item(
            "suicide_risk",
            label,
            Status.BLOCKING,
            f"Open risk alert: {alerts} A prescriber must record a suicide risk assessment "
            "(today's C-SSRS or a clinician risk level, the plan, proceed or defer) before "
            "dosing.",
            src,
        )
    if a is not None:
        return Item(
            "suicide_risk",
            label,
            Status.OK,
            f"Assessed{by}: risk {a.risk_level}, proceed. Plan: {a.plan.strip()}",
            src,
        )
    return Item("suicide_risk", label, Status.OK, "No open risk alert.", src)


def _substances(i: ChecklistInputs) -> Item:
    src = cite("S4", "S1", "S49", "S37")
    label = "Alcohol, drugs, intoxication today"
    asked = (i.alcohol_today, i.drugs_today, i.intoxication_signs)
    if any(a is None for a in asked):
        return Item(
            "substances",
            label,
            Status.MISSING,
            "Ask about alcohol and recreational drugs today, and look for signs of intoxication.",
            src,
        )
    yes = i.substances_yes
    if not yes:
        return Item("substances", label, Status.OK, "None today.", src)
    said = ", ".join(SUBSTANCE_QUESTIONS[k] for k in SUBSTANCE_QUESTIONS if k in yes)
    d = i.substance_decision
    if d is None or not yes <= d.answers:
        return Item(
            "substances",
            label,
            Status.BLOCKING,
            f"Yes: {said}. Added sedation and respiratory depression: a prescriber must "
            "decide, with a reason, whether to proceed or defer.",
            src,
        )
    by = f" by {d.by}" if d.by else ""
    if d.decision is Decision.DEFER:
        return Item(
            "substances",
            label,
            Status.BLOCKING,
            f"Yes: {said}. Deferred{by}: {d.reason.strip()}",
            src,
        )
    return Item(
        "substances",
        label,
        Status.CAUTION,
        f"Yes: {said}. Proceed decided{by}: {d.reason.strip()}",
        src,
    )


def evaluate(i: ChecklistInputs) -> Checklist:
    """Every item of the checklist, in the order the nurse works through it."""
    items = [
        _gate("eligibility", "Eligibility", i.eligibility_ok, i.eligibility_reasons, ()),
        _gate("consent", "Consent", i.consent_ok, i.consent_reasons, ()),
        _suicide_risk(i),
        _substances(i),
        _fasting(i),
        _escort(i),
        _pregnancy(i),
        _medications(i),
        _weight(i),
        _vitals(i),
        Item(
            "questionnaire",
            "Pre-session questionnaire",
            Status.OK if i.pre_session_questionnaire_done else Status.MISSING,
            "Done today."
            if i.pre_session_questionnaire_done
            else "Have the patient complete today's pre-session questionnaire.",
            (),
        ),
    ]
    return Checklist(tuple(items))


__all__ = [
    "PRESSOR_CLASSES",
    "RISK_LEVELS",
    "SEDATING_CLASSES",
    "SUBSTANCE_QUESTIONS",
    "WEIGHT_CHANGE_CAUTION_PCT",
    "Checklist",
    "ChecklistInputs",
    "Decision",
    "Item",
    "RiskAssessment",
    "Status",
    "SubstanceDecision",
    "escort_recorded",
    "evaluate",
]
