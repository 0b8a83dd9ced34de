"""HAM-A, the Hamilton Anxiety Rating Scale: clinician-rated, short labels only.

14 items rated 0-4 (not present, mild, moderate, severe, very severe), total 0-56 [S40c].
Licence terms are UNVERIFIED (only a vendor blog calls it public domain [A31]), so Ketaflow
holds short labels, no anchors' wording, and the clinic must confirm its licence.
"""

from __future__ import annotations

from ketaflow.clinical.evidence import Evidence, cite, default
from ketaflow.clinical.instruments.base import (
    AnswerOption,
    Band,
    BandSet,
    Item,
    ItemInstrument,
    Licence,
    Rater,
)
from ketaflow.clinical.response import ResponseCriteria

HAMA_OPTIONS = (
    AnswerOption(0, "not present"),
    AnswerOption(1, "mild"),
    AnswerOption(2, "moderate"),
    AnswerOption(3, "severe"),
    AnswerOption(4, "very severe"),
)
HAMA_LABELS = (
    "anxious mood",
    "tension",
    "fears",
    "insomnia",
    "intellectual",
    "depressed mood",
    "somatic (muscular)",
    "somatic (sensory)",
    "cardiovascular",
    "respiratory",
    "gastrointestinal",
    "genitourinary",
    "autonomic",
    "behaviour at interview",
)

# Matza 2010 bands (derived from a GAD trial, n=144) [S40c]. Other published sets exist
# (e.g. <17 mild, 18-24 mild-moderate, 25-30 moderate-severe); this set is the one used.
HAMA_BANDS = BandSet(
    name="HAM-A Matza 2010 (0-7/8-14/15-23/24-56)",
    bands=(
        Band(0, 7, "minimal"),
        Band(8, 14, "mild"),
        Band(15, 23, "moderate"),
        Band(24, 56, "severe"),
    ),
    sources=cite("S40"),
    note="Matza 2010 labels 0-7 'no/minimal'.",
)

HAMA = ItemInstrument(
    code="hama",
    name="HAM-A",
    full_name="Hamilton Anxiety Rating Scale",
    rater=Rater.CLINICIAN,
    recall_period="at interview (recall period not stated in the reference)",
    licence=Licence.SHORT_LABELS,
    sources=cite("S40", "A31"),
    answer_options=HAMA_OPTIONS,
    items=tuple(
        Item(number=n, key=f"item_{n}", label=label, minimum=0, maximum=4, options=HAMA_OPTIONS)
        for n, label in enumerate(HAMA_LABELS, start=1)
    ),
    bands=HAMA_BANDS,
    response=ResponseCriteria(
        response_min_improvement_pct=default(
            50.0,
            "S11",
            evidence=Evidence.SECONDARY,
            note="Glue programme: >= 50% reduction in anxiety ratings to enter maintenance "
            "(trial-registration summary).",
        ),
        remission_at_or_below=default(
            7,
            "S40",
            evidence=Evidence.UNVERIFIED,
            note="HAM-A <= 7 is common usage (Matza's minimal band), not a formal definition.",
        ),
    ),
    notes="Licence UNVERIFIED: short labels only, behind the clinic's licence confirmation.",
)
