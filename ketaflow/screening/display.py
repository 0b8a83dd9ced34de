"""Reviews as the pages and API show them: findings grouped by kind, with the facts they came
from in words and their sources resolved to links; and the protocol's needs as table rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import dateformat, timezone

from ketaflow.clinical.eligibility import ClearanceItem, Need, NeedKind, NeedState
from ketaflow.clinical.evidence import Source, UnknownSource, source
from ketaflow.clinical.instruments import INSTRUMENTS
from ketaflow.clinical.routes import Route
from ketaflow.clinical.safety_rules import CATALOGUE
from ketaflow.screening.derive import describe_fact
from ketaflow.screening.models import EligibilityReview, ObservationKind

KIND_TITLES = (
    ("exclusion", "Exclusions", "red"),
    ("caution", "Cautions", "amber"),
    ("unmet_requirement", "Unmet requirements", "blue"),
)
OUTCOME_LABELS = {
    "not_eligible": "Not eligible",
    "needs_review": "Needs review (requirements not yet met)",
    "eligible_with_cautions": "Eligible with cautions",
    "eligible": "Eligible",
}


@dataclass(frozen=True)
class ShownFinding:
    code: str
    message: str
    facts: list[str]
    sources: list[Source]
    unknown_sources: list[str]
    needs_local_signoff: bool


@dataclass(frozen=True)
class FindingGroup:
    kind: str
    title: str
    colour: str
    findings: list[ShownFinding]


def sources_of(keys: list[str]) -> tuple[list[Source], list[str]]:
    found, unknown = [], []
    for key in keys:
        try:
            found.append(source(key))
        except UnknownSource:
            unknown.append(key)
    return found, unknown


def finding_groups(review: EligibilityReview) -> list[FindingGroup]:
    groups = []
    for kind, title, colour in KIND_TITLES:
        shown = []
        for f in review.findings_of(kind):
            found, unknown = sources_of(list(f.get("sources", [])))
            shown.append(
                ShownFinding(
                    code=f["code"],
                    message=f["message"],
                    facts=[describe_fact(name, review.facts) for name in f.get("facts", [])],
                    sources=found,
                    unknown_sources=unknown,
                    needs_local_signoff=bool(f.get("needs_local_signoff")),
                )
            )
        groups.append(FindingGroup(kind, title, colour, shown))
    return groups


FACT_ORDER = (
    "age_years",
    "pregnancy",
    "planned_route",
    "diagnoses",
    "history",
    "medications",
    "blood_pressure",
    "severity_scores",
    "prior_treatments",
    "clearance_done",
)


def fact_lines(facts: dict[str, Any]) -> list[str]:
    return [describe_fact(name, facts) for name in FACT_ORDER if name in facts]


def outcome_label(code: str) -> str:
    return OUTCOME_LABELS.get(code, code)


# ---------------------------------------------------------------- what the protocol needs

NEED_STATES = {
    NeedState.RECORDED: ("recorded", "green"),
    NeedState.MISSING: ("missing", "red"),
    NeedState.NOT_MET: ("not met", "amber"),
    NeedState.NOT_APPLICABLE: ("does not apply", "grey"),
    NeedState.UNKNOWN: ("not known yet", "grey"),
}
NEED_GROUPS = {
    NeedKind.DIAGNOSIS: "Diagnosis and entry score",
    NeedKind.ENTRY_SCORE: "Diagnosis and entry score",
    NeedKind.PRIOR_TREATMENTS: "Failed adequate trials",
    NeedKind.CLEARANCE: "Medical clearance",
    NeedKind.BLOOD_PRESSURE: "Resting blood pressure",
}
# Clearance items recorded outside the screening form (the safety panel).
OTHER_CLEARANCE = {
    ClearanceItem.LUTS_SCREEN: ("Baseline urinary symptom (LUTS) screen", "safety:patient"),
    ClearanceItem.SUBSTANCE_USE_REVIEW: ("Substance-use review", "safety:patient"),
}
PREGNANCY_WORDS = {
    "pregnant": "pregnant",
    "breastfeeding": "breast-feeding",
    "not_pregnant": "not pregnant",
    "unknown": "not known",
    "not_applicable": "does not apply (cannot become pregnant)",
}


@dataclass(frozen=True)
class ShownNeed:
    group: str
    what: str
    rule: str
    state: str
    colour: str
    status: str
    link: str
    link_text: str
    needs_local_signoff: bool


def _need_link(need: Need, patient_pk: int) -> tuple[str, str]:
    chart = reverse("patients:chart", args=[patient_pk])
    observation = reverse("screening:record_observation", args=[patient_pk])
    if need.kind is NeedKind.DIAGNOSIS:
        return f"{chart}#section-diagnoses", "Diagnoses"
    if need.kind is NeedKind.PRIOR_TREATMENTS:
        return f"{chart}#section-prior-treatments", "Prior treatments"
    if need.kind is NeedKind.BLOOD_PRESSURE:
        return f"{observation}?kind={ObservationKind.RESTING_BP.value}", "Record"
    if need.kind is NeedKind.ENTRY_SCORE and need.scope is not None:
        return reverse("screening:record_scale", args=[patient_pk, need.scope.instrument]), "Record"
    if need.item is not None and need.item.value in ObservationKind.values:
        return f"{observation}?kind={need.item.value}", "Record"
    if need.item in OTHER_CLEARANCE:
        return reverse(OTHER_CLEARANCE[need.item][1], args=[patient_pk]), "Safety"
    return "", ""


def _need_what(need: Need) -> str:
    if need.item is not None:
        if need.item.value in ObservationKind.values:
            return str(ObservationKind(need.item.value).label)
        if need.item in OTHER_CLEARANCE:
            return OTHER_CLEARANCE[need.item][0]
    return need.what[:1].upper() + need.what[1:]


def need_rows(needs: tuple[Need, ...], patient_pk: int) -> list[ShownNeed]:
    """The core's needs as table rows: plain words, a state tag and where to record it."""
    rows = []
    for need in needs:
        state, colour = NEED_STATES[need.state]
        link, link_text = _need_link(need, patient_pk)
        rows.append(
            ShownNeed(
                group=NEED_GROUPS[need.kind],
                what=_need_what(need),
                rule=need.rule,
                state=state,
                colour=colour,
                status=need.status,
                link=link,
                link_text=link_text,
                needs_local_signoff=need.needs_local_signoff,
            )
        )
    return rows


def _day(iso: object) -> str:
    try:
        when = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    if isinstance(when, datetime) and timezone.is_aware(when):
        when = timezone.localtime(when)
    return dateformat.format(when, "j M Y")


def pregnancy_line(status: str, source: dict[str, object]) -> str:
    """The pregnancy status eligibility reads, and what settled it, in words."""
    if not status:
        return ""
    shown = PREGNANCY_WORDS.get(status, status.replace("_", " "))
    if "positive_test_at" in source:
        return f"{shown}: positive pregnancy test on {_day(source['positive_test_at'])}"
    if "negative_test_at" in source:
        return (
            f"{shown}: settled by the negative pregnancy test on "
            f"{_day(source['negative_test_at'])}; nothing more to ask"
        )
    if "negative_test_on" in source:
        return (
            f"{shown}: settled by the negative test recorded for {_day(source['negative_test_on'])}"
        )
    if "observed_on" in source:
        return f"{shown}: as recorded in the chart for {_day(source['observed_on'])}"
    if status == "unknown":
        return f"{shown}: record a pregnancy test, or the status in the chart"
    return shown


# ---------------------------------------------------------------- the criteria a review used

#: Snapshot keys that are not clinic settings (those take their words from the catalogue).
CRITERIA_WORDS = {
    "version": "Criteria version",
    "planned_route": "Planned route",
    "diagnoses_in_scope": "Diagnoses in scope (entry score above)",
    "failure_outcomes": "A trial counts as failed when its outcome was",
}


def _value_words(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "planned_route":
        try:
            return Route(value).label
        except ValueError:
            return str(value)
    if key == "diagnoses_in_scope":
        return "; ".join(
            f"{d['name']} ({', '.join(d['icd10_prefixes'])}; "
            f"{_instrument_name(d['instrument'])} above {d['entry_above']:g})"
            for d in value
        )
    if key == "required_clearance":
        labels = dict(ObservationKind.choices) | {
            item.value: label for item, (label, _url) in OTHER_CLEARANCE.items()
        }
        return "; ".join(labels.get(v, v.replace("_", " ")) for v in value)
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    return str(value)


def _instrument_name(code: str) -> str:
    found = INSTRUMENTS.get(code)
    return found.name if found is not None else code.upper()


def criteria_rows(snapshot: dict[str, Any]) -> list[tuple[str, str]]:
    """The criteria a review was assessed against, as (what, value) in words."""
    settings = CATALOGUE["Eligibility"]
    rows = []
    for key, value in snapshot.items():
        known = settings.get(key)
        label = CRITERIA_WORDS.get(key) or (known.label if known else key.replace("_", " "))
        unit = f" {known.unit}" if known is not None and known.unit else ""
        rows.append((label, _value_words(key, value) + unit))
    return rows
