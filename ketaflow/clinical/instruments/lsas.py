"""LSAS, the Liebowitz Social Anxiety Scale: fear and avoidance subscales, short labels only.

24 situations, each rated Fear/Anxiety 0-3 and Avoidance 0-3, over the past week; total
0-144 is the sum of both subscales [S40d]. Copyright Liebowitz (1987), terms UNVERIFIED, so
situations are held as "situation N" only (no situation or anchor wording) and the clinic
must confirm its licence.

Answer order (also the CLI's): the 24 fear ratings for situations 1-24, then the 24
avoidance ratings for situations 1-24 (items 1-24 = fear, 25-48 = avoidance).
"""

from __future__ import annotations

from ketaflow.clinical.evidence import Evidence, cite, default
from ketaflow.clinical.instruments.base import (
    Band,
    BandSet,
    Cutoff,
    FlagCode,
    FlagKind,
    Item,
    ItemInstrument,
    Licence,
    Rater,
    Subscale,
    at_or_above,
)
from ketaflow.clinical.response import ResponseCriteria

SITUATIONS = 24


def _items() -> tuple[Item, ...]:
    fear = tuple(
        Item(
            number=n,
            key=f"fear_{n}",
            label=f"situation {n} fear",
            minimum=0,
            maximum=3,
        )
        for n in range(1, SITUATIONS + 1)
    )
    avoidance = tuple(
        Item(
            number=SITUATIONS + n,
            key=f"avoidance_{n}",
            label=f"situation {n} avoidance",
            minimum=0,
            maximum=3,
        )
        for n in range(1, SITUATIONS + 1)
    )
    return fear + avoidance


# The reference gives 55-64 moderate, 65-79 marked, 80-94 severe, >= 95 very severe, and says
# lower bands vary ("0-29 minimal / 30-49 mild / 50-64 moderate" vs "0-54"). This set is the
# first variant: a descriptive convention (secondary pages), not a validated cut-off.
LSAS_BANDS = BandSet(
    name="LSAS descriptive convention (0-29/30-49/50-64/65-79/80-94/95-144)",
    bands=(
        Band(0, 29, "minimal"),
        Band(30, 49, "mild"),
        Band(50, 64, "moderate"),
        Band(65, 79, "marked"),
        Band(80, 94, "severe"),
        Band(95, 144, "very severe"),
    ),
    sources=cite("S40"),
    evidence=Evidence.SECONDARY,
    note="Bands via a secondary page; lower bands vary across sources. Clinic-configurable.",
)

LSAS = ItemInstrument(
    code="lsas",
    name="LSAS",
    full_name="Liebowitz Social Anxiety Scale",
    rater=Rater.CLINICIAN,
    recall_period="past week",
    licence=Licence.SHORT_LABELS,
    sources=cite("S40", "S12"),
    items=_items(),
    subscales=(
        Subscale("fear", "fear/anxiety", tuple(range(1, SITUATIONS + 1))),
        Subscale("avoidance", "avoidance", tuple(range(SITUATIONS + 1, 2 * SITUATIONS + 1))),
    ),
    bands=LSAS_BANDS,
    response=ResponseCriteria(
        response_min_improvement_pct=default(
            35.0, "S12", note="Taylor 2018: response = more than 35% reduction in LSAS."
        ),
        remission_at_or_below=default(
            30,
            "S40",
            evidence=Evidence.UNVERIFIED,
            note="LSAS <= 30: below the screening cut-off for social anxiety disorder (Mennin "
            "2002, clinical reference 2.4); as a remission definition a local choice.",
        ),
        response_strict=True,
    ),
    cutoffs=(
        Cutoff(
            "social_anxiety",
            "screening cut-off for social anxiety disorder (Mennin 2002)",
            default(30, "S40", evidence=Evidence.SECONDARY),
        ),
        Cutoff(
            "generalized",
            "screening cut-off for the generalized subtype (Mennin 2002)",
            default(60, "S40", evidence=Evidence.SECONDARY),
        ),
    ),
    flag_rules=(
        at_or_above(
            FlagCode.LSAS_SCREEN_SOCIAL_ANXIETY,
            FlagKind.CLINICAL,
            "social_anxiety",
            "LSAS total {total} is at or above the screening cut-off {cutoff} for social "
            "anxiety disorder.",
            cite("S40"),
            Evidence.SECONDARY,
        ),
        at_or_above(
            FlagCode.LSAS_SCREEN_GENERALIZED,
            FlagKind.CLINICAL,
            "generalized",
            "LSAS total {total} is at or above the cut-off {cutoff} for the generalized "
            "subtype of social anxiety disorder.",
            cite("S40"),
            Evidence.SECONDARY,
        ),
    ),
    notes="Copyright Liebowitz (1987), terms UNVERIFIED: short labels only, behind the "
    "clinic's licence confirmation. The same scoring applies to the self-report version.",
)
