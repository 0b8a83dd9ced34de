"""Y-BOCS, PDSS and the C-SSRS screener: licensed scales whose result a clinician enters.

Their owners require a licence for electronic versions (Y-BOCS: OCD Scales, LLC [A25, A26];
PDSS: written permission from the University of Pittsburgh for electronic or commercial
use [A27, A28]; C-SSRS: Clario/RFMH sublicence for every electronic version [A29, A30]).
So Ketaflow holds no item structure or wording for them: a clinician reads the total (or
the C-SSRS risk level) off the clinic's licensed form and the core interprets it.
"""

from __future__ import annotations

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import Evidence, cite, default
from ketaflow.clinical.instruments.base import (
    Band,
    BandSet,
    Flag,
    FlagCode,
    FlagKind,
    Licence,
    Rater,
    RiskLevel,
    RiskLevelInstrument,
    TotalInstrument,
)
from ketaflow.clinical.response import ResponseCriteria

# --- Y-BOCS (Goodman 1989) [S40g] -------------------------------------------------------

YBOCS_BANDS = BandSet(
    name="Y-BOCS (0-7/8-15/16-23/24-31/32-40)",
    bands=(
        Band(0, 7, "subclinical"),
        Band(8, 15, "mild"),
        Band(16, 23, "moderate"),
        Band(24, 31, "severe"),
        Band(32, 40, "extreme"),
    ),
    sources=cite("S40"),
)

YBOCS = TotalInstrument(
    code="ybocs",
    name="Y-BOCS",
    full_name="Yale-Brown Obsessive Compulsive Scale (total 0-40; not Y-BOCS-II)",
    rater=Rater.CLINICIAN,
    recall_period="as on the clinic's licensed form",
    licence=Licence.TOTAL_ONLY,
    sources=cite("S40", "A25", "A26"),
    minimum=0,
    maximum=40,
    bands=YBOCS_BANDS,
    response=ResponseCriteria(
        response_min_improvement_pct=default(
            35.0,
            "S40",
            evidence=Evidence.SECONDARY,
            note="International consensus (Mataix-Cols 2016, as applied by Elsner 2020): "
            "reduction >= 35%; consensus full text not read.",
        ),
        remission_at_or_below=default(
            12,
            "S40",
            evidence=Evidence.SECONDARY,
            note="Consensus remission <= 12 (Farris 2013 signal detection gives <= 14).",
        ),
    ),
    notes="Y-BOCS-II (0-50) is a different scale: do not enter its totals here.",
)

# --- PDSS (Shear 1997; bands Furukawa 2009) [S40f] --------------------------------------

PDSS_BANDS = BandSet(
    name="PDSS Furukawa 2009, without agoraphobia (0-1/2-5/6-9/10-13/14-28)",
    bands=(
        Band(0, 1, "normal"),
        Band(2, 5, "borderline"),
        Band(6, 9, "slightly ill"),
        Band(10, 13, "moderately ill"),
        Band(14, 28, "markedly ill"),
    ),
    sources=cite("S40"),
)
PDSS_AGORAPHOBIA_BANDS = BandSet(
    name="PDSS Furukawa 2009, with agoraphobia (0-2/3-7/8-10/11-15/16-28)",
    bands=(
        Band(0, 2, "normal"),
        Band(3, 7, "borderline"),
        Band(8, 10, "slightly ill"),
        Band(11, 15, "moderately ill"),
        Band(16, 28, "markedly ill"),
    ),
    sources=cite("S40"),
    note="The reference gives 3-7 borderline upwards; 0-2 'normal' is inferred (UNVERIFIED).",
)

PDSS = TotalInstrument(
    code="pdss",
    name="PDSS",
    full_name="Panic Disorder Severity Scale (total 0-28)",
    rater=Rater.CLINICIAN,
    recall_period="past month (clinician version; PDSS-SR: past week)",
    licence=Licence.TOTAL_ONLY,
    sources=cite("S40", "A27", "A28"),
    minimum=0,
    maximum=28,
    bands=PDSS_BANDS,
    agoraphobia_bands=PDSS_AGORAPHOBIA_BANDS,
    response=ResponseCriteria(
        response_min_improvement_pct=default(
            40.0, "S40", note="Furukawa 2009 proposal: response >= 40% reduction."
        ),
        remission_at_or_below=default(5, "S40", note="Furukawa 2009 proposal: remission <= 5."),
    ),
    notes="PDSS-SR >= 9 suggests formal assessment (secondary). Free only for not-for-profit "
    "clinical use and IRB-approved research; other uses need written permission.",
)

# --- C-SSRS screener [S40h] -------------------------------------------------------------

_CSSRS_SOURCES = cite("S40")
_CSSRS_NOTE = (
    "Triage labels differ across versions of the screener: confirm against the version "
    "the clinic licensed."
)
#: Columbia's screener with triage (the "recent, with triage colours" version named by the
#: NINDS common-data-element page for the screener): question 3, or suicidal behaviour
#: (question 6) more than 3 months ago, is moderate risk; questions 4-5, or behaviour within
#: the past 3 months, is high risk. The reference sheet (S40h) lists only the high-risk side
#: of question 6; the moderate side is the Columbia triage's own, so the level stays flagged
#: as secondary evidence for local sign-off like the rest of the screener.
CSSRS_QUESTIONS = range(1, 7)

CSSRS = RiskLevelInstrument(
    code="cssrs",
    name="C-SSRS screener",
    full_name="Columbia Suicide Severity Rating Scale, screener (risk level only)",
    rater=Rater.CLINICIAN,
    recall_period="ideation: past month; behaviour: lifetime and past 3 months",
    licence=Licence.TOTAL_ONLY,
    sources=cite("S40", "A29", "A30"),
    levels=(
        RiskLevel("none", "no positive answer on the screener"),
        RiskLevel(
            "low",
            "highest positive answer: wish to be dead or non-specific suicidal thoughts "
            "(questions 1-2)",
            Flag(
                FlagCode.CSSRS_RISK_LOW,
                FlagKind.CLINICAL,
                "C-SSRS screener: lower risk (wish to be dead or non-specific suicidal "
                "thoughts). " + _CSSRS_NOTE,
                _CSSRS_SOURCES,
                Evidence.SECONDARY,
            ),
        ),
        RiskLevel(
            "moderate",
            "highest positive answer: suicidal thoughts with a method (question 3), or "
            "suicidal behaviour more than 3 months ago (question 6)",
            Flag(
                FlagCode.CSSRS_RISK_MODERATE,
                FlagKind.SAFETY,
                "C-SSRS screener: moderate suicide risk (thoughts with a method, or suicidal "
                "behaviour more than 3 months ago): a clinician must assess before treatment "
                "continues. " + _CSSRS_NOTE,
                _CSSRS_SOURCES,
                Evidence.SECONDARY,
            ),
        ),
        RiskLevel(
            "high",
            "intent (question 4), intent with a plan (question 5), or suicidal behaviour "
            "within the past 3 months (question 6)",
            Flag(
                FlagCode.CSSRS_RISK_HIGH,
                FlagKind.SAFETY,
                "C-SSRS screener: high suicide risk (intent, plan, or behaviour within 3 "
                "months): a clinician must assess before treatment continues. " + _CSSRS_NOTE,
                _CSSRS_SOURCES,
                Evidence.SECONDARY,
            ),
        ),
    ),
    notes=_CSSRS_NOTE,
)


def cssrs_triage(positive: set[int] | frozenset[int], *, behaviour_in_past_3_months: bool) -> str:
    """The screener's risk level from which questions (1-6) were answered yes.

    Highest positive answer wins (S40h, Columbia triage): 4 or 5, or behaviour (6) within the
    past 3 months: high; 3, or behaviour (6) more than 3 months ago: moderate; 1 or 2: low;
    none: none. `behaviour_in_past_3_months` is read only when question 6 is positive; give
    True when the timing is unknown (the safer level). Holds no wording of the licensed form.
    """
    unknown = set(positive) - set(CSSRS_QUESTIONS)
    if unknown:
        raise ClinicalInputError(
            f"C-SSRS screener questions are 1-6, not {sorted(unknown)}", field="positive"
        )
    if positive & {4, 5} or (6 in positive and behaviour_in_past_3_months):
        return "high"
    if positive & {3, 6}:
        return "moderate"
    if positive & {1, 2}:
        return "low"
    return "none"
