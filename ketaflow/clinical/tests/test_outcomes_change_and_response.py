"""Change from baseline, response, remission and time to response."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ketaflow.clinical.outcomes import OutcomeConfig, ResponseClock, Score, assess
from ketaflow.clinical.tests.test_outcomes_support import HAMA, LSAS, MONDAY, day, mwf


def test_baseline_is_the_last_score_on_or_before_the_first_session() -> None:
    report = assess([(day(-14), 35), (day(-3), 30), (day(0), 28), (day(1), 20)], HAMA, mwf())
    assert report.baseline == Score(day(0), 28.0)
    assert [a.when for a in report.assessments] == [day(1)]


def test_a_score_on_a_session_day_counts_as_taken_before_that_session() -> None:
    report = assess([(day(0), 30), (day(2), 24), (day(3), 20)], HAMA, mwf())
    assert [a.sessions_before for a in report.assessments] == [1, 2]


def test_change_from_baseline_is_given_in_points_and_percent() -> None:
    report = assess([(day(0), 30), (day(1), 15)], HAMA, mwf())
    only = report.assessments[0]
    assert only.change == -15
    assert only.improvement_pct == pytest.approx(50.0)


def test_a_fifty_percent_fall_in_hama_is_a_response() -> None:
    report = assess([(day(0), 30), (day(1), 16), (day(3), 15)], HAMA, mwf())
    assert [a.response for a in report.assessments] == [False, True]
    assert report.first_response is not None
    assert report.first_response.when == day(3)


def test_lsas_90_to_58_is_a_response_and_90_to_59_is_not() -> None:
    # T25 (S12): response is a reduction of more than 35%.
    assert assess([(day(0), 90), (day(1), 58)], LSAS, mwf()).assessments[0].response
    assert not assess([(day(0), 90), (day(1), 59)], LSAS, mwf()).assessments[0].response


def test_remission_is_a_score_at_or_below_the_threshold() -> None:
    report = assess([(day(0), 30), (day(1), 8), (day(3), 7)], HAMA, mwf())
    assert [a.remission for a in report.assessments] == [False, True]
    assert report.first_remission is not None
    assert report.first_remission.when == day(3)


def test_an_instrument_without_a_remission_definition_never_remits() -> None:
    report = assess([(day(0), 90), (day(1), 0)], LSAS, mwf())
    assert report.first_remission is None


def test_time_to_response_counts_days_from_the_first_session_by_default() -> None:
    report = assess([(day(-2), 30), (day(8), 14)], HAMA, mwf())
    assert report.time_to_response_days == 8


def test_time_to_response_can_count_from_baseline() -> None:
    config = OutcomeConfig(time_to_response_from=ResponseClock.BASELINE)
    report = assess([(day(-2), 30), (day(8), 14)], HAMA, mwf(), config)
    assert report.time_to_response_days == 10


def test_no_response_means_no_time_to_response() -> None:
    report = assess([(day(0), 30), (day(8), 20)], HAMA, mwf())
    assert report.first_response is None
    assert report.time_to_response_days is None


def test_datetimes_place_a_four_hour_score_after_that_days_session() -> None:
    start = datetime(2025, 1, 6, 9, 0)
    sessions = [start, start + timedelta(days=2)]
    scores = [(start - timedelta(hours=1), 30), (start + timedelta(hours=4), 12)]
    report = assess(scores, HAMA, sessions)
    assert report.assessments[0].sessions_before == 1
    assert report.time_to_response_days == 0


def test_a_baseline_of_zero_gives_no_percent_change_and_no_response() -> None:
    report = assess([(day(0), 0), (day(1), 0)], HAMA, mwf())
    assert report.assessments[0].improvement_pct is None
    assert not report.assessments[0].response


def test_the_report_cites_the_response_and_baseline_sources() -> None:
    report = assess([(MONDAY, 30), (day(1), 15)], HAMA, mwf())
    keys = {s.key for s in report.sources}
    assert {"S11", "A2", "S17", "S18", "S19"} <= keys
