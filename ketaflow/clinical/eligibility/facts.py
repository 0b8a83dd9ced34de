"""The facts about a patient that eligibility is decided on, as plain frozen values.

The apps build `PatientFacts` from the chart (diagnoses, history, medications, latest vitals
and scores, treatment history, clearance work-up); the core validates it and never looks
anything up. Invalid facts raise `ClinicalInputError` naming the field to fix.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.routes import Route, Sex

MAX_AGE_YEARS = 130
# Score ranges (reference section 2), to catch typing errors in known instruments.
INSTRUMENT_MAX_SCORES = {
    "hama": 56,
    "lsas": 144,
    "gad7": 21,
    "phq9": 27,
    "pcl5": 80,
    "pdss": 28,
    "ybocs": 40,
    "madrs": 60,
}
_ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")


class PregnancyStatus(enum.Enum):
    PREGNANT = "pregnant"
    BREASTFEEDING = "breastfeeding"
    NOT_PREGNANT = "not_pregnant"  # can become pregnant, reported not pregnant
    UNKNOWN = "unknown"  # can become pregnant, status not known
    NOT_APPLICABLE = "not_applicable"  # cannot become pregnant


class HistoryItem(enum.Enum):
    """Medical and psychiatric history that eligibility rules read (current unless named)."""

    HYPERSENSITIVITY_KETAMINE = "hypersensitivity_ketamine"
    ANEURYSM_OR_AVM = "aneurysm_or_avm"
    INTRACEREBRAL_HAEMORRHAGE = "intracerebral_haemorrhage"
    STROKE = "stroke"
    RAISED_INTRACRANIAL_PRESSURE = "raised_intracranial_pressure"
    CEREBRAL_TRAUMA = "cerebral_trauma"
    SEVERE_CARDIAC_DISEASE = "severe_cardiac_disease"
    PRE_ECLAMPSIA = "pre_eclampsia"
    HYPERTHYROIDISM_UNCONTROLLED = "hyperthyroidism_uncontrolled"
    PSYCHOSIS_CURRENT = "psychosis_current"  # or a psychotic disorder (F20-F29)
    MANIA_CURRENT = "mania_current"  # a current manic, hypomanic or mixed episode
    KETAMINE_PCP_MISUSE = "ketamine_pcp_misuse"  # recreational ketamine or PCP, now or past
    PLANNING_PREGNANCY = "planning_pregnancy"
    SUBSTANCE_USE_DISORDER_CURRENT = "substance_use_disorder_current"  # active dependence
    PSYCHOSIS_PAST = "psychosis_past"
    MANIA = "mania"
    SUBSTANCE_USE_DISORDER = "substance_use_disorder"
    HYPERTENSION = "hypertension"
    HYPERTENSIVE_ENCEPHALOPATHY = "hypertensive_encephalopathy"
    CARDIOVASCULAR_DISEASE = "cardiovascular_disease"
    HYPERTHYROIDISM_TREATED = "hyperthyroidism_treated"
    GLAUCOMA = "glaucoma"  # or raised intraocular pressure
    EPILEPSY = "epilepsy"
    LIVER_DISEASE = "liver_disease"  # Child-Pugh class not recorded
    LIVER_DISEASE_CHILD_PUGH_A = "liver_disease_child_pugh_a"  # mild hepatic impairment
    LIVER_DISEASE_CHILD_PUGH_B = "liver_disease_child_pugh_b"  # moderate hepatic impairment
    LIVER_DISEASE_CHILD_PUGH_C = "liver_disease_child_pugh_c"  # severe hepatic impairment
    SLEEP_APNOEA = "sleep_apnoea"
    LUTS_OR_CYSTITIS = "luts_or_cystitis"  # lower urinary tract symptoms, ketamine cystitis


class DrugClass(enum.Enum):
    """Medication classes the interaction rules read (reference 1.6)."""

    BENZODIAZEPINE = "benzodiazepine"
    SEDATIVE_HYPNOTIC = "sedative_hypnotic"  # non-benzodiazepine
    OPIOID = "opioid"
    CNS_DEPRESSANT = "cns_depressant"  # other
    STIMULANT = "stimulant"
    MAOI = "maoi"
    THEOPHYLLINE = "theophylline"
    THYROID_HORMONE = "thyroid_hormone"
    ANTIHYPERTENSIVE = "antihypertensive"
    CYP3A4_INHIBITOR = "cyp3a4_inhibitor"
    CYP3A4_INDUCER = "cyp3a4_inducer"
    CYP2B6_INHIBITOR = "cyp2b6_inhibitor"
    LAMOTRIGINE = "lamotrigine"
    NALTREXONE = "naltrexone"


@dataclass(frozen=True)
class Medication:
    """A current medication with its class tags; benzodiazepines carry their daily dose.

    `diazepam_equivalent_mg_per_day` is required for a benzodiazepine (the 8 mg rule needs it;
    the conversion itself is the apps' job) and ignored otherwise.
    """

    name: str
    classes: frozenset[DrugClass]
    diazepam_equivalent_mg_per_day: float | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ClinicalInputError("every medication needs a name", field="medications")
        dose = self.diazepam_equivalent_mg_per_day
        if DrugClass.BENZODIAZEPINE in self.classes and dose is None:
            raise ClinicalInputError(
                f"{self.name} is a benzodiazepine: give its daily dose in mg diazepam-equivalent",
                field="medications",
            )
        if dose is not None and (not math.isfinite(dose) or not 0 <= dose <= 1000):
            raise ClinicalInputError(
                f"{self.name}: diazepam-equivalent dose must be 0-1000 mg/day, not {dose}",
                field="medications",
            )


@dataclass(frozen=True)
class BloodPressure:
    """Latest resting blood pressure in mmHg."""

    systolic: int
    diastolic: int

    def __post_init__(self) -> None:
        if not (50 <= self.systolic <= 300 and 20 <= self.diastolic <= 200):
            raise ClinicalInputError(
                "resting BP must be systolic 50-300 and diastolic 20-200 mmHg, not "
                f"{self.systolic}/{self.diastolic}",
                field="blood_pressure",
            )
        if self.diastolic >= self.systolic:
            raise ClinicalInputError(
                f"diastolic must be below systolic, not {self.systolic}/{self.diastolic} mmHg",
                field="blood_pressure",
            )

    def __str__(self) -> str:
        return f"{self.systolic}/{self.diastolic} mmHg"


class TreatmentOutcome(enum.Enum):
    NO_RESPONSE = "no_response"
    PARTIAL_RESPONSE = "partial_response"
    RESPONSE = "response"
    STOPPED_INTOLERANCE = "stopped_intolerance"


class TreatmentKind(enum.Enum):
    PHARMACOTHERAPY = "pharmacotherapy"
    PSYCHOTHERAPY = "psychotherapy"


@dataclass(frozen=True)
class PriorTreatment:
    """A past treatment trial; `adequate` = adequate dose and duration, judged by a clinician:
    True, False, or None when not known yet (asked and not established). Only True counts."""

    name: str
    kind: TreatmentKind
    adequate: bool | None
    outcome: TreatmentOutcome


class ClearanceItem(enum.Enum):
    """Pre-treatment work-up items a protocol may require."""

    PSYCHIATRIC_ASSESSMENT = "psychiatric_assessment"
    ECG = "ecg"
    LIVER_FUNCTION = "liver_function"
    RENAL_FUNCTION = "renal_function"
    SLEEP_APNOEA_SCREEN = "sleep_apnoea_screen"
    PREGNANCY_TEST = "pregnancy_test"
    URINE_TOXICOLOGY = "urine_toxicology"
    LUTS_SCREEN = "luts_screen"  # a baseline lower urinary tract symptom screen on record
    SUBSTANCE_USE_REVIEW = "substance_use_review"  # a clinician's review: treatable, monitor


def normalise_icd10(code: str) -> str:
    """Upper-case an ICD-10 code and add the dot after three characters (F411 -> F41.1)."""
    clean = code.strip().upper()
    if "." not in clean and len(clean) > 3:
        clean = f"{clean[:3]}.{clean[3:]}"
    if not _ICD10.match(clean):
        raise ClinicalInputError(
            f"{code!r} is not an ICD-10 code (letter, two digits, optional .suffix: F41.1)",
            field="diagnoses",
        )
    return clean


@dataclass(frozen=True)
class PatientFacts:
    """Everything eligibility reads, as of the assessment; `severity_scores` maps an
    instrument code (e.g. "hama", "lsas") to the latest baseline total.

    Prior treatments come either as a list (`prior_treatments`) or, when the chart keeps only a
    count, as `failed_adequate_treatments`; not both.
    """

    age_years: int
    sex: Sex
    pregnancy: PregnancyStatus
    planned_route: Route
    diagnoses: tuple[str, ...] = ()
    history: frozenset[HistoryItem] = frozenset()
    medications: tuple[Medication, ...] = ()
    blood_pressure: BloodPressure | None = None
    severity_scores: Mapping[str, float] = field(default_factory=dict, hash=False)
    prior_treatments: tuple[PriorTreatment, ...] = ()
    failed_adequate_treatments: int | None = None
    clearance_done: frozenset[ClearanceItem] = frozenset()

    def __post_init__(self) -> None:
        if isinstance(self.age_years, bool) or not 0 <= self.age_years <= MAX_AGE_YEARS:
            raise ClinicalInputError(
                f"must be whole years 0-{MAX_AGE_YEARS}, not {self.age_years}", field="age_years"
            )
        object.__setattr__(self, "diagnoses", tuple(normalise_icd10(c) for c in self.diagnoses))
        scores: dict[str, float] = {}
        for code, value in self.severity_scores.items():
            key = code.strip().lower()
            if not key or not math.isfinite(value) or value < 0:
                raise ClinicalInputError(
                    f"score {code!r}={value} must be a named instrument with a score >= 0",
                    field="severity_scores",
                )
            top = INSTRUMENT_MAX_SCORES.get(key)
            if top is not None and value > top:
                raise ClinicalInputError(
                    f"a {key} total must be 0-{top}, not {value:g}", field="severity_scores"
                )
            scores[key] = value
        object.__setattr__(self, "severity_scores", MappingProxyType(scores))
        count = self.failed_adequate_treatments
        if count is not None:
            if count < 0:
                raise ClinicalInputError(
                    f"must be 0 or more, not {count}", field="failed_adequate_treatments"
                )
            if self.prior_treatments:
                raise ClinicalInputError(
                    "give prior treatments as a list or as a count, not both",
                    field="failed_adequate_treatments",
                )

    @property
    def diazepam_equivalent_mg_per_day(self) -> float:
        """Total benzodiazepine load: the sum over every benzodiazepine taken."""
        return benzodiazepine_load(self.medications)


def benzodiazepine_load(medications: Iterable[Medication]) -> float:
    """Total benzodiazepine load in mg diazepam-equivalent/day over every benzodiazepine taken."""
    return sum(
        m.diazepam_equivalent_mg_per_day or 0.0
        for m in medications
        if DrugClass.BENZODIAZEPINE in m.classes
    )
