"""Invariants of the outcome findings over arbitrary score series (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from ketaflow.clinical.instruments import get_instrument
from ketaflow.clinical.outcomes import OutcomeReport, OutcomeState, assess
from ketaflow.clinical.response import ResponseCriteria
from ketaflow.clinical.tests.test_outcomes_support import HAMA, LSAS, MADRS, MONDAY

_PCL5 = get_instrument("pcl5").response  # response in points (>= 10), no remission
assert _PCL5 is not None
CRITERIA = st.sampled_from([HAMA, LSAS, MADRS, _PCL5])
SCORE = st.integers(0, 600).map(lambda tenths: tenths / 10)  # totals to 0.1 point


@st.composite
def courses(draw: st.DrawFn) -> tuple[list[tuple[date, float]], list[date], ResponseCriteria]:
    """A baseline before session 1, sessions 1-20 days apart, scores on distinct days."""
    gaps = draw(st.lists(st.integers(1, 20), min_size=0, max_size=12))
    sessions = [MONDAY]
    for gap in gaps:
        sessions.append(sessions[-1] + timedelta(days=gap))
    span = (sessions[-1] - MONDAY).days + 60
    offsets = draw(st.sets(st.integers(1, span), max_size=25))
    baseline = draw(SCORE)
    scores = [(MONDAY - timedelta(days=draw(st.integers(0, 10))), baseline)]
    for offset in sorted(offsets):
        scores.append((MONDAY + timedelta(days=offset), draw(SCORE)))
    return scores, sessions, draw(CRITERIA)


def _report(course: tuple[list[tuple[date, float]], list[date], ResponseCriteria]) -> OutcomeReport:
    scores, sessions, criteria = course
    return assess(scores, criteria, sessions)


@settings(max_examples=300)
@given(courses())
def test_a_remitter_always_has_a_score_at_or_below_the_remission_threshold(course) -> None:  # type: ignore[no-untyped-def]
    criteria = course[2]
    for change in _report(course).states:
        if change.state is OutcomeState.REMITTER:
            assert criteria.remission_at_or_below is not None
            assert change.score <= criteria.remission_at_or_below.value


@settings(max_examples=300)
@given(courses())
def test_a_responder_state_always_rests_on_a_response(course) -> None:  # type: ignore[no-untyped-def]
    report = _report(course)
    criteria = course[2]
    for change in report.states:
        if change.state is OutcomeState.RESPONDER:
            assert criteria.is_response(report.baseline.value, change.score)


@settings(max_examples=300)
@given(courses())
def test_time_to_response_is_never_before_the_first_assessment(course) -> None:  # type: ignore[no-untyped-def]
    report = _report(course)
    if report.first_response is None:
        assert report.time_to_response_days is None
        return
    first_assessment = report.assessments[0].when
    assert report.first_response.when >= first_assessment
    assert report.first_response.when > course[1][0]
    assert report.time_to_response_days is not None and report.time_to_response_days >= 0


@settings(max_examples=300)
@given(courses())
def test_states_start_at_baseline_and_change_in_date_order(course) -> None:  # type: ignore[no-untyped-def]
    report = _report(course)
    assert report.states[0].state is OutcomeState.BASELINE
    assert report.states[0].began == report.baseline.when
    began = [c.began for c in report.states]
    assert began == sorted(began)
    assert all(
        a.state is not b.state for a, b in zip(report.states, report.states[1:], strict=False)
    )


@settings(max_examples=300)
@given(courses())
def test_every_relapse_follows_a_response_and_spans_its_run(course) -> None:  # type: ignore[no-untyped-def]
    report = _report(course)
    for relapse in report.relapses:
        assert relapse.onset <= relapse.confirmed
        assert len(relapse.scores) == 2
        assert any(a.response and a.when < relapse.onset for a in report.assessments)
        gap = (relapse.confirmed - relapse.onset).days
        assert 5 <= gap <= 15


@settings(max_examples=300)
@given(courses())
def test_percent_change_agrees_with_the_points_change(course) -> None:  # type: ignore[no-untyped-def]
    report = _report(course)
    for a in report.assessments:
        assert a.change == a.score - report.baseline.value
        if a.improvement_pct is not None:
            expected = -a.change / report.baseline.value * 100
            assert abs(a.improvement_pct - expected) < 1e-9


@settings(max_examples=300)
@given(courses())
def test_a_remission_is_always_also_a_response(course) -> None:  # type: ignore[no-untyped-def]
    report = _report(course)
    criteria = course[2]
    for a in report.assessments:
        if a.remission:
            assert a.response
    for change in report.states:
        if change.state is OutcomeState.REMITTER:
            assert criteria.is_response(report.baseline.value, change.score)


@settings(max_examples=300)
@given(courses())
def test_a_relapsed_state_begins_at_a_relapse_onset(course) -> None:  # type: ignore[no-untyped-def]
    report = _report(course)
    onsets = {r.onset for r in report.relapses}
    for before, change in zip(report.states, report.states[1:], strict=False):
        if change.state is OutcomeState.RELAPSED:
            assert change.began in onsets, (before, change)
    for relapse in report.relapses:
        assert report.state_on(relapse.onset) is OutcomeState.RELAPSED


@settings(max_examples=300)
@given(courses())
def test_threshold_findings_need_signoff_exactly_off_depression_scales(course) -> None:  # type: ignore[no-untyped-def]
    report = _report(course)
    anxiety = not course[2].depression_scale
    assert report.early_improvement.needs_local_signoff is anxiety
    assert report.non_response_signal.needs_local_signoff is anxiety
    assert report.non_improvement_through_three.needs_local_signoff is anxiety
    for change in report.states:
        if change.state in (
            OutcomeState.IMPROVING,
            OutcomeState.NOT_IMPROVING,
            OutcomeState.NON_RESPONDER,
        ):
            assert change.needs_local_signoff is anxiety
