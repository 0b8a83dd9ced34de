"""Response and remission criteria of an instrument, used by `instruments` and `outcomes`."""

from __future__ import annotations

from dataclasses import dataclass

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence import ClinicDefault, Source


@dataclass(frozen=True)
class ResponseCriteria:
    """When a fall in score counts as response and a score as remission.

    Scores are "higher is worse" for every instrument Ketaflow tracks as an outcome.
    Response is judged either in percent or in points, never both:
    - `response_min_improvement_pct`: (baseline - current) / baseline * 100 is at least this
      (strictly greater than, if `response_strict`, e.g. LSAS > 35%);
    - `response_min_points`: baseline - current is at least this many points (PCL-5, whose
      published change anchors are in points, S40).
    `remission_at_or_below`: the remission level (None: no definition). Remission also needs
    a response (`meets_remission`): a patient who starts just above the level and drops a
    point or two has not remitted, whatever the level says.
    `depression_scale`: the S17/S18 improvement thresholds were derived on depression scales
    (MADRS, QIDS-SR16); on any other scale `outcomes` flags them for local sign-off.
    """

    response_min_improvement_pct: ClinicDefault[float] | None
    remission_at_or_below: ClinicDefault[int] | None
    response_strict: bool = False
    response_min_points: ClinicDefault[int] | None = None
    depression_scale: bool = False

    def __post_init__(self) -> None:
        if (self.response_min_improvement_pct is None) == (self.response_min_points is None):
            raise ClinicalInputError(
                "give exactly one response rule: a percent or a number of points",
                field="response_min_improvement_pct",
            )

    @property
    def response_rule(self) -> ClinicDefault[float] | ClinicDefault[int]:
        """The threshold in force (percent or points), for its value, sources and evidence."""
        if self.response_min_points is not None:
            return self.response_min_points
        assert self.response_min_improvement_pct is not None
        return self.response_min_improvement_pct

    @property
    def response_sources(self) -> tuple[Source, ...]:
        return self.response_rule.sources

    @property
    def response_label(self) -> str:
        """The rule in words for screens, e.g. ">= 50% better" or ">= 10 points better"."""
        if self.response_min_points is not None:
            return f"≥ {self.response_min_points.value} points better"
        assert self.response_min_improvement_pct is not None
        sign = ">" if self.response_strict else "≥"
        return f"{sign} {self.response_min_improvement_pct.value:g}% better"

    def improvement_pct(self, baseline: float, current: float) -> float | None:
        """Percent improvement from baseline; None when the baseline is 0 (undefined)."""
        if baseline <= 0:
            return None
        return (baseline - current) / baseline * 100.0

    def response_score(self, baseline: float) -> float | None:
        """The highest score that would count as a response (None if none can)."""
        if self.response_min_points is not None:
            score = baseline - self.response_min_points.value
            return score if score >= 0 else None
        assert self.response_min_improvement_pct is not None
        if baseline <= 0:
            return None
        return baseline * (1 - self.response_min_improvement_pct.value / 100)

    def is_response(self, baseline: float, current: float) -> bool:
        if self.response_min_points is not None:
            return baseline - current >= self.response_min_points.value
        assert self.response_min_improvement_pct is not None
        pct = self.improvement_pct(baseline, current)
        if pct is None:
            return False
        threshold = self.response_min_improvement_pct.value
        return pct > threshold if self.response_strict else pct >= threshold

    def is_remission(self, current: float) -> bool:
        """Whether the score is at or below the remission level (the level alone)."""
        return self.remission_at_or_below is not None and (
            current <= self.remission_at_or_below.value
        )

    def meets_remission(self, baseline: float, current: float) -> bool:
        """Remission: a response that also reaches the remission level."""
        return self.is_response(baseline, current) and self.is_remission(current)
