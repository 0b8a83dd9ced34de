"""Early improvement (S18) and the non-response signal after session 4 (S17)."""

from __future__ import annotations

from ketaflow.clinical.evidence import default
from ketaflow.clinical.outcomes import FindingStatus, OutcomeConfig, assess
from ketaflow.clinical.tests.test_outcomes_support import HAMA, day, mwf

# mwf(): sessions on days 0, 2, 4, 7, 9, 11.


def test_twenty_percent_better_after_the_first_session_is_early_improvement() -> None:
    report = assess([(day(0), 30), (day(1), 24)], HAMA, mwf())
    assert report.early_improvement.status is FindingStatus.MET
    assert report.early_improvement.at == day(1)
    assert {s.key for s in report.early_improvement.sources} >= {"S18"}


def test_twenty_percent_better_after_the_second_session_is_early_improvement() -> None:
    report = assess([(day(0), 30), (day(1), 28), (day(3), 24)], HAMA, mwf())
    assert report.early_improvement.status is FindingStatus.MET
    assert report.early_improvement.at == day(3)


def test_just_under_twenty_percent_by_session_two_is_not_early_improvement() -> None:
    # 30 -> 24.1 is 19.67%; session 3 has been given, so the window has passed.
    report = assess([(day(0), 30), (day(3), 24.1), (day(5), 10)], HAMA, mwf())
    assert report.early_improvement.status is FindingStatus.NOT_MET
    assert "S18" in report.early_improvement.explanation


def test_improvement_after_session_three_is_not_early() -> None:
    report = assess([(day(0), 30), (day(3), 29), (day(5), 10)], HAMA, mwf())
    assert not report.early_improvement.met


def test_early_improvement_is_pending_until_session_two_has_passed() -> None:
    report = assess([(day(0), 30), (day(1), 29)], HAMA, mwf(2))
    assert report.early_improvement.status is FindingStatus.PENDING


def test_early_improvement_is_not_assessable_without_a_score_in_the_window() -> None:
    report = assess([(day(0), 30), (day(8), 20)], HAMA, mwf())
    assert report.early_improvement.status is FindingStatus.NOT_ASSESSABLE


def test_under_twenty_percent_after_session_four_is_the_non_response_signal() -> None:
    # S17: non-improvement (< 20% MADRS reduction) 24 h after infusion 4.
    report = assess([(day(0), 30), (day(8), 25)], HAMA, mwf())
    signal = report.non_response_signal
    assert signal.status is FindingStatus.MET
    assert signal.at == day(8)
    assert signal.improvement_pct is not None and signal.improvement_pct < 20
    assert [s.key for s in signal.sources][:1] == ["S17"]


def test_exactly_twenty_percent_after_session_four_is_improvement() -> None:
    report = assess([(day(0), 30), (day(8), 24)], HAMA, mwf())
    assert report.non_response_signal.status is FindingStatus.NOT_MET


def test_the_signal_uses_the_last_score_before_session_five() -> None:
    report = assess([(day(0), 30), (day(8), 20), (day(9), 26)], HAMA, mwf())
    assert report.non_response_signal.met
    assert report.non_response_signal.at == day(9)


def test_the_signal_is_pending_before_session_four_is_assessed() -> None:
    report = assess([(day(0), 30), (day(5), 29)], HAMA, mwf(4))
    assert report.non_response_signal.status is FindingStatus.PENDING


def test_the_signal_is_not_assessable_without_a_score_between_sessions_four_and_five() -> None:
    report = assess([(day(0), 30), (day(10), 29)], HAMA, mwf())
    assert report.non_response_signal.status is FindingStatus.NOT_ASSESSABLE


def test_the_signal_is_not_assessable_from_a_zero_baseline() -> None:
    report = assess([(day(0), 0), (day(8), 0)], HAMA, mwf())
    assert report.non_response_signal.status is FindingStatus.NOT_ASSESSABLE


def test_the_review_session_is_configurable_for_esketamine_end_of_induction() -> None:
    config = OutcomeConfig(non_response_after_session=default(8, "S1", "S2"))
    sessions = [day(i * 3) for i in range(9)]
    report = assess([(day(0), 30), (day(22), 29)], HAMA, sessions, config)
    assert report.non_response_signal.status is FindingStatus.MET
    assert "session 8" in report.non_response_signal.explanation


def test_three_non_improvements_in_a_row_through_session_three_is_s17s_conservative_signal() -> (
    None
):
    report = assess([(day(0), 30), (day(1), 29), (day(3), 28), (day(5), 27)], HAMA, mwf())
    assert report.non_improvement_through_three.status is FindingStatus.MET
    assert report.non_improvement_through_three.at == day(5)


def test_one_improvement_among_the_first_three_sessions_clears_the_conservative_signal() -> None:
    report = assess([(day(0), 30), (day(1), 29), (day(3), 20), (day(5), 27)], HAMA, mwf())
    assert report.non_improvement_through_three.status is FindingStatus.NOT_MET


def test_the_conservative_signal_waits_for_session_three() -> None:
    report = assess([(day(0), 30), (day(1), 29)], HAMA, mwf(2))
    assert report.non_improvement_through_three.status is FindingStatus.PENDING


def test_the_conservative_signal_needs_a_score_after_each_session() -> None:
    report = assess([(day(0), 30), (day(1), 29), (day(5), 27)], HAMA, mwf())
    assert report.non_improvement_through_three.status is FindingStatus.NOT_ASSESSABLE


def test_the_conservative_signal_is_not_assessable_from_a_zero_baseline() -> None:
    report = assess([(day(0), 0), (day(1), 0)], HAMA, mwf())
    assert report.non_improvement_through_three.status is FindingStatus.NOT_ASSESSABLE
