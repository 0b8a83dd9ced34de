"""CADSS and CADSS-6: clinician-administered dissociation ratings during ketamine sessions.

The ketamine literature uses a 23-item CADSS, each item 0-4, total 0-92 [A18]; CADSS-6 is
items 1, 2, 6, 7, 15 and 22 (r_s about 0.91-0.95 with the full scale) [S40i]. Licence terms
are UNVERIFIED, so items are held as "item N" only, behind licence confirmation.

CADSS has no severity bands. "CADSS > 4" is a research convention from esketamine post hoc
analyses [A16]; no CADSS cut-off separated presence from absence of investigator-reported
dissociation well [A17]. So it is only an informational flag: show the raw score beside the
clinician's judgement. "Resolved" has no numeric rule (back to the pre-dose value or
clinician judgement, a local convention).
"""

from __future__ import annotations

from collections.abc import Mapping

from ketaflow.clinical.evidence import cite, default
from ketaflow.clinical.instruments.base import (
    Cutoff,
    Flag,
    FlagCode,
    FlagKind,
    Item,
    ItemInstrument,
    Licence,
    Rater,
    Subscale,
    numbered_items,
)

CADSS_ITEMS = 23
CADSS6_ITEM_NUMBERS = (1, 2, 6, 7, 15, 22)
RECALL = "current state (rated during or after the dose)"
LICENCE_NOTE = "Licence terms UNVERIFIED: short labels only, behind licence confirmation."


def _research_cutoff_rule(
    _answers: Mapping[int, int], total: int, cutoffs: Mapping[str, int]
) -> tuple[Flag, ...]:
    """Total above the research convention (default > 4) [A16, A17]: informational only."""
    limit = cutoffs["research_dissociation"]
    if total <= limit:
        return ()
    return (
        Flag(
            FlagCode.CADSS_ABOVE_RESEARCH_CUTOFF,
            FlagKind.INFORMATIONAL,
            f"CADSS total {total} is above {limit}, the research convention for significant "
            "dissociation; it is not a validated clinical trigger: record the clinician's "
            "judgement beside it.",
            cite("A16", "A17"),
        ),
    )


CADSS = ItemInstrument(
    code="cadss",
    name="CADSS",
    full_name="Clinician-Administered Dissociative States Scale (23-item)",
    rater=Rater.CLINICIAN,
    recall_period=RECALL,
    licence=Licence.SHORT_LABELS,
    sources=cite("S40", "A18"),
    items=numbered_items(CADSS_ITEMS, 4),
    subscales=(Subscale("cadss6", "CADSS-6 (items 1, 2, 6, 7, 15, 22)", CADSS6_ITEM_NUMBERS),),
    cutoffs=(
        Cutoff(
            "research_dissociation",
            "total above which dissociation counts as significant in esketamine research",
            default(4, "A16", "A17", note="A research convention (> 4), not a validated trigger."),
        ),
    ),
    flag_rules=(_research_cutoff_rule,),
    notes=LICENCE_NOTE,
)

CADSS6 = ItemInstrument(
    code="cadss6",
    name="CADSS-6",
    full_name="Clinician-Administered Dissociative States Scale, 6-item short form",
    rater=Rater.CLINICIAN,
    recall_period=RECALL,
    licence=Licence.SHORT_LABELS,
    sources=cite("S40"),
    items=tuple(
        Item(number=pos, key=f"item_{n}", label=f"CADSS item {n}", minimum=0, maximum=4)
        for pos, n in enumerate(CADSS6_ITEM_NUMBERS, start=1)
    ),
    notes=LICENCE_NOTE + " Answers are CADSS items 1, 2, 6, 7, 15, 22 in that order; "
    "the > 4 convention is for the full scale, so CADSS-6 raises no flag.",
)
