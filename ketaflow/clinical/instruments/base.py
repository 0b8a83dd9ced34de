"""Shared shapes of a rating instrument and of its score, and the scoring rules they share.

Three kinds of instrument, because licensing decides what Ketaflow may hold
(clinical-addendum section 8 [A25, A27, A29]):

- `ItemInstrument`: item answers are entered and summed (GAD-7, PHQ-9, PCL-5 with their
  published wording; HAM-A, LSAS, CADSS, MOAA/S, Aldrete, PADSS under short labels only);
- `TotalInstrument`: a clinician enters the total from a licensed form (Y-BOCS, PDSS);
- `RiskLevelInstrument`: a clinician enters the risk level from a licensed form (C-SSRS).

Completeness is strict: an unanswered required item is an input error, never a 0, because a
total with a silent 0 under-reports symptoms and could hide a safety item.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, Source, merge
from ketaflow.clinical.response import ResponseCriteria


class Rater(enum.Enum):
    """Who completes the instrument."""

    SELF = "self"
    CLINICIAN = "clinician"


class Licence(enum.Enum):
    """What the licence lets Ketaflow hold and show (clinical-addendum section 8).

    FREE: full published wording; may be shown to patients on electronic forms.
    SHORT_LABELS: clinician-entered item scores under short labels only, and only once the
    clinic has confirmed its licence (terms UNVERIFIED for HAM-A, LSAS, CADSS).
    TOTAL_ONLY: licensed for electronic use; Ketaflow holds no items or wording, only the
    clinician-entered total (or C-SSRS risk level) read from the clinic's licensed form.
    """

    FREE = "free"
    SHORT_LABELS = "clinician-entered-short-labels-behind-licence-confirmation"
    TOTAL_ONLY = "licensed-total-only"

    @property
    def patient_facing(self) -> bool:
        """May a patient complete this instrument on a Ketaflow electronic form?"""
        return self is Licence.FREE

    @property
    def needs_licence_confirmation(self) -> bool:
        """Must a clinic confirm its licence before the instrument is offered at all?"""
        return self is not Licence.FREE


class FlagKind(enum.Enum):
    """How the apps treat a flag."""

    SAFETY = "safety"  # the apps turn it into an alert that someone must act on
    CLINICAL = "clinical"  # worth a clinician's attention (screen positive, discharge status)
    INFORMATIONAL = "informational"  # context only (e.g. a research convention)


class FlagCode(enum.StrEnum):
    """Every flag an instrument can raise, so apps can match on a stable code."""

    GAD7_SCREEN_POSITIVE = "gad7_screen_positive"
    PHQ9_SCREEN_POSITIVE = "phq9_screen_positive"
    PHQ9_ITEM9_POSITIVE = "phq9_item9_positive"
    PCL5_PROVISIONAL_PTSD = "pcl5_provisional_ptsd"
    LSAS_SCREEN_SOCIAL_ANXIETY = "lsas_screen_social_anxiety"
    LSAS_SCREEN_GENERALIZED = "lsas_screen_generalized"
    CADSS_ABOVE_RESEARCH_CUTOFF = "cadss_above_research_cutoff"
    MOAAS_LOSS_OF_CONSCIOUSNESS = "moaas_loss_of_consciousness"
    MOAAS_SEDATION = "moaas_sedation"
    DISCHARGE_SCORE_MET = "discharge_score_met"
    DISCHARGE_SCORE_NOT_MET = "discharge_score_not_met"
    CSSRS_RISK_LOW = "cssrs_risk_low"
    CSSRS_RISK_MODERATE = "cssrs_risk_moderate"
    CSSRS_RISK_HIGH = "cssrs_risk_high"


@dataclass(frozen=True)
class Flag:
    """Something a score means beyond its band, with the sources behind the rule."""

    code: FlagCode
    kind: FlagKind
    message: str
    sources: tuple[Source, ...]
    evidence: Evidence = Evidence.VERIFIED

    @property
    def needs_local_signoff(self) -> bool:
        return self.evidence is Evidence.UNVERIFIED

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "kind": self.kind.value,
            "message": self.message,
            "evidence": self.evidence.value,
            "needs_local_signoff": self.needs_local_signoff,
            "sources": [s.key for s in self.sources],
        }


@dataclass(frozen=True)
class AnswerOption:
    """One allowed answer: its value and its label (published wording only if free)."""

    value: int
    label: str
    loinc: str | None = None


@dataclass(frozen=True)
class Item:
    """One item. `text` holds published wording and is set only for free instruments."""

    number: int  # position on the form, 1-based
    key: str  # stable key for storage and mapping input, e.g. "item_9", "fear_3"
    label: str  # short label, safe to show for every licence
    minimum: int
    maximum: int
    text: str | None = None
    loinc: str | None = None
    options: tuple[AnswerOption, ...] = ()
    scored: bool = True  # False: recorded but not in the total (e.g. PHQ-9 difficulty)
    required: bool = True

    def describe(self, instrument_name: str) -> str:
        return f"{instrument_name} item {self.number} ({self.label})"


@dataclass(frozen=True)
class Band:
    """An inclusive range of totals and its lower-case label."""

    low: int
    high: int
    label: str


@dataclass(frozen=True)
class BandSet:
    """A named set of severity bands; which set is used is recorded with every score."""

    name: str
    bands: tuple[Band, ...]
    sources: tuple[Source, ...]
    evidence: Evidence = Evidence.VERIFIED
    note: str = ""

    def __post_init__(self) -> None:
        for before, after in zip(self.bands, self.bands[1:], strict=False):
            if after.low != before.high + 1:
                raise ValueError(f"{self.name}: bands must be contiguous ({before} / {after})")

    @property
    def minimum(self) -> int:
        return self.bands[0].low

    @property
    def maximum(self) -> int:
        return self.bands[-1].high

    def label_for(self, total: int) -> str:
        for band in self.bands:
            if band.low <= total <= band.high:
                return band.label
        raise ClinicalInputError(
            f"total {total} is outside {self.name} ({self.minimum}-{self.maximum})",
            field="total",
        )

    @property
    def needs_local_signoff(self) -> bool:
        return self.evidence is Evidence.UNVERIFIED


@dataclass(frozen=True)
class Subscale:
    """A named subtotal over some item numbers (e.g. PCL-5 cluster B = items 1-5)."""

    key: str
    name: str
    items: tuple[int, ...]


@dataclass(frozen=True)
class PointChange:
    """Change thresholds in points, for scales whose change rules are not percentages."""

    reliable: ClinicDefault[int]
    meaningful: ClinicDefault[int]


@dataclass(frozen=True)
class Cutoff:
    """A clinic-configurable threshold that a flag rule reads (e.g. PCL-5 provisional PTSD)."""

    key: str
    description: str
    default: ClinicDefault[int]


@dataclass(frozen=True)
class Score:
    """The result of scoring one form: plain values the apps store and display."""

    instrument: str
    total: int | None
    severity: str | None
    flags: tuple[Flag, ...]
    sources: tuple[Source, ...]
    subscales: tuple[tuple[str, int], ...] = ()
    answers: tuple[int | None, ...] = ()
    band_set: str | None = None

    def subscale(self, key: str) -> int:
        for name, value in self.subscales:
            if name == key:
                return value
        raise KeyError(key)

    def has_flag(self, code: FlagCode) -> bool:
        return any(f.code is code for f in self.flags)

    @property
    def has_safety_flag(self) -> bool:
        return any(f.kind is FlagKind.SAFETY for f in self.flags)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: at least instrument, total, severity and flags."""
        return {
            "instrument": self.instrument,
            "total": self.total,
            "severity": self.severity,
            "severity_bands": self.band_set,
            "subscales": dict(self.subscales),
            "answers": list(self.answers),
            "flags": [f.to_dict() for f in self.flags],
            "sources": [s.key for s in self.sources],
        }


AnswerInput = Sequence[int | None] | Mapping[int | str, int | None]
FlagRule = Callable[[Mapping[int, int], int, Mapping[str, int]], tuple[Flag, ...]]


@dataclass(frozen=True, kw_only=True)
class InstrumentInfo:
    """What every instrument states: identity, rater, recall, licence, change criteria."""

    code: str
    name: str
    full_name: str
    rater: Rater
    recall_period: str
    licence: Licence
    sources: tuple[Source, ...]
    response: ResponseCriteria | None = None
    point_change: PointChange | None = None
    loinc_panel: str | None = None
    loinc_total: str | None = None
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class ItemInstrument(InstrumentInfo):
    """An instrument scored from its item answers."""

    items: tuple[Item, ...]
    bands: BandSet | None = None
    subscales: tuple[Subscale, ...] = ()
    cutoffs: tuple[Cutoff, ...] = ()
    flag_rules: tuple[FlagRule, ...] = ()
    stem: str | None = None
    answer_options: tuple[AnswerOption, ...] = ()  # shared by all scored items, if any

    def __post_init__(self) -> None:
        numbers = [i.number for i in self.items]
        if numbers != list(range(1, len(self.items) + 1)):
            raise ValueError(f"{self.code}: items must be numbered 1..n in order")
        if self.licence is not Licence.FREE and any(i.text for i in self.items):
            raise ValueError(f"{self.code}: published wording is only held for free instruments")

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.scored)

    @property
    def required_count(self) -> int:
        return sum(1 for i in self.items if i.required)

    @property
    def minimum(self) -> int:
        return sum(i.minimum for i in self.scored_items)

    @property
    def maximum(self) -> int:
        return sum(i.maximum for i in self.scored_items)

    def item(self, ref: int | str) -> Item:
        """An item by number (1-based) or key."""
        for it in self.items:
            if ref in (it.number, it.key):
                return it
        raise ClinicalInputError(
            f"{self.name} has no item {ref!r}; items are 1-{len(self.items)}", field="answers"
        )

    def cutoff(self, key: str) -> Cutoff:
        for c in self.cutoffs:
            if c.key == key:
                return c
        raise ClinicalInputError(f"{self.name} has no configurable cut-off {key!r}", field=key)

    def _ordered(self, answers: AnswerInput) -> list[int | None]:
        if isinstance(answers, Mapping):
            ordered: list[int | None] = [None] * len(self.items)
            seen: set[int] = set()
            for ref, value in answers.items():
                it = self.item(ref)
                if it.number in seen:
                    raise ClinicalInputError(
                        f"{it.describe(self.name)} is answered twice", field=it.key
                    )
                seen.add(it.number)
                ordered[it.number - 1] = value
            return ordered
        values = list(answers)
        if not self.required_count <= len(values) <= len(self.items):
            optional = len(self.items) - self.required_count
            span = str(self.required_count) + (
                f" (or {len(self.items)} with the optional last item)" if optional else ""
            )
            if len(values) < self.required_count:
                missing = self.items[len(values)]
                raise ClinicalInputError(
                    f"{self.name} needs {span} answers, got {len(values)}: "
                    f"{missing.describe(self.name)} and later items are missing",
                    field=missing.key,
                )
            raise ClinicalInputError(
                f"{self.name} needs {span} answers, got {len(values)}", field="answers"
            )
        return values + [None] * (len(self.items) - len(values))

    def validate(self, answers: AnswerInput) -> tuple[int | None, ...]:
        """Answers in item order, or a ClinicalInputError naming the first bad item."""
        ordered = self._ordered(answers)
        for it, value in zip(self.items, ordered, strict=True):
            allowed = f"allowed {it.minimum}-{it.maximum}"
            if value is None:
                if it.required:
                    raise ClinicalInputError(
                        f"{it.describe(self.name)} is unanswered; every item needs an answer "
                        f"({allowed}); a missing answer is never scored as 0",
                        field=it.key,
                    )
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise ClinicalInputError(
                    f"{it.describe(self.name)}: {value!r} is not a whole number ({allowed})",
                    field=it.key,
                )
            if not it.minimum <= value <= it.maximum:
                raise ClinicalInputError(
                    f"{it.describe(self.name)}: {value} is out of range ({allowed})",
                    field=it.key,
                )
        return tuple(ordered)

    def _cutoff_values(self, overrides: Mapping[str, int] | None) -> dict[str, int]:
        values = {c.key: c.default.value for c in self.cutoffs}
        for key, value in (overrides or {}).items():
            self.cutoff(key)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ClinicalInputError(f"cut-off {key} must be a whole number", field=key)
            values[key] = value
        return values

    def score(self, answers: AnswerInput, *, cutoffs: Mapping[str, int] | None = None) -> Score:
        """Validate and score one completed form.

        `answers`: a sequence in item order, or a mapping from item number or key to answer.
        `cutoffs`: clinic overrides of this instrument's configurable cut-offs.
        """
        ordered = self.validate(answers)
        by_number = {
            it.number: v for it, v in zip(self.items, ordered, strict=True) if v is not None
        }
        scored = {it.number: by_number[it.number] for it in self.scored_items}
        total = sum(scored.values())
        limits = self._cutoff_values(cutoffs)
        flags = tuple(f for rule in self.flag_rules for f in rule(scored, total, limits))
        subscales = tuple((s.key, sum(scored[n] for n in s.items)) for s in self.subscales)
        band_sources = self.bands.sources if self.bands else ()
        return Score(
            instrument=self.code,
            total=total,
            severity=self.bands.label_for(total) if self.bands else None,
            flags=flags,
            sources=merge([self.sources, band_sources, *(f.sources for f in flags)]),
            subscales=subscales,
            answers=ordered,
            band_set=self.bands.name if self.bands else None,
        )


@dataclass(frozen=True, kw_only=True)
class TotalInstrument(InstrumentInfo):
    """A licensed instrument whose total a clinician enters; no items are held."""

    minimum: int
    maximum: int
    bands: BandSet
    agoraphobia_bands: BandSet | None = None  # PDSS: different bands with agoraphobia

    @property
    def has_agoraphobia_variant(self) -> bool:
        return self.agoraphobia_bands is not None

    def score_total(self, total: int, *, agoraphobia: bool | None = None) -> Score:
        if isinstance(total, bool) or not isinstance(total, int):
            raise ClinicalInputError(
                f"{self.name} total must be a whole number ({self.minimum}-{self.maximum})",
                field="total",
            )
        if not self.minimum <= total <= self.maximum:
            raise ClinicalInputError(
                f"{self.name} total {total} is out of range "
                f"(allowed {self.minimum}-{self.maximum})",
                field="total",
            )
        bands = self.bands
        if self.agoraphobia_bands is not None:
            if agoraphobia is None:
                raise ClinicalInputError(
                    f"{self.name} severity bands differ with and without agoraphobia: "
                    "say whether the patient has agoraphobia (yes/no)",
                    field="agoraphobia",
                )
            if agoraphobia:
                bands = self.agoraphobia_bands
        elif agoraphobia is not None:
            raise ClinicalInputError(
                f"{self.name} has no agoraphobia variant; leave agoraphobia unset",
                field="agoraphobia",
            )
        return Score(
            instrument=self.code,
            total=total,
            severity=bands.label_for(total),
            flags=(),
            sources=merge([self.sources, bands.sources]),
            band_set=bands.name,
        )


@dataclass(frozen=True)
class RiskLevel:
    """One risk level of a risk-level instrument, and the flag it raises (if any)."""

    code: str
    description: str
    flag: Flag | None = None


@dataclass(frozen=True, kw_only=True)
class RiskLevelInstrument(InstrumentInfo):
    """A licensed screener whose risk level a clinician enters (C-SSRS)."""

    levels: tuple[RiskLevel, ...] = field(default=())

    def level(self, code: str) -> RiskLevel:
        wanted = code.strip().lower()
        for lvl in self.levels:
            if lvl.code == wanted:
                return lvl
        allowed = ", ".join(lvl.code for lvl in self.levels)
        raise ClinicalInputError(
            f"{self.name} risk level {code!r} is not one of: {allowed}", field="risk"
        )

    def score_risk(self, code: str) -> Score:
        lvl = self.level(code)
        flags = (lvl.flag,) if lvl.flag else ()
        return Score(
            instrument=self.code,
            total=None,
            severity=lvl.code,
            flags=flags,
            sources=merge([self.sources, *(f.sources for f in flags)]),
        )


AnyInstrument = ItemInstrument | TotalInstrument | RiskLevelInstrument


def frequency_items(
    texts: Sequence[str],
    labels: Sequence[str],
    loincs: Sequence[str | None],
    maximum: int,
    options: tuple[AnswerOption, ...] = (),
) -> tuple[Item, ...]:
    """Items numbered 1..n with published wording that share a 0..maximum answer scale."""
    return tuple(
        Item(
            number=n,
            key=f"item_{n}",
            label=label,
            minimum=0,
            maximum=maximum,
            text=text,
            loinc=loinc,
            options=options,
        )
        for n, (text, label, loinc) in enumerate(zip(texts, labels, loincs, strict=True), start=1)
    )


def numbered_items(
    count: int, maximum: int, labels: Sequence[str] | None = None, *, minimum: int = 0
) -> tuple[Item, ...]:
    """Short-label items numbered 1..count, each minimum..maximum."""
    names = list(labels) if labels is not None else [f"item {n}" for n in range(1, count + 1)]
    if len(names) != count:
        raise ValueError("one label per item")
    return tuple(
        Item(number=n, key=f"item_{n}", label=names[n - 1], minimum=minimum, maximum=maximum)
        for n in range(1, count + 1)
    )


def at_or_above(
    code: FlagCode,
    kind: FlagKind,
    cutoff_key: str,
    message: str,
    sources: tuple[Source, ...],
    evidence: Evidence = Evidence.VERIFIED,
) -> FlagRule:
    """A rule raising `code` when the total is at or above the named cut-off."""

    def rule(
        _answers: Mapping[int, int], total: int, cutoffs: Mapping[str, int]
    ) -> tuple[Flag, ...]:
        limit = cutoffs[cutoff_key]
        if total >= limit:
            text = message.format(total=total, cutoff=limit)
            return (Flag(code, kind, text, sources, evidence),)
        return ()

    return rule


__all__ = [
    "AnswerInput",
    "AnswerOption",
    "AnyInstrument",
    "Band",
    "BandSet",
    "Cutoff",
    "Flag",
    "FlagCode",
    "FlagKind",
    "FlagRule",
    "InstrumentInfo",
    "Item",
    "ItemInstrument",
    "Licence",
    "PointChange",
    "Rater",
    "RiskLevel",
    "RiskLevelInstrument",
    "Score",
    "Subscale",
    "TotalInstrument",
    "at_or_above",
    "frequency_items",
    "numbered_items",
]
