"""The patient education pages: their order, titles and the sources they rest on.

The text lives in `templates/portal/learn/<slug>.html`, written in plain language in our own
words from the reference (clinical.md, clinical-addendum.md); facts carry their source keys
(e.g. [S1]) so a clinician can check them in the evidence register.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    summary: str
    sources: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "what-is-ketamine",
        "What ketamine is and how it may help",
        "An anaesthetic medicine, used here at much lower doses.",
        ("S4", "S20", "S8", "S13"),
    ),
    Topic(
        "treatment-day",
        "What a treatment day looks like",
        "Getting ready, the treatment, resting afterwards and getting home.",
        ("S1", "S2", "S4", "A22"),
    ),
    Topic(
        "evidence",
        "Benefits: what the research does and does not show",
        "Small studies, some encouraging results, many open questions.",
        ("S8", "S9", "S10", "S12", "S13", "S6", "S38"),
    ),
    Topic(
        "side-effects",
        "Side effects and risks",
        "Common short-lived effects, and the rarer risks we check for.",
        ("S4", "S8", "S55", "S33", "S32", "S1", "S43"),
    ),
    Topic(
        "off-label",
        "Why this treatment is called \u201coff-label\u201d",
        "What it means that ketamine is not licensed for anxiety.",
        ("S1", "S38", "S35"),
    ),
    Topic(
        "when-to-call",
        "When to call the clinic or get emergency help",
        "Who to call, and when not to wait.",
        ("S1", "S4"),
    ),
)


def topic(slug: str) -> Topic | None:
    return next((t for t in TOPICS if t.slug == slug), None)
