"""GAD-7 and PHQ-9: free self-report questionnaires, held with their published wording.

Both are free to reproduce ("No permission required to reproduce, translate, display or
distribute", Pfizer [S42b, S42c]), so patients may complete them on electronic forms. They
share the 0-3 frequency answers over the past 2 weeks and the LOINC answer codes [S42b].
"""

from __future__ import annotations

from collections.abc import Mapping

from ketaflow.clinical.evidence import Evidence, cite, default
from ketaflow.clinical.instruments.base import (
    AnswerOption,
    Band,
    BandSet,
    Cutoff,
    Flag,
    FlagCode,
    FlagKind,
    Item,
    ItemInstrument,
    Licence,
    Rater,
    at_or_above,
    frequency_items,
)
from ketaflow.clinical.response import ResponseCriteria

FREQUENCY_OPTIONS = (
    AnswerOption(0, "Not at all", "LA6568-5"),
    AnswerOption(1, "Several days", "LA6569-3"),
    AnswerOption(2, "More than half the days", "LA6570-1"),
    AnswerOption(3, "Nearly every day", "LA6571-9"),
)

DIFFICULTY_TEXT = (
    "If you checked off any problems, how difficult have these problems made it for you to "
    "do your work, take care of things at home, or get along with other people?"
)
DIFFICULTY_OPTIONS = (
    AnswerOption(0, "Not difficult at all"),
    AnswerOption(1, "Somewhat difficult"),
    AnswerOption(2, "Very difficult"),
    AnswerOption(3, "Extremely difficult"),
)

LICENCE_NOTE = "No permission required to reproduce, translate, display or distribute (Pfizer)."


def _difficulty_item(number: int, loinc: str | None) -> Item:
    """The unscored functional-difficulty question that closes both forms (optional)."""
    return Item(
        number=number,
        key="difficulty",
        label="functional difficulty",
        minimum=0,
        maximum=3,
        text=DIFFICULTY_TEXT,
        loinc=loinc,
        options=DIFFICULTY_OPTIONS,
        scored=False,
        required=False,
    )


# --- GAD-7 (Spitzer 2006) [S40a] -------------------------------------------------------

GAD7_STEM = "Over the last 2 weeks, how often have you been bothered by the following problems?"
GAD7_TEXTS = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
)
GAD7_LABELS = (
    "nervous, anxious, on edge",
    "cannot stop or control worrying",
    "worrying too much",
    "trouble relaxing",
    "restless",
    "annoyed or irritable",
    "afraid something awful might happen",
)
# Item codes in form order [S42c]; one public repo swaps items 6/7: validate against LOINC.
GAD7_ITEM_LOINC = (
    "69725-0",
    "68509-9",
    "69733-4",
    "69734-2",
    "69735-9",
    "69689-8",
    "69736-7",
)

GAD7_BANDS = BandSet(
    name="GAD-7 Spitzer 2006 (0-4/5-9/10-14/15-21)",
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 21, "severe"),
    ),
    sources=cite("S40"),
)

GAD7 = ItemInstrument(
    code="gad7",
    name="GAD-7",
    full_name="Generalized Anxiety Disorder 7-item scale",
    rater=Rater.SELF,
    recall_period="past 2 weeks",
    licence=Licence.FREE,
    sources=cite("S40", "S42"),
    loinc_panel="69737-5",
    loinc_total="70274-6",
    stem=GAD7_STEM,
    answer_options=FREQUENCY_OPTIONS,
    items=(
        *frequency_items(GAD7_TEXTS, GAD7_LABELS, GAD7_ITEM_LOINC, 3, FREQUENCY_OPTIONS),
        _difficulty_item(8, None),
    ),
    bands=GAD7_BANDS,
    response=ResponseCriteria(
        response_min_improvement_pct=default(
            50.0,
            "S40",
            evidence=Evidence.UNVERIFIED,
            note="Common usage (>= 50% reduction); no authoritative GAD-7 definition found.",
        ),
        remission_at_or_below=default(
            4,
            "S40",
            evidence=Evidence.UNVERIFIED,
            note="Remission < 5 (some use < 10); no authoritative GAD-7 definition found.",
        ),
    ),
    cutoffs=(
        Cutoff(
            "screen_positive",
            "screening cut-off for GAD (sens 89%, spec 82%)",
            default(10, "S40"),
        ),
    ),
    flag_rules=(
        at_or_above(
            FlagCode.GAD7_SCREEN_POSITIVE,
            FlagKind.CLINICAL,
            "screen_positive",
            "GAD-7 total {total} is at or above the screening cut-off {cutoff}: assess for "
            "GAD (the cut-off also screens panic, social anxiety and PTSD).",
            cite("S40"),
        ),
    ),
    notes=LICENCE_NOTE + " Item 8 (difficulty) is recorded but not scored.",
)


# --- PHQ-9 (Kroenke 2001) [S40b] -------------------------------------------------------

PHQ9_STEM = (
    "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
)
PHQ9_TEXTS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself \u2014 or that you are a failure or have let yourself or "
    "your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite "
    "\u2014 being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
PHQ9_LABELS = (
    "little interest or pleasure",
    "down, depressed, hopeless",
    "sleep problems",
    "tired, little energy",
    "appetite",
    "feeling bad about yourself",
    "trouble concentrating",
    "slowed or restless",
    "thoughts of death or self-harm",
)
PHQ9_ITEM_LOINC = (
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
)
PHQ9_DIFFICULTY_LOINC = "69722-7"

PHQ9_BANDS = BandSet(
    name="PHQ-9 Kroenke 2001 (0-4/5-9/10-14/15-19/20-27)",
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"),
        Band(20, 27, "severe"),
    ),
    sources=cite("S40"),
)

PHQ9_SUICIDE_ITEM = 9


def _item9_rule(
    answers: Mapping[int, int], _total: int, _cutoffs: Mapping[str, int]
) -> tuple[Flag, ...]:
    """Any non-zero item 9 starts a suicide-risk assessment, whatever the total.

    A workflow convention, not a cited guideline (UNVERIFIED as a formal standard) [S40b].
    """
    value = answers[PHQ9_SUICIDE_ITEM]
    if value == 0:
        return ()
    return (
        Flag(
            FlagCode.PHQ9_ITEM9_POSITIVE,
            FlagKind.SAFETY,
            f"PHQ-9 item 9 (thoughts of death or self-harm) answered {value} "
            f"({FREQUENCY_OPTIONS[value].label.lower()}): complete a suicide-risk assessment "
            "(e.g. C-SSRS) before the next treatment.",
            cite("S40"),
            Evidence.UNVERIFIED,
        ),
    )


PHQ9 = ItemInstrument(
    code="phq9",
    name="PHQ-9",
    full_name="Patient Health Questionnaire 9-item depression scale",
    rater=Rater.SELF,
    recall_period="past 2 weeks",
    licence=Licence.FREE,
    sources=cite("S40", "S42"),
    loinc_panel="44249-1",
    loinc_total="44261-6",
    stem=PHQ9_STEM,
    answer_options=FREQUENCY_OPTIONS,
    items=(
        *frequency_items(PHQ9_TEXTS, PHQ9_LABELS, PHQ9_ITEM_LOINC, 3, FREQUENCY_OPTIONS),
        _difficulty_item(10, PHQ9_DIFFICULTY_LOINC),
    ),
    bands=PHQ9_BANDS,
    response=ResponseCriteria(
        response_min_improvement_pct=default(
            50.0,
            "S40",
            evidence=Evidence.SECONDARY,
            note="Widely used (>= 50% reduction); retrieved from secondary pages only.",
        ),
        remission_at_or_below=default(
            4,
            "S40",
            evidence=Evidence.SECONDARY,
            note="Remission < 5; retrieved from secondary pages only.",
        ),
        depression_scale=True,
    ),
    cutoffs=(
        Cutoff(
            "screen_positive",
            "cut-off for major depression (sens 88%, spec 88%)",
            default(10, "S40"),
        ),
    ),
    flag_rules=(
        _item9_rule,
        at_or_above(
            FlagCode.PHQ9_SCREEN_POSITIVE,
            FlagKind.CLINICAL,
            "screen_positive",
            "PHQ-9 total {total} is at or above the cut-off {cutoff} for major depression.",
            cite("S40"),
        ),
    ),
    notes=LICENCE_NOTE
    + " Item 10 (difficulty, LOINC 69722-7) is recorded but not scored. FHIR Observations "
    'may carry the total as valueString (e.g. "12").',
)
