"""A protocol's configurable eligibility criteria, with the core's defaults and their sources.

No consensus numeric definition of treatment-resistant anxiety exists, so the reference asks
that the failed-trials count and the severity entry thresholds be configurable (section 1.2).
Only the Glue programme's thresholds (HAM-A > 20 for GAD, LSAS > 50 for SAD) are published
[S11]; the other thresholds are UNVERIFIED clinic defaults read off the instruments' severity
bands [S40].
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ketaflow.clinical.eligibility.facts import (
    BloodPressure,
    ClearanceItem,
    TreatmentOutcome,
    normalise_icd10,
)
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Evidence, default

_UNV = Evidence.UNVERIFIED
_SEC = Evidence.SECONDARY


@dataclass(frozen=True)
class BloodPressureLimit:
    """A BP limit that is exceeded when systolic OR diastolic is strictly above it."""

    systolic: int
    diastolic: int

    def exceeded_by(self, bp: BloodPressure) -> bool:
        return bp.systolic > self.systolic or bp.diastolic > self.diastolic

    def __str__(self) -> str:
        return f"{self.systolic}/{self.diastolic} mmHg"


@dataclass(frozen=True)
class DiagnosisScope:
    """A diagnosis the protocol treats, with its baseline instrument and entry threshold.

    Entry needs a baseline score strictly above `entry_above` (the Glue programme's "> 20").
    `icd10_prefixes` match a code and its sub-codes: "F40.1" matches F40.10 and F40.11.
    """

    name: str
    icd10_prefixes: tuple[str, ...]
    instrument: str
    instrument_label: str
    entry_above: ClinicDefault[float]

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "icd10_prefixes", tuple(normalise_icd10(p) for p in self.icd10_prefixes)
        )
        object.__setattr__(self, "instrument", self.instrument.strip().lower())

    def matches(self, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.icd10_prefixes)


GAD = DiagnosisScope(
    "generalised anxiety disorder",
    ("F41.1",),
    "hama",
    "HAM-A",
    default(20.0, "S11", "S8", evidence=_SEC, note="Glue programme entry: HAM-A > 20"),
)
SOCIAL_ANXIETY = DiagnosisScope(
    "social anxiety disorder",
    ("F40.1",),
    "lsas",
    "LSAS",
    default(50.0, "S11", "S8", evidence=_SEC, note="Glue programme entry: LSAS self-report > 50"),
)
PANIC = DiagnosisScope(
    "panic disorder",
    ("F41.0",),
    "pdss",
    "PDSS",
    default(9.0, "S40", evidence=_UNV, note="PDSS >= 10: moderately ill (Furukawa bands)"),
)
PTSD = DiagnosisScope(
    "post-traumatic stress disorder",
    ("F43.1",),
    "pcl5",
    "PCL-5",
    default(32.0, "S40", "S13", evidence=_UNV, note="provisional PTSD at PCL-5 31-33"),
)
OCD = DiagnosisScope(
    "obsessive-compulsive disorder",
    ("F42",),
    "ybocs",
    "Y-BOCS",
    default(15.0, "S40", "S13", evidence=_UNV, note="Y-BOCS 16-23 = moderate"),
)

# Anxiety ketamine trials enrolled GAD and SAD [S8, S9, S10, S11]; the meta-analysis found
# benefit in SAD but not PTSD [S13]. Panic, PTSD and OCD are ready for a clinic to enable.
DEFAULT_DIAGNOSIS_SCOPES = (GAD, SOCIAL_ANXIETY)
OPTIONAL_DIAGNOSIS_SCOPES = (PANIC, PTSD, OCD)
DEPRESSION_PREFIXES = ("F32", "F33")


def _default_clearance() -> ClinicDefault[frozenset[ClearanceItem]]:
    return default(
        frozenset(
            {
                ClearanceItem.PSYCHIATRIC_ASSESSMENT,
                ClearanceItem.ECG,
                ClearanceItem.LIVER_FUNCTION,
                ClearanceItem.RENAL_FUNCTION,
                ClearanceItem.SLEEP_APNOEA_SCREEN,
            }
        ),
        "S37",
        "S4",
        "A2",
        evidence=_SEC,
        note="CPSBC draft: ECG, renal and liver function, sleep-apnoea screen; APA consensus: "
        "comprehensive psychiatric assessment; Ketalar: baseline LFTs for recurrent dosing",
    )


@dataclass(frozen=True)
class EligibilityCriteria:
    """The protocol's eligibility values; `DEFAULT_CRITERIA` holds the core's defaults."""

    diagnoses_in_scope: tuple[DiagnosisScope, ...] = DEFAULT_DIAGNOSIS_SCOPES
    min_failed_adequate_treatments: ClinicDefault[int] = field(
        default_factory=lambda: default(
            2,
            "S1",
            "S38",
            "S37",
            evidence=_UNV,
            note="TRD uses >= 2 failed antidepressants; for anxiety the count is UNVERIFIED",
        )
    )
    # Which outcomes of an adequate trial count as a failure (a clinic choice, UNVERIFIED).
    failure_outcomes: frozenset[TreatmentOutcome] = frozenset(
        {TreatmentOutcome.NO_RESPONSE, TreatmentOutcome.PARTIAL_RESPONSE}
    )
    benzodiazepine_caution_above_mg: ClinicDefault[float] = field(
        default_factory=lambda: default(
            8.0,
            "S28",
            note="> 8 mg diazepam-equivalent/day separated non-responders (depression data)",
        )
    )
    bp_exclusion_above: ClinicDefault[BloodPressureLimit] = field(
        default_factory=lambda: default(
            BloodPressureLimit(180, 100), "S4", note="Swiss label: resting BP > 180/100 mmHg"
        )
    )
    bp_caution_above: ClinicDefault[BloodPressureLimit] = field(
        default_factory=lambda: default(
            BloodPressureLimit(140, 90), "S1", note="SPRAVATO: > 140/90 consider delaying"
        )
    )
    minimum_age: ClinicDefault[int] = field(
        default_factory=lambda: default(
            18, "S1", "S6", "S4", evidence=_UNV, note="adult evidence and labels only"
        )
    )
    elderly_age: ClinicDefault[int] = field(default_factory=lambda: default(65, "S1", "S2", "S25"))
    required_clearance: ClinicDefault[frozenset[ClearanceItem]] = field(
        default_factory=_default_clearance
    )
    pregnancy_test_required: ClinicDefault[bool] = field(
        default_factory=lambda: default(
            True,
            "S39",
            "S1",
            evidence=_UNV,
            note="baseline test for people who can become pregnant: a suggestion, not a standard",
        )
    )
    negative_pregnancy_test_settles_days: ClinicDefault[int] = field(
        default_factory=lambda: default(
            7,
            "S39",
            evidence=_UNV,
            note="a negative test older than this does not answer 'might you be pregnant?'; "
            "no standard retest interval (an academic centre tested weekly)",
        )
    )
    urine_toxicology_if_substance_use: ClinicDefault[bool] = field(
        default_factory=lambda: default(
            True, "S5", evidence=_SEC, note="APA consensus (secondary): when use is suspected"
        )
    )
    # Severe hepatic impairment (Child-Pugh C) with racemic ketamine: exclude by analogy with
    # the esketamine label, which does not recommend use (no racemic label section found).
    severe_hepatic_impairment_excludes_racemic: ClinicDefault[bool] = field(
        default_factory=lambda: default(
            True,
            "S1",
            "S31",
            "S20",
            "S4",
            "S32",
            evidence=_UNV,
            note="esketamine label: Child-Pugh C not studied, not recommended; racemic ketamine "
            "is hepatically cleared and carries a liver-injury warning",
        )
    )
    version: str = "core-default"

    def __post_init__(self) -> None:
        if not self.diagnoses_in_scope:
            raise ClinicalInputError(
                "a protocol needs at least one diagnosis in scope", field="diagnoses_in_scope"
            )
        if self.min_failed_adequate_treatments.value < 0:
            raise ClinicalInputError(
                "the minimum number of failed treatments must be 0 or more",
                field="min_failed_adequate_treatments",
            )
        exclusion, caution = self.bp_exclusion_above.value, self.bp_caution_above.value
        if caution.systolic > exclusion.systolic or caution.diastolic > exclusion.diastolic:
            raise ClinicalInputError(
                f"the BP caution limit ({caution}) must not be above the exclusion limit "
                f"({exclusion})",
                field="bp_caution_above",
            )


DEFAULT_CRITERIA = EligibilityCriteria()
