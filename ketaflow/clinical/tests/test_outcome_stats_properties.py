"""Invariants of the outcome statistics (Hypothesis)."""

from __future__ import annotations

import itertools

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


@given(observations)
def test_kaplan_meier_matches_lifelines(obs):
    from lifelines import KaplanMeierFitter

    durations = [d for d, _, c in obs for _ in range(c)]
    events = [e for _, e, c in obs for _ in range(c)]
    kmf = KaplanMeierFitter().fit(durations, events)
    ours = kaplan_meier(obs)
    for step in ours.steps:
        expected = float(kmf.survival_function_at_times(step.days).iloc[0])
        assert abs(step.survival - expected) < 1e-9
