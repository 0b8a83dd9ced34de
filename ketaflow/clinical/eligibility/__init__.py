"""Eligibility: exclusions, cautions and unmet entry requirements for a planned course.

Build `PatientFacts`, call `assess_eligibility(facts, criteria)`, show the findings (each with
its sources) and the suggested outcome to the prescriber, who signs the decision off.
"""

from __future__ import annotations

from ketaflow.clinical.eligibility.assessment import assess_eligibility
from ketaflow.clinical.eligibility.criteria import (
    DEFAULT_CRITERIA,
    DEFAULT_DIAGNOSIS_SCOPES,
    GAD,
    OCD,
    OPTIONAL_DIAGNOSIS_SCOPES,
    PANIC,
    PTSD,
    SOCIAL_ANXIETY,
    BloodPressureLimit,
    DiagnosisScope,
    EligibilityCriteria,
)
from ketaflow.clinical.eligibility.facts import (
    BloodPressure,
    ClearanceItem,
    DrugClass,
    HistoryItem,
    Medication,
    PatientFacts,
    PregnancyStatus,
    PriorTreatment,
    TreatmentKind,
    TreatmentOutcome,
)
from ketaflow.clinical.eligibility.findings import (
    EligibilityAssessment,
    Finding,
    FindingKind,
    SuggestedOutcome,
)
from ketaflow.clinical.eligibility.history_rules import clearance_read_by_conditions
from ketaflow.clinical.eligibility.medication_rules import medication_cautions
from ketaflow.clinical.eligibility.needs import Need, NeedKind, NeedState, protocol_needs
from ketaflow.clinical.eligibility.parse import facts_from_data

__all__ = [
    "DEFAULT_CRITERIA",
    "DEFAULT_DIAGNOSIS_SCOPES",
    "GAD",
    "OCD",
    "OPTIONAL_DIAGNOSIS_SCOPES",
    "PANIC",
    "PTSD",
    "SOCIAL_ANXIETY",
    "BloodPressure",
    "BloodPressureLimit",
    "ClearanceItem",
    "DiagnosisScope",
    "DrugClass",
    "EligibilityAssessment",
    "EligibilityCriteria",
    "Finding",
    "FindingKind",
    "HistoryItem",
    "Medication",
    "Need",
    "NeedKind",
    "NeedState",
    "PatientFacts",
    "PregnancyStatus",
    "PriorTreatment",
    "SuggestedOutcome",
    "TreatmentKind",
    "TreatmentOutcome",
    "assess_eligibility",
    "clearance_read_by_conditions",
    "facts_from_data",
    "medication_cautions",
    "protocol_needs",
]
