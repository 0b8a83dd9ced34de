"""Response and remission criteria of an instrument, used by `instruments` and `outcomes`."""

from __future__ import annotations

from dataclasses import dataclass

from ketaflow.clinical.evidence import ClinicDefault


@dataclass(frozen=True)
class ResponseCriteria:
    """When a fall in score counts as response and a score as remission.

    Scores are "higher is worse" for every instrument Ketaflow tracks as an outcome.
    `response_min_improvement_pct`: response when (baseline - current) / baseline * 100 is
    at least this (strictly greater than, if `response_strict`, e.g. LSAS > 35%).
    `remission_at_or_below`: remission when the score is at most this (None: no definition).
    """

    response_min_improvement_pct: ClinicDefault[float]
    remission_at_or_below: ClinicDefault[int] | None
    response_strict: bool = False

    def improvement_pct(self, baseline: float, current: float) -> float | None:
        """Percent improvement from baseline; None when the baseline is 0 (undefined)."""
        if baseline <= 0:
            return None
        return (baseline - current) / baseline * 100.0

    def is_response(self, baseline: float, current: float) -> bool:
        pct = self.improvement_pct(baseline, current)
        if pct is None:
            return False
        threshold = self.response_min_improvement_pct.value
        return pct > threshold if self.response_strict else pct >= threshold

    def is_remission(self, current: float) -> bool:
        return self.remission_at_or_below is not None and (
            current <= self.remission_at_or_below.value
        )
