"""Sources of the rating scales themselves (their items and anchors), beside the clinical
register (`evidence_register`): found through `evidence.source` like every other source."""

from __future__ import annotations

from ketaflow.clinical.evidence_types import Source

SCALE_SOURCES: tuple[Source, ...] = (
    Source(
        key="SC-Chernik1990",
        citation="Chernik DA, Gillings D, Laine H, et al. Validity and reliability of the "
        "Observer's Assessment of Alertness/Sedation Scale: study with intravenous midazolam. "
        "J Clin Psychopharmacol 1990;10(4):244-251.",
        authors="Chernik DA, Gillings D, Laine H, et al.",
        title="Validity and reliability of the Observer's Assessment of Alertness/Sedation "
        "Scale: study with intravenous midazolam",
        year=1990,
        doi=None,
    ),
)

__all__ = ["SCALE_SOURCES"]
