"""Statistics of clinic outcomes: proportions with Wilson intervals, Kaplan-Meier curves,
time-to-event construction from a course's dated findings, and small-cell suppression.

Pure: plain numbers and dates in, dataclasses out; no Django, no I/O, no clock. The apps
summarise each course once (`outcomes.CourseOutcome`) and hand these functions counts, so a
dashboard over 100,000 courses never loops over sessions or questionnaire responses.

Why these methods:
- Wilson's score interval (M-Wilson1927) for every rate: unlike the Wald interval it stays
  inside [0, 1] and keeps near-nominal coverage for the small numerators a clinic has
  (e.g. 7/20 -> 18.1% to 56.7%).
- Kaplan-Meier (M-KaplanMeier1958) for time to response and relapse-free durability: courses
  still running, or lost to follow-up, are censored at their last assessment instead of
  being dropped (dropping them biases the median down) or counted as failures.
  Pointwise 95% bands use Greenwood's variance on the log(-log) scale (M-Greenwood1926), the
  "exponential Greenwood" interval. The estimate and its band come from SciPy's
  `scipy.stats.ecdf` on `CensoredData` (a tested implementation the project already
  depends on; lifelines did the same and pulled in pandas); this module only turns
  (days, event, count) rows into its input and its output into plain steps. SciPy is
  imported on first use, so commands that never draw a curve start without it.
- Counts below `MIN_CELL` (5) are suppressed in de-identified views (M-HIPAA-SafeHarbor
  guidance practice; the cut-off itself is a local choice needing sign-off).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import NormalDist

from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.evidence_types import ClinicDefault, Evidence, Source

# ---------------------------------------------------------------------------------------
# Method sources (registered with the evidence register through `evidence._index`)
# ---------------------------------------------------------------------------------------
# Standard methods papers and one regulation. They are not in the clinical reference (which
# covers clinical facts), so they live here; bibliographic details are the well-known
# citations and should be checked before publication.

METHOD_SOURCES: tuple[Source, ...] = (
    Source(
        key="M-Wilson1927",
        citation="Wilson EB. Probable inference, the law of succession, and statistical "
        "inference. J Am Stat Assoc 1927;22(158):209-212.",
        authors="Wilson EB",
        title="Probable inference, the law of succession, and statistical inference",
        year=1927,
        doi="10.1080/01621459.1927.10502953",
    ),
    Source(
        key="M-KaplanMeier1958",
        citation="Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. "
        "J Am Stat Assoc 1958;53(282):457-481.",
        authors="Kaplan EL, Meier P",
        title="Nonparametric estimation from incomplete observations",
        year=1958,
        doi="10.1080/01621459.1958.10501452",
    ),
    Source(
        key="M-Greenwood1926",
        citation="Greenwood M. The natural duration of cancer. Reports on Public Health and "
        "Medical Subjects 33. London: HMSO; 1926 (variance of the product-limit estimate).",
        authors="Greenwood M",
        title="The natural duration of cancer",
        year=1926,
    ),
    Source(
        key="M-Brier1950",
        citation="Brier GW. Verification of forecasts expressed in terms of probability. "
        "Monthly Weather Review 1950;78(1):1-3.",
        authors="Brier GW",
        title="Verification of forecasts expressed in terms of probability",
        year=1950,
        doi="10.1175/1520-0493(1950)078<0001:VOFEIT>2.0.CO;2",
    ),
    Source(
        key="M-Cox1958",
        citation="Cox DR. Two further applications of a model for binary regression. "
        "Biometrika 1958;45(3-4):562-565 (calibration slope and intercept).",
        authors="Cox DR",
        title="Two further applications of a model for binary regression",
        year=1958,
        doi="10.1093/biomet/45.3-4.562",
    ),
    Source(
        key="M-Steyerberg2010",
        citation="Steyerberg EW, Vickers AJ, Cook NR, et al. Assessing the performance of "
        "prediction models: a framework for traditional and novel measures. Epidemiology "
        "2010;21(1):128-138.",
        authors="Steyerberg EW, Vickers AJ, Cook NR",
        title="Assessing the performance of prediction models",
        year=2010,
        doi="10.1097/EDE.0b013e3181c30fb2",
    ),
    Source(
        key="M-Peduzzi1996",
        citation="Peduzzi P, Concato J, Kemper E, Holford TR, Feinstein AR. A simulation study "
        "of the number of events per variable in logistic regression analysis. J Clin "
        "Epidemiol 1996;49(12):1373-1379.",
        authors="Peduzzi P, Concato J, Kemper E, Holford TR, Feinstein AR",
        title="A simulation study of the number of events per variable in logistic regression",
        year=1996,
        doi="10.1016/S0895-4356(96)00236-3",
    ),
    Source(
        key="M-Efron1979",
        citation="Efron B. Bootstrap methods: another look at the jackknife. Ann Stat "
        "1979;7(1):1-26.",
        authors="Efron B",
        title="Bootstrap methods: another look at the jackknife",
        year=1979,
        doi="10.1214/aos/1176344552",
    ),
    Source(
        key="M-HIPAA-SafeHarbor",
        citation="45 CFR 164.514(b)(2) (HIPAA Privacy Rule, de-identification by the Safe "
        "Harbor method: the 18 identifiers) and 164.514(c) (re-identification codes); HHS "
        "guidance on de-identification.",
        authors="US Department of Health and Human Services",
        title="HIPAA Privacy Rule: de-identification (Safe Harbor), 45 CFR 164.514",
        year=None,
        url="https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/"
        "subpart-E/section-164.514",
    ),
)
_BY_KEY = {s.key: s for s in METHOD_SOURCES}


def method_source(key: str) -> Source:
    """A method source by key (they are also found through `evidence.source`)."""
    return _BY_KEY[key]


WILSON = (_BY_KEY["M-Wilson1927"],)
KAPLAN_MEIER = (_BY_KEY["M-KaplanMeier1958"], _BY_KEY["M-Greenwood1926"])

#: Smallest count shown in a de-identified view; smaller non-zero counts read "<5".
MIN_CELL = ClinicDefault(
    value=5,
    sources=(_BY_KEY["M-HIPAA-SafeHarbor"],),
    evidence=Evidence.UNVERIFIED,
    note="Small-cell suppression threshold: common practice, not a HIPAA rule; sign off locally.",
)


# ---------------------------------------------------------------------------------------
# Proportions
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proportion:
    """k of n, the point estimate and its Wilson score interval."""

    k: int
    n: int
    p: float | None  # None when n == 0
    low: float | None
    high: float | None
    confidence: float = 0.95
    sources: tuple[Source, ...] = WILSON

    @property
    def percent(self) -> float | None:
        return None if self.p is None else self.p * 100.0

    # Pages show the estimate in percent, so its interval must be in percent too: "75.0% (95% CI
    # 0.409–0.929)" mixes two scales and reads as a sub-1% interval.
    @property
    def low_percent(self) -> float | None:
        return None if self.low is None else self.low * 100.0

    @property
    def high_percent(self) -> float | None:
        return None if self.high is None else self.high * 100.0


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ClinicalInputError("confidence must be between 0 and 1", field="confidence")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(k: int, n: int, confidence: float = 0.95) -> Proportion:
    """The Wilson score interval for k successes in n trials (M-Wilson1927).

    centre = (p + z^2/2n) / (1 + z^2/n); half-width = z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n).
    """
    if isinstance(k, bool) or isinstance(n, bool) or n < 0 or k < 0 or k > n:
        raise ClinicalInputError(f"need 0 <= k <= n, got k={k}, n={n}", field="k")
    if n == 0:
        return Proportion(k, n, None, None, None, confidence)
    z = _z(confidence)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # Exact at the edges (float rounding can leave 1e-17 outside [0, 1] or off p).
    low = 0.0 if k == 0 else max(0.0, min(p, centre - half))
    high = 1.0 if k == n else min(1.0, max(p, centre + half))
    return Proportion(k, n, p, low, high, confidence)


# ---------------------------------------------------------------------------------------
# Time to event
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeToEvent:
    """Days from the origin to the event, or to the last observation (censored)."""

    days: int
    event: bool


def time_to_event(
    origin: date, event_on: date | None, last_seen: date | None
) -> TimeToEvent | None:
    """The event's day count, else censoring at the last observation; None if nothing to say.

    An event or observation before the origin is an input error (a date slip upstream).
    """
    if event_on is not None:
        days = (event_on - origin).days
        if days < 0:
            raise ClinicalInputError("the event comes before its origin", field="event_on")
        return TimeToEvent(days, True)
    if last_seen is None:
        return None
    days = (last_seen - origin).days
    if days < 0:
        return None  # last seen before the origin: not yet at risk
    return TimeToEvent(days, False)


# ---------------------------------------------------------------------------------------
# Kaplan-Meier
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KMStep:
    """The survival estimate from `days` on (until the next step)."""

    days: int
    at_risk: int
    events: int
    censored: int
    survival: float
    low: float
    high: float


@dataclass(frozen=True)
class KMCurve:
    n: int
    events: int
    steps: tuple[KMStep, ...]  # first step: day 0, survival 1
    median_days: int | None  # None: the curve never reaches 0.5
    median_low: int | None  # 95% CI of the median from the band (None: not reached)
    median_high: int | None
    confidence: float
    sources: tuple[Source, ...] = KAPLAN_MEIER

    def survival_at(self, days: float) -> float:
        current = 1.0
        for step in self.steps:
            if step.days > days:
                break
            current = step.survival
        return current


def _crossing(values: Sequence[tuple[int, float]]) -> int | None:
    """First day on which the value is at or below one half."""
    for day, value in values:
        if value <= 0.5 + 1e-12:
            return day
    return None


def kaplan_meier(
    observations: Iterable[tuple[int, bool, int] | tuple[int, bool]], confidence: float = 0.95
) -> KMCurve:
    """The product-limit estimate (SciPy) from (days, event[, count]) observations.

    `count` lets the apps pass GROUP BY counts straight from the database: each row stands
    for `count` courses (SciPy takes one value per course, so rows are repeated). Ties follow
    the usual convention: at a day with both events and censorings, the censored are still
    at risk for that day's events. The band is Greenwood's variance on the log(-log) scale;
    the median's interval is where the band crosses one half.
    """
    events_on: dict[int, int] = {}
    censored_on: dict[int, int] = {}
    for obs in observations:
        days, event = int(obs[0]), bool(obs[1])
        count = int(obs[2]) if len(obs) > 2 else 1
        if days < 0 or count < 0:
            raise ClinicalInputError("days and counts must be >= 0", field="observations")
        if count:
            tally = events_on if event else censored_on
            tally[days] = tally.get(days, 0) + count
    n = sum(events_on.values()) + sum(censored_on.values())
    if n == 0:
        return KMCurve(0, 0, (KMStep(0, 0, 0, 0, 1.0, 1.0, 1.0),), None, None, None, confidence)
    _z(confidence)  # the same input check as the proportions

    import warnings

    import numpy as np  # slow to import: only when a curve is drawn
    from scipy import stats

    def repeated(tally: dict[int, int]) -> np.ndarray:
        return np.repeat(np.fromiter(tally, dtype=float), np.fromiter(tally.values(), dtype=int))

    result = stats.ecdf(
        stats.CensoredData(uncensored=repeated(events_on), right=repeated(censored_on))
    )
    with warnings.catch_warnings():
        # Undefined at S=1 and S=0 ("a feature of the formula"): the band is the point there.
        warnings.simplefilter("ignore", RuntimeWarning)
        band = result.sf.confidence_interval(confidence, method="log-log")
    days_all = sorted(set(events_on) | set(censored_on))
    survival = result.sf.evaluate(np.array(days_all, dtype=float))
    lows = band.low.evaluate(np.array(days_all, dtype=float))
    highs = band.high.evaluate(np.array(days_all, dtype=float))
    steps: list[KMStep] = []
    at_risk = n
    for day, surv_, low_, high_ in zip(days_all, survival, lows, highs, strict=True):
        d, c = events_on.get(day, 0), censored_on.get(day, 0)
        surv, low, high = float(surv_), float(low_), float(high_)
        if math.isnan(low) or math.isnan(high) or not 0.0 < surv < 1.0:
            low = high = surv  # at S=1 or S=0 the band is the point
        steps.append(KMStep(day, at_risk, d, c, surv, low, high))
        at_risk -= d + c
    total_events = sum(events_on.values())
    if steps[0].days != 0:
        steps.insert(0, KMStep(0, n, 0, 0, 1.0, 1.0, 1.0))
    median = _crossing([(s.days, s.survival) for s in steps]) if total_events else None
    m_low = _crossing([(s.days, s.low) for s in steps]) if total_events else None
    m_high = _crossing([(s.days, s.high) for s in steps]) if total_events else None
    return KMCurve(n, total_events, tuple(steps), median, m_low, m_high, confidence)


def cumulative_incidence(curve: KMCurve) -> list[tuple[int, float, float, float]]:
    """(day, 1 - S, low, high): e.g. the share responded by each day."""
    return [(s.days, 1 - s.survival, 1 - s.high, 1 - s.low) for s in curve.steps]


# ---------------------------------------------------------------------------------------
# Small cells and histograms
# ---------------------------------------------------------------------------------------


def suppress(count: int, min_cell: int | None = None) -> str:
    """A count for a de-identified view: "<5" for 1-4 (0 is shown: it identifies nobody)."""
    threshold = MIN_CELL.value if min_cell is None else min_cell
    return f"<{threshold}" if 0 < count < threshold else str(count)


def is_small(count: int, min_cell: int | None = None) -> bool:
    threshold = MIN_CELL.value if min_cell is None else min_cell
    return 0 < count < threshold


@dataclass(frozen=True)
class Bin:
    low: float
    high: float
    count: int


def bins_from_counts(counts: dict[int, int], width: float, origin: float = 0.0) -> list[Bin]:
    """Contiguous bins from {bucket index: count} (as a database GROUP BY returns them)."""
    if width <= 0:
        raise ClinicalInputError("bin width must be > 0", field="width")
    if not counts:
        return []
    lo, hi = min(counts), max(counts)
    return [
        Bin(origin + i * width, origin + (i + 1) * width, counts.get(i, 0))
        for i in range(lo, hi + 1)
    ]


__all__ = [
    "KAPLAN_MEIER",
    "METHOD_SOURCES",
    "MIN_CELL",
    "WILSON",
    "Bin",
    "KMCurve",
    "KMStep",
    "Proportion",
    "TimeToEvent",
    "bins_from_counts",
    "cumulative_incidence",
    "is_small",
    "kaplan_meier",
    "method_source",
    "suppress",
    "time_to_event",
    "wilson",
]
