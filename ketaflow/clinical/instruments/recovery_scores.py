"""Sedation and recovery scores used in the chair: MOAA/S, modified Aldrete, PADSS.

Clinician-entered item scores under short labels (the anchors below are the reference's own
summaries, not published wording). Discharge is always a clinician's decision: for
esketamine the provider decides readiness after at least 2 hours [S1, S3]; these scores
only say whether the usual discharge threshold is met.
"""

from __future__ import annotations

from collections.abc import Mapping

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import cite, default
from ketaflow.clinical.instruments.base import (
    AnswerOption,
    Cutoff,
    Flag,
    FlagCode,
    FlagKind,
    FlagRule,
    Item,
    ItemInstrument,
    Licence,
    Rater,
)

# --- MOAA/S (as used in the SPRAVATO label) [S1] ----------------------------------------

MOAAS_MIN, MOAAS_MAX = 0, 5

# The six anchors: the responsiveness levels of Chernik's OAA/S (SC-Chernik1990) as the
# MOAA/S words them, 1 and 0 with the painful trapezius squeeze as the SPRAVATO label does
# for 0 [S1] (published tables reproduce the scale so, e.g. BMC Anesthesiol 2022, doi
# 10.1186/s12871-022-01788-1, Table 2). The short labels are ours.


def _moaas_loc_rule(
    _answers: Mapping[int, int], total: int, _cutoffs: Mapping[str, int]
) -> tuple[Flag, ...]:
    """MOAA/S 0 = loss of consciousness [S1]."""
    if total != 0:
        return ()
    return (
        Flag(
            FlagCode.MOAAS_LOSS_OF_CONSCIOUSNESS,
            FlagKind.SAFETY,
            "MOAA/S 0: no response after painful trapezius squeeze = loss of consciousness.",
            cite("S1"),
        ),
    )


MOAAS = ItemInstrument(
    code="moaas",
    name="MOAA/S",
    full_name="Modified Observer's Assessment of Alertness/Sedation",
    rater=Rater.CLINICIAN,
    recall_period="now (observed)",
    licence=Licence.SHORT_LABELS,
    sources=cite("S1", "SC-Chernik1990"),
    items=(
        Item(
            number=1,
            key="responsiveness",
            label="responsiveness",
            minimum=MOAAS_MIN,
            maximum=MOAAS_MAX,
            # [S1] for 5 and 0, SC-Chernik1990 for the levels: see the note under MOAAS_MIN.
            options=(
                AnswerOption(5, "responds readily to name in normal tone"),
                AnswerOption(4, "lethargic response to name in normal tone"),
                AnswerOption(3, "responds only to name called loudly or repeatedly"),
                AnswerOption(2, "responds only after mild prodding or shaking"),
                AnswerOption(1, "responds only after painful trapezius squeeze"),
                AnswerOption(0, "no response after painful trapezius squeeze"),
            ),
        ),
    ),
    flag_rules=(_moaas_loc_rule,),
    notes="A single rating 0-5 (higher = more alert). Any decrease from pre-dose = "
    "sedation; use `moaas_sedation_flags` with the pre-dose rating.",
)


def moaas_sedation_flags(pre_dose: int, current: int) -> tuple[Flag, ...]:
    """Sedation is any decrease from the pre-dose MOAA/S; 0 is loss of consciousness [S1]."""
    for name, value in (("pre_dose", pre_dose), ("current", current)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ClinicalInputError(f"MOAA/S {name} must be a whole number 0-5", field=name)
        if not MOAAS_MIN <= value <= MOAAS_MAX:
            raise ClinicalInputError(
                f"MOAA/S {name} {value} is out of range (allowed 0-5)", field=name
            )
    flags = MOAAS.score([current]).flags
    if current < pre_dose:
        flags = (
            Flag(
                FlagCode.MOAAS_SEDATION,
                FlagKind.CLINICAL,
                f"MOAA/S fell from {pre_dose} before the dose to {current}: sedation.",
                cite("S1"),
            ),
            *flags,
        )
    return flags


# --- discharge scores -------------------------------------------------------------------


def _discharge_rule(name: str, extra: str) -> FlagRule:
    def rule(
        _answers: Mapping[int, int], total: int, cutoffs: Mapping[str, int]
    ) -> tuple[Flag, ...]:
        limit = cutoffs["discharge"]
        if total >= limit:
            return (
                Flag(
                    FlagCode.DISCHARGE_SCORE_MET,
                    FlagKind.CLINICAL,
                    f"{name} {total} meets the discharge threshold (>= {limit}){extra}; "
                    "discharge remains the clinician's decision.",
                    cite("S41"),
                ),
            )
        return (
            Flag(
                FlagCode.DISCHARGE_SCORE_NOT_MET,
                FlagKind.CLINICAL,
                f"{name} {total} is below the discharge threshold (>= {limit}): keep observing.",
                cite("S41"),
            ),
        )

    return rule


def _scored_item(number: int, key: str, label: str, anchors: tuple[str, ...]) -> Item:
    """An item scored 0-2; `anchors` are for 2, 1, 0 (best first), empty if none recorded."""
    options = tuple(AnswerOption(2 - i, a) for i, a in enumerate(anchors))
    return Item(number=number, key=key, label=label, minimum=0, maximum=2, options=options)


ALDRETE = ItemInstrument(
    code="aldrete",
    name="Modified Aldrete",
    full_name="Modified Aldrete recovery score",
    rater=Rater.CLINICIAN,
    recall_period="now (observed)",
    licence=Licence.SHORT_LABELS,
    sources=cite("S41"),
    items=(
        _scored_item(1, "activity", "activity", ("moves 4 limbs", "moves 2 limbs", "moves 0")),
        _scored_item(
            2,
            "respiration",
            "respiration",
            ("deep breath and cough", "dyspnoea or shallow breathing", "apnoea"),
        ),
        _scored_item(
            3,
            "circulation",
            "circulation",
            (
                "BP within 20 of pre-dose",
                "BP within 20-50 of pre-dose",
                "BP more than 50 from pre-dose",
            ),
        ),
        _scored_item(
            4, "consciousness", "consciousness", ("fully awake", "arousable", "not responding")
        ),
        _scored_item(
            5,
            "spo2",
            "oxygen saturation",
            ("SpO2 > 92% on room air", "needs O2 to keep SpO2 > 90%", "SpO2 < 90% despite O2"),
        ),
    ),
    cutoffs=(
        Cutoff(
            "discharge",
            "total at or above which the discharge score is met",
            default(
                9,
                "S41",
                note="Common threshold >= 9 (some use >= 8 with 2 in respiration and SpO2).",
            ),
        ),
    ),
    flag_rules=(_discharge_rule("Modified Aldrete", ""),),
    notes="Circulation: tables differ on mmHg or percent of baseline; the clinic must pick "
    "one (UNVERIFIED, clinic default).",
)

PADSS = ItemInstrument(
    code="padss",
    name="PADSS",
    full_name="Post-Anaesthetic Discharge Scoring System (Chung)",
    rater=Rater.CLINICIAN,
    recall_period="now (observed)",
    licence=Licence.SHORT_LABELS,
    sources=cite("S41"),
    items=(
        _scored_item(
            1,
            "vital_signs",
            "vital signs",
            ("within 20% of baseline", "20-40% of baseline", "more than 40% of baseline"),
        ),
        _scored_item(
            2,
            "activity_mental_status",
            "activity and mental status",
            ("oriented x3 and steady gait", "oriented x3 or steady gait", "neither"),
        ),
        _scored_item(
            3,
            "pain_nausea_vomiting",
            "pain, nausea or vomiting",
            ("minimal", "moderate, treated", "severe"),
        ),
        _scored_item(4, "bleeding", "surgical bleeding", ()),
        _scored_item(5, "intake_output", "intake and output", ()),
    ),
    cutoffs=(
        Cutoff(
            "discharge",
            "total at or above which the patient is fit for discharge",
            default(9, "S41", note=">= 9 = fit for discharge, with a competent adult escort."),
        ),
    ),
    flag_rules=(_discharge_rule("PADSS", "; the patient also needs a competent adult escort"),),
    notes="Surgical bleeding does not apply to ketamine; adapting the score (e.g. the "
    "modified PADSS) is a local decision (UNVERIFIED for ketamine use).",
)
