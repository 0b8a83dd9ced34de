"""Invariants of the outcome statistics (Hypothesis)."""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.clinical.outcome_stats import kaplan_meier, wilson


@given(
    st.integers(min_value=1, max_value=5000).flatmap(
        lambda n: st.tuples(st.integers(0, n), st.just(n))
    )
)
def test_wilson_bounds_contain_p_and_stay_in_0_1(kn):
    k, n = kn
    r = wilson(k, n)
    assert r.low is not None and r.high is not None and r.p is not None
    assert 0.0 <= r.low <= r.p <= r.high <= 1.0


@given(st.integers(1, 200).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_a_wider_confidence_gives_a_wider_interval(kn):
    k, n = kn
    narrow, wide = wilson(k, n, 0.8), wilson(k, n, 0.99)
    assert wide.low <= narrow.low and wide.high >= narrow.high


observations = st.lists(
    st.tuples(st.integers(0, 400), st.booleans(), st.integers(1, 5)), min_size=1, max_size=60
)


@given(observations)
def test_kaplan_meier_is_non_increasing_and_its_band_contains_it(obs):
    curve = kaplan_meier(obs)
    survival = [s.survival for s in curve.steps]
    assert all(a >= b for a, b in itertools.pairwise(survival))
    for s in curve.steps:
        assert 0.0 <= s.low <= s.survival <= s.high <= 1.0
    assert curve.n == sum(c for _, _, c in obs)


def _product_limit_by_hand(obs):
    """The textbook product-limit table from one row per course: {day: (S, Greenwood sum)}."""
    durations = [d for d, _, c in obs for _ in range(c)]
    events = [e for _, e, c in obs for _ in range(c)]
    s, greenwood, table = 1.0, 0.0, {}
    for day in sorted(set(durations)):
        at_risk = sum(1 for d in durations if d >= day)
        died = sum(1 for d, e in zip(durations, events, strict=True) if d == day and e)
        s *= 1 - died / at_risk
        if died < at_risk:
            greenwood += died / (at_risk * (at_risk - died))
        table[day] = (s, greenwood)
    return table


@given(observations)
def test_kaplan_meier_matches_the_product_limit_and_greenwood_band_by_hand(obs):
    table = _product_limit_by_hand(obs)
    z = NormalDist().inv_cdf(0.975)
    for step in kaplan_meier(obs).steps:
        if step.days not in table:
            continue  # the day-0 step before any observation
        s, greenwood = table[step.days]
        assert abs(step.survival - s) < 1e-9
        if 0 < s < 1:
            se = math.sqrt(greenwood) / abs(math.log(s))
            assert abs(step.low - s ** math.exp(z * se)) < 1e-9
            assert abs(step.high - s ** math.exp(-z * se)) < 1e-9
