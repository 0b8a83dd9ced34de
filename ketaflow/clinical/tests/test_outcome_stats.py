"""Outcome statistics against hand-computed cohorts and the published formulas."""

from __future__ import annotations

import math
from datetime import date

import pytest

from ketaflow.clinical import evidence
from ketaflow.clinical.errors import ClinicalInputError
from ketaflow.clinical.outcome_stats import (
    bins_from_counts,
    cumulative_incidence,
    is_small,
    kaplan_meier,
    suppress,
    time_to_event,
    wilson,
)


def test_wilson_interval_for_7_of_20_matches_the_published_formula():
    # p = 0.35, z = 1.959964, z^2 = 3.841459: denominator 1 + z^2/20 = 1.192073;
    # centre (0.35 + 0.096036) / 1.192073 = 0.37417;
    # half-width 1.959964 * sqrt(0.011375 + 0.0024009) / 1.192073 = 0.19298 -> 0.18119 .. 0.56715
    r = wilson(7, 20)
    assert r.p == pytest.approx(0.35)
    assert r.low == pytest.approx(0.18119, abs=1e-5)
    assert r.high == pytest.approx(0.56715, abs=1e-5)
    assert r.sources[0].key == "M-Wilson1927"


def test_wilson_interval_at_the_edges_is_exact_and_inside_0_1():
    none = wilson(0, 10)
    assert none.low == 0.0 and 0 < none.high < 0.35
    assert none.high == pytest.approx(0.27753, abs=5e-5)
    every = wilson(10, 10)
    assert every.high == 1.0 and every.low == pytest.approx(1 - 0.27753, abs=5e-5)


def test_wilson_with_no_trials_has_no_estimate():
    r = wilson(0, 0)
    assert r.p is None and r.low is None and r.high is None


@pytest.mark.parametrize("k,n", [(-1, 3), (4, 3), (1, -1)])
def test_wilson_refuses_impossible_counts(k, n):
    with pytest.raises(ClinicalInputError):
        wilson(k, n)


SIX = [(1, True), (2, False), (3, True), (3, True), (5, False), (6, True)]


def test_kaplan_meier_of_six_patients_by_hand():
    # t=1: 6 at risk, 1 event -> 5/6; t=2 one censored; t=3: 4 at risk, 2 events -> 5/6*2/4;
    # t=5 one censored; t=6: 1 at risk, 1 event -> 0.
    curve = kaplan_meier(SIX)
    by_day = {s.days: s for s in curve.steps}
    assert by_day[1].survival == pytest.approx(5 / 6)
    assert by_day[2].survival == pytest.approx(5 / 6) and by_day[2].censored == 1
    assert by_day[3].survival == pytest.approx(5 / 12) and by_day[3].at_risk == 4
    assert by_day[6].survival == 0.0 and by_day[6].at_risk == 1
    assert curve.median_days == 3
    assert curve.n == 6 and curve.events == 4
    assert curve.survival_at(4) == pytest.approx(5 / 12)
    # Greenwood variance at t=3: 1/(6*5) + 2/(4*2) = 0.28333; log(-log) band
    s = 5 / 12
    se = math.sqrt(1 / 30 + 2 / 8) / abs(math.log(s))
    assert by_day[3].low == pytest.approx(s ** math.exp(1.959964 * se), abs=1e-5)
    assert by_day[3].high == pytest.approx(s ** math.exp(-1.959964 * se), abs=1e-5)


def test_kaplan_meier_takes_grouped_counts_like_a_group_by():
    grouped = kaplan_meier([(1, True, 1), (2, False, 1), (3, True, 2), (5, False, 1), (6, True, 1)])
    assert [s.survival for s in grouped.steps] == [s.survival for s in kaplan_meier(SIX).steps]


def _greenwood_loglog(s: float, greenwood_sum: float, z: float = 1.959964) -> tuple[float, float]:
    """The exponential Greenwood band: S ** exp(+-z * sqrt(sum d/(n(n-d))) / |log S|)."""
    se = math.sqrt(greenwood_sum) / abs(math.log(s))
    return s ** math.exp(z * se), s ** math.exp(-z * se)


def test_every_step_of_the_six_patients_matches_the_hand_computed_table():
    """Day, at risk, events, censored, S and the log(-log) Greenwood band, worked by hand."""
    curve = kaplan_meier(SIX)
    low1, high1 = _greenwood_loglog(5 / 6, 1 / 30)  # 1/(6*5)
    low3, high3 = _greenwood_loglog(5 / 12, 1 / 30 + 2 / 8)  # + 2/(4*2)
    expected = [
        (0, 6, 0, 0, 1.0, 1.0, 1.0),
        (1, 6, 1, 0, 5 / 6, low1, high1),
        (2, 5, 0, 1, 5 / 6, low1, high1),  # a censoring does not move S or its band
        (3, 4, 2, 0, 5 / 12, low3, high3),
        (5, 2, 0, 1, 5 / 12, low3, high3),
        (6, 1, 1, 0, 0.0, 0.0, 0.0),  # S = 0: the band is the point
    ]
    got = [
        (s.days, s.at_risk, s.events, s.censored, s.survival, s.low, s.high) for s in curve.steps
    ]
    assert [g[:4] for g in got] == [e[:4] for e in expected]
    for g, e in zip(got, expected, strict=True):
        assert g[4:] == pytest.approx(e[4:], abs=1e-6)
    # Worked decimals for day 1: se = sqrt(1/30) / |ln(5/6)| = 1.001386.
    assert low1 == pytest.approx(0.27312, abs=1e-5) and high1 == pytest.approx(0.97471, abs=1e-5)
    # The median's interval is where the band crosses one half.
    assert (curve.median_days, curve.median_low, curve.median_high) == (3, 1, 6)


def test_a_curve_without_events_has_no_median():
    curve = kaplan_meier([(3, False), (7, False)])
    assert curve.median_days is None and curve.steps[-1].survival == 1.0


def test_cumulative_incidence_is_one_minus_survival():
    rows = cumulative_incidence(kaplan_meier(SIX))
    assert rows[-1][1] == 1.0 and rows[0][1] == 0.0


def test_time_to_event_uses_the_event_else_censors_at_the_last_observation():
    start = date(2026, 1, 5)
    assert time_to_event(start, date(2026, 1, 19), date(2026, 2, 1)).days == 14
    censored = time_to_event(start, None, date(2026, 1, 12))
    assert censored.days == 7 and not censored.event
    assert time_to_event(start, None, None) is None
    with pytest.raises(ClinicalInputError):
        time_to_event(start, date(2026, 1, 1), None)


def test_small_cells_are_suppressed_but_zero_is_shown():
    assert suppress(0) == "0" and suppress(4) == "<5" and suppress(5) == "5"
    assert is_small(1) and not is_small(0) and not is_small(12)


def test_bins_from_database_bucket_counts_fill_the_gaps():
    bins = bins_from_counts({2: 3, 4: 1}, width=0.25)
    assert [(b.low, b.count) for b in bins] == [(0.5, 3), (0.75, 0), (1.0, 1)]


def test_method_sources_are_found_through_the_register():
    assert evidence.source("M-KaplanMeier1958").year == 1958
    assert evidence.source("M-HIPAA-SafeHarbor").url.startswith("https://www.ecfr.gov/")
