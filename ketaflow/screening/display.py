"""Reviews as the pages and API show them: findings grouped by kind, with the facts they came
from in words and their sources resolved to links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ketaflow.clinical.evidence import Source, UnknownSource, source
from ketaflow.screening.derive import describe_fact
from ketaflow.screening.models import EligibilityReview

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
