"""The catalogue of safety rules: every clinic default the core enforces, what kind of rule it
is, its default, its sources and whether it still needs local sign-off.

The values are read from the core's own default objects, never typed here, so the published
page (`docs/safety-rules.md`, written by `ketaflow safety-rules`) cannot drift from what the code
does: a test fails when a default object holds a `ClinicDefault` this catalogue does not
describe, when the catalogue names one that no longer exists, and when the page differs from
`render_markdown()`.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ketaflow.clinical.discharge import DEFAULT_POLICY
from ketaflow.clinical.dosing.limits import DEFAULT_DOSING_LIMITS
from ketaflow.clinical.eligibility.assessment import assess_eligibility
from ketaflow.clinical.eligibility.conditions import CODE_RULES
from ketaflow.clinical.eligibility.criteria import DEFAULT_CRITERIA
from ketaflow.clinical.eligibility.facts import HistoryItem
from ketaflow.clinical.eligibility.findings import Finding
from ketaflow.clinical.eligibility.parse import facts_from_data
from ketaflow.clinical.evidence import ClinicDefault, Evidence
from ketaflow.clinical.home_diary import DEFAULT_DIARY_RULES
from ketaflow.clinical.monitoring.schedule import DEFAULT_SCHEDULE
from ketaflow.clinical.monitoring.thresholds import DEFAULT_THRESHOLDS
from ketaflow.clinical.protocols.builtin import builtin_protocols
from ketaflow.clinical.take_home import TAKE_HOME_DEFAULTS


class Kind(enum.Enum):
    """What the software does when the rule is met or broken."""

    HARD = "hard limit"  # refused on every path; no override exists
    SOFT = "soft limit"  # allowed only with a prescriber's override and a reason, recorded
    BLOCK = "blocks"  # blocks the start or discharge until the condition is met
    ALERT = "alert"  # raises an alert for staff to act on and acknowledge
    REASON = "needs a reason"  # allowed, with the reason recorded (and shown when signing)
    SETTING = "setting"  # a number other rules use (intervals, ages, windows)


@dataclass(frozen=True)
class Entry:
    label: str
    kind: Kind
    unit: str = ""


@dataclass(frozen=True)
class Rule:
    area: str
    path: str
    label: str
    kind: Kind
    unit: str
    default: ClinicDefault[Any]

    @property
    def value_text(self) -> str:
        value = self.default.value
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, frozenset | set):
            text = ", ".join(sorted(getattr(v, "value", str(v)) for v in value))
        elif isinstance(value, tuple):
            text = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = str(value)
        return f"{text} {self.unit}".strip()


# The default objects the catalogue reads, by area.
ROOTS: tuple[tuple[str, object], ...] = (
    ("Dosing", DEFAULT_DOSING_LIMITS),
    ("Monitoring during the session", DEFAULT_THRESHOLDS),
    ("Vital-sign schedule", DEFAULT_SCHEDULE),
    ("Discharge", DEFAULT_POLICY),
    ("Eligibility", DEFAULT_CRITERIA),
    ("Take-home supply", TAKE_HOME_DEFAULTS),
    ("Home dose diary", DEFAULT_DIARY_RULES),
)

_H, _S, _B, _A, _SET = Kind.HARD, Kind.SOFT, Kind.BLOCK, Kind.ALERT, Kind.SETTING

CATALOGUE: dict[str, dict[str, Entry]] = {
    "Dosing": {
        "routes[iv].hard_max_mg_per_kg": Entry("IV dose per kg, maximum", _H, "mg/kg"),
        "routes[iv].soft_max_mg_per_kg": Entry("IV dose per kg, override above", _S, "mg/kg"),
        "routes[iv].hard_max_mg": Entry("IV dose, maximum (mg cap of every order)", _H, "mg"),
        "routes[sc].hard_max_mg": Entry("SC dose, maximum (mg cap of every order)", _H, "mg"),
        "routes[im].hard_max_mg": Entry("IM dose, maximum (mg cap of every order)", _H, "mg"),
        "routes[sc].hard_max_mg_per_kg": Entry("SC dose per kg, maximum", _H, "mg/kg"),
        "routes[im].hard_max_mg_per_kg": Entry("IM dose per kg, maximum", _H, "mg/kg"),
        "routes[oral].hard_max_mg_per_kg": Entry("Oral dose per kg, maximum", _H, "mg/kg"),
        "routes[oral].soft_max_mg_per_kg": Entry("Oral dose per kg, override above", _S, "mg/kg"),
        "routes[oral].hard_max_mg": Entry("Oral dose, maximum", _H, "mg"),
        "infusion.hard_max_mg_per_kg_per_h": Entry(
            "IV rate, maximum (order, start, rate change and bolus pace)", _H, "mg/kg/h"
        ),
        "infusion.hard_min_minutes": Entry("IV infusion duration, minimum", _H, "min"),
        "infusion.soft_min_minutes": Entry("IV infusion duration, override below", _S, "min"),
        "infusion.soft_max_minutes": Entry("IV infusion duration, override above", _S, "min"),
        "infusion.max_concentration_mg_per_ml": Entry("Concentration, maximum", _H, "mg/mL"),
        "weight_basis.bmi": Entry(
            "Weight basis must be chosen, with a reason, at BMI at or above", Kind.REASON, "kg/m²"
        ),
        "weight_basis.weight_kg_without_height": Entry(
            "Weight basis must be chosen, with a reason, at a weight without height from",
            Kind.REASON,
            "kg",
        ),
        "steps.first_step_mg_per_kg": Entry(
            "SC/IM: above the first step (or the last tolerated dose), override", _S, "mg/kg"
        ),
        "esketamine.allowed_doses_mg": Entry("Esketamine doses allowed", _H, "mg"),
        "esketamine.start_dose_mg": Entry("Esketamine first-day dose", _S, "mg"),
        "esketamine.elderly_age": Entry("Esketamine older-adult start from age", _SET, "years"),
        "esketamine.elderly_start_dose_mg": Entry("Esketamine first-day dose, older", _S, "mg"),
    },
    "Monitoring during the session": {
        "predose_caution_sbp_above": Entry("Pre-dose systolic BP, caution above", _A, "mmHg"),
        "predose_caution_dbp_above": Entry("Pre-dose diastolic BP, caution above", _A, "mmHg"),
        "predose_do_not_start_sbp_above": Entry("Pre-dose systolic BP, no start above", _B, "mmHg"),
        "predose_do_not_start_dbp_above": Entry(
            "Pre-dose diastolic BP, no start above", _B, "mmHg"
        ),
        "session_sbp_at_or_above": Entry("Systolic BP in session, act at", _A, "mmHg"),
        "session_dbp_at_or_above": Entry("Diastolic BP in session, act at", _A, "mmHg"),
        "session_sbp_rise_at_or_above": Entry("Systolic rise from pre-dose, act at", _A, "mmHg"),
        "session_dbp_rise_at_or_above": Entry("Diastolic rise from pre-dose, act at", _A, "mmHg"),
        "spo2_warn_below": Entry(
            "SpO2, warning below; no discharge below it (hard, every route)", _A, "%"
        ),
        "spo2_critical_below": Entry("SpO2, critical below", _A, "%"),
        "rr_low_below": Entry(
            "Respiratory rate, low below; no discharge below it (hard, every route)", _A, "/min"
        ),
        "rr_high_above": Entry("Respiratory rate, high above", _A, "/min"),
        "hr_low_below": Entry("Heart rate, low below", _A, "/min"),
        "hr_high_above": Entry("Heart rate, high above", _A, "/min"),
        "moaas_deep_sedation_at_or_below": Entry("MOAA/S, deep sedation at or below", _A),
        "cadss_research_convention_above": Entry("CADSS, marked dissociation above", _A),
        "moaas_pairing_minutes": Entry(
            "A MOAA/S counts with vitals taken within (combined breathing signs)", _SET, "min"
        ),
        "recheck_warn_minutes": Entry("Recheck after a warning within", _SET, "min"),
        "recheck_critical_minutes": Entry("Recheck after a critical alert within", _SET, "min"),
    },
    "Vital-sign schedule": {
        "iv_during_infusion_every_min": Entry("Vitals during an IV infusion, every", _SET, "min"),
        "iv_after_infusion_every_min": Entry("Vitals after an IV infusion, every", _SET, "min"),
        "other_routes_after_dose_every_min": Entry("Vitals after the dose, every", _SET, "min"),
        "esketamine_check_after_dose_min": Entry("Esketamine check after the dose", _SET, "min"),
        "predose_window_min": Entry("Pre-dose vitals valid for", _SET, "min"),
        "checkpoint_early_min": Entry("A checkpoint may be taken early by", _SET, "min"),
        "grace_min": Entry("A checkpoint is overdue after", _SET, "min"),
    },
    "Discharge": {
        "observation_min_iv": Entry("Observation after IV, at least", _B, "min"),
        "observation_min_esketamine": Entry("Observation after esketamine, at least", _B, "min"),
        "observation_min_sc": Entry("Observation after SC, at least", _B, "min"),
        "observation_min_im": Entry("Observation after IM, at least", _B, "min"),
        "observation_min_oral": Entry("Observation after oral, at least", _B, "min"),
        "min_moaas": Entry("MOAA/S at discharge, at least (every route; cannot be lowered)", _H),
        "min_recovery_score": Entry("Aldrete or PADSS at discharge, at least", _B),
        "bp_near_baseline_mmhg": Entry("BP within this of pre-dose", _B, "mmHg"),
        "require_escort": Entry("A responsible adult escort", _B),
    },
    "Eligibility": {
        "min_failed_adequate_treatments": Entry("Failed adequate treatments, at least", _B),
        "benzodiazepine_caution_above_mg": Entry(
            "Benzodiazepine dose, caution above", _A, "mg diazepam/day"
        ),
        "bp_exclusion_above": Entry("Resting BP, not eligible above", _H),
        "bp_caution_above": Entry("Resting BP, caution above", _A),
        "minimum_age": Entry("Age, at least", _H, "years"),
        "elderly_age": Entry("Older adult from age", _SET, "years"),
        "required_clearance": Entry("Medical clearance items required", _B),
        "severe_hepatic_impairment_excludes_racemic": Entry(
            "Child-Pugh C liver disease excludes racemic ketamine", _H
        ),
        "pregnancy_test_required": Entry("Pregnancy test when pregnancy is possible", _B),
        "negative_pregnancy_test_settles_days": Entry(
            "A negative pregnancy test settles an unknown status for", _SET, "days"
        ),
        "urine_toxicology_if_substance_use": Entry("Urine toxicology when use is suspected", _B),
        "diagnoses_in_scope[generalised_anxiety_disorder].entry_above": Entry(
            "GAD entry severity (baseline score), above", _B
        ),
        "diagnoses_in_scope[social_anxiety_disorder].entry_above": Entry(
            "Social anxiety entry severity (baseline score), above", _B
        ),
    },
    "Take-home supply": {
        "supervised_doses_required": Entry(
            "Supervised doses in a row without a safety event before home doses, at least",
            _B,
            "doses",
        ),
        "pdmp_interval_days": Entry(
            "Prescription-monitoring (PDMP) check before a supply, override when older than",
            _S,
            "days",
        ),
    },
    "Home dose diary": {
        "self_check_alert_at_or_above": Entry(
            "Home self-check answer (0-3) that alerts the clinicians, at or above", _A
        ),
        "dose_tolerance_mg": Entry(
            "Home dose above the authorised dose that alerts the clinicians, by more than",
            _A,
            "mg",
        ),
    },
}


# Protocol settings that gate a patient's safety (the rest are the series' shape), by key or,
# for a phase's settings, by the part after the phase's code.
PROTOCOL_CATALOGUE: dict[str, Entry] = {
    "infusion_minutes": Entry("Infusion duration ordered by default", _SET, "min"),
    "fasting_solids_minutes": Entry("Fasting from solids before the dose, at least", _B, "min"),
    "fasting_clear_liquids_minutes": Entry(
        "Fasting from clear liquids before the dose, at least", _B, "min"
    ),
    "observation_minutes": Entry("Observation after the dose, at least", _B, "min"),
    "min_days_between_sessions": Entry("Days between a patient's sessions, at least", _H, "days"),
    "older_adult_from_age": Entry("Older-adult doses from age", _SET, "years"),
    "max_pause_minutes": Entry("A pause in the infusion longer than this", Kind.REASON, "min"),
    # Oral/sublingual titration (clinical/titration.py).
    "max_mg_per_dose": Entry("Titrated dose, maximum (ceiling per dose)", _H, "mg"),
    "max_mg_per_7_days": Entry("Titrated doses in a rolling 7 days, maximum", _H, "mg"),
    "titration_step_mg": Entry("Titration step, override above", _S, "mg"),
    "titration_min_days": Entry("Days between titration steps, override below", _S, "days"),
}


def _key(item: object) -> str:
    """How a member of a tuple of default objects is named in a path."""
    for attribute in ("route", "code", "name"):
        value = getattr(item, attribute, None)
        if value is not None:
            text = str(getattr(value, "value", value))
            return text.lower().replace(" ", "_").replace("-", "_")
    raise TypeError(f"cannot name {item!r} in a catalogue path")


def clinic_defaults(obj: object, prefix: str = "") -> Iterator[tuple[str, ClinicDefault[Any]]]:
    """Every `ClinicDefault` held by a default object, with its dotted path."""
    if not dataclasses.is_dataclass(obj):
        return
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        path = f"{prefix}{f.name}"
        if isinstance(value, ClinicDefault):
            yield path, value
        elif dataclasses.is_dataclass(value):
            yield from clinic_defaults(value, f"{path}.")
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for item in value:
                yield from clinic_defaults(item, f"{path}[{_key(item)}].")


def rules() -> tuple[Rule, ...]:
    """Every catalogued rule with the default in force in the core, in catalogue order."""
    found: list[Rule] = []
    for area, root in ROOTS:
        values = dict(clinic_defaults(root))
        for path, entry in CATALOGUE[area].items():
            if path not in values:
                raise KeyError(f"{area}: the catalogue names {path}, which no longer exists")
            found.append(Rule(area, path, entry.label, entry.kind, entry.unit, values[path]))
    for code, protocol in builtin_protocols().items():
        area = f"Built-in protocol: {protocol.name} ({code})"
        for path, setting in protocol.settings():
            phase, _, name = path.rpartition(".")
            gate = PROTOCOL_CATALOGUE.get(name)
            if gate is None:
                continue
            label = f"{gate.label} ({phase.replace('_', ' ')})" if phase else gate.label
            found.append(Rule(area, path, label, gate.kind, gate.unit, setting.default))
    return tuple(found)


def uncatalogued() -> tuple[str, ...]:
    """Clinic defaults the core holds that the catalogue does not describe (must be none)."""
    return tuple(
        f"{area}: {path}"
        for area, root in ROOTS
        for path, _ in clinic_defaults(root)
        if path not in CATALOGUE[area]
    )


# An adult who meets every entry rule of the core's IV criteria: each condition is added to it
# alone, so what the page shows for a condition is exactly what the core decides for it.
ELIGIBLE_BASELINE: dict[str, Any] = {
    "age_years": 40,
    "sex": "male",
    "pregnancy": "not_applicable",
    "planned_route": "iv",
    "diagnoses": ["F41.1"],
    "history": [],
    "medications": [],
    "blood_pressure": {"sbp": 120, "dbp": 80},
    "severity_scores": {"hama": 25},
    "failed_adequate_treatments": 2,
    "clearance_done": [c.value for c in DEFAULT_CRITERIA.required_clearance.value],
}


@dataclass(frozen=True)
class ConditionRule:
    condition: HistoryItem
    codes: tuple[str, ...]  # ICD-10 patterns that mean it, besides the history item
    findings: tuple[Finding, ...]


def condition_rules(route: str = "iv") -> tuple[ConditionRule, ...]:
    """What the core decides for each history condition alone, on the baseline patient."""
    baseline = {**ELIGIBLE_BASELINE, "planned_route": route}
    before = {f.code for f in assess_eligibility(facts_from_data(baseline)).findings}
    found = []
    for item in HistoryItem:
        facts = facts_from_data({**baseline, "history": [item.value]})
        added = tuple(f for f in assess_eligibility(facts).findings if f.code not in before)
        codes = tuple(words for _pattern, words, items in CODE_RULES if item in items)
        found.append(ConditionRule(item, codes, added))
    return tuple(found)


_EVIDENCE = {
    Evidence.VERIFIED: "verified",
    Evidence.SECONDARY: "secondary",
    Evidence.UNVERIFIED: "unverified",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown() -> str:
    """The safety-rules page: one table per area, generated from the core."""
    lines = [
        "# Safety rules",
        "",
        "Generated from the clinical core by `ketaflow safety-rules --output "
        "docs/safety-rules.md`; a test fails when this page and the code disagree. Do not edit "
        "by hand.",
        "",
        "Kinds: **hard limit**: refused on every path (page, API, monitor message, command), no "
        "override exists. **soft limit**: allowed only with a prescriber's override and a "
        "reason, recorded. **blocks**: the session does not start, or the patient is not ready "
        "for discharge, until it is met. **alert**: raises an alert that staff act on and "
        "acknowledge. **needs a reason**: allowed, with the reason recorded and shown when the "
        "session is signed. **setting**: a number the other rules use.",
        "",
        "Every value is the core's default; a clinic may set its own in a protocol version. "
        "*Needs local sign-off* means the reference could not verify the number: a clinician "
        "must confirm it before the clinic relies on it, and the screens say so.",
    ]
    area = ""
    for rule in rules():
        if rule.area != area:
            area = rule.area
            lines += [
                "",
                f"## {area}",
                "",
                "| Rule | Kind | Default | Evidence | Needs local sign-off | Sources | Note |",
                "|---|---|---|---|---|---|---|",
            ]
        default = rule.default
        lines.append(
            "| "
            + " | ".join(
                _cell(cell)
                for cell in (
                    rule.label,
                    rule.kind.value,
                    rule.value_text,
                    _EVIDENCE[default.evidence],
                    "yes" if default.needs_local_signoff else "no",
                    ", ".join(s.key for s in default.sources),
                    default.note,
                )
            )
            + " |"
        )
    lines += _condition_lines()
    return "\n".join(lines) + "\n"


def _condition_lines() -> list[str]:
    lines = [
        "",
        "## Eligibility: conditions in the history or the diagnosis codes (IV route)",
        "",
        "Each condition alone, added to a patient who meets every entry rule; a diagnosis code "
        "matching the pattern shown leads to the same finding as the history item. **exclusion**"
        ": not eligible under this protocol; **unmet requirement**: needs review; **caution**: "
        "may treat, weighing the risk.",
        "",
        "| Condition | ICD-10 codes | Finding | What the core says | Needs local sign-off "
        "| Sources |",
        "|---|---|---|---|---|---|",
    ]
    for rule in condition_rules():
        for finding in rule.findings or (None,):
            lines.append(
                "| "
                + " | ".join(
                    _cell(cell)
                    for cell in (
                        rule.condition.value.replace("_", " "),
                        ", ".join(rule.codes),
                        finding.kind.value.replace("_", " ") if finding else "none",
                        finding.message if finding else "",
                        ("yes" if finding.needs_local_signoff else "no") if finding else "",
                        ", ".join(s.key for s in finding.sources) if finding else "",
                    )
                )
                + " |"
            )
    return lines
