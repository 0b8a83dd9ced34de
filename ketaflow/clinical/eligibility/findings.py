"""What eligibility returns: findings of three kinds and a suggested outcome.

The core only suggests: the prescriber reviews every finding and signs the decision off
(the `screening` app records it). Each finding carries a stable code, the fact fields it came
from, its sources and, where a configurable value decided it, whether that value still needs
local sign-off.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ketaflow.clinical.evidence import Source, merge


class FindingKind(enum.Enum):
    EXCLUSION = "exclusion"  # do not treat under this protocol
    CAUTION = "caution"  # may treat; weigh benefit/risk, adjust monitoring
    UNMET_REQUIREMENT = "unmet_requirement"  # not yet shown to meet the protocol's entry rules


class SuggestedOutcome(enum.Enum):
    NOT_ELIGIBLE = "not_eligible"
    NEEDS_REVIEW = "needs_review"
    ELIGIBLE_WITH_CAUTIONS = "eligible_with_cautions"
    ELIGIBLE = "eligible"


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    code: str  # stable, e.g. "exclusion.pregnancy"
    message: str  # for a clinician
    facts: tuple[str, ...]  # the PatientFacts fields it came from
    sources: tuple[Source, ...]
    needs_local_signoff: bool = False  # decided by an UNVERIFIED clinic default


@dataclass(frozen=True)
class EligibilityAssessment:
    """All findings and the outcome they suggest, under one criteria version."""

    findings: tuple[Finding, ...]
    criteria_version: str

    def of_kind(self, kind: FindingKind) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind is kind)

    @property
    def exclusions(self) -> tuple[Finding, ...]:
        return self.of_kind(FindingKind.EXCLUSION)

    @property
    def cautions(self) -> tuple[Finding, ...]:
        return self.of_kind(FindingKind.CAUTION)

    @property
    def unmet_requirements(self) -> tuple[Finding, ...]:
        return self.of_kind(FindingKind.UNMET_REQUIREMENT)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)

    @property
    def outcome(self) -> SuggestedOutcome:
        """Any exclusion -> not eligible; else unmet requirements -> needs review; else
        cautions -> eligible with cautions; else eligible."""
        if self.exclusions:
            return SuggestedOutcome.NOT_ELIGIBLE
        if self.unmet_requirements:
            return SuggestedOutcome.NEEDS_REVIEW
        if self.cautions:
            return SuggestedOutcome.ELIGIBLE_WITH_CAUTIONS
        return SuggestedOutcome.ELIGIBLE

    @property
    def sources(self) -> tuple[Source, ...]:
        return merge(f.sources for f in self.findings)
