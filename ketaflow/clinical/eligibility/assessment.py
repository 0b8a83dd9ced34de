"""Assess a patient's eligibility under a protocol's criteria: the one entry point.

Deterministic: the same facts and criteria always give the same findings in the same order
(patient, history, medications, requirements). The outcome is a suggestion; the prescriber
signs off.
"""

from __future__ import annotations

from ketaflow.clinical.eligibility.criteria import DEFAULT_CRITERIA, EligibilityCriteria
from ketaflow.clinical.eligibility.facts import PatientFacts
from ketaflow.clinical.eligibility.findings import EligibilityAssessment
from ketaflow.clinical.eligibility.history_rules import history_findings
from ketaflow.clinical.eligibility.medication_rules import medication_findings
from ketaflow.clinical.eligibility.patient_rules import (
    age_findings,
    blood_pressure_findings,
    depression_findings,
    pregnancy_findings,
)
from ketaflow.clinical.eligibility.requirement_rules import (
    clearance_findings,
    diagnosis_and_severity_findings,
    prior_treatment_findings,
)


def assess_eligibility(
    facts: PatientFacts, criteria: EligibilityCriteria = DEFAULT_CRITERIA
) -> EligibilityAssessment:
    """Every exclusion, caution and unmet requirement, with the outcome they suggest."""
    findings = [
        *age_findings(facts, criteria),
        *pregnancy_findings(facts),
        *blood_pressure_findings(facts, criteria),
        *history_findings(facts, criteria),
        *medication_findings(facts, criteria),
        *depression_findings(facts),
        *diagnosis_and_severity_findings(facts, criteria),
        *prior_treatment_findings(facts, criteria),
        *clearance_findings(facts, criteria),
    ]
    return EligibilityAssessment(findings=tuple(findings), criteria_version=criteria.version)
