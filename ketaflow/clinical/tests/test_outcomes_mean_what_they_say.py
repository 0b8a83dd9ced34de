"""Outcomes that mean what they say (issue #11, item 8), worked by hand.

- remission needs a response, whatever the remission level says;
- PCL-5 response is a fall in points (10, the clinically meaningful change, S40e);
- a relapse is dated at its onset, the first score of the qualifying run;
- the S17/S18 thresholds, derived on depression scales, need local sign-off on anxiety
  scales.
"""

from __future__ import annotations

from ketaflow.clinical.instruments import get_instrument
from ketaflow.clinical.outcomes import FindingStatus, OutcomeConfig, assess
from ketaflow.clinical.outcomes import OutcomeState as S
from ketaflow.clinical.tests.test_outcomes_support import HAMA, MADRS, day, mwf


def _criteria(code: str):  # type: ignore[no-untyped-def]
    found = get_instrument(code).response
    assert found is not None
    return found


def test_a_score_at_the_remission_level_without_a_response_is_no_remission() -> None:
    # HAM-A 10 -> 7: at the remission level (<= 7) but only 30% better (< 50%).
    report = assess([(day(0), 10), (day(3), 7)], HAMA, mwf())
    assert report.assessments[0].response is False
    assert report.assessments[0].remission is False
    assert report.first_remission is None
    assert report.current_state is S.IMPROVING


def test_a_response_reaching_the_level_is_a_remission() -> None:
    report = assess([(day(0), 16), (day(3), 7)], HAMA, mwf())
    assert report.first_remission is not None and report.first_remission.when == day(3)
    assert report.current_state is S.REMITTER


def test_a_pcl5_course_responds_on_a_ten_point_fall_and_says_it_needs_signoff() -> None:
    pcl5 = _criteria("pcl5")
    scores = [(day(0), 52), (day(3), 45), (day(7), 42), (day(9), 41)]
    report = assess(scores, pcl5, mwf())
    # 52 -> 45 is 7 points; 52 -> 42 is the first 10-point fall.
    assert [a.response for a in report.assessments] == [False, True, True]
    assert report.first_response is not None and report.first_response.when == day(7)
    assert report.current_state is S.RESPONDER
    assert report.states[-1].needs_local_signoff  # the 10-point rule is a local choice
    assert report.first_remission is None  # the PCL-5 has no remission definition


def test_a_relapse_is_dated_at_its_onset_and_durability_ends_there() -> None:
    # HAM-A, baseline 30. Response on day 9 (12: 60% better). Loses response on day 23
    # (18: 40%) and again on day 30 (19): the default rule (2 assessments 5-15 days apart)
    # confirms on day 30; the relapse began on day 23. Relapse-free from the first
    # response: 23 - 9 = 14 days (the confirmation would have said 21, 7 days too long).
    scores = [(day(0), 30), (day(9), 12), (day(16), 13), (day(23), 18), (day(30), 19)]
    report = assess(scores, HAMA, mwf())
    (relapse,) = report.relapses
    assert (relapse.onset, relapse.confirmed) == (day(23), day(30))
    assert report.relapse_onset == day(23)
    assert report.first_response is not None
    assert (report.relapse_onset - report.first_response.when).days == 14
    assert report.state_on(day(23)) is S.RELAPSED
    assert report.state_on(day(22)) is S.RESPONDER


def test_depression_thresholds_on_an_anxiety_scale_need_local_signoff() -> None:
    gad7 = _criteria("gad7")
    scores = [(day(0), 16), (day(3), 15), (day(8), 15), (day(10), 15)]
    report = assess(scores, gad7, mwf())
    signal = report.non_response_signal
    assert signal.status is FindingStatus.MET
    assert signal.needs_local_signoff
    assert report.early_improvement.needs_local_signoff
    assert report.current_state is S.NON_RESPONDER
    assert report.current_state_needs_local_signoff


def test_on_a_depression_scale_the_thresholds_stand_as_cited() -> None:
    scores = [(day(0), 30), (day(3), 29), (day(8), 29), (day(10), 29)]
    report = assess(scores, MADRS, mwf())
    assert report.non_response_signal.met
    assert not report.non_response_signal.needs_local_signoff
    assert not report.current_state_needs_local_signoff
    assert _criteria("phq9").depression_scale


def test_the_config_marks_each_threshold_unverified_with_the_reason() -> None:
    on_gad7 = OutcomeConfig().on_scale(_criteria("gad7"))
    for value in (
        on_gad7.improvement_min_pct,
        on_gad7.early_improvement_by_session,
        on_gad7.non_response_after_session,
    ):
        assert value.needs_local_signoff
        assert "depression scales" in value.note
    assert on_gad7.improvement_min_pct.value == 20.0
    assert OutcomeConfig().on_scale(MADRS) == OutcomeConfig()


def test_criteria_take_exactly_one_response_rule() -> None:
    import pytest

    from ketaflow.clinical.errors import ClinicalInputError
    from ketaflow.clinical.evidence import default
    from ketaflow.clinical.response import ResponseCriteria

    with pytest.raises(ClinicalInputError, match="exactly one response rule"):
        ResponseCriteria(response_min_improvement_pct=None, remission_at_or_below=None)
    with pytest.raises(ClinicalInputError, match="exactly one response rule"):
        ResponseCriteria(
            response_min_improvement_pct=default(50.0, "S11"),
            remission_at_or_below=None,
            response_min_points=default(10, "S40"),
        )
