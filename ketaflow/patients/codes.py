"""Coded values of the chart: diagnoses, history conditions, medication classes.

The codes are what `ketaflow.clinical.eligibility` reads; the labels are for people.
"""

from __future__ import annotations

from django.db import models

from ketaflow.clinical import eligibility as core


class DiagnosisCode(models.TextChoices):
    """ICD-10 codes for the conditions a ketamine-for-anxiety programme treats or must know."""

    GAD = "F41.1", "F41.1 Generalized anxiety disorder"
    SOCIAL_ANXIETY = "F40.10", "F40.10 Social anxiety disorder (social phobia)"
    SOCIAL_ANXIETY_GENERALIZED = "F40.11", "F40.11 Social anxiety disorder, generalized"
    PANIC = "F41.0", "F41.0 Panic disorder"
    PANIC_AGORAPHOBIA = "F40.01", "F40.01 Agoraphobia with panic disorder"
    PTSD = "F43.10", "F43.10 Post-traumatic stress disorder, unspecified"
    PTSD_ACUTE = "F43.11", "F43.11 Post-traumatic stress disorder, acute"
    PTSD_CHRONIC = "F43.12", "F43.12 Post-traumatic stress disorder, chronic"
    OCD = "F42.2", "F42.2 Mixed obsessional thoughts and acts"
    OCD_THOUGHTS = "F42.8", "F42.8 Other obsessive-compulsive disorder"
    OCD_UNSPECIFIED = "F42.9", "F42.9 Obsessive-compulsive disorder, unspecified"
    DEPRESSION_SINGLE = "F32.9", "F32.9 Major depressive disorder, single episode"
    DEPRESSION_RECURRENT = "F33.9", "F33.9 Major depressive disorder, recurrent"
    DEPRESSION_RECURRENT_SEVERE = "F33.2", "F33.2 Major depressive disorder, recurrent, severe"
    OTHER = "other", "Other (type the code and name)"


class HistoryCondition(models.TextChoices):
    """Psychiatric and medical history items that screening needs (see eligibility rules)."""

    PSYCHOSIS = "psychosis", "Psychosis"
    MANIA = "mania", "Mania / bipolar disorder"
    SUBSTANCE_USE_DISORDER = "substance_use_disorder", "Substance use disorder (incl. alcohol)"
    KETAMINE_MISUSE = "ketamine_misuse", "Recreational ketamine / PCP use"
    HYPERTENSION = "hypertension", "Hypertension"
    ANEURYSM_AVM = "aneurysm_avm", "Aneurysmal vascular disease or AVM"
    INTRACEREBRAL_HAEMORRHAGE = "intracerebral_haemorrhage", "Intracerebral haemorrhage"
    STROKE = "stroke", "Stroke / cerebrovascular accident"
    RAISED_ICP = "raised_icp", "Raised intracranial pressure / cerebral trauma"
    RAISED_IOP = "raised_iop", "Raised intraocular pressure / glaucoma"
    EPILEPSY = "epilepsy", "Epilepsy / seizures"
    LIVER_DISEASE = "liver_disease", "Liver disease (Child-Pugh class not recorded)"
    LIVER_CHILD_PUGH_A = "liver_disease_child_pugh_a", "Liver disease, Child-Pugh A (mild)"
    LIVER_CHILD_PUGH_B = "liver_disease_child_pugh_b", "Liver disease, Child-Pugh B (moderate)"
    LIVER_CHILD_PUGH_C = "liver_disease_child_pugh_c", "Liver disease, Child-Pugh C (severe)"
    SLEEP_APNOEA = "sleep_apnoea", "Sleep apnoea"
    CARDIAC_DISEASE = "cardiac_disease", "Severe coronary or myocardial disease"
    HYPERTHYROIDISM = "hyperthyroidism", "Hyperthyroidism (untreated or poorly treated)"
    PRE_ECLAMPSIA = "pre_eclampsia", "Pre-eclampsia / eclampsia"
    KETAMINE_HYPERSENSITIVITY = "ketamine_hypersensitivity", "Hypersensitivity to ketamine"
    URINARY_TRACT = "urinary_tract", "Lower urinary tract symptoms / cystitis"


class HistoryStatus(models.TextChoices):
    CURRENT = "current", "Current"
    PAST = "past", "Past"
    ABSENT = "absent", "Asked: absent"


class MedicationClass(models.TextChoices):
    """Classes that change ketamine's safety or effect (reference 1.6)."""

    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    STIMULANT = "stimulant", "Psychostimulant"
    MAOI = "maoi", "MAOI"
    OPIOID = "opioid", "Opioid"
    THEOPHYLLINE = "theophylline", "Theophylline / aminophylline"
    LAMOTRIGINE = "lamotrigine", "Lamotrigine"
    NALTREXONE = "naltrexone", "Naltrexone"
    CYP3A4_INHIBITOR = "cyp3a4_inhibitor", "CYP3A4 inhibitor"
    CYP3A4_INDUCER = "cyp3a4_inducer", "CYP3A4 inducer"
    ANTIHYPERTENSIVE = "antihypertensive", "Antihypertensive"
    THYROID_HORMONE = "thyroid_hormone", "Thyroid hormone"
    ANTIDEPRESSANT = "antidepressant", "Antidepressant"
    OTHER_CNS_DEPRESSANT = "cns_depressant", "Other CNS depressant / sedative"


class TreatmentKind(models.TextChoices):
    SSRI = "ssri", "SSRI"
    SNRI = "snri", "SNRI"
    TCA = "tca", "Tricyclic"
    PREGABALIN = "pregabalin", "Pregabalin"
    BUSPIRONE = "buspirone", "Buspirone"
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    ANTIPSYCHOTIC = "antipsychotic", "Antipsychotic augmentation"
    OTHER_MEDICATION = "other_medication", "Other medication"
    CBT = "cbt", "CBT"
    EXPOSURE = "exposure", "Exposure / ERP therapy"
    TRAUMA_THERAPY = "trauma_therapy", "Trauma-focused therapy (CPT, PE, EMDR)"
    OTHER_THERAPY = "other_therapy", "Other psychotherapy"


class TreatmentOutcome(models.TextChoices):
    NO_RESPONSE = "no_response", "No response"
    PARTIAL = "partial", "Partial response"
    RESPONSE = "response", "Response"
    INTOLERANT = "intolerant", "Stopped: not tolerated"
    UNKNOWN = "unknown", "Unknown"


#: The chart's treatment outcomes in the core's words (UNKNOWN has none: it never counts).
CORE_OUTCOME: dict[str, core.TreatmentOutcome] = {
    TreatmentOutcome.NO_RESPONSE: core.TreatmentOutcome.NO_RESPONSE,
    TreatmentOutcome.PARTIAL: core.TreatmentOutcome.PARTIAL_RESPONSE,
    TreatmentOutcome.RESPONSE: core.TreatmentOutcome.RESPONSE,
    TreatmentOutcome.INTOLERANT: core.TreatmentOutcome.STOPPED_INTOLERANCE,
}
#: The outcomes of an adequate trial that make it a failed one, as the core's criteria say
#: (`EligibilityCriteria.failure_outcomes`); the chart's tag and the outcome summary read it.
FAILED_TRIAL_OUTCOMES: frozenset[str] = frozenset(
    code
    for code, outcome in CORE_OUTCOME.items()
    if outcome in core.EligibilityCriteria().failure_outcomes
)


class PregnancyStatus(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", "Not applicable (cannot become pregnant)"
    NOT_PREGNANT = "not_pregnant", "Not pregnant"
    PREGNANT = "pregnant", "Pregnant"
    BREASTFEEDING = "breastfeeding", "Breast-feeding"
    PLANNING = "planning", "Planning pregnancy / IVF"
    UNKNOWN = "unknown", "Unknown"


class SexAtBirth(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Not recorded"
